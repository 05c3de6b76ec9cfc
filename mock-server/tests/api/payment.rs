//! `user/payment_request` with and without `get_link`, and the three ways to pay.

use serde_json::json;

use crate::helpers::{spawn_mock, unique_email};

#[tokio::test]
async fn a_payment_request_mails_a_link_that_adds_a_payment_method() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    let answer = t.api.post("user/payment_request", &[("id_user", id.to_string())]).await;
    assert!(answer.is_success(), "{}", answer.body);
    assert_eq!(t.emails(Some(&email), Some("payment")).await.len(), 1);
    t.follow_link("payment", &email).await;
    let user = t.api.user(id).await;
    assert_eq!(user.ok()["payment_active"], true);
    assert_eq!(user.ok()["is_payment_possible"], true);
    t.api.post("user/payment_request", &[("id_user", id.to_string())]).await.assert_error("payment_already_active");
}

#[tokio::test]
async fn get_link_answers_a_link_and_sends_no_email() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    let answer = t.api.post("user/payment_request", &[("id_user", id.to_string()), ("get_link", "1".into())]).await;
    let link = answer.ok()["link"].as_str().expect("a link").to_owned();
    assert!(link.starts_with(&t.mock.root_url()), "{link}");
    assert!(t.emails(Some(&email), None).await.is_empty());
    assert_eq!(t.accept(&link).await.status, 200);
    assert_eq!(t.api.user(id).await.ok()["payment_active"], true);
}

#[tokio::test]
async fn payment_request_errors() {
    let t = spawn_mock().await;
    let id = t.api.create_user(&unique_email()).await;
    t.api.post("user/payment_request", &[]).await.assert_error("missing_user_id");
    t.api.post("user/payment_request", &[("id_user", "77777".into())]).await.assert_error("user_not_exist");
    t.api
        .post("user/payment_request", &[("id_user", id.to_string()), ("get_link", "maybe".into())])
        .await
        .assert_error("invalid_flag");
}

#[tokio::test]
async fn global_billing_makes_payment_possible_for_that_partners_users_only() {
    let t = spawn_mock().await;
    let billing = t.new_partner(json!({"global_billing": true})).await;
    let email = unique_email();
    let id = billing.create_user(&email).await;
    let user = billing.user(id).await;
    assert_eq!(user.ok()["is_payment_possible"], true);
    assert_eq!(user.ok()["payment_active"], false);

    // The same account seen through a partner without global billing cannot pay.
    t.api.post("user/request_access", &[("email", email.clone())]).await.ok();
    t.follow_link("access", &email).await;
    assert_eq!(t.api.user(id).await.ok()["is_payment_possible"], false);

    // Switching the setting off takes effect at once.
    let patched = t
        .http
        .patch(t.control(&format!("partners/{}", billing.token)))
        .json(&json!({"global_billing": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(billing.user(id).await.ok()["is_payment_possible"], false);
}

#[tokio::test]
async fn a_payment_method_added_on_the_website_shows_in_the_api() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    let response = t.http.post(t.control(&format!("users/{id}/payment_method"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(t.api.user(id).await.ok()["payment_active"], true);
    let unknown = t.http.post(t.control("users/123456/payment_method")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
}
