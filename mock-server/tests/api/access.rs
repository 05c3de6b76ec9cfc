//! Attaching an existing account: `user_already_exist` → `user/request_access` →
//! the holder accepts → the partner sees the user (seed "Rattacher un compte AR24 existant").

use crate::helpers::{spawn_mock, unique_email, user_form};

#[tokio::test]
async fn an_existing_account_is_attached_after_its_holder_accepts() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.website_user(&email, false).await;

    t.api.post("user", &user_form(&email)).await.assert_error("user_already_exist");
    t.api.user(id).await.assert_error("user_unavailable");
    t.api.get("user", &[("email", email.clone())]).await.assert_error("user_unavailable");

    let answer = t.api.post("user/request_access", &[("email", email.clone())]).await;
    assert!(answer.is_success(), "{}", answer.body);
    t.api.user(id).await.assert_error("user_unavailable");

    t.follow_link("access", &email).await;
    assert_eq!(t.api.user(id).await.ok()["email"], email.as_str());
    let listed = t.api.get("user/list", &[]).await;
    assert!(listed.ok()["users"].as_array().unwrap().iter().any(|u| u["id"] == id));
}

#[tokio::test]
async fn access_request_errors() {
    let t = spawn_mock().await;
    t.api.post("user/request_access", &[]).await.assert_error("missing_email");
    t.api.post("user/request_access", &[("email", "nope".into())]).await.assert_error("email_wrong_format");
    t.api.post("user/request_access", &[("email", unique_email())]).await.assert_error("user_not_exist");
    let own = unique_email();
    t.api.create_user(&own).await;
    t.api.post("user/request_access", &[("email", own)]).await.assert_error("access_already_granted");
}

#[tokio::test]
async fn a_refused_or_ignored_request_grants_nothing_and_each_request_mails_again() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.website_user(&email, false).await;
    t.api.post("user/request_access", &[("email", email.clone())]).await.ok();
    t.api.post("user/request_access", &[("email", email.clone())]).await.ok();
    assert_eq!(t.emails(Some(&email), Some("access")).await.len(), 2);
    t.api.user(id).await.assert_error("user_unavailable");
}

#[tokio::test]
async fn an_access_request_for_an_account_gone_since_grants_nothing() {
    let t = spawn_mock().await;
    let other = t.new_partner(serde_json::json!({})).await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    other.post("user/request_access", &[("email", email.clone())]).await.ok();
    let link = t.latest_link("access", &email).await;
    // The creating partner resets: the account, and every link about it, are forgotten
    // before its holder answers.
    t.plane.reset_partner(&t.api.token).await.unwrap();
    let click = t.accept(&link).await;
    assert_eq!(
        (click.status, click.json()["slug"].clone()),
        (404, serde_json::json!("link_not_found")),
        "{}",
        click.body
    );
    other.user(id).await.assert_error("user_not_exist");
}
