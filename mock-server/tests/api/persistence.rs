//! The state file's promises, on the binary as a user runs it: after
//! `kill -9` only the last interval can be lost, a record cut short by a
//! crash is dropped with a warning, damage elsewhere stops the start and the
//! file stays as it is, and SIGTERM writes everything.

use std::process::Child;
use std::time::Duration;

use ar24_client::{Call, Client, ControlPlane};
use serde_json::Value;

use crate::helpers::{Api, unique_email, user_form, wait_until, with};

/// The binary in plain mode on a state file, with the interval given.
pub(crate) struct Running {
    child: Child,
    /// Seconds between two writes of the state file.
    interval: f64,
    pub(crate) root: String,
    api: Api,
    plane: ControlPlane,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub(crate) fn start(file: &std::path::Path, interval: &str) -> Running {
    let args = ["--auth", "plain", "--state-file", file.to_str().unwrap(), "--state-interval", interval];
    let (child, root, stderr) = crate::binary::spawn_binary_logging(&args);
    let api = Api::new(Client::new(&format!("{root}api/"), "ar24-mock-token", "ar24-mock-private-key"));
    Running { child, interval: interval.parse().unwrap(), api, plane: ControlPlane::new(&root), root, stderr }
}

/// A test that fails leaves no mock running.
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// `kill -9`: no chance to write anything.
    pub(crate) fn kill_9(self) {
        drop(self);
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        crate::binary::sigterm(&self.child);
        crate::binary::wait_exit(&mut self.child, Duration::from_secs(15))
    }

    /// Waits until the state file holds every change made so far, as the
    /// mock's health answer tells it (never longer than 10 s).
    async fn written(&self) {
        wait_written(&self.root).await;
    }

    fn terminal(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// A little of everything the state keeps: accounts (one in a team, one
    /// seen by a second partner), emails and used links, an upload, a letter
    /// accepted by its recipient, a charge, and a webhook delivery that failed.
    /// With a short interval, each step waits until the file holds it, so
    /// each change is written on its own.
    async fn fill(&self) {
        let settle = || async {
            if self.interval < 60.0 {
                self.written().await;
            }
        };
        let (sender, email) = self.ready_sender().await;
        settle().await;
        let member = self.api.create_user(&unique_email()).await;
        let joined = self
            .api
            .post("user/join_team", &[("id_user", member.to_string()), ("id_master", sender.to_string())])
            .await;
        assert!(joined.is_success(), "{:?}", joined.slug());
        let upload =
            Call::post("attachment").param("id_user", sender).file("file", "a.pdf", b"%PDF-1.4 bytes".to_vec());
        let file = self.api.send(upload).await.ok()["file_id"].as_u64().unwrap();
        let mut letter = crate::helpers::letter_to(sender, &unique_email());
        letter.push(("attachment[0]", file.to_string()));
        // Nothing listens there: the delivery fails and waits for its retry.
        letter.push(("webhook", "http://127.0.0.1:9/hook".into()));
        let letter = self.api.post("mail", &letter).await.ok()["id"].as_u64().unwrap();
        settle().await;
        self.plane.act_on_letter(letter, "accept").await.unwrap();
        settle().await;
        let other = ar24_client::NewPartner { name: Some("Other".into()), ..Default::default() };
        let other = Api::new(self.plane.new_partner(&other).await.unwrap().client(&format!("{}api/", self.root)));
        other.post("user/request_access", &[("email", email.clone())]).await.ok();
        self.plane.accept_latest(&email, "access").await.unwrap();
    }

    async fn ready_sender(&self) -> (u64, String) {
        let email = unique_email();
        let id = self.api.post("user", &with(user_form(&email), "confirmed", "1")).await.ok()["id"].as_u64().unwrap();
        self.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
        self.plane.accept_latest(&email, "cgu").await.unwrap();
        self.plane.add_payment_method(id).await.unwrap();
        (id, email)
    }

    /// The whole state, without what a restart does not keep by design.
    pub(crate) async fn state(&self) -> Value {
        let mut state = self.plane.export_state().await.unwrap();
        // Webhook attempts keep being made: compare what they are about.
        for delivery in state["webhooks"].as_array_mut().unwrap() {
            delivery.as_object_mut().unwrap().retain(|k, _| matches!(k.as_str(), "id" | "letter" | "url" | "payload"));
        }
        state
    }
}

/// Waits until the state file of the mock at `root` holds every change made
/// before the call, as its health answer tells it (never longer than 10 s).
pub(crate) async fn wait_written(root: &str) {
    let health = || async {
        let answer: Value = reqwest::get(format!("{root}_mock/health")).await.unwrap().json().await.unwrap();
        let progress = &answer["state_file"];
        (progress["changes"].as_u64().unwrap(), progress["written"].as_u64().unwrap())
    };
    let (changes, _) = health().await;
    wait_until(|| format!("the state file to hold {changes} changes"), || async { health().await.1 >= changes }).await;
}

fn temp_file(name: &str) -> crate::helpers::TempPath {
    crate::helpers::TempPath::new(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_everything_written_an_interval_ago_is_back_exactly() {
    let file = temp_file("state.log");
    let mock = start(&file, "0.2");
    // The first write holds the empty state; everything after is appended.
    mock.written().await;
    let empty = std::fs::metadata(&file).unwrap().len();
    mock.fill().await;
    mock.written().await;
    let written = std::fs::metadata(&file).unwrap().len();
    assert!(written > empty);
    let late = mock.api.create_user(&unique_email()).await;
    mock.written().await;
    let grown = std::fs::metadata(&file).unwrap().len() - written;
    assert!(grown > 0 && grown < 3_000, "one user's worth appended: {grown} bytes");
    let before = mock.state().await;
    mock.kill_9();

    let again = start(&file, "0.2");
    let after = again.state().await;
    assert_eq!(after["users"].as_array().unwrap().last().unwrap()["id"], late);
    assert_eq!(before, after, "the state after kill -9 is the state an interval before it");
    again.kill_9();
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_cut_short_by_a_crash_is_dropped_with_a_warning_and_nothing_else_is_lost() {
    let file = temp_file("state.log");
    let mock = start(&file, "0.2");
    mock.fill().await;
    mock.written().await;
    let before = mock.state().await;
    mock.kill_9();
    // A crash in the middle of an append: half a record at the end.
    let mut bytes = std::fs::read(&file).unwrap();
    let whole = bytes.len() as u64;
    bytes.extend_from_slice(b"0badc0de {\"kind\":\"user_gone\",\"val");
    std::fs::write(&file, &bytes).unwrap();

    let again = start(&file, "0.2");
    assert_eq!(again.state().await, before, "everything before the torn record is kept");
    // Log lines reach the terminal a moment after they are written: wait for the warning.
    let warned = || async { again.terminal().contains("cut short") };
    crate::helpers::wait_until(|| format!("the warning, in {}", again.terminal()), warned).await;
    assert!(again.terminal().contains("dropped"), "{}", again.terminal());
    // The torn tail is gone, so later appends follow a whole line.
    again.api.create_user(&unique_email()).await;
    again.written().await;
    let kept = again.state().await;
    again.kill_9();
    let third = start(&file, "0.2");
    assert_eq!(third.state().await, kept);
    assert!(std::fs::metadata(&file).unwrap().len() > whole);
    third.kill_9();
    let _ = std::fs::remove_file(&file);
}

#[test]
fn damage_before_the_last_record_stops_the_start_and_leaves_the_file_as_it_is() {
    let file = temp_file("state.log");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mock = start(&file, "0.2");
    runtime.block_on(async {
        mock.fill().await;
        mock.written().await;
    });
    mock.kill_9();
    let mut bytes = std::fs::read(&file).unwrap();
    let second_line = bytes.iter().position(|b| *b == b'\n').unwrap() + 30;
    bytes[second_line] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
    let (stderr, kept) = crate::binary::refused_start(&file);
    assert!(stderr.contains("line 2") && stderr.contains("left as it is"), "{stderr}");
    assert_eq!(kept, bytes, "never overwritten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_writes_everything_even_long_before_the_next_interval() {
    let file = temp_file("state.log");
    let mock = start(&file, "3600");
    mock.fill().await;
    let before = mock.state().await;
    assert!(mock.terminate().success());
    let again = start(&file, "3600");
    assert_eq!(again.state().await, before);
    again.kill_9();
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_of_an_older_mock_loads_and_is_rewritten_as_a_log() {
    let file = temp_file("state.json");
    let source = crate::helpers::spawn_mock().await;
    let id = source.api.create_user(&unique_email()).await;
    let export = source.plane.export_state().await.unwrap();
    std::fs::write(&file, serde_json::to_vec(&export).unwrap()).unwrap();
    let mock = start(&file, "0.2");
    assert_eq!(mock.api.user(id).await.ok()["id"], id);
    mock.written().await;
    mock.kill_9();
    let rewritten = std::fs::read_to_string(&file).unwrap();
    assert!(!rewritten.starts_with('{'), "a log now: {}", &rewritten[..rewritten.len().min(80)]);
    let again = start(&file, "0.2");
    assert_eq!(again.api.user(id).await.ok()["id"], id);
    // What the older mock's file held is all there.
    let state = again.state().await;
    assert_eq!(state["users"], export["users"]);
    again.kill_9();
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_business_clock_stays_where_it_was_moved_so_what_is_due_stays_due() {
    let file = temp_file("state.log");
    let mock = start(&file, "0.2");
    mock.written().await;
    // Only the clock moves: it is appended on its own.
    mock.plane.advance_clock(&serde_json::json!("15d")).await.unwrap();
    mock.written().await;
    mock.kill_9();
    let again = start(&file, "0.2");
    let clock = again.plane.request(reqwest::Method::GET, "clock", &[], None).await.unwrap();
    let offset: Value = serde_json::from_str(&clock.body).unwrap();
    assert_eq!(offset["offset_seconds"], 15 * 86_400, "{}", clock.body);
    again.kill_9();
    let _ = std::fs::remove_file(&file);
}
