//! The CGU: asking AR24 to send them, the user accepting them.

use cucumber::{given, then, when};

use super::User;
use crate::world::Ar24World;

#[given(expr = "we ask AR24 to send {user} the CGU")]
#[when(expr = "we ask AR24 to send {user} the CGU")]
async fn when_request_cgu(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let id = w.user(&name).id();
    w.post("user/request_cgu", &[("id_user", id.to_string())]).await;
}

#[when(expr = "we ask AR24 to send the CGU to the user with id {string}")]
async fn when_request_cgu_id(w: &mut Ar24World, id: String) {
    w.post("user/request_cgu", &[("id_user", id)]).await;
}

#[given(expr = "{user} accepts the CGU sent by email")]
#[when(expr = "{user} accepts the CGU sent by email")]
async fn when_accepts_cgu(w: &mut Ar24World, name: User) {
    let User(name) = name;
    w.accept_emailed(&name, "cgu", None, "accept AR24's terms of use (CGU)", Some("cgu")).await;
}

#[then(expr = "{user} has accepted the CGU")]
async fn then_cgu(w: &mut Ar24World, name: User) {
    let User(name) = name;
    assert!(w.flag_of(&name, "cgu").await, "{name} has accepted the CGU, yet cgu is off");
}

#[then(expr = "{user} has not accepted the CGU")]
async fn then_no_cgu(w: &mut Ar24World, name: User) {
    let User(name) = name;
    assert!(!w.flag_of(&name, "cgu").await, "{name} has not accepted the CGU, yet cgu is on");
}
