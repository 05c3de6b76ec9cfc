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

/// Who AR24 charges for the last letter, in the suite's own words: the
/// sender's own payment method first, then their team administrator's, then
/// us when we have global billing. Read from the mock's record of charges.
#[then(expr = "the letter is paid by {word}")]
async fn then_paid_by(w: &mut Ar24World, payer: String) {
    let letter = w.letter.expect("a letter was sent earlier in the scenario");
    let token = w.us.client().token().to_owned();
    let charges = w.control().charges(&[("token", &token)]).await.unwrap_or_else(|e| panic!("{e}"));
    let charge = charges.iter().find(|c| c["letter"] == letter);
    let charge = charge.unwrap_or_else(|| panic!("letter {letter} was charged under our token: {charges:?}"));
    // The same charge among those of the user who sent it.
    let sender = charge["user"].to_string();
    let theirs = w.control().charges(&[("token", &token), ("user", &sender)]).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(theirs.iter().any(|c| c["letter"] == letter), "among user {sender}'s charges: {theirs:?}");
    let paid = &charge["payer"];
    match payer.as_str() {
        "us" => assert_eq!(
            (paid["kind"].as_str(), paid["token"].as_str()),
            (Some("partner"), Some(w.us.client().token())),
            "{charge}"
        ),
        name => {
            let sender = charge["user"].as_u64();
            let who = w.user(name).id();
            if sender == Some(who) {
                assert_eq!(paid["kind"], "user", "{name} pays with their own method: {charge}");
            } else {
                assert_eq!((paid["kind"].as_str(), paid["id"].as_u64()), (Some("team_master"), Some(who)), "{charge}");
            }
        }
    }
}
