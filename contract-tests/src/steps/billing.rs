//! Who pays: global billing and the partner settings AR24 switches per token.

use cucumber::{given, then};

use super::User;
use crate::world::{Ar24World, Setting};

#[given("AR24 bills us for our users' usage")]
async fn given_global_billing(w: &mut Ar24World) {
    w.use_partner_with(Setting::GlobalBilling).await;
}

#[given("AR24 lets us create users with the CGU pre-accepted")]
async fn given_cgu_preaccepted(w: &mut Ar24World) {
    w.use_partner_with(Setting::CguPreaccepted).await;
}

#[then(expr = "{user} can pay")]
async fn then_can_pay(w: &mut Ar24World, name: User) {
    let User(name) = name;
    assert!(w.flag_of(&name, "is_payment_possible").await, "{name}'s is_payment_possible is off");
}

#[then(expr = "{user} cannot pay")]
async fn then_cannot_pay(w: &mut Ar24World, name: User) {
    let User(name) = name;
    assert!(!w.flag_of(&name, "is_payment_possible").await, "{name}'s is_payment_possible is on");
}
