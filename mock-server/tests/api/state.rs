//! The state as JSON: export, import, and what import refuses.

use serde_json::{Value, json};

use crate::helpers::{spawn_mock, unique_email};

#[tokio::test]
async fn an_exported_state_imports_into_another_mock_with_everything_in_it() {
    let source = spawn_mock().await;
    let email = unique_email();
    let id = source.api.create_user(&email).await;
    source.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    source.follow_link("cgu", &email).await;
    source.api.post("user/payment_request", &[("id_user", id.to_string())]).await.ok();
    let pending = source.latest_link("payment", &email).await;
    let state: Value = source.http.get(source.control("state")).send().await.unwrap().json().await.unwrap();
    assert!(state["users"][0].get("password").is_none());

    let target = spawn_mock().await;
    let imported = target.http.put(target.control("state")).json(&state).send().await.unwrap();
    assert_eq!(imported.status(), 200);
    assert_eq!(imported.json::<Value>().await.unwrap()["users"], 1);
    let user = target.api.user(id).await;
    assert_eq!(user.ok()["email"], email.as_str());
    assert_eq!(user.ok()["cgu"], 1);
    assert_eq!(target.emails(Some(&email), None).await.len(), 2);
    // The pending link works on the new mock (same path), once.
    let path = pending.strip_prefix(&source.mock.root_url()).unwrap();
    assert_eq!(target.accept(&format!("{}{path}", target.mock.root_url())).await.status, 200);
    assert_eq!(target.api.user(id).await.ok()["payment_active"], true);
    assert!(target.api.create_user(&unique_email()).await > id, "ids continue after the imported ones");
}

#[tokio::test]
async fn an_imported_state_whose_next_id_trails_its_users_never_reuses_an_id() {
    let source = spawn_mock().await;
    let id = source.api.create_user(&unique_email()).await;
    let mut state = source.plane.export_state().await.unwrap();
    state["next_user_id"] = json!(1);

    let target = spawn_mock().await;
    target.plane.import_state(&state).await.unwrap();
    let next = target.api.create_user(&unique_email()).await;
    assert!(next > id, "the new user ({next}) gets an id after the imported one ({id})");
}

#[tokio::test]
async fn a_state_whose_partner_sees_a_user_that_does_not_exist_is_refused() {
    let t = spawn_mock().await;
    let id = t.api.create_user(&unique_email()).await;
    let mut state = t.plane.export_state().await.unwrap();
    state["visible"][t.api.token.as_str()] = json!([id, id + 1000]);
    let refused = t.plane.request(reqwest::Method::PUT, "state", &[], Some(&state)).await.unwrap();
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["slug"], "invalid_state");
    assert!(t.api.user(id).await.is_success(), "nothing changed");
}

#[tokio::test]
async fn an_invalid_state_is_refused_and_changes_nothing() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    let mut state: Value = t.http.get(t.control("state")).send().await.unwrap().json().await.unwrap();
    let mut twin = state["users"][0].clone();
    twin["id"] = json!(id + 100);
    state["users"].as_array_mut().unwrap().push(twin);
    let duplicate = t.http.put(t.control("state")).json(&state).send().await.unwrap();
    assert_eq!(duplicate.status(), 400);
    assert_eq!(duplicate.json::<Value>().await.unwrap()["slug"], "invalid_state");
    let broken = t.http.put(t.control("state")).body("{\"format\": 1").send().await.unwrap();
    assert_eq!(broken.status(), 400);
    assert_eq!(t.api.user(id).await.ok()["email"], email.as_str(), "nothing changed");
}
