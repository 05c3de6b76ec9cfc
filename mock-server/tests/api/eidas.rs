//! eIDAS letters: the identity order (paid), the OTP key read from the control
//! plane, codes that work once, and the one-hour `auth_otp` hash.

use ar24_client::Call;
use ar24_mock::Config;
use serde_json::json;

use crate::helpers::{TestMock, spawn_mock, spawn_mock_with, unique_email};

fn eidas_letter(sender: u64, auth: (&'static str, String)) -> Vec<(&'static str, String)> {
    vec![
        ("id_user", sender.to_string()),
        ("eidas", "1".into()),
        ("to_email", "marie@example.com".into()),
        ("dest_statut", "particulier".into()),
        ("to_firstname", "Marie".into()),
        ("to_lastname", "Dupont".into()),
        ("content", "Mise en demeure".into()),
        auth,
    ]
}

async fn current_code(t: &TestMock, id: u64) -> String {
    t.plane.otp(id).await.unwrap()["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_eidas_letter_needs_a_verified_identity_and_a_fresh_code() {
    let t = spawn_mock_with(Config { price_identity: 20.0, price_eidas: 4.68, ..Config::default() }).await;
    let id = t.ready_sender(&t.api).await.0;
    t.api.post("mail", &eidas_letter(id, ("otp", "123456".into()))).await.assert_error("authentication_missing");
    let no_key = t.plane.request(reqwest::Method::GET, &format!("users/{id}/otp"), &[], None).await.unwrap();
    assert_eq!((no_key.status, no_key.json()["slug"].clone()), (404, json!("no_otp_secret")));
    for route in ["users/999999/otp", "users/999999/confirm", "users/abc/payment_method"] {
        let method = if route.ends_with("otp") { reqwest::Method::GET } else { reqwest::Method::POST };
        let unknown = t.plane.request(method, route, &[], None).await.unwrap();
        assert_eq!((unknown.status, unknown.json()["slug"].clone()), (404, json!("user_not_exist")), "{route}");
        let reason = unknown.json()["reason"].as_str().unwrap_or_default().to_owned();
        assert!(reason.starts_with("No user has the id"), "names the id, not an address: {}", unknown.body);
    }
    assert!(t.api.user(id).await.ok().get("is_identity_verified").is_none(), "absent until verified");

    t.api.post("user/identity", &[("id_user", id.to_string())]).await.ok();
    assert_eq!(t.api.user(id).await.ok()["is_identity_verified"], 1);
    let secret = t.plane.otp(id).await.unwrap();
    assert_eq!(secret["secret"].as_str().map(str::len), Some(32), "160 bits in base32: {secret}");

    t.api.post("mail", &eidas_letter(id, ("otp", String::new()))).await.assert_error("authentication_missing");
    t.api.post("mail", &eidas_letter(id, ("otp", "000000".into()))).await.assert_error("authentication_otp_invalid");
    let code = current_code(&t, id).await;
    let mail = t.api.post("mail", &eidas_letter(id, ("otp", code.clone()))).await;
    assert_eq!(mail.ok()["is_eidas"], 1);
    assert_eq!(mail.ok()["price_ht"], 4.68);
    t.api.post("mail", &eidas_letter(id, ("otp", code))).await.assert_error("authentication_otp_invalid");

    let kinds: Vec<String> = t
        .plane
        .charges(&[("user", &id.to_string())])
        .await
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["identity", "eidas"]);
    let identity = &t.plane.charges(&[]).await.unwrap()[0];
    assert_eq!(identity["price_ht"], 20.0);
}

#[tokio::test]
async fn a_simple_letter_ignores_otp_parameters() {
    let t = spawn_mock().await;
    let id = t.ready_sender(&t.api).await.0;
    let mut form = eidas_letter(id, ("otp", "not-a-code".into()));
    form.retain(|(k, _)| *k != "eidas");
    assert_eq!(t.api.post("mail", &form).await.ok()["is_eidas"], 0);
}

#[tokio::test]
async fn one_code_buys_an_hour_of_eidas_letters_for_that_user_and_partner() {
    let t = spawn_mock().await;
    let id = t.ready_sender(&t.api).await.0;
    t.api.post("user/identity", &[("id_user", id.to_string())]).await.ok();
    t.api
        .post("user/auth_otp", &[("id_user", id.to_string()), ("otp", "000000".into())])
        .await
        .assert_error("authentication_otp_invalid");
    t.api.post("user/auth_otp", &[("id_user", id.to_string())]).await.assert_error("authentication_otp_invalid");
    let code = current_code(&t, id).await;
    let session = t.api.post("user/auth_otp", &[("id_user", id.to_string()), ("otp", code)]).await;
    let hash = session.ok()["hash"].as_str().unwrap().to_owned();
    let expires = session.ok()["expiration_date"].as_str().unwrap();
    let expires = chrono::NaiveDateTime::parse_from_str(expires, "%Y-%m-%d %H:%M:%S").expect("AR24's date format");
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris).naive_local();
    let ahead = (expires - now).num_seconds();
    assert!((3590..=3601).contains(&ahead), "an hour ahead in Paris time: {ahead} s");
    for _ in 0..2 {
        let mail = t.api.post("mail", &eidas_letter(id, ("auth_otp_hash", hash.clone()))).await;
        assert_eq!(mail.ok()["is_eidas"], 1, "the hash works more than once");
    }
    t.api
        .post("mail", &eidas_letter(id, ("auth_otp_hash", "f".repeat(40))))
        .await
        .assert_error("authentication_otp_hash_invalid");
    // Another user's hash.
    let other = t.ready_sender(&t.api).await.0;
    t.api.post("user/identity", &[("id_user", other.to_string())]).await.ok();
    t.api
        .post("mail", &eidas_letter(other, ("auth_otp_hash", hash.clone())))
        .await
        .assert_error("authentication_otp_hash_invalid");
}

#[tokio::test]
async fn the_identity_order_is_paid_by_the_team_administrator_through_user_verify() {
    let t = spawn_mock().await;
    let master = t.ready_sender(&t.api).await.0;
    let member_email = unique_email();
    let member = t.api.create_user(&member_email).await;
    t.api.post("user/identity", &[("id_user", member.to_string())]).await.assert_error("user_no_payment");
    t.api.post("user/join_team", &[("id_user", member.to_string()), ("id_master", master.to_string())]).await.ok();
    t.follow_link("team", &member_email).await;
    let stranger = t.api.create_user(&unique_email()).await;
    let verify = |payer: u64| {
        let call = Call::post("user/verify").param("id_user_to_verify", member).param("id_user", payer);
        t.api.send(call)
    };
    verify(stranger).await.assert_error("user_unavailable");
    t.api.post("user/verify", &[("id_user", master.to_string())]).await.assert_error("missing_user_id");
    verify(master).await.ok();
    assert_eq!(t.api.user(member).await.ok()["is_identity_verified"], 1);
    let charges = t.plane.charges(&[("user", &member.to_string())]).await.unwrap();
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0]["payer"], json!({"kind": "team_master", "id": master}));
    let other = t.new_partner(json!({})).await;
    other.post("user/identity", &[("id_user", member.to_string())]).await.assert_error("user_unavailable");
}

#[tokio::test]
async fn a_reset_forgets_the_hashes_and_used_codes_even_when_the_same_users_come_back() {
    let t = spawn_mock().await;
    let id = t.ready_sender(&t.api).await.0;
    t.api.post("user/identity", &[("id_user", id.to_string())]).await.ok();
    let fixture = t.plane.export_state().await.unwrap();
    let code = current_code(&t, id).await;
    let session = t.api.post("user/auth_otp", &[("id_user", id.to_string()), ("otp", code)]).await;
    let hash = session.ok()["hash"].as_str().unwrap().to_owned();
    // The same users, key included, come back after the reset: the hash opened before it does not.
    t.plane.reset().await.unwrap();
    t.plane.import_state(&fixture).await.unwrap();
    t.api
        .post("mail", &eidas_letter(id, ("auth_otp_hash", hash)))
        .await
        .assert_error("authentication_otp_hash_invalid");
}
