//! Authentication as AR24 does it: token, Paris-time date window, signature,
//! encrypted success bodies; and the `plain` mode for curl.

use ar24_client::{Keys, format_paris};
use ar24_mock::{AuthMode, Config};
use chrono::{Duration, Utc};
use reqwest::Method;

use crate::helpers::{SignatureIn, Signing, spawn_mock, spawn_mock_with, unique_email, user_form};

fn paris_in(seconds: i64) -> String {
    format_paris(Utc::now() + Duration::seconds(seconds))
}

#[tokio::test]
async fn a_well_signed_call_gets_a_bare_base64_body_that_decrypts_to_the_success_envelope() {
    let t = spawn_mock().await;
    let answer = t.api.post("user", &user_form(&unique_email())).await;
    assert_eq!(answer.http, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&answer.raw).is_err(), "success bodies are not JSON");
    assert!(
        answer.raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
        "bare base64: {}",
        answer.raw
    );
    assert_eq!(answer.body["status"], "SUCCESS");
    assert!(answer.result()["id"].is_u64());
}

#[tokio::test]
async fn the_response_key_depends_on_the_date_sent() {
    let t = spawn_mock().await;
    // Both from one instant: read after the call, the clock could have moved a second on.
    let sent = Utc::now() - Duration::seconds(30);
    let (date, other_date) = (format_paris(sent), format_paris(sent - Duration::seconds(1)));
    let signing = Signing { date: Some(date.clone()), ..Default::default() };
    let answer = t.api.call(Method::GET, "user/list", &[], signing).await;
    assert!(answer.is_success());
    assert!(
        t.api
            .keys
            .decrypt_response(&other_date, &answer.raw)
            .is_none_or(|b| serde_json::from_slice::<serde_json::Value>(&b).is_err())
    );
}

#[tokio::test]
async fn token_errors() {
    let t = spawn_mock().await;
    let missing = t.api.call(Method::GET, "user/list", &[], Signing { omit_token: true, ..Default::default() }).await;
    missing.assert_error("token_missing");
    let blank =
        t.api.call(Method::GET, "user/list", &[], Signing { token: Some("  ".into()), ..Default::default() }).await;
    blank.assert_error("token_missing");
    let wrong =
        t.api.call(Method::GET, "user/list", &[], Signing { token: Some("nope".into()), ..Default::default() }).await;
    wrong.assert_error("token_invalid");
}

#[tokio::test]
async fn date_errors() {
    let t = spawn_mock().await;
    let cases = [
        (Signing { omit_date: true, ..Default::default() }, "empty_date"),
        (Signing { date: Some(String::new()), ..Default::default() }, "empty_date"),
        (Signing { date: Some("2021-05-26T14:00:00".into()), ..Default::default() }, "invalid_date"),
        (Signing { date: Some("26/05/2021 14:00:00".into()), ..Default::default() }, "invalid_date"),
        (Signing { date: Some(paris_in(-11 * 60)), ..Default::default() }, "expired_date"),
        (Signing { date: Some(paris_in(11 * 60)), ..Default::default() }, "date_in_future"),
    ];
    for (signing, slug) in cases {
        t.api.call(Method::GET, "user/list", &[], signing).await.assert_error(slug);
    }
}

#[tokio::test]
async fn a_date_within_ten_minutes_either_way_is_accepted() {
    let t = spawn_mock().await;
    for offset in [-9 * 60, 9 * 60] {
        let answer = t
            .api
            .call(Method::GET, "user/list", &[], Signing { date: Some(paris_in(offset)), ..Default::default() })
            .await;
        assert!(answer.is_success(), "offset {offset}: {}", answer.body);
    }
}

#[tokio::test]
async fn dates_are_read_as_paris_time_not_utc() {
    let t = spawn_mock().await;
    // Paris is one or two hours ahead of UTC: the UTC wall-clock time is that far in the past.
    let utc_now = Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let answer = t.api.call(Method::GET, "user/list", &[], Signing { date: Some(utc_now), ..Default::default() }).await;
    answer.assert_error("expired_date");
}

#[tokio::test]
async fn the_date_window_is_configurable() {
    let t = spawn_mock_with(Config { date_window: 60, ..Config::default() }).await;
    let two_minutes_ago = Signing { date: Some(paris_in(-120)), ..Default::default() };
    t.api.call(Method::GET, "user/list", &[], two_minutes_ago).await.assert_error("expired_date");
    let just_now = Signing { date: Some(paris_in(-30)), ..Default::default() };
    assert!(t.api.call(Method::GET, "user/list", &[], just_now).await.is_success());
}

#[tokio::test]
async fn signature_errors() {
    let t = spawn_mock().await;
    let none = Signing { signature_in: SignatureIn::Nowhere, ..Default::default() };
    t.api.call(Method::GET, "user/list", &[], none).await.assert_error("empty_signature");
    let blank = Signing { signature: Some(" ".into()), ..Default::default() };
    t.api.call(Method::GET, "user/list", &[], blank).await.assert_error("empty_signature");
    let garbage = Signing { signature: Some("not-a-signature".into()), ..Default::default() };
    t.api.call(Method::GET, "user/list", &[], garbage).await.assert_error("invalid_signature");
    let date = paris_in(0);
    let of_another_date =
        Signing { signature: Some(t.api.keys.sign(&paris_in(-60))), date: Some(date.clone()), ..Default::default() };
    t.api.call(Method::GET, "user/list", &[], of_another_date).await.assert_error("invalid_signature");
    let with_another_key =
        Signing { signature: Some(Keys::new("another key").sign(&date)), date: Some(date), ..Default::default() };
    t.api.call(Method::GET, "user/list", &[], with_another_key).await.assert_error("invalid_signature");
}

#[tokio::test]
async fn checks_run_in_order_token_then_date_then_signature() {
    let t = spawn_mock().await;
    let everything_wrong = Signing {
        token: Some("nope".into()),
        omit_date: true,
        signature_in: SignatureIn::Nowhere,
        ..Default::default()
    };
    t.api.call(Method::GET, "user/list", &[], everything_wrong).await.assert_error("token_invalid");
    let date_and_signature = Signing { omit_date: true, signature_in: SignatureIn::Nowhere, ..Default::default() };
    t.api.call(Method::GET, "user/list", &[], date_and_signature).await.assert_error("empty_date");
}

#[tokio::test]
async fn authentication_comes_before_validation() {
    let t = spawn_mock().await;
    let unsigned = Signing { signature_in: SignatureIn::Nowhere, ..Default::default() };
    t.api.call(Method::POST, "user", &[], unsigned).await.assert_error("empty_signature");
}

#[tokio::test]
async fn multipart_and_urlencoded_bodies_and_both_path_spellings_work() {
    let t = spawn_mock().await;
    let multipart = t.api.post_multipart("user/", &user_form(&unique_email())).await;
    assert!(multipart.ok()["id"].is_u64());
    let urlencoded = t.api.post("user", &user_form(&unique_email())).await;
    assert!(urlencoded.ok()["id"].is_u64());
    assert!(t.api.get("user/list/", &[]).await.is_success());
}

#[tokio::test]
async fn plain_mode_checks_only_the_token_and_answers_plain_json() {
    let t = spawn_mock_with(Config { auth: AuthMode::Plain, ..Config::default() }).await;
    let unsigned = Signing { omit_date: true, signature_in: SignatureIn::Nowhere, ..Default::default() };
    let answer = t.api.call(Method::POST, "user", &user_form(&unique_email()), unsigned.clone()).await;
    let json: serde_json::Value = serde_json::from_str(&answer.raw).expect("plain JSON in plain mode");
    assert_eq!(json["status"], "SUCCESS");
    assert!(json["result"]["id"].is_u64());
    let no_token = Signing { omit_token: true, ..unsigned };
    t.api.call(Method::GET, "user/list", &[], no_token).await.assert_error("token_missing");
}

#[tokio::test]
async fn the_journal_keeps_calls_without_signature_or_password() {
    let t = spawn_mock().await;
    let email = unique_email();
    let form = crate::helpers::with(user_form(&email), "password", "hunter2-secret");
    t.api.post("user", &form).await.ok();
    t.api.get("user", &[("id_user", "999999".into())]).await.assert_error("user_not_exist");
    let journal = t.journal(&t.api.token).await;
    assert_eq!(journal.len(), 2);
    let text = serde_json::to_string(&journal).unwrap();
    assert!(!text.contains("hunter2-secret"), "password leaked: {text}");
    assert!(!text.contains(&t.api.keys.sign(journal[0]["params"]["date"].as_str().unwrap())));
    assert_eq!(journal[0]["route"], "user");
    assert_eq!(journal[0]["method"], "POST");
    assert_eq!(journal[0]["status"], "SUCCESS");
    assert_eq!(journal[0]["params"]["email"], email.as_str());
    assert_eq!(journal[1]["status"], "ERROR");
    assert_eq!(journal[1]["slug"], "user_not_exist");
}
