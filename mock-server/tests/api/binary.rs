//! The `ar24-mock` binary as a user starts it: it prints how to reach it,
//! serves, and stops cleanly on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

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
        tokio::task::spawn_blocking(move || BufReader::new(stdout).lines().take(5).map(|l| l.unwrap()).collect())
            .await
            .unwrap();
    let text = lines.join("\n");
    assert!(text.contains("bin-token"), "{text}");
    assert!(text.contains("bin-key"), "{text}");
    let api = lines.iter().find_map(|l| l.split_once("API base URL : ").map(|(_, url)| url.trim().to_owned())).unwrap();
    assert!(api.starts_with("http://127.0.0.1:") && api.ends_with("/api/"), "{api}");
    assert!(text.contains("/_mock/mailbox"), "{text}");

    let root = api.trim_end_matches("api/");
    let health = reqwest::get(format!("{root}_mock/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    let partner: serde_json::Value =
        reqwest::get(format!("{root}_mock/partners/bin-token")).await.unwrap().json().await.unwrap();
    assert_eq!(partner["global_billing"], true, "AR24_MOCK_GLOBAL_BILLING=1 is read");

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
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = reqwest::get(format!("{root}_mock/health")).await;
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(alive, "the mock died when its stdout closed");
    assert_eq!(health.unwrap().status(), 200);
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
