//! `user/request_cgu` and the CGU acceptance link.

use crate::helpers::{spawn_mock, unique_email};

#[tokio::test]
async fn a_cgu_request_mails_a_link_whose_acceptance_sets_cgu() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    let answer = t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await;
    assert!(answer.is_success(), "{}", answer.body);
    assert!(answer.body.get("result").is_none(), "mail routes answer no result: {}", answer.body);

    let emails = t.emails(Some(&email), Some("cgu")).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0]["partner"], t.api.token.as_str());
    assert!(emails[0]["body"].as_str().unwrap().contains(emails[0]["link"].as_str().unwrap()));
    let user = t.api.user(id).await;
    assert_eq!(user.ok()["cgu"], 0, "not accepted until the user clicks");
    assert_eq!(user.ok()["notif_cgu"], 1);

    t.follow_link("cgu", &email).await;
    assert_eq!(t.api.user(id).await.ok()["cgu"], 1);
}

#[tokio::test]
async fn the_link_page_shows_what_is_asked_and_a_used_link_changes_nothing() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    let link = t.latest_link("cgu", &email).await;

    let page = t.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("terms of use") && html.contains("<button"), "{html}");

    let state: serde_json::Value =
        t.http.get(&link).header("accept", "application/json").send().await.unwrap().json().await.unwrap();
    assert_eq!(state["state"], "pending");
    assert_eq!(state["kind"], "cgu");
    assert_eq!(state["user_id"], id);

    assert_eq!(t.accept(&link).await.status, 200);
    let again = t.accept(&link).await;
    assert_eq!(again.status, 410);
    let body: serde_json::Value = again.json();
    assert_eq!(body["slug"], "link_already_used");
    let html_again = t.http.post(&link).send().await.unwrap();
    assert_eq!(html_again.status(), 410);
    assert!(html_again.text().await.unwrap().contains("already been used"));
}

#[tokio::test]
async fn cgu_request_errors() {
    let t = spawn_mock().await;
    t.api.post("user/request_cgu", &[]).await.assert_error("missing_user_id");
    t.api.post("user/request_cgu", &[("id_user", "x1".into())]).await.assert_error("missing_user_id");
    t.api.post("user/request_cgu", &[("id_user", "424242".into())]).await.assert_error("user_not_exist");
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    t.follow_link("cgu", &email).await;
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.assert_error("cgu_already_accepted");
    let wrong_method = t.api.get("user/request_cgu", &[("id_user", id.to_string())]).await;
    assert_eq!(wrong_method.http, 405);
    assert_eq!(wrong_method.slug(), Some("method_not_allowed"));
}
