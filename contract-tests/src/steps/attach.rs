//! Attaching an existing account: `request_access` and its acceptance.

use ar24_contract_tests::Answer;
use cucumber::{given, then, when};

use super::User;
use crate::world::Ar24World;

#[given(expr = "{user} has an AR24 account that is not attached to us")]
async fn given_foreign_account(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let other = w.second_partner().await;
    let form = w.user_form(&name);
    w.create_user_as(&other, &name, &form).await;
    assert!(w.user(&name).id.is_some(), "another partner creating {name}: {}", w.last().outcome());
}

#[when(expr = "we ask {user} for access to their account")]
async fn when_request_access(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let email = w.user_entry(&name).email.clone();
    w.post("user/request_access", &[("email", email)]).await;
}

#[when(expr = "{user} accepts the access request sent by email")]
async fn when_accepts_access(w: &mut Ar24World, name: User) {
    let User(name) = name;
    w.accept_emailed(&name, "access", None, "accept to attach the account to the partner's API", None).await;
}

async fn read_by_email(w: &Ar24World, name: &str) -> Answer {
    let email = w.user(name).email.clone();
    w.us.get("user", &[("email", email)]).await.unwrap_or_else(|e| panic!("{e}"))
}

#[then(expr = "we can read {user} by email")]
async fn then_can_read(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let answer = read_by_email(w, &name).await;
    let user = w.user(&name);
    let result = answer.result().unwrap_or_else(|| panic!("reading {name} by email: {}", answer.outcome()));
    assert_eq!(result["id"].as_u64(), Some(user.id()), "the account read is {name}'s: {result}");
    assert_eq!(
        result["email"].as_str().map(str::to_lowercase),
        Some(user.email.to_lowercase()),
        "the account read is {name}'s: {result}"
    );
}

#[then(expr = "we still cannot read {user} by email")]
async fn then_cannot_read(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let answer = read_by_email(w, &name).await;
    assert_eq!(answer.outcome(), "user_unavailable", "reading {name} by email before they accept");
}
