//! The mailbox page in a real headless Chromium, driven over WebDriver: a
//! person opens it, clicks the button of an email, and the account changes.
//!
//! Ignored by default (a fresh machine has no Chromium); `.ci/run` installs
//! Debian's `chromium` and `chromium-driver` and runs it. Screenshots are kept
//! under `target/browser/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{spawn_mock, unique_email, wait_until};

/// chromedriver on a free local port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_chromedriver() -> Driver {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (Debian package chromium-driver)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, url: format!("http://127.0.0.1:{port}") }
}

async fn headless_chromium(driver: &Driver, profile: &std::path::Path) -> Client {
    // The flags keep Chromium off the network this machine does not have.
    let options = json!({
        "binary": "/usr/bin/chromium",
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1100,900", format!("--user-data-dir={}", profile.display()),
        ],
    });
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver (Debian chromium, chromium-driver); .ci/run installs them and runs it"]
async fn a_person_accepts_the_cgu_from_the_mailbox_page_in_a_browser() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    let other = t.api.create_user(&unique_email()).await;
    t.api.post("user/payment_request", &[("id_user", other.to_string())]).await.ok();
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();

    let driver = start_chromedriver();
    let profile = std::env::temp_dir().join(format!("ar24-mock-chromium-{}", uuid::Uuid::new_v4().simple()));
    let browser = headless_chromium(&driver, &profile).await;
    let shots = artifacts();

    browser.goto(&t.control("mailbox")).await.unwrap();
    let cards = browser.find_all(Locator::Css("article")).await.unwrap();
    assert_eq!(cards.len(), 2, "two emails on the page");
    let newest = cards[0].text().await.unwrap();
    assert!(newest.contains(&email) && newest.contains("terms of use"), "newest first: {newest}");
    std::fs::write(shots.join("mailbox.png"), browser.screenshot().await.unwrap()).unwrap();

    let button = format!("article[data-to=\"{email}\"] button");
    browser.find(Locator::Css(&button)).await.unwrap().click().await.unwrap();
    let confirmation = browser.wait().for_element(Locator::Css(".done")).await.unwrap().text().await.unwrap();
    assert!(confirmation.contains("terms of use are accepted"), "{confirmation}");
    std::fs::write(shots.join("accepted.png"), browser.screenshot().await.unwrap()).unwrap();

    // Through the API, as the partner sees it.
    assert_eq!(t.api.user(id).await.ok()["cgu"], 1);

    // Back on the mailbox, the email shows its new state and no button.
    browser.goto(&t.control("mailbox")).await.unwrap();
    let card = browser.find(Locator::Css(&format!("article[data-to=\"{email}\"]"))).await.unwrap();
    assert!(card.text().await.unwrap().contains("accepted"));
    assert!(card.find(Locator::Css("button")).await.is_err(), "a used link has no button");
    std::fs::write(shots.join("mailbox-after.png"), browser.screenshot().await.unwrap()).unwrap();

    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
}

/// Waits (up to 10 s, without reloading) until the page's `main` holds `text`.
/// The live page redraws `main` and a form's button loads the next page, so an
/// element read in between is stale: that read counts as "not shown yet".
async fn until_shown(browser: &Client, text: &str) -> String {
    let started = Instant::now();
    loop {
        let shown = match browser.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_else(|e| format!("(page changing: {e})")),
            Err(e) => format!("(no main yet: {e})"),
        };
        if shown.contains(text) {
            return shown;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{text:?} never showed without a reload: {shown}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the element at `css`, finding it again if a live redraw replaced it
/// between finding and clicking (up to 5 s).
async fn click_when_steady(browser: &Client, css: &str) {
    let started = Instant::now();
    loop {
        let clicked = match browser.find(Locator::Css(css)).await {
            Ok(element) => element.click().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match clicked {
            Ok(()) => return,
            Err(e) => assert!(started.elapsed() < Duration::from_secs(5), "could not click {css}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver (Debian chromium, chromium-driver); .ci/run installs them and runs it"]
async fn the_console_shows_calls_and_their_hints_live_and_every_view_renders() {
    let t = spawn_mock().await;
    let driver = start_chromedriver();
    let profile = std::env::temp_dir().join(format!("ar24-mock-chromium-{}", uuid::Uuid::new_v4().simple()));
    let browser = headless_chromium(&driver, &profile).await;
    let shots = artifacts();

    browser.goto(&format!("{}/_mock/", t.mock.root_url())).await.unwrap();
    browser.wait().for_element(Locator::Css("#live[data-connected=yes]")).await.unwrap();
    // A mark on the page's window: a reload would wipe it.
    browser.execute("window.notReloaded = true;", vec![]).await.unwrap();
    // A call made now appears on the open page, without a reload.
    let email = unique_email();
    t.api.create_user(&email).await;
    until_shown(&browser, "POST /api/user").await;
    // A client signing with a wrong key: the page shows why.
    let wrong = t.api.client.for_partner(&t.api.token, "a wrong private key");
    wrong.exchange(&ar24_client::Call::get("user/list")).await.unwrap();
    let shown = until_shown(&browser, "this signature does not decrypt to the date").await;
    assert!(shown.contains("invalid_signature"), "{shown}");
    let kept = browser.execute("return window.notReloaded === true;", vec![]).await.unwrap();
    assert_eq!(kept, json!(true), "the same page, redrawn in place");
    std::fs::write(shots.join("console-requests.png"), browser.screenshot().await.unwrap()).unwrap();

    // A letter, live on the letters view; its buttons act as the recipient.
    browser.goto(&format!("{}/_mock/?view=letters", t.mock.root_url())).await.unwrap();
    browser.wait().for_element(Locator::Css("#live[data-connected=yes]")).await.unwrap();
    let (sender, _) = t.ready_sender(&t.api).await;
    let letter =
        t.api.post("mail", &crate::helpers::letter_to(sender, &unique_email())).await.ok()["id"].as_u64().unwrap();
    until_shown(&browser, "sent: the recipient is notified").await;
    click_when_steady(&browser, "form[action$=\"/accept\"] button").await;
    until_shown(&browser, "accepted by the recipient").await;
    assert_eq!(t.api.get("mail", &[("id", letter.to_string())]).await.ok()["status"], "ar");
    std::fs::write(shots.join("console-letters.png"), browser.screenshot().await.unwrap()).unwrap();

    for view in ["users", "mailbox", "faults"] {
        browser.goto(&format!("{}/_mock/?view={view}", t.mock.root_url())).await.unwrap();
        let shown = browser.execute("return document.querySelector('main').dataset.view;", vec![]).await.unwrap();
        assert_eq!(shown, json!(view));
        std::fs::write(shots.join(format!("console-{view}.png")), browser.screenshot().await.unwrap()).unwrap();
    }
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and chromedriver (Debian chromium, chromium-driver); .ci/run installs them and runs it"]
async fn a_refused_and_a_neglected_letter_read_true_in_the_mailbox_and_the_console() {
    let t = spawn_mock().await;
    let (sender, _) = t.ready_sender(&t.api).await;
    let (refused_to, neglected_to) = (unique_email(), unique_email());
    // The refused letter's webhook goes to a port nothing listens on: every attempt fails.
    let hook =
        format!("http://127.0.0.1:{}/ar24", TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
    let form = crate::helpers::with(crate::helpers::letter_to(sender, &refused_to), "webhook", &hook);
    let refused = t.api.post("mail", &form).await.ok()["id"].as_u64().unwrap();
    t.api.post("mail", &crate::helpers::letter_to(sender, &neglected_to)).await.ok();

    let driver = start_chromedriver();
    let profile = std::env::temp_dir().join(format!("ar24-mock-chromium-{}", uuid::Uuid::new_v4().simple()));
    let browser = headless_chromium(&driver, &profile).await;
    let shots = artifacts();

    // The recipient opens the letter from the mailbox and refuses it, giving a name.
    browser.goto(&t.control("mailbox")).await.unwrap();
    let open = format!("article[data-kind=\"letter\"][data-to=\"{refused_to}\"] a");
    browser.find(Locator::Css(&open)).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Css("input[name=firstname]")).await.unwrap().send_keys("Paul").await.unwrap();
    browser.find(Locator::Css("input[name=lastname]")).await.unwrap().send_keys("Durand").await.unwrap();
    browser.find(Locator::Css("form[action$=\"/refuse\"] button")).await.unwrap().click().await.unwrap();
    let done = browser.wait().for_element(Locator::Css(".done")).await.unwrap().text().await.unwrap();
    assert!(done.contains("The letter is refused"), "{done}");
    // The other is never answered: 15 days later it is neglected.
    t.http.post(t.control("clock")).json(&json!({"advance": "15d"})).send().await.unwrap();

    browser.goto(&t.control("mailbox")).await.unwrap();
    let card = |kind: &str, to: &str| format!("article[data-kind=\"{kind}\"][data-to=\"{to}\"]");
    let refused_card = browser.find(Locator::Css(&card("letter", &refused_to))).await.unwrap();
    let text = refused_card.text().await.unwrap();
    assert!(text.contains("refused by the recipient") && !text.contains("accepted"), "{text}");
    assert!(refused_card.find(Locator::Css("button")).await.is_err(), "a refused letter's email offers nothing");
    for kind in ["letter", "reminder"] {
        let neglected_card = browser.find(Locator::Css(&card(kind, &neglected_to))).await.unwrap();
        assert!(neglected_card.text().await.unwrap().contains("neglected"), "{kind}");
        assert!(neglected_card.find(Locator::Css("button")).await.is_err(), "{kind}: nothing to do");
    }
    let page = browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    assert!(page.contains("is now refused by the recipient") && page.contains("is now neglected"), "{page}");
    std::fs::write(shots.join("mailbox-settled.png"), browser.screenshot().await.unwrap()).unwrap();

    // The console's letters: both settled, the failed webhook's attempts with their error, and a replay.
    browser.goto(&format!("{}/_mock/?view=letters", t.mock.root_url())).await.unwrap();
    let shown = until_shown(&browser, "refused by the recipient").await;
    assert!(shown.contains("neglected"), "{shown}");
    assert!(!shown.contains("accept\n") && browser.find(Locator::Css("form[action$=\"/accept\"]")).await.is_err());
    click_when_steady(&browser, "details summary").await;
    let attempts = until_shown(&browser, "ms").await;
    assert!(attempts.contains(&hook) && attempts.to_lowercase().contains("connect"), "the error is shown: {attempts}");
    std::fs::write(shots.join("console-letters-settled.png"), browser.screenshot().await.unwrap()).unwrap();
    let before = t.plane.webhooks(Some(refused)).await.unwrap()[0]["attempts"].as_array().unwrap().len();
    click_when_steady(&browser, "form[action$=\"/replay\"] button").await;
    // The form posts and the letters view loads again; the page was already that view, so
    // wait for the attempt itself (the post may reach the mock after the page is found).
    let attempts = || async {
        t.http.post(t.control("clock")).json(&json!({"advance": 0})).send().await.unwrap();
        t.plane.webhooks(Some(refused)).await.unwrap()[0]["attempts"].as_array().unwrap().len()
    };
    wait_until(|| "the replay's attempt".into(), || async { attempts().await > before }).await;
    assert_eq!(attempts().await, before + 1, "the replay button made one more attempt");

    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(profile);
}
