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

/// A mock holding one sent letter with one attachment, and the letter's id.
pub(crate) async fn mock_with_a_letter() -> (crate::helpers::TestMock, u64, u64) {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.post("user", &crate::helpers::with(crate::helpers::user_form(&email), "confirmed", "1")).await.ok()
        ["id"]
        .as_u64()
        .unwrap();
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    t.follow_link("cgu", &email).await;
    t.plane.add_payment_method(id).await.unwrap();
    let call = ar24_client::Call::post("attachment").param("id_user", id).file("file", "a.pdf", b"%PDF bytes".to_vec());
    let file = t.api.send(call).await.ok()["file_id"].as_u64().unwrap();
    let form = [
        ("id_user", id.to_string()),
        ("to_email", "marie@example.com".into()),
        ("dest_statut", "particulier".into()),
        ("to_firstname", "Marie".into()),
        ("to_lastname", "Dupont".into()),
        ("attachment[0]", file.to_string()),
    ];
    let letter = t.api.post("mail", &form).await.ok()["id"].as_u64().unwrap();
    (t, id, letter)
}

#[tokio::test]
async fn letters_attachments_and_charges_travel_with_the_state() {
    let (source, user, letter) = mock_with_a_letter().await;
    let state = source.plane.export_state().await.unwrap();
    assert_eq!(state["format"], 2);
    let target = spawn_mock().await;
    target.plane.import_state(&state).await.unwrap();
    let read = target.api.get("mail", &[("id", letter.to_string())]).await;
    assert_eq!(read.ok()["status"], "ev");
    assert_eq!(read.ok()["attachments_details"][0]["name"], "a.pdf");
    assert_eq!(target.plane.charges(&[]).await.unwrap().len(), 1);
    let listed = target.api.get("user/attachment", &[("id_user", user.to_string())]).await;
    assert_eq!(listed.ok()["attachments"].as_array().map(Vec::len), Some(1));
    // Ids continue after the imported ones.
    let call = ar24_client::Call::post("attachment").param("id_user", user).file("file", "b.pdf", b"other".to_vec());
    let next = target.api.send(call).await.ok()["file_id"].as_u64().unwrap();
    assert!(next > read.ok()["attachments"][0].as_u64().unwrap());
}

#[tokio::test]
async fn a_state_of_format_1_without_letters_still_loads() {
    let source = spawn_mock().await;
    let id = source.api.create_user(&unique_email()).await;
    let mut state = source.plane.export_state().await.unwrap();
    let object = state.as_object_mut().unwrap();
    for key in
        ["next_attachment_id", "next_letter_id", "next_charge_id", "attachments", "contents", "letters", "charges"]
    {
        object.remove(key);
    }
    object.insert("format".into(), json!(1));
    for user in object["users"].as_array_mut().unwrap() {
        let user = user.as_object_mut().unwrap();
        user.remove("identity_verified");
        user.remove("otp_secret");
    }
    let target = spawn_mock().await;
    target.plane.import_state(&state).await.unwrap();
    assert_eq!(target.api.user(id).await.ok()["id"], id);
}

#[tokio::test]
async fn a_state_whose_letters_or_uploads_do_not_hold_together_is_refused() {
    let (source, _, _) = mock_with_a_letter().await;
    let state = source.plane.export_state().await.unwrap();
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 5] = [
        ("a letter of an unknown sender", |s| s["letters"][0]["sender"] = json!(999_999)),
        ("one letter id twice", |s| {
            let twice = s["letters"][0].clone();
            s["letters"].as_array_mut().unwrap().push(twice);
        }),
        ("a letter naming an unknown upload", |s| s["letters"][0]["attachments"] = json!([999_999])),
        ("an upload without its content", |s| s["contents"] = json!({})),
        ("a content that is not its SHA-1", |s| {
            let sha1 = s["attachments"][0]["sha1"].as_str().unwrap().to_owned();
            s["contents"][sha1] = json!("b3RoZXI=");
        }),
    ];
    let target = spawn_mock().await;
    for (what, breaks) in breakages {
        let mut broken = state.clone();
        breaks(&mut broken);
        let reply = target.plane.request(reqwest::Method::PUT, "state", &[], Some(&broken)).await.unwrap();
        assert_eq!((reply.status, reply.json()["slug"].clone()), (400, json!("invalid_state")), "{what}");
    }
    assert!(target.plane.letters(&[]).await.unwrap().is_empty(), "nothing was loaded");
}

#[tokio::test]
async fn a_fixture_of_several_megabytes_loads_and_one_over_the_limit_is_refused_with_the_envelope() {
    let source = spawn_mock().await;
    source.api.create_user(&unique_email()).await;
    let mut fixture = source.plane.export_state().await.unwrap();
    let template = fixture["users"][0].clone();
    let users: Vec<Value> = (1..=4000u64)
        .map(|id| {
            let mut user = template.clone();
            user["id"] = json!(id);
            user["profile"]["email"] = json!(format!("fixture-{id}@example.fr"));
            user
        })
        .collect();
    fixture["users"] = json!(users);
    fixture["visible"] = json!({});
    let size = fixture.to_string().len();
    assert!(size > 2 * 1024 * 1024, "a fixture over axum's 2 MB default: {size} bytes");

    let target = spawn_mock().await;
    let imported = target.plane.import_state(&fixture).await.unwrap();
    assert_eq!(imported["users"], 4000);
    let exported = target.plane.export_state().await.unwrap();
    assert_eq!(exported["users"].as_array().map(Vec::len), Some(4000), "the streamed export holds them all");

    let small =
        crate::helpers::spawn_mock_with(ar24_mock::Config { max_state_body: 1_000_000, ..Default::default() }).await;
    let refused = small.plane.request(reqwest::Method::PUT, "state", &[], Some(&fixture)).await.unwrap();
    assert_eq!((refused.status, refused.json()["slug"].clone()), (413, json!("body_too_large")), "{}", refused.body);
    assert_eq!(refused.json()["status"], "ERROR", "the envelope, not the framework's text");
    assert!(small.plane.export_state().await.unwrap()["users"].as_array().unwrap().is_empty(), "nothing changed");
}

#[tokio::test]
async fn every_control_plane_body_over_the_limit_answers_the_envelope() {
    let t = crate::helpers::spawn_mock_with(ar24_mock::Config { max_body: 2_000, ..Default::default() }).await;
    let huge = json!({"name": "x".repeat(5_000)});
    for (method, path) in [
        (reqwest::Method::POST, "partners"),
        (reqwest::Method::PATCH, "partners/ar24-mock-token"),
        (reqwest::Method::POST, "users"),
        (reqwest::Method::POST, "faults"),
        (reqwest::Method::POST, "clock"),
        (reqwest::Method::POST, "links/anything/refuse"),
    ] {
        let reply = t.plane.request(method.clone(), path, &[], Some(&huge)).await.unwrap();
        assert_eq!(
            (reply.status, reply.json()["slug"].clone()),
            (413, json!("body_too_large")),
            "{method} {path}: {}",
            reply.body
        );
    }
    assert_eq!(t.plane.partner("ar24-mock-token").await.unwrap().name, "Default partner", "nothing changed");
}

#[tokio::test]
async fn a_fixture_file_imports_as_it_is_stored_and_an_invalid_one_is_refused() {
    let source = spawn_mock().await;
    let id = source.api.create_user(&unique_email()).await;
    let bytes = source.http.get(source.control("state")).send().await.unwrap().bytes().await.unwrap().to_vec();
    let target = spawn_mock().await;
    let answer = target.plane.import_state_bytes(bytes).await.unwrap();
    assert_eq!(answer["users"], 1);
    assert_eq!(target.api.user(id).await.ok()["id"], id);
    let refused = target.plane.import_state_bytes(b"{\"format\": 2".to_vec()).await.unwrap_err();
    assert!(refused.to_string().contains("400"), "{refused}");
    assert_eq!(target.api.user(id).await.ok()["id"], id, "nothing changed");
}

#[tokio::test]
async fn the_business_clock_travels_with_the_state_and_a_fixture_without_it_leaves_it_alone() {
    let source = spawn_mock().await;
    source.plane.advance_clock(&json!("2d")).await.unwrap();
    let state = source.plane.export_state().await.unwrap();
    assert_eq!(state["clock_offset"], 2 * 86_400);
    let target = spawn_mock().await;
    target.plane.import_state(&state).await.unwrap();
    let offset = |t: &crate::helpers::TestMock| {
        let plane = t.plane.clone();
        async move {
            let reply = plane.request(reqwest::Method::GET, "clock", &[], None).await.unwrap();
            serde_json::from_str::<Value>(&reply.body).unwrap()["offset_seconds"].as_i64().unwrap()
        }
    };
    assert_eq!(offset(&target).await, 2 * 86_400);
    // An older fixture says nothing of the clock: it stays where it is.
    let mut older = state.clone();
    older.as_object_mut().unwrap().remove("clock_offset");
    target.plane.advance_clock(&json!("1d")).await.unwrap();
    target.plane.import_state(&older).await.unwrap();
    assert_eq!(offset(&target).await, 3 * 86_400);
}

#[tokio::test]
async fn users_in_any_order_import_and_a_repeated_id_is_refused_even_with_another_email() {
    let t = spawn_mock().await;
    t.api.create_user(&unique_email()).await;
    t.api.create_user(&unique_email()).await;
    let mut state = t.plane.export_state().await.unwrap();
    state["users"].as_array_mut().unwrap().reverse();
    t.plane.import_state(&state).await.expect("users need not come in id order");
    let before = t.plane.export_state().await.unwrap();
    let mut twice = state.clone();
    let mut copy = twice["users"][0].clone();
    copy["profile"]["email"] = json!(unique_email());
    twice["users"].as_array_mut().unwrap().push(copy);
    let refused = t.plane.import_state(&twice).await.unwrap_err().to_string();
    assert!(refused.contains("invalid_state"), "{refused}");
    assert_eq!(t.plane.export_state().await.unwrap(), before, "nothing changed");
}
