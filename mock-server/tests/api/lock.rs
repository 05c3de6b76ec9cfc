//! `--control-token`: a locked control plane answers 401 without its token,
//! keeps the health check, the emailed links' pages, the API and the downloads
//! open, and lets a person in through a login page and a cookie.

use ar24_mock::Config;
use serde_json::Value;

use crate::helpers::{TestMock, letter_to, spawn_mock_with, unique_email};

const TOKEN: &str = "s3cret-control";

async fn locked() -> TestMock {
    spawn_mock_with(Config { control_token: Some(TOKEN.into()), ..Config::default() }).await
}

#[tokio::test]
async fn without_its_token_the_control_plane_answers_401_with_the_envelope() {
    let t = locked().await;
    for path in ["requests", "emails", "state", "reset", "faults"] {
        let bare = t.http.get(t.control(path)).send().await.unwrap();
        assert_eq!(bare.status(), 401, "{path}");
        assert_eq!(bare.json::<Value>().await.unwrap()["slug"], "control_token_required", "{path}");
        let wrong = t.http.get(t.control(path)).bearer_auth("guess").send().await.unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
        assert_eq!(wrong.json::<Value>().await.unwrap()["slug"], "control_token_invalid", "{path}");
    }
    let reset = t.http.post(t.control("reset")).send().await.unwrap();
    assert_eq!(reset.status(), 401, "nothing is reset");
    // With it, as the client crate sends it.
    let with = t.http.get(t.control("requests")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(with.status(), 200);
    assert!(t.plane.emails(None, None).await.unwrap().is_empty());
}

#[tokio::test]
async fn health_the_api_the_links_and_the_downloads_stay_open() {
    let t = locked().await;
    assert_eq!(t.http.get(t.control("health")).send().await.unwrap().status(), 200);
    // A whole letter's life with the control token only where the test reads the outbox.
    let (sender, _) = t.ready_sender(&t.api).await;
    let recipient = unique_email();
    let letter = t.api.post("mail", &letter_to(sender, &recipient)).await.ok()["id"].as_u64().unwrap();
    let link = t.latest_link("letter", &recipient).await;
    let page = t.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200, "the recipient has no control token");
    let accepted = t.http.post(&link).header("accept", "application/json").send().await.unwrap();
    assert_eq!(accepted.status(), 200);
    let mail = t.api.get("mail", &[("id", letter.to_string())]).await.ok().clone();
    assert_eq!(mail["status"], "ar");
    let proof = t.http.get(mail["proof_ar_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(proof.status(), 200, "downloads are AR24's, guarded by the letter's own token");
}

#[tokio::test]
async fn a_person_gives_the_token_once_and_the_console_opens() {
    let t = locked().await;
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let asked = no_redirects.get(t.control("?view=users")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(asked.status(), 401);
    let form = asked.text().await.unwrap();
    assert!(form.contains("action=\"/_mock/login\"") && form.contains("/_mock/?view=users"), "{form}");
    let wrong = no_redirects.post(t.control("login")).form(&[("token", "guess"), ("next", "/_mock/?view=users")]);
    let wrong = wrong.send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    let right = no_redirects.post(t.control("login")).form(&[("token", TOKEN), ("next", "/_mock/?view=users")]);
    let right = right.send().await.unwrap();
    assert_eq!(right.status(), 303);
    assert_eq!(right.headers()["location"], "/_mock/?view=users");
    let cookie = right.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(!cookie.contains(TOKEN), "the cookie holds no token: {cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let console = no_redirects.get(t.control("?view=users")).header("cookie", &pair).send().await.unwrap();
    assert_eq!(console.status(), 200);
    // The live updates too, and a login never sends anyone off the control plane.
    let away = no_redirects.post(t.control("login")).form(&[("token", TOKEN), ("next", "https://elsewhere.example/")]);
    assert_eq!(away.send().await.unwrap().headers()["location"], "/_mock/");
}
