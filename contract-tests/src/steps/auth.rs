//! Authentication: token, date, signature, encrypted answers.

use ar24_client::{Keys, Method, SignatureIn, format_paris, now_paris};
use ar24_contract_tests::{Answer, Call, Signing};
use chrono::{Duration, Utc};
use cucumber::{then, when};
use serde_json::Value;

use super::Slug;
use crate::world::Ar24World;

async fn call(w: &mut Ar24World, route: String, signing: Signing) {
    w.send(Call::get(&route).signed(signing)).await;
}

#[when(expr = "we call {string} with a correct signature")]
async fn when_correctly_signed(w: &mut Ar24World, route: String) {
    call(w, route, Signing::default()).await;
}

#[when(expr = "we call {string} without a token")]
async fn when_no_token(w: &mut Ar24World, route: String) {
    call(w, route, Signing { omit_token: true, ..Default::default() }).await;
}

#[when(expr = "we call {string} with the token {string}")]
async fn when_token(w: &mut Ar24World, route: String, token: String) {
    call(w, route, Signing { token: Some(token), ..Default::default() }).await;
}

#[when(expr = "we call {string} without a date")]
async fn when_no_date(w: &mut Ar24World, route: String) {
    call(w, route, Signing { omit_date: true, ..Default::default() }).await;
}

#[when(expr = "we call {string} dated {string}")]
async fn when_dated(w: &mut Ar24World, route: String, date: String) {
    call(w, route, Signing { date: Some(date), ..Default::default() }).await;
}

#[when(expr = "we call {string} dated {int} minutes ago")]
async fn when_dated_ago(w: &mut Ar24World, route: String, minutes: i64) {
    let date = format_paris(Utc::now() - Duration::minutes(minutes));
    call(w, route, Signing { date: Some(date), ..Default::default() }).await;
}

#[when(expr = "we call {string} dated {int} minutes from now")]
async fn when_dated_ahead(w: &mut Ar24World, route: String, minutes: i64) {
    let date = format_paris(Utc::now() + Duration::minutes(minutes));
    call(w, route, Signing { date: Some(date), ..Default::default() }).await;
}

#[when(expr = "we call {string} without a signature")]
async fn when_no_signature(w: &mut Ar24World, route: String) {
    call(w, route, Signing { signature_in: SignatureIn::Nowhere, ..Default::default() }).await;
}

#[when(expr = "we call {string} signed with another private key")]
async fn when_other_key(w: &mut Ar24World, route: String) {
    let date = now_paris();
    let signature = Keys::new(&format!("not-our-key-{}", w.tag)).sign(&date);
    call(w, route, Signing { date: Some(date), signature: Some(signature), ..Default::default() }).await;
}

#[when(expr = "we call {string} with the signature of another date")]
async fn when_other_date(w: &mut Ar24World, route: String) {
    // Signed by a client whose clock says one minute earlier: a valid signature, of the wrong date.
    let earlier = format_paris(Utc::now() - Duration::minutes(1));
    let signature = w.us.client().sign(&earlier);
    call(w, route, Signing { signature: Some(signature), ..Default::default() }).await;
}

#[when(expr = "we call {string} with the method {word}")]
async fn when_method(w: &mut Ar24World, route: String, method: String) {
    let method = match method.as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Other("PUT"),
        "DELETE" => Method::Other("DELETE"),
        "PATCH" => Method::Other("PATCH"),
        other => panic!("no such method in these scenarios: {other}"),
    };
    w.send(Call::new(method, &route)).await;
}

#[then(expr = "the call is refused with HTTP {int} and \"{slug}\"")]
async fn then_refused_with_status(w: &mut Ar24World, status: u16, slug: Slug) {
    let Slug(slug) = slug;
    match w.last() {
        Answer::Unreadable { http, body } => {
            assert_eq!(*http, status, "HTTP status of the refusal: {body}");
            let json: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("an error envelope, got {body}"));
            assert_eq!(json["status"], "ERROR", "{body}");
            assert_eq!(json["slug"], slug.as_str(), "{body}");
        }
        other => panic!("expected HTTP {status} with {slug}, AR24 answered {}", other.outcome()),
    }
}

#[then("the call succeeds")]
async fn then_succeeds(w: &mut Ar24World) {
    let answer = w.last();
    assert!(matches!(answer, Answer::Success { .. }), "expected SUCCESS, AR24 answered {}", answer.outcome());
}

#[then(expr = "the call fails with \"{slug}\"")]
async fn then_fails_with(w: &mut Ar24World, slug: Slug) {
    let Slug(slug) = slug;
    let answer = w.last();
    match answer {
        Answer::Error { slug: got, message } => {
            assert_eq!(got, &slug, "slug (message: {message})");
            assert!(!message.is_empty(), "an error carries a message");
        }
        other => panic!("expected the error {slug}, AR24 answered {}", other.outcome()),
    }
}

#[then(expr = "the answer is {string}")]
async fn then_answer_is(w: &mut Ar24World, expected: String) {
    assert_eq!(w.last().outcome(), expected, "AR24's answer");
}

#[then("the answer was encrypted")]
async fn then_encrypted(w: &mut Ar24World) {
    assert!(
        matches!(w.last(), Answer::Success { encrypted: true, .. }),
        "AR24 sends success bodies encrypted; got {:?}",
        w.last()
    );
}
