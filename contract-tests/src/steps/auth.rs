//! Authentication: token, date, signature, encrypted answers.

use ar24_contract_tests::{Answer, Signing};
use ar24_mock::{PartnerKeys, format_paris, now_paris};
use chrono::{Duration, Utc};
use cucumber::{then, when};
use reqwest::Method;

use super::Slug;
use crate::world::Ar24World;

async fn call(w: &mut Ar24World, route: String, signing: Signing) {
    w.call(Method::GET, &route, &[], signing).await;
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
    call(w, route, Signing { omit_signature: true, ..Default::default() }).await;
}

#[when(expr = "we call {string} signed with another private key")]
async fn when_other_key(w: &mut Ar24World, route: String) {
    let date = now_paris();
    let signature = PartnerKeys::new(&format!("not-our-key-{}", w.tag)).sign(&date);
    call(w, route, Signing { date: Some(date), signature: Some(signature), ..Default::default() }).await;
}

#[when(expr = "we call {string} with the signature of another date")]
async fn when_other_date(w: &mut Ar24World, route: String) {
    // Signed by a client whose clock says one minute earlier: a valid signature, of the wrong date.
    let earlier = format_paris(Utc::now() - Duration::minutes(1));
    let signature = w.us.sign(&earlier);
    call(w, route, Signing { signature: Some(signature), ..Default::default() }).await;
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
