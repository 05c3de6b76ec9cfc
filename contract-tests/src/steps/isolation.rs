//! Partner isolation. Its scenarios reuse the reading, listing and request
//! steps against a user another partner owns; what is specific lives here.

use cucumber::then;

use super::User;
use crate::world::Ar24World;

#[then(expr = "{user} stays unavailable to us")]
async fn then_unavailable(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let id = w.user(&name).id();
    let answer = w.us.get("user", &[("id_user", id.to_string())]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.outcome(), "user_unavailable", "{name} read by id");
}
