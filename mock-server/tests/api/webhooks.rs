//! Webhooks: a POST on every status change of a letter, only HTTP 200 counts,
//! retries on the business clock, every attempt recorded, a hanging receiver
//! stalling nothing, pending retries surviving a restart.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ar24_mock::Config;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::letter_to;
use crate::helpers::{TestMock, spawn_mock, spawn_mock_with, unique_email};
use crate::lifecycle::{advance, paris, read};

/// What a receiver does with each call, in order; then it answers 200.
#[derive(Clone, Copy, Debug)]
enum Reply {
    Status(u16),
    Hang,
}

/// The form fields of one call.
type Call = Vec<(String, String)>;

#[derive(Clone, Default)]
struct Receiver {
    calls: Arc<Mutex<Vec<Call>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl Receiver {
    /// A receiver on 127.0.0.1 and a port the OS picks; answers its URL.
    async fn start(script: &[Reply]) -> (Self, String) {
        let receiver = Self::default();
        receiver.script.lock().unwrap().extend(script.iter().copied());
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

async fn receive(State(receiver): State<Receiver>, body: String) -> StatusCode {
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
    receiver.calls.lock().unwrap().push(fields);
    let next = receiver.script.lock().unwrap().pop_front();
    match next {
        Some(Reply::Hang) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK
        }
        Some(Reply::Status(code)) => StatusCode::from_u16(code).unwrap(),
        None => StatusCode::OK,
    }
}

fn field<'a>(call: &'a [(String, String)], name: &str) -> Option<&'a str> {
    call.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn deliveries(t: &TestMock, letter: u64) -> Vec<Value> {
    let reply =
        t.plane.request(reqwest::Method::GET, "webhooks", &[("letter", &letter.to_string())], None).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// Waits (up to 10 s) until the deliveries of `letter` satisfy `done`.
async fn wait_for(t: &TestMock, letter: u64, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..200 {
        let now = deliveries(t, letter).await;
        if done(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: {:#?}", deliveries(t, letter).await);
}

/// Waits (up to 10 s) until the business clock's ticker has ticked twice
/// more: whatever was due has then been taken and sent.
async fn two_ticks(t: &TestMock) {
    let ticks = || async {
        let reply = t.plane.request(reqwest::Method::GET, "clock", &[], None).await.unwrap();
        reply.json()["ticks"].as_u64().unwrap()
    };
    let until = ticks().await + 2;
    for _ in 0..200 {
        if ticks().await >= until {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the ticker did not tick twice in 10 s");
}

fn statuses(delivery: &Value) -> Vec<Value> {
    delivery["attempts"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect()
}

async fn send_with_webhook(t: &TestMock, url: &str) -> u64 {
    let (sender, _) = t.ready_sender(&t.api).await;
    let mut form = letter_to(sender, &unique_email());
    form.push(("webhook", url.to_owned()));
    t.api.post("mail", &form).await.ok()["id"].as_u64().unwrap()
}

#[tokio::test]
async fn every_status_change_is_posted_with_its_proof_and_date() {
    let t = spawn_mock().await;
    let (receiver, url) = Receiver::start(&[]).await;
    let id = send_with_webhook(&t, &url).await;
    wait_for(&t, id, "the ev delivery", |d| d.len() == 1 && d[0]["state"] == "delivered").await;
    let reply = t.plane.request(reqwest::Method::POST, &format!("letters/{id}/accept"), &[], None).await.unwrap();
    assert_eq!(reply.status, 200);
    wait_for(&t, id, "the ar delivery", |d| d.len() == 2 && d[1]["state"] == "delivered").await;
    let letter = read(&t, id).await;
    let calls = receiver.calls();
    assert_eq!(calls.len(), 2);
    let (ev, ar) = (&calls[0], &calls[1]);
    assert_eq!(field(ev, "id_mail"), Some(id.to_string().as_str()));
    assert_eq!((field(ev, "new_state"), field(ar, "new_state")), (Some("ev"), Some("ar")));
    assert_eq!(field(ev, "proof_url"), letter["proof_ev_url"].as_str());
    assert_eq!(field(ev, "ts_ev_date"), letter["ts_ev_date"].as_str());
    assert_eq!(field(ar, "proof_url"), letter["proof_ar_url"].as_str());
    assert_eq!(field(ar, "view_date"), letter["view_date"].as_str());
    let console = t.http.get(format!("{}/_mock/?view=letters&partial=1", t.mock.root_url())).send().await.unwrap();
    let console = console.text().await.unwrap();
    assert!(console.contains("ev delivered (1 attempt(s))"), "the console names each delivery: {console}");
}

#[tokio::test]
async fn a_receiver_answering_500_then_200_gets_the_retry_when_the_clock_says_so() {
    let t = spawn_mock().await;
    let (receiver, url) = Receiver::start(&[Reply::Status(500)]).await;
    let id = send_with_webhook(&t, &url).await;
    let first = wait_for(&t, id, "the first attempt", |d| {
        d.first().is_some_and(|d| !d["attempts"].as_array().unwrap().is_empty())
    })
    .await;
    assert_eq!(first[0]["state"], "pending");
    assert_eq!(statuses(&first[0]), [json!(500)]);
    two_ticks(&t).await;
    assert_eq!(receiver.calls().len(), 1, "no retry before 15 minutes of the business clock");
    assert_eq!(deliveries(&t, id).await[0]["attempts"].as_array().unwrap().len(), 1);
    advance(&t, json!("15m")).await;
    let done = wait_for(&t, id, "the retry", |d| d[0]["state"] == "delivered").await;
    assert_eq!(statuses(&done[0]), [json!(500), json!(200)]);
    let numbers: Vec<Value> = done[0]["attempts"].as_array().unwrap().iter().map(|a| a["number"].clone()).collect();
    assert_eq!(numbers, [json!(1), json!(2)]);
}

#[tokio::test]
async fn retries_run_out_after_the_configured_number() {
    let config = Config { webhook_retry_every: 0, webhook_retries: 2, ..Config::default() };
    let t = spawn_mock_with(config).await;
    let script = [Reply::Status(503), Reply::Status(404), Reply::Status(201), Reply::Status(200)];
    let (receiver, url) = Receiver::start(&script).await;
    let id = send_with_webhook(&t, &url).await;
    let done = wait_for(&t, id, "the retries running out", |d| d.first().is_some_and(|d| d["state"] == "failed")).await;
    assert_eq!(statuses(&done[0]), [json!(503), json!(404), json!(201)], "only 200 counts; 1 + 2 retries");
    two_ticks(&t).await;
    assert_eq!(receiver.calls().len(), 3, "nothing after the last retry");
    // A replay sends it once more, now.
    let reply =
        t.plane.request(reqwest::Method::POST, &format!("webhooks/{}/replay", done[0]["id"]), &[], None).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let replayed = wait_for(&t, id, "the replay", |d| d[0]["state"] == "delivered").await;
    assert_eq!(statuses(&replayed[0]).len(), 4);
    let missing = t.plane.request(reqwest::Method::POST, "webhooks/999999/replay", &[], None).await.unwrap();
    assert_eq!((missing.status, missing.json()["slug"].clone()), (404, json!("delivery_not_found")));
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_and_stalls_nothing_else() {
    let t = spawn_mock().await;
    let (_, hanging) = Receiver::start(&[Reply::Hang]).await;
    let (healthy, healthy_url) = Receiver::start(&[]).await;
    let stuck = send_with_webhook(&t, &hanging).await;
    // While that attempt hangs, the API answers and other webhooks go out.
    let answered = tokio::time::timeout(Duration::from_secs(2), t.api.get("mail", &[("id", stuck.to_string())])).await;
    assert!(answered.expect("the API answers while a receiver hangs").is_success());
    let other = send_with_webhook(&t, &healthy_url).await;
    wait_for(&t, other, "the healthy receiver's delivery", |d| d.first().is_some_and(|d| d["state"] == "delivered"))
        .await;
    assert_eq!(healthy.calls().len(), 1);
    let timed_out = wait_for(&t, stuck, "the timeout", |d| {
        d.first().is_some_and(|d| !d["attempts"].as_array().unwrap().is_empty())
    })
    .await;
    let attempt = &timed_out[0]["attempts"][0];
    assert!(attempt["status"].is_null(), "{attempt}");
    assert!(attempt["error"].as_str().unwrap().contains("no answer within 2.5s"), "{attempt}");
    assert!(attempt["duration_ms"].as_u64().unwrap() >= 2_400, "{attempt}");
    assert_eq!(timed_out[0]["state"], "pending", "to be retried");
}

#[tokio::test]
async fn a_pending_retry_survives_a_restart_with_the_state() {
    let source = spawn_mock().await;
    let (_, failing) = Receiver::start(&[Reply::Status(500)]).await;
    let id = send_with_webhook(&source, &failing).await;
    wait_for(&source, id, "the failed first attempt", |d| {
        d.first().is_some_and(|d| d["attempts"].as_array().unwrap().len() == 1)
    })
    .await;
    let state = source.plane.export_state().await.unwrap();
    drop(source);

    // The receiver is back, at the same address as far as the state knows: rewrite the URL.
    let (receiver, url) = Receiver::start(&[]).await;
    let text = state.to_string().replace(&failing, &url);
    let target = spawn_mock().await;
    target.plane.import_state(&serde_json::from_str(&text).unwrap()).await.unwrap();
    let pending = deliveries(&target, id).await;
    assert_eq!((pending.len(), &pending[0]["state"]), (1, &json!("pending")));
    advance(&target, json!("15m")).await;
    let done = wait_for(&target, id, "the retry after the restart", |d| d[0]["state"] == "delivered").await;
    assert_eq!(statuses(&done[0]), [json!(500), json!(200)]);
    assert_eq!(receiver.calls().len(), 1);
}

#[tokio::test]
async fn a_partners_default_webhook_serves_letters_that_name_none() {
    let t = spawn_mock().await;
    let (receiver, url) = Receiver::start(&[]).await;
    let partner = t.new_partner(json!({"webhook": url})).await;
    let (sender, _) = t.ready_sender(&partner).await;
    let id = partner.post("mail", &letter_to(sender, &unique_email())).await.ok()["id"].as_u64().unwrap();
    wait_for(&t, id, "the default webhook", |d| d.first().is_some_and(|d| d["state"] == "delivered")).await;
    assert_eq!(field(&receiver.calls()[0], "new_state"), Some("ev"));
    // Without it, nothing is posted.
    let reply = t
        .plane
        .request(reqwest::Method::PATCH, &format!("partners/{}", partner.token), &[], Some(&json!({"webhook": null})))
        .await
        .unwrap();
    assert_eq!(reply.json()["webhook"], Value::Null);
    let quiet = partner.post("mail", &letter_to(sender, &unique_email())).await.ok()["id"].as_u64().unwrap();
    // The notification, which would be posted, has happened; and ticks went by.
    assert_eq!(partner.get("mail", &[("id", quiet.to_string())]).await.ok()["status"], "ev");
    two_ticks(&t).await;
    assert!(deliveries(&t, quiet).await.is_empty());
    assert_eq!(receiver.calls().len(), 1, "only the first letter's");
}

/// What a failing receiver gets in 13 hours: the first call and 48 retries, 15 minutes apart.
async fn thirteen_hours_of_failures(t: &TestMock, url: &str) -> (u64, Value) {
    let id = send_with_webhook(t, url).await;
    let moved = advance(t, json!("13h")).await;
    (id, moved)
}

fn assert_all_49_attempts(t_letter: &Value, delivery: &Value) {
    assert_eq!(delivery["state"], "failed", "{delivery}");
    let attempts = delivery["attempts"].as_array().unwrap();
    let numbers: Vec<u64> = attempts.iter().map(|a| a["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=49).collect::<Vec<u64>>());
    assert!(attempts.iter().all(|a| a["status"] == 500), "{delivery}");
    assert_eq!(attempts[0]["at"], t_letter["ts_ev_date"], "the first attempt when the recipient was notified");
    for pair in attempts.windows(2) {
        let gap = paris(&pair[1]["at"]) - paris(&pair[0]["at"]);
        assert_eq!(gap, chrono::TimeDelta::minutes(15), "each retry dated when it fell due: {pair:?}");
    }
    assert!(delivery["next_due"].is_null());
}

#[tokio::test]
async fn when_the_clock_answers_13_hours_later_all_49_attempts_against_a_failing_receiver_are_made() {
    let t = spawn_mock().await;
    let (receiver, url) = Receiver::start(&[Reply::Status(500); 49]).await;
    let (id, moved) = thirteen_hours_of_failures(&t, &url).await;
    // No waiting: the answer comes once everything due has happened.
    let delivered = deliveries(&t, id).await;
    assert_eq!(delivered.len(), 1);
    assert_all_49_attempts(&read(&t, id).await, &delivered[0]);
    assert_eq!(receiver.calls().len(), 49);
    // The first attempt may have been made by the send itself, before the clock moved.
    let made = moved["fired"]["webhook_attempts"].as_u64().unwrap();
    assert!(made == 48 || made == 49, "{moved}");
}

#[tokio::test]
async fn a_13_hour_advance_is_complete_when_it_answers_50_times_in_a_row() {
    let t = spawn_mock().await;
    // Always 500 (each letter's negligence brings an ng delivery to the same receiver).
    let (_, url) = Receiver::start(&[Reply::Status(500); 5_000]).await;
    for round in 0..50 {
        let (id, _) = thirteen_hours_of_failures(&t, &url).await;
        let delivered = deliveries(&t, id).await;
        assert_eq!(delivered.len(), 1, "round {round}");
        assert_all_49_attempts(&read(&t, id).await, &delivered[0]);
    }
}

#[tokio::test]
async fn a_letters_events_reach_its_webhook_in_the_order_they_happened() {
    let t = spawn_mock().await;
    let (receiver, url) = Receiver::start(&[]).await;
    let mut letters = Vec::new();
    for _ in 0..20 {
        let id = send_with_webhook(&t, &url).await;
        let reply = t.plane.request(reqwest::Method::POST, &format!("letters/{id}/accept"), &[], None).await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        letters.push(id);
    }
    // Everything due by now, done when the clock answers.
    let moved = advance(&t, json!(0)).await;
    assert_eq!(moved["offset_seconds"], 0, "advancing by 0 moves nothing: {moved}");
    let calls = receiver.calls();
    assert_eq!(calls.len(), 40, "an ev and an ar per letter");
    for id in letters {
        let states: Vec<&str> = calls
            .iter()
            .filter(|c| field(c, "id_mail") == Some(id.to_string().as_str()))
            .filter_map(|c| field(c, "new_state"))
            .collect();
        assert_eq!(states, ["ev", "ar"], "letter {id}");
    }
}

#[tokio::test]
async fn a_receiver_that_never_answers_counts_with_its_timeout_when_the_clock_moves() {
    let t = spawn_mock().await;
    let (receiver, url) = Receiver::start(&[Reply::Hang, Reply::Hang]).await;
    let id = send_with_webhook(&t, &url).await;
    advance(&t, json!("15m")).await;
    let delivered = deliveries(&t, id).await;
    let attempts = delivered[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "the first call and its retry, both timed out: {delivered:?}");
    for attempt in attempts {
        assert!(attempt["error"].as_str().unwrap().contains("no answer within 2.5s"), "{attempt}");
        assert!(attempt["duration_ms"].as_u64().unwrap() >= 2_400, "{attempt}");
    }
    assert_eq!(receiver.calls().len(), 2);
}

#[tokio::test]
async fn the_control_plane_writes_every_date_as_ar24_does() {
    let t = spawn_mock().await;
    let (_, url) = Receiver::start(&[Reply::Status(500)]).await;
    let id = send_with_webhook(&t, &url).await;
    advance(&t, json!(0)).await;
    let delivered = deliveries(&t, id).await;
    let at = &delivered[0]["attempts"][0]["at"];
    let next = &delivered[0]["next_due"];
    // Both in Paris local time, AR24's format: the next attempt reads as later than the last.
    assert_eq!(paris(next) - paris(at), chrono::TimeDelta::minutes(15), "{at} then {next}");
    let clock = t.plane.request(reqwest::Method::GET, "clock", &[], None).await.unwrap().json();
    paris(&clock["now"]);
}

/// A receiver on `https://127.0.0.1:PORT/hook` with a self-signed certificate:
/// its URL, the certificate (PEM) and the bodies it received.
async fn https_receiver() -> (String, String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/hook", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let received = Arc::clone(&bodies);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, received) = (acceptor.clone(), Arc::clone(&received));
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                // One request: its head, then as many bytes as it says.
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = tls.read(&mut chunk).await else { return };
                    request.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                            })
                            .and_then(|v| v.parse::<usize>().ok())
                            .unwrap_or(0);
                        if body.len() >= length {
                            received.lock().unwrap().push(body.to_owned());
                            break;
                        }
                    }
                    if n == 0 {
                        return;
                    }
                }
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, certified.cert.pem(), bodies)
}

#[tokio::test]
async fn webhooks_reach_https_receivers_and_a_flag_trusts_a_local_self_signed_certificate() {
    let (url, pem, bodies) = https_receiver().await;
    // Not trusted: the attempt fails with the reason, and is retried later.
    let untrusting = spawn_mock().await;
    let refused = send_with_webhook(&untrusting, &url).await;
    advance(&untrusting, json!(0)).await;
    let failed = deliveries(&untrusting, refused).await;
    let error = failed[0]["attempts"][0]["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.to_lowercase().contains("certificate"), "{failed:?}");
    assert_eq!(failed[0]["state"], "pending");
    assert!(bodies.lock().unwrap().is_empty());

    let ca = std::env::temp_dir().join(format!("ar24-mock-test-{}-ca.pem", uuid::Uuid::new_v4().simple()));
    std::fs::write(&ca, pem).unwrap();
    let t = spawn_mock_with(Config { webhook_ca: Some(ca.clone()), ..Config::default() }).await;
    let id = send_with_webhook(&t, &url).await;
    advance(&t, json!(0)).await;
    let _ = std::fs::remove_file(&ca);
    let delivered = deliveries(&t, id).await;
    assert_eq!(delivered[0]["state"], "delivered", "{delivered:?}");
    assert_eq!(statuses(&delivered[0]), [json!(200)]);
    let bodies = bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let fields: Vec<(String, String)> = serde_urlencoded::from_str(&bodies[0]).unwrap();
    assert_eq!(field(&fields, "id_mail"), Some(id.to_string().as_str()));
    assert_eq!(field(&fields, "new_state"), Some("ev"));
}
