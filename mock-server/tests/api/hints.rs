//! Why a call failed, told to the developer: a `hint` in the journal (and a
//! warning line on stderr), while the answer on the wire stays AR24's.

use ar24_client::{Call, Clock, Keys};
use serde_json::{Value, json};

use crate::helpers::{SignatureIn, Signing, TestMock, spawn_mock};

/// The hint of the latest journal entry of `token`.
async fn last_hint(t: &TestMock, token: &str) -> String {
    let journal: Vec<Value> = t.journal(token).await;
    journal.last().and_then(|e| e["hint"].as_str()).unwrap_or_else(|| panic!("a hint: {journal:?}")).to_owned()
}

#[tokio::test]
async fn a_client_on_utc_learns_that_ar24_expects_paris_time() {
    let t = spawn_mock().await;
    let paris_offset = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris).offset().to_owned();
    let offset = chrono::Offset::fix(&paris_offset).local_minus_utc();
    let utc_client = t.api.client.clone().with_clock(Clock::Shifted(chrono::Duration::seconds(-i64::from(offset))));
    let answer = utc_client.exchange(&Call::get("user/list")).await.unwrap();
    assert_eq!(answer.answer.slug(), Some("expired_date"), "the wire stays AR24's");
    assert!(!answer.body.contains("UTC"), "no hint on the wire: {}", answer.body);
    let hint = last_hint(&t, &t.api.token).await;
    assert!(hint.contains("looks like UTC") && hint.contains("Europe/Paris"), "{hint}");
}

#[tokio::test]
async fn a_signature_sent_as_a_parameter_or_with_another_partners_key_is_explained() {
    let t = spawn_mock().await;
    let in_query = Signing { signature_in: SignatureIn::Parameter, ..Signing::default() };
    t.api.send(Call::get("user/list").signed(in_query)).await.assert_error("empty_signature");
    assert!(last_hint(&t, &t.api.token).await.contains("HTTP header `signature`"));

    let other = t.new_partner(json!({"name": "Globex", "private_key": "globex-secret-key"})).await;
    let wrong_key = t.api.client.for_partner(&t.api.token, "globex-secret-key");
    let answer = wrong_key.exchange(&Call::get("user/list")).await.unwrap();
    assert_eq!(answer.answer.slug(), Some("invalid_signature"));
    let hint = last_hint(&t, &t.api.token).await;
    assert!(hint.contains("partner \"Globex\"") && !hint.contains("globex-secret-key"), "{hint}");
    drop(other);
}

#[tokio::test]
async fn a_date_signed_for_another_moment_names_that_moment() {
    let t = spawn_mock().await;
    let date = Clock::System.date();
    let keys = Keys::new(&t.mock.config().private_key);
    let stale = keys.sign("2026-01-01 00:00:00");
    let signing = Signing { date: Some(date), signature: Some(stale), ..Signing::default() };
    t.api.send(Call::get("user/list").signed(signing)).await.assert_error("invalid_signature");
    assert!(last_hint(&t, &t.api.token).await.contains("valid for the date 2026-01-01 00:00:00"));
}

#[tokio::test]
async fn an_iso_date_and_a_token_in_capitals_are_recognised() {
    let t = spawn_mock().await;
    let iso = Signing { date: Some("2026-11-23T10:00:00Z".into()), ..Signing::default() };
    t.api.send(Call::get("user/list").signed(iso)).await.assert_error("invalid_date");
    assert!(last_hint(&t, &t.api.token).await.contains("ISO 8601"));
    let upper = t.api.token.to_uppercase();
    let shouting = Signing { token: Some(upper.clone()), ..Signing::default() };
    t.api.send(Call::get("user/list").signed(shouting)).await.assert_error("token_invalid");
    let hint = last_hint(&t, &upper).await;
    assert!(hint.contains("only by letter case") && !hint.contains(&t.api.token), "{hint}");
}

#[tokio::test]
async fn a_successful_call_has_no_hint_and_a_validation_error_says_what_its_slug_means() {
    let t = spawn_mock().await;
    t.api.get("user/list", &[]).await.ok();
    assert!(t.journal(&t.api.token).await[0].get("hint").is_none());
    t.api.post("user", &[]).await.assert_error("missing_firstname");
    assert_eq!(last_hint(&t, &t.api.token).await, "Please specify a firstname (missing_firstname)");
}
