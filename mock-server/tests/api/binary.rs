//! The `ar24-mock` binary as a user starts it: it prints how to reach it,
//! serves, and stops cleanly on Ctrl-C.

use ar24_client::{Call, Client, ControlPlane};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::wait_until;

#[tokio::test]
async fn the_binary_prints_its_urls_serves_health_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ar24-mock"))
        .args(["--port", "0", "--token", "bin-token"])
        .env("AR24_MOCK_PRIVATE_KEY", "bin-key")
        .env("AR24_MOCK_GLOBAL_BILLING", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> =
        tokio::task::spawn_blocking(move || BufReader::new(stdout).lines().take(6).map(|l| l.unwrap()).collect())
            .await
            .unwrap();
    let text = lines.join("\n");
    assert!(text.contains("bin-token"), "{text}");
    assert!(text.contains("bin-key"), "{text}");
    let api = lines.iter().find_map(|l| l.split_once("API base URL : ").map(|(_, url)| url.trim().to_owned())).unwrap();
    assert!(api.starts_with("http://127.0.0.1:") && api.ends_with("/api/"), "{api}");
    assert!(text.contains("/_mock/mailbox") && text.contains("console      : http://127.0.0.1:"), "{text}");

    let root = api.trim_end_matches("api/");
    let plane = ControlPlane::new(root);
    plane.health().await.expect("the mock is healthy");
    let partner = plane.partner("bin-token").await.unwrap();
    assert!(partner.global_billing, "AR24_MOCK_GLOBAL_BILLING=1 is read");

    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(waited < Duration::from_secs(10), "the mock did not stop on Ctrl-C");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    };
    assert!(status.success(), "clean exit on Ctrl-C: {status:?}");
}

#[test]
fn a_port_in_use_is_a_clear_error_not_a_panic() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_ar24-mock")).args(["--port", &port]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_webhook_certificate_file_that_cannot_be_used_stops_the_start_with_a_sentence() {
    let not_pem = temp_file("not.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    for (path, says) in
        [("/nonexistent/ca.pem", "cannot read --webhook-ca"), (not_pem.to_str().unwrap(), "holds no PEM certificate")]
    {
        let output =
            Command::new(env!("CARGO_BIN_EXE_ar24-mock")).args(["--port", "0", "--webhook-ca", path]).output().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let _ = std::fs::remove_file(&not_pem);
}

/// Once the banner is out, the mock writes nothing more to stdout (logs go to
/// stderr), so a log collector that goes away cannot stop it.
#[tokio::test]
async fn a_closed_stdout_does_not_stop_the_mock() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ar24-mock"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    let mut second = String::new();
    reader.read_line(&mut second).unwrap();
    drop(reader);
    let api = second.split_once("API base URL : ").map(|(_, url)| url.trim().to_owned()).expect("the API line");
    let root = api.trim_end_matches("api/").to_owned();
    // A call is logged (to stderr) with stdout closed, then the mock still answers.
    plain_client(&root).get("user/list", [("max", "1")]).await.unwrap();
    let health = ControlPlane::new(&root).health().await;
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(alive, "the mock died when its stdout closed");
    health.expect("the mock still answers");
}

// Multi-threaded: the in-process mock must answer while this thread waits on the subcommand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_0_only_when_a_mock_answers() {
    let mock = crate::helpers::spawn_mock().await;
    let port = mock.mock.address().port().to_string();
    let healthy =
        Command::new(env!("CARGO_BIN_EXE_ar24-mock")).args(["--port", &port, "healthcheck"]).output().unwrap();
    assert!(healthy.status.success(), "{}", String::from_utf8_lossy(&healthy.stderr));
    let by_env =
        Command::new(env!("CARGO_BIN_EXE_ar24-mock")).arg("healthcheck").env("AR24_MOCK_PORT", &port).output().unwrap();
    assert!(by_env.status.success(), "AR24_MOCK_PORT is read");

    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let nothing =
        Command::new(env!("CARGO_BIN_EXE_ar24-mock")).args(["--port", &free, "healthcheck"]).output().unwrap();
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("cannot reach"));

    // Something that is not a mock answers: unhealthy too.
    let other = Command::new(env!("CARGO_BIN_EXE_ar24-mock"))
        .args(["healthcheck", "--url", &format!("http://127.0.0.1:{port}/api/user/list")])
        .output()
        .unwrap();
    assert!(!other.status.success());
}

/// The binary started with `args`, and its root URL (`http://127.0.0.1:PORT/`).
/// The default partner's client for a mock in plain mode at `root`.
fn plain_client(root: &str) -> Client {
    Client::new(&format!("{root}api/"), "ar24-mock-token", "ar24-mock-private-key")
}

fn spawn_binary(args: &[&str]) -> (std::process::Child, String) {
    spawn_binary_with(args)
}

/// The binary with `args` on a port the OS picks: the child and its root URL.
pub(crate) fn spawn_binary_with(args: &[&str]) -> (std::process::Child, String) {
    let (child, root, _) = spawn_binary_logging(args);
    (child, root)
}

/// Sends SIGTERM to the mock, as a person stopping it or a container runtime does.
pub(crate) fn sigterm(child: &std::process::Child) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
}

pub(crate) fn wait_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < limit, "the mock did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn temp_file(name: &str) -> crate::helpers::TempPath {
    crate::helpers::TempPath::new(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight_writes_the_state_and_exits_0() {
    let file = temp_file("state.json");
    let (mut child, root) = spawn_binary(&["--auth", "plain", "--state-file", file.to_str().unwrap()]);
    let api = plain_client(&root);
    let created = api.post("user", crate::helpers::user_form("survivor@example.fr")).await.unwrap();
    assert!(created.is_success(), "{}", created.outcome());
    let rule = serde_json::json!({"kind": "delay", "delay_ms": 700, "route": "user/list", "times": 1});
    ControlPlane::new(&root).add_fault(&rule).await.unwrap();

    // A slow call is in flight when SIGTERM arrives: it still gets its answer.
    let in_flight = tokio::spawn({
        let api = api.clone();
        async move { api.send(&Call::get("user/list")).await.unwrap() }
    });
    // In flight once the delay rule has served it (a rule for one call is then gone).
    let served = || async {
        let rules: serde_json::Value = reqwest::get(format!("{root}_mock/faults")).await.unwrap().json().await.unwrap();
        rules.as_array().is_some_and(Vec::is_empty)
    };
    wait_until(|| "the slow call to arrive (its delay rule served)".into(), served).await;
    sigterm(&child);
    let answer = in_flight.await.unwrap();
    assert!(answer.is_success(), "the request in flight was finished: {}", answer.outcome());
    let status = wait_exit(&mut child, Duration::from_secs(15));
    assert!(status.success(), "exit 0 on SIGTERM: {status:?}");

    // The state file holds the user; a new mock starts from it.
    let (mut again, root) = spawn_binary(&["--auth", "plain", "--state-file", file.to_str().unwrap()]);
    let user = plain_client(&root).get("user", [("email", "survivor@example.fr")]).await.unwrap();
    let _ = again.kill();
    let _ = again.wait();
    let _ = std::fs::remove_file(&file);
    assert_eq!(user.expect_success()["email"], "survivor@example.fr");
}

#[test]
fn the_state_is_written_at_the_interval_so_a_crash_loses_at_most_one_interval() {
    let file = temp_file("interval.json");
    let (mut child, root) =
        spawn_binary(&["--auth", "plain", "--state-file", file.to_str().unwrap(), "--state-interval", "1"]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let form = crate::helpers::user_form("interval@example.fr");
        let sent = plain_client(&root).post("user", form).await.unwrap();
        assert!(sent.is_success(), "{}", sent.outcome());
    });
    // The writer, at its interval, not a clean shutdown, puts it in the file.
    runtime.block_on(crate::persistence::wait_written(&root));
    // A crash: SIGKILL, no clean shutdown.
    let _ = child.kill();
    let _ = child.wait();
    let saved = std::fs::read_to_string(&file).expect("the state file was written at the interval");
    let _ = std::fs::remove_file(&file);
    assert!(saved.contains("interval@example.fr"), "{saved}");
}

#[test]
fn a_corrupt_state_file_stops_the_start_and_is_left_as_it_is() {
    let file = temp_file("corrupt.json");
    std::fs::write(&file, b"{ this is not a state").unwrap();
    let (stderr, kept) = refused_start(&file);
    assert!(stderr.contains("is not a valid ar24-mock state") && stderr.contains("left as it is"), "{stderr}");
    assert_eq!(kept, b"{ this is not a state", "never overwritten");
}

/// Starts the binary on the state file `file`, which must stop it; answers
/// its stderr and the file's bytes afterwards (the file is then removed).
pub(crate) fn refused_start(file: &std::path::Path) -> (String, Vec<u8>) {
    let output = Command::new(env!("CARGO_BIN_EXE_ar24-mock"))
        .args(["--port", "0", "--state-file", file.to_str().unwrap()])
        .output()
        .unwrap();
    let kept = std::fs::read(file).unwrap();
    let _ = std::fs::remove_file(file);
    assert!(!output.status.success(), "the start is refused");
    (String::from_utf8_lossy(&output.stderr).into_owned(), kept)
}

/// The binary on a port the OS picks, with `args`, its stdout and stderr piped.
fn started(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ar24-mock"))
        .args(["--port", "0"])
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// The binary in strict mode with `args`, its stderr collected; answers its root URL and the lines so far.
pub(crate) fn spawn_binary_logging(
    args: &[&str],
) -> (std::process::Child, String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let mut child = started(args);
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&log);
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        BufReader::new(stderr).lines().map_while(Result::ok).for_each(|l| sink.lock().unwrap().push(l))
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let api = lines.find_map(|l| l.split_once("API base URL : ").map(|(_, u)| u.trim().to_owned())).expect("a banner");
    std::thread::spawn(move || lines.for_each(drop));
    (child, api.trim_end_matches("api/").to_owned(), log)
}

async fn calls_and_terminal(quiet: bool) -> String {
    let args: &[&str] = if quiet { &["--quiet"] } else { &[] };
    let (mut child, root, log) = spawn_binary_logging(args);
    let client = Client::new(&format!("{root}api/"), "ar24-mock-token", "ar24-mock-private-key");
    client.exchange(&ar24_client::Call::get("user/list")).await.unwrap();
    let wrong = client.for_partner("ar24-mock-token", "not the key");
    wrong.exchange(&ar24_client::Call::get("user/list")).await.unwrap();
    // The failed call's warning is the last line either way: wait for it.
    let warned = || async { log.lock().unwrap().iter().any(|line| line.contains("answered invalid_signature")) };
    wait_until(|| format!("the warning, in {:?}", log.lock().unwrap()), warned).await;
    let _ = child.kill();
    let _ = child.wait();
    log.lock().unwrap().join("\n")
}

#[tokio::test]
async fn the_terminal_shows_one_line_per_call_and_a_warning_with_the_hint_of_a_failure() {
    let terminal = calls_and_terminal(false).await;
    assert!(terminal.contains("GET /api/user/list · Default partner · SUCCESS ·"), "{terminal}");
    assert!(terminal.contains("GET /api/user/list · Default partner · invalid_signature ·"), "{terminal}");
    assert!(terminal.contains("answered invalid_signature: this signature does not decrypt"), "{terminal}");
    assert!(!terminal.contains("ar24-mock-private-key") && !terminal.contains("not the key"), "no secret: {terminal}");
}

#[tokio::test]
async fn quiet_keeps_the_warnings_only() {
    let terminal = calls_and_terminal(true).await;
    assert!(!terminal.contains("SUCCESS"), "{terminal}");
    assert!(terminal.contains("answered invalid_signature"), "{terminal}");
}

/// A child process killed and waited for when dropped.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Resident memory of process `pid`, in bytes.
fn resident(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches(" kB");
    kb.trim().parse::<u64>().unwrap() * 1024
}

#[tokio::test]
async fn the_journal_keeps_no_byte_of_an_uploaded_file_refused_uploads_included() {
    let (child, root, _) = spawn_binary_logging(&[]);
    // Stopped when the test ends, whether it passes or not.
    let child = Stopped(child);
    let client = Client::new(&format!("{root}api/"), "ar24-mock-token", "ar24-mock-private-key");
    let file = vec![b'x'; 4 << 20];
    let upload = || Call::post("attachment").param("id_user", 999_999).file("file", "big.pdf", file.clone());
    // Warm up: the allocator keeps some freed large blocks for the next calls
    // (a plateau); what the journal kept would grow with every call.
    for _ in 0..10 {
        client.send(&upload()).await.unwrap();
    }
    let before = resident(child.0.id());
    for _ in 0..20 {
        let answer = client.send(&upload()).await.unwrap();
        assert_eq!(answer.slug(), Some("user_not_exist"), "{answer:?}");
    }
    let grown = resident(child.0.id()).saturating_sub(before);
    let plane = ControlPlane::new(&root);
    let journal = plane.request(reqwest::Method::GET, "requests", &[], None).await.unwrap().json();
    let last = journal.as_array().unwrap().last().unwrap().clone();
    drop(child);
    assert_eq!(last["files"][0]["size"], 4 << 20, "the journal names the file: {last}");
    assert_eq!(last["files"][0]["filename"], "big.pdf");
    assert!(last["files"][0]["sha1"].is_string());
    // 20 uploads of 4 MB kept would be 80 MB.
    assert!(grown < 24 << 20, "the process grew by {} MB over 20 uploads of 4 MB", grown >> 20);
}

/// The banner's lines after the mailbox's, of the binary started with `args`, and its stderr so far.
fn banner_tail(args: &[&str]) -> (String, String) {
    let mut child = started(args);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    lines.find(|l| l.trim_start().starts_with("mailbox")).expect("a banner");
    // Both starts below print one line more.
    let tail = lines.next().unwrap_or_default();
    // Stopped as a person does (the log is written by a thread of its own, flushed at exit).
    let (_, stderr) = stop_now(Stopped(child));
    (tail, stderr)
}

/// Sends SIGTERM to a started mock at once: how it exited and all it logged.
fn stop_now(mut stopped: Stopped) -> (std::process::ExitStatus, String) {
    sigterm(&stopped.0);
    let status = wait_exit(&mut stopped.0, Duration::from_secs(15));
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(&mut stopped.0.stderr.take().unwrap(), &mut stderr);
    (status, stderr)
}

#[test]
fn a_mock_reachable_from_elsewhere_without_a_control_token_says_so_and_a_locked_one_says_locked() {
    let (tail, stderr) = banner_tail(&["--bind", "0.0.0.0"]);
    assert!(tail.contains("WARNING") && tail.contains("--control-token"), "{tail}");
    assert!(stderr.contains("lock it with --control-token"), "the log says it too: {stderr}");
    let (tail, stderr) = banner_tail(&["--bind", "0.0.0.0", "--control-token", "s3cret"]);
    assert!(tail.contains("control plane: locked") && !tail.contains("s3cret"), "{tail}");
    assert!(!stderr.contains("lock it with"), "{stderr}");
}

#[test]
fn a_mock_stopped_the_moment_its_banner_shows_stops_cleanly_and_logs_it() {
    // A supervisor may stop the mock as soon as it reads that the mock is ready: the
    // signal must find the mock listening for it, not kill it before it writes anything.
    for _ in 0..5 {
        let mut child = started(&["--bind", "0.0.0.0"]);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
        assert!(lines.next().is_some_and(|l| l.starts_with("AR24 mock ready")), "a banner");
        let (status, stderr) = stop_now(Stopped(child));
        assert!(status.success(), "stopped, not killed: {status:?}; log: {stderr}");
        assert!(stderr.contains("lock it with --control-token"), "the log is written out: {stderr}");
        assert!(stderr.contains("shutting down"), "the stop is logged: {stderr}");
    }
}
