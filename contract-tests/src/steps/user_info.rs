//! Reading one user, and listing users.

use cucumber::{then, when};
use serde_json::Value;

use super::{User, Users};
use crate::world::Ar24World;

#[when(expr = "we read {user} by id")]
async fn when_read_by_id(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let id = w.user(&name).id();
    w.get("user", &[("id_user", id.to_string())]).await;
}

#[when(expr = "we read {user} by id through {string}")]
async fn when_read_by_id_through(w: &mut Ar24World, name: User, route: String) {
    let User(name) = name;
    let id = w.user(&name).id();
    w.get(&route, &[("id_user", id.to_string())]).await;
}

#[when(expr = "we read {user} by email")]
async fn when_read_by_email(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let email = w.user(&name).email.clone();
    w.get("user", &[("email", email)]).await;
}

#[when(expr = "we read the user with id {string}")]
async fn when_read_id(w: &mut Ar24World, id: String) {
    w.get("user", &[("id_user", id)]).await;
}

#[when("we read a user without giving an id")]
async fn when_read_nobody(w: &mut Ar24World) {
    w.get("user", &[]).await;
}

#[when("we read an address that has no AR24 account")]
async fn when_read_unknown_address(w: &mut Ar24World) {
    let email = w.address_of("Nobody");
    w.get("user", &[("email", email)]).await;
}

#[then(expr = "the answer is {user}'s account")]
async fn then_answer_is_account(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let user = w.user(&name).clone();
    let result = w.last().result().expect("a user object");
    assert_eq!(result["id"].as_u64(), Some(user.id()), "id of {name}");
    assert_eq!(result["email"].as_str().map(str::to_lowercase), Some(user.email.to_lowercase()), "email of {name}");
}

/// Lists our users; anything but a success with a `users` array fails the step.
async fn list(w: &mut Ar24World, params: &[(&str, String)]) {
    let answer = w.get("user/list", params).await;
    let users = match answer.result() {
        Some(result) => result["users"].as_array().cloned().unwrap_or_else(|| panic!("a list of users, got {result}")),
        None => panic!("listing our users failed: {}", answer.outcome()),
    };
    w.listed = users;
}

#[when(expr = "we list our users with {string} set to {string}")]
async fn when_list_with(w: &mut Ar24World, param: String, value: String) {
    w.get("user/list", &[(param.as_str(), value)]).await;
}

#[when(expr = "we list our users sorted {string} with at most {int}")]
async fn when_list_sorted(w: &mut Ar24World, sort: String, max: u32) {
    list(w, &[("sort", sort), ("max", max.to_string())]).await;
}

#[when(expr = "we list our users from {int} with at most {int}")]
async fn when_list_from(w: &mut Ar24World, start: u32, max: u32) {
    list(w, &[("sort", "ASC".into()), ("start", start.to_string()), ("max", max.to_string())]).await;
}

#[then(expr = "the list shows {users} in that order")]
async fn then_list_order(w: &mut Ar24World, names: Users) {
    let Users(names) = names;
    let wanted: Vec<u64> = names.iter().map(|n| w.user(n).id()).collect();
    let seen: Vec<u64> = w.listed.iter().filter_map(|u| u["id"].as_u64()).filter(|id| wanted.contains(id)).collect();
    assert_eq!(seen, wanted, "order of {names:?} in the list");
}

#[then(expr = "the list is sorted by {word} id")]
async fn then_list_sorted(w: &mut Ar24World, direction: String) {
    let ids: Vec<u64> = w.listed.iter().map(|u| u["id"].as_u64().expect("integer ids")).collect();
    assert!(ids.len() >= 3, "the list holds at least the three users created: {ids:?}");
    let sorted = match direction.as_str() {
        "increasing" => ids.windows(2).all(|p| p[0] < p[1]),
        "decreasing" => ids.windows(2).all(|p| p[0] > p[1]),
        other => panic!("unknown direction {other}"),
    };
    assert!(sorted, "ids in {direction} order: {ids:?}");
}

#[then(expr = "the list has {int} users")]
async fn then_list_len(w: &mut Ar24World, count: usize) {
    assert_eq!(w.listed.len(), count, "users in the list");
}

#[then(expr = "the page from {int} with at most {int} holds the last two users of that list")]
async fn then_page_continues(w: &mut Ar24World, start: u32, max: u32) {
    let first = w.listed.clone();
    assert_eq!(first.len(), 4, "the first page is full");
    list(w, &[("sort", "ASC".into()), ("start", start.to_string()), ("max", max.to_string())]).await;
    let ids = |users: &[Value]| users.iter().map(|u| u["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&w.listed), ids(&first[2..4]), "the page from {start} continues the list");
}

/// The users we see, newest first (up to 1000).
async fn our_list(w: &mut Ar24World) -> Vec<u64> {
    list(w, &[("sort", "DESC".into()), ("max", "1000".into())]).await;
    w.listed.iter().filter_map(|u| u["id"].as_u64()).collect()
}

#[then(expr = "our user list shows {user}")]
async fn then_list_shows(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let id = w.user(&name).id();
    assert!(our_list(w).await.contains(&id), "{name} (id {id}) is in our list");
}

#[then(expr = "our user list does not show {user}")]
async fn then_list_hides(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let id = w.user(&name).id();
    assert!(!our_list(w).await.contains(&id), "{name} (id {id}) is not in our list");
}
