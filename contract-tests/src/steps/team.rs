//! Teams: invitations and their acceptance.

use cucumber::{given, when};

use super::User;
use crate::world::Ar24World;

async fn invite(w: &mut Ar24World, member: &str, master: String) {
    let id = w.user(member).id();
    w.post("user/join_team", &[("id_user", id.to_string()), ("id_master", master)]).await;
}

#[given(expr = "we invite {user} into {user}'s team")]
#[when(expr = "we invite {user} into {user}'s team")]
async fn when_invite(w: &mut Ar24World, member: User, master: User) {
    let User(member) = member;
    let User(master) = master;
    let master = w.user(&master).id().to_string();
    invite(w, &member, master).await;
}

#[when(expr = "we invite {user} into a team without naming its administrator")]
async fn when_invite_nobody(w: &mut Ar24World, member: User) {
    let User(member) = member;
    let id = w.user(&member).id();
    w.post("user/join_team", &[("id_user", id.to_string())]).await;
}

#[when(expr = "we invite {user} into their own team")]
async fn when_invite_self(w: &mut Ar24World, member: User) {
    let User(member) = member;
    let own = w.user(&member).id().to_string();
    invite(w, &member, own).await;
}

#[when(expr = "we invite {user} into the team of the user with id {string}")]
async fn when_invite_id(w: &mut Ar24World, member: User, master: String) {
    let User(member) = member;
    invite(w, &member, master).await;
}

#[given(expr = "{user} accepts the team invitation sent by email")]
#[when(expr = "{user} accepts the team invitation sent by email")]
async fn when_accepts_team(w: &mut Ar24World, name: User) {
    let User(name) = name;
    w.accept_emailed(&name, "team", None, "accept the team invitation", Some("is_payment_possible")).await;
}
