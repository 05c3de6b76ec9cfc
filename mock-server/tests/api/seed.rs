//! `--seed`: the mock starts from a fixture, and its resets go back to it (all
//! of it, or one partner's part) instead of to empty. The file is never written.

use std::process::Command;

use ar24_client::Client;
use ar24_mock::Config;
use serde_json::{Value, json};

use crate::helpers::{Api, TempPath, TestMock, spawn_mock_with, unique_email, user_form};

fn person(partner: Value, email: &str) -> Value {
    json!({
        "partner": partner, "firstname": "Jeanne", "lastname": "Martin", "email": email, "gender": "F",
        "statut": "particulier", "address1": "12 rue de Rivoli", "zipcode": "75004", "city": "Paris", "country": "FR",
        "confirmed": "1",
    })
}

/// A short-form seed: partner Acme, its administrator (paying, CGU accepted) with a
/// member in her team and an upload, and an account made on the website.
fn short_seed() -> (TempPath, TempPath, Vec<u8>) {
    let file = TempPath::new("contrat.pdf");
    let pdf = b"%PDF-1.4 contrat".to_vec();
    std::fs::write(&file, &pdf).unwrap();
    let mut admin = person(json!("acme-token"), "admin@acme.example");
    admin["cgu"] = json!(true);
    admin["payment_method"] = json!(true);
    let mut member = person(json!("acme-token"), "member@acme.example");
    member["team_master"] = json!("admin@acme.example");
    let seed = json!({
        "partners": [{"token": "acme-token", "private_key": "acme-key", "name": "Acme"}],
        "users": [admin, member, person(Value::Null, "website@example.fr")],
        "attachments": [{"user": "admin@acme.example", "path": file.file_name().unwrap().to_str().unwrap(), "name": "contrat.pdf"}],
    });
    let path = TempPath::new("seed.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&seed).unwrap()).unwrap();
    (path, file, pdf)
}

fn acme(t: &TestMock) -> Api {
    Api::new(Client::new(&t.mock.base_url(), "acme-token", "acme-key"))
}

async fn emails_listed(api: &Api) -> Vec<String> {
    let listed = api.get("user/list", &[("max", "100".into())]).await;
    listed.ok()["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_short_seed_starts_the_mock_and_every_reset_goes_back_to_it() {
    let (seed, _file, pdf) = short_seed();
    let written = std::fs::read(&seed).unwrap();
    let t = spawn_mock_with(Config { seed: Some(seed.to_path_buf()), ..Config::default() }).await;
    let acme = acme(&t);
    assert_eq!(emails_listed(&acme).await, ["admin@acme.example", "member@acme.example"]);
    let admin = acme.get("user", &[("email", "admin@acme.example".into())]).await.ok().clone();
    assert_eq!(
        (admin["cgu"].clone(), admin["payment_active"].clone(), admin["confirmed"].clone()),
        (json!(1), json!(true), json!(1))
    );
    let member = acme.get("user", &[("email", "member@acme.example".into())]).await.ok().clone();
    assert_eq!(member["is_payment_possible"], true, "paid for by her team's administrator");
    let uploads = acme.get("user/attachment", &[("id_user", admin["id"].to_string())]).await.ok().clone();
    assert_eq!(uploads["attachments"][0]["filename"], "contrat.pdf");
    assert_eq!(uploads["attachments"][0]["filesize"], pdf.len());
    // The website account is nobody's.
    acme.get("user", &[("email", "website@example.fr".into())]).await.assert_error("user_unavailable");

    // A test adds to it; a reset goes back to the seed, and ids are not given again.
    let added = acme.create_user(&unique_email()).await;
    t.plane.reset().await.unwrap();
    assert_eq!(emails_listed(&acme).await, ["admin@acme.example", "member@acme.example"]);
    acme.user(added).await.assert_error("user_not_exist");
    assert!(acme.create_user(&unique_email()).await > added, "an id is never given twice");

    // One partner's reset: its part of the seed comes back, the others' data stays.
    let mine = t.api.create_user(&unique_email()).await;
    let theirs = acme.create_user(&unique_email()).await;
    acme.post("user/request_cgu", &[("id_user", member["id"].to_string())]).await.ok();
    t.plane.reset_partner("acme-token").await.unwrap();
    assert_eq!(emails_listed(&acme).await, ["admin@acme.example", "member@acme.example"]);
    acme.user(theirs).await.assert_error("user_not_exist");
    assert!(t.api.user(mine).await.is_success(), "the default partner's account stays");
    assert!(t.emails(Some("member@acme.example"), None).await.is_empty(), "Acme's emails since the seed are gone");
    assert_eq!(std::fs::read(&seed).unwrap(), written, "the seed file is never written");
}

#[tokio::test]
async fn an_exported_state_is_a_seed_too() {
    let first = spawn_mock_with(Config::default()).await;
    let (sender, _) = first.ready_sender(&first.api).await;
    first.api.post("mail", &crate::helpers::letter_to(sender, &unique_email())).await.ok();
    let exported = first.plane.export_state().await.unwrap();
    let seed = TempPath::new("state-seed.json");
    std::fs::write(&seed, serde_json::to_vec(&exported).unwrap()).unwrap();
    let t = spawn_mock_with(Config { seed: Some(seed.to_path_buf()), ..Config::default() }).await;
    let letters = |plane: &ar24_client::ControlPlane| {
        let plane = plane.clone();
        async move { plane.letters(&[]).await.unwrap().len() }
    };
    assert_eq!(letters(&t.plane).await, 1);
    assert!(t.api.user(sender).await.is_success());
    t.api.post("user", &user_form(&unique_email())).await.ok();
    t.plane.reset().await.unwrap();
    assert_eq!(letters(&t.plane).await, 1, "back to the seed's letter");
    assert_eq!(t.api.get("user/list", &[]).await.ok()["users"].as_array().unwrap().len(), 1);
}

/// The binary started with `args`: it must refuse to start; its stderr.
fn refused(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ar24-mock")).args(["--port", "0"]).args(args).output().unwrap();
    assert!(!output.status.success(), "the start is refused");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_invalid_seed_stops_the_start_with_a_sentence_naming_the_entry() {
    let seed = TempPath::new("bad-seed.json");
    let mut bad = person(json!("acme-token"), "second@example.fr");
    bad["statut"] = json!("entreprise");
    let cases = [
        (json!({"users": [person(Value::Null, "first@example.fr"), bad]}), "users[1] (second@example.fr)"),
        (json!({"users": [person(json!("nobody"), "x@example.fr")]}), "no partner has the token \"nobody\""),
        (json!({"attachments": [{"user": "ghost@example.fr", "path": "x.pdf"}]}), "attachments[0] (x.pdf)"),
        (json!({"users": [{"email": "a@example.fr", "team_master": "b@example.fr"}]}), "users[0] (a@example.fr)"),
        (json!({"partner": []}), "unknown field `partner`"),
        (json!({"format": 2, "users": "none"}), "not a state document"),
    ];
    for (content, names) in cases {
        std::fs::write(&seed, serde_json::to_vec(&content).unwrap()).unwrap();
        let stderr = refused(&["--seed", seed.to_str().unwrap()]);
        assert!(stderr.contains(names) && stderr.contains("seed"), "{content}: {stderr}");
    }
    assert!(refused(&["--seed", "/nonexistent/seed.json"]).contains("cannot read the seed"));
}

#[test]
fn a_state_file_that_holds_a_state_wins_over_the_seed_at_start() {
    let (seed, _file, _) = short_seed();
    let state = TempPath::new("state.log");
    // A first run writes the seed into a new state file; a user is added.
    let (mut child, root) = crate::binary::spawn_binary_with(&[
        "--seed",
        seed.to_str().unwrap(),
        "--state-file",
        state.to_str().unwrap(),
        "--state-interval",
        "0.05",
    ]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plane = ar24_client::ControlPlane::new(&root);
    let added = unique_email();
    runtime.block_on(async {
        let api = Api::new(Client::new(&format!("{root}api/"), "acme-token", "acme-key"));
        api.create_user(&added).await;
        let changes =
            plane.request(reqwest::Method::GET, "health", &[], None).await.unwrap().json()["state_file"]["changes"]
                .clone();
        loop {
            let health = plane.request(reqwest::Method::GET, "health", &[], None).await.unwrap().json();
            if health["state_file"]["written"].as_u64() >= changes.as_u64() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    // Started again with both: the state file's state, the added user included.
    let (mut child, root) =
        crate::binary::spawn_binary_with(&["--seed", seed.to_str().unwrap(), "--state-file", state.to_str().unwrap()]);
    let listed = runtime.block_on(async {
        let api = Api::new(Client::new(&format!("{root}api/"), "acme-token", "acme-key"));
        emails_listed(&api).await
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(listed, ["admin@acme.example", "member@acme.example", added.as_str()]);
}

#[tokio::test]
async fn a_partner_reset_gives_back_the_access_the_seed_granted_it() {
    // A seed where partner Acme was granted an account made on the website.
    let first = spawn_mock_with(Config::default()).await;
    let acme = first.new_partner(json!({"token": "acme-token", "private_key": "acme-key"})).await;
    let holder = unique_email();
    let website = first.website_user(&holder, true).await;
    acme.post("user/request_access", &[("email", holder.clone())]).await.ok();
    first.follow_link("access", &holder).await;
    assert!(acme.user(website).await.is_success());
    let seed = TempPath::new("granted-seed.json");
    std::fs::write(&seed, serde_json::to_vec(&first.plane.export_state().await.unwrap()).unwrap()).unwrap();

    let t = spawn_mock_with(Config { seed: Some(seed.to_path_buf()), ..Config::default() }).await;
    let acme = self::acme(&t);
    assert!(acme.user(website).await.is_success(), "seeded: Acme sees the account");
    t.plane.reset_partner("acme-token").await.unwrap();
    assert!(acme.user(website).await.is_success(), "its part of the seed includes what it was granted");
    t.api.user(website).await.assert_error("user_unavailable");
}
