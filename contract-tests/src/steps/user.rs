//! Creating users.

use ar24_contract_tests::Call;
use ar24_contract_tests::contract::user_object_problems;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};

use super::{Field, User, Users};
use crate::world::Ar24World;

async fn create(w: &mut Ar24World, name: &str) {
    let form = w.user_form(name);
    w.create_user(name, &form).await;
}

#[given(expr = "the user {user} was created")]
async fn given_created(w: &mut Ar24World, name: User) {
    let User(name) = name;
    create(w, &name).await;
    assert!(w.user(&name).id.is_some(), "creating {name}: {}", w.last().outcome());
}

#[given(expr = "the users {users} were created")]
async fn given_many_created(w: &mut Ar24World, names: Users) {
    let Users(names) = names;
    for name in names {
        given_created(w, User(name)).await;
    }
}

#[when(expr = "we create the user {user}")]
async fn when_create(w: &mut Ar24World, name: User) {
    let User(name) = name;
    create(w, &name).await;
}

#[when(expr = "we create the user {user} without \"{field}\"")]
async fn when_create_without(w: &mut Ar24World, name: User, field: Field) {
    let User(name) = name;
    let Field(field) = field;
    let mut form = w.user_form(&name);
    form.retain(|(k, _)| *k != field);
    w.create_user(&name, &form).await;
}

#[when(expr = "we create the user {user} with \"{field}\" set to {string}")]
async fn when_create_with(w: &mut Ar24World, name: User, field: Field, value: String) {
    let User(name) = name;
    let Field(field) = field;
    let form = with(w.user_form(&name), &[(field, value)]);
    w.create_user(&name, &form).await;
}

#[when(expr = "we create the user {user} with these details:")]
async fn when_create_with_details(w: &mut Ar24World, step: &Step, name: User) {
    let User(name) = name;
    let table = step.table.as_ref().expect("a table of field | value");
    let details: Vec<(String, String)> = table.rows.iter().map(|row| (row[0].clone(), row[1].clone())).collect();
    let form = with(w.user_form(&name), &details);
    w.create_user(&name, &form).await;
}

#[when(expr = "we create the user {user} with the CGU pre-accepted")]
async fn when_create_cgu(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let form = with(w.user_form(&name), &[("cgu".into(), "1".into())]);
    w.create_user(&name, &form).await;
}

#[when(expr = "we create the user {user} sending the form {word} to {string}")]
async fn when_create_encoded(w: &mut Ar24World, name: User, encoding: String, route: String) {
    let User(name) = name;
    let form = w.user_form(&name);
    let call = Call::post(&route).params(form);
    let call = match encoding.as_str() {
        "urlencoded" => call,
        "multipart" => call.multipart(),
        other => panic!("no such form encoding: {other}"),
    };
    let answer = w.us.send(&call).await;
    let id = w.answered(answer).result().and_then(|r| r["id"].as_u64());
    w.user_entry(&name).id = id;
}

#[when(expr = "we create another user with {user}'s email in capitals")]
async fn when_create_same_email_upper(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let email = w.user(&name).email.to_uppercase();
    let form = with(w.user_form("Other"), &[("email".into(), email)]);
    w.create_user("Other", &form).await;
}

#[when(expr = "we create another user with {user}'s email")]
async fn when_create_same_email(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let email = w.user(&name).email.clone();
    let form = with(w.user_form("Other"), &[("email".into(), email)]);
    w.create_user("Other", &form).await;
}

/// `form` with each `(field, value)` set, replacing what was there.
fn with(mut form: Vec<(String, String)>, changes: &[(String, String)]) -> Vec<(String, String)> {
    for (field, value) in changes {
        form.retain(|(k, _)| k != field);
        form.push((field.clone(), value.clone()));
    }
    form
}

#[then(expr = "{user} has an AR24 id")]
async fn then_has_id(w: &mut Ar24World, name: User) {
    let User(name) = name;
    assert!(w.user(&name).id() > 0);
}

#[then("the answer is a user object with every documented field")]
async fn then_every_field(w: &mut Ar24World) {
    let answer = w.last();
    let user = answer.result().unwrap_or_else(|| panic!("a user object, AR24 answered {}", answer.outcome()));
    let problems = user_object_problems(user);
    assert!(problems.is_empty(), "the user object does not match AR24's: {}", problems.join("; "));
}
