//! Who pays: global billing and the partner settings AR24 switches per token.

use cucumber::{given, then};

use super::User;
use crate::world::{Ar24World, is_on};

#[given("AR24 bills us for our users' usage")]
async fn given_global_billing(w: &mut Ar24World) {
    w.use_partner_with(true, false).await;
}

#[given("AR24 lets us create users with the CGU pre-accepted")]
async fn given_cgu_preaccepted(w: &mut Ar24World) {
    w.use_partner_with(false, true).await;
}

#[then(expr = "{user} can pay")]
async fn then_can_pay(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let account = w.account(&name).await;
    assert!(
        is_on(&account["is_payment_possible"]),
        "{name}'s is_payment_possible = {}",
        account["is_payment_possible"]
    );
}

#[then(expr = "{user} cannot pay")]
async fn then_cannot_pay(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let account = w.account(&name).await;
    assert!(
        !is_on(&account["is_payment_possible"]),
        "{name}'s is_payment_possible = {}",
        account["is_payment_possible"]
    );
}
