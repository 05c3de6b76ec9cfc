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
    source.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    source.api.post("user/payment_request", &[("id_user", id.to_string())]).await.ok();
    let mut state = source.plane.export_state().await.unwrap();
    state["next_user_id"] = json!(1);
    state["next_email_id"] = json!(1);
    let imported_emails: Vec<u64> =
        state["emails"].as_array().unwrap().iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(imported_emails.len(), 2);

    let target = spawn_mock().await;
    target.plane.import_state(&state).await.unwrap();
    let next = target.api.create_user(&unique_email()).await;
    assert!(next > id, "the new user ({next}) gets an id after the imported one ({id})");
    target.api.post("user/request_cgu", &[("id_user", next.to_string())]).await.ok();
    let emails = target.plane.emails(None, None).await.unwrap();
    let newest = emails.last().unwrap().id;
    assert!(imported_emails.iter().all(|&old| newest > old), "email {newest} after {imported_emails:?}");
}

#[tokio::test]
async fn the_configured_partner_survives_an_import_that_does_not_list_it() {
    let t = spawn_mock().await;
    let other = t.new_partner(json!({"token": "fixture-partner"})).await;
    other.create_user(&unique_email()).await;
    let mut state = t.plane.export_state().await.unwrap();
    let default_token = t.api.token.clone();
    state["partners"].as_array_mut().unwrap().retain(|p| p["token"] != default_token.as_str());
    state["visible"].as_object_mut().unwrap().remove(&default_token);

    t.plane.import_state(&state).await.unwrap();
    let listed = t.api.get("user/list", &[]).await;
    assert_eq!(listed.ok()["users"], json!([]), "the configured partner is still there, seeing nothing");
    assert_eq!(other.get("user/list", &[]).await.ok()["users"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_state_whose_team_administrator_does_not_exist_is_refused() {
    let t = spawn_mock().await;
    let id = t.api.create_user(&unique_email()).await;
    let mut state = t.plane.export_state().await.unwrap();
    state["users"][0]["team_master"] = json!(id + 1000);
    let refused = t.plane.request(reqwest::Method::PUT, "state", &[], Some(&state)).await.unwrap();
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["slug"], "invalid_state");
    assert!(t.api.user(id).await.is_success(), "nothing changed");
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
