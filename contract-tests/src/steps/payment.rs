//! Payment methods: asking for one by email or link, adding one.

use ar24_contract_tests::Answer;
use cucumber::{given, then, when};

use super::User;
use crate::world::Ar24World;

/// The link of the last `get_link` answer.
fn handed_link(w: &Ar24World) -> String {
    let link = w.last().result().and_then(|r| r["link"].as_str());
    link.unwrap_or_else(|| panic!("the last answer holds no link: {:?}", w.last())).to_owned()
}

#[when(expr = "we ask {user} to add a payment method")]
async fn when_payment_request(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let id = w.user(&name).id();
    w.post("user/payment_request", &[("id_user", id.to_string())]).await;
}

#[when(expr = "we ask the user with id {string} to add a payment method")]
async fn when_payment_request_id(w: &mut Ar24World, id: String) {
    w.post("user/payment_request", &[("id_user", id)]).await;
}

#[when(expr = "we ask for a link for {user} to add a payment method")]
async fn when_payment_link(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let id = w.user(&name).id();
    w.post("user/payment_request", &[("id_user", id.to_string()), ("get_link", "1".into())]).await;
}

#[then("the answer contains a link")]
async fn then_link(w: &mut Ar24World) {
    let link = handed_link(w);
    assert!(link.starts_with("http://") || link.starts_with("https://"), "a link: {link}");
}

const ADD_PAYMENT: &str = "add a payment method to the AR24 account";

#[when(expr = "{user} adds a payment method from the email")]
async fn when_adds_from_email(w: &mut Ar24World, name: User) {
    let User(name) = name;
    w.accept_emailed(&name, "payment", None, ADD_PAYMENT, Some("payment_active")).await;
}

#[when(expr = "{user} adds a payment method through the link we handed over")]
async fn when_adds_from_link(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let link = handed_link(w);
    w.accept_emailed(&name, "payment", Some(&link), ADD_PAYMENT, Some("payment_active")).await;
}

#[given(expr = "{user} has added a payment method")]
async fn given_has_payment(w: &mut Ar24World, name: User) {
    let User(name) = name;
    when_payment_link(w, User(name.clone())).await;
    assert!(matches!(w.last(), Answer::Success { .. }), "asking a payment link for {name}: {}", w.last().outcome());
    when_adds_from_link(w, User(name)).await;
}

#[then(expr = "{user} has a payment method of their own")]
async fn then_own_payment(w: &mut Ar24World, name: User) {
    let User(name) = name;
    assert!(w.flag_of(&name, "payment_active").await, "{name}'s payment_active is off");
}

#[then(expr = "{user} has no payment method of their own")]
async fn then_no_own_payment(w: &mut Ar24World, name: User) {
    let User(name) = name;
    assert!(!w.flag_of(&name, "payment_active").await, "{name}'s payment_active is on");
}

/// The subjects of the emails sent to `name` so far, oldest first.
async fn subjects_received(w: &Ar24World, name: &str) -> Vec<String> {
    let email = w.user(name).email.clone();
    let received = w.control().emails(Some(&email), None).await.unwrap_or_else(|e| panic!("{e}"));
    received.into_iter().map(|e| e.subject).collect()
}

#[then(expr = "{user} has received between {int} and {int} emails")]
async fn then_emails_between(w: &mut Ar24World, name: User, least: usize, most: usize) {
    let subjects = subjects_received(w, &name.0).await;
    assert!((least..=most).contains(&subjects.len()), "emails sent to {}: {subjects:?}", name.0);
}

#[then(expr = "{user} has received {int} email(s)")]
async fn then_emails_received(w: &mut Ar24World, name: User, count: usize) {
    let subjects = subjects_received(w, &name.0).await;
    assert_eq!(subjects.len(), count, "emails sent to {}: {subjects:?}", name.0);
}
