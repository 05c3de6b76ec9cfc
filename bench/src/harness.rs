//! What both benchmarks use: servers started and killed, their memory, wrk
//! loads with signed AR24 calls, and users made through the API.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ar24_client::{Answer, Call, Client, ControlPlane, Keys, now_paris};

/// The mock's documented default partner.
pub const TOKEN: &str = "ar24-mock-token";
pub const KEY: &str = "ar24-mock-private-key";

/// A server process, killed when dropped.
pub struct Server {
    /// The process (none for a server started by someone else).
    pub child: Option<Child>,
    /// Where it listens on 127.0.0.1.
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Server {
    /// A mock someone else started, on `port`.
    pub fn attach(port: u16) -> Self {
        Self { child: None, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn api(&self) -> Client {
        Client::new(&self.url("/api/"), TOKEN, KEY)
    }

    pub fn control(&self) -> ControlPlane {
        ControlPlane::new(&self.url("/"))
    }

    /// Resident memory of the process and its children, in bytes.
    pub fn rss(&self) -> u64 {
        self.child.as_ref().map_or(0, |c| rss_tree(c.id()))
    }

    /// The process id (0 for a server someone else started).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }
}

pub fn rss_tree(pid: u32) -> u64 {
    let own = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        .unwrap_or(0)
        * 1024;
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    own + children.split_whitespace().filter_map(|c| c.parse().ok()).map(rss_tree).sum::<u64>()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts a server (its output as `command` says) and times it until `/_mock/health` answers 200.
pub async fn start(command: &mut Command, port: u16, limit: Duration) -> (Server, Duration) {
    let started = Instant::now();
    let child = command.spawn().expect("the server starts");
    let server = Server { child: Some(child), port };
    let control = server.control();
    loop {
        if control.health().await.is_ok() {
            return (server, started.elapsed());
        }
        assert!(started.elapsed() < limit, "{} did not answer within {limit:?}", control.url("health"));
        // Often at first (the mock starts in milliseconds), then every hundredth of
        // the time so far: each poll takes CPU from a mock still reading its state.
        let pause = (started.elapsed() / 100).clamp(Duration::from_micros(200), Duration::from_millis(20));
        tokio::time::sleep(pause).await;
    }
}

pub async fn start_mock(binary: &Path) -> (Server, Duration) {
    let port = free_port();
    let mut command = Command::new(binary);
    command.args(["--port", &port.to_string(), "--journal-limit", "10000"]).env_remove("AR24_MOCK_AUTH");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    start(&mut command, port, Duration::from_secs(10)).await
}

pub async fn start_prism(prism: &Path, openapi: &Path) -> (Server, Duration) {
    let port = free_port();
    let mut command = Command::new(prism);
    command.args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()]).arg(openapi);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    start(&mut command, port, Duration::from_secs(120)).await
}

pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// One wrk run's figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    /// Requests per second.
    pub rps: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
}

/// Each load whose figures the tables judge is run this many times; the table
/// shows the run of median p99 (the machine is shared: one run can land on a busy moment).
pub const RUNS: usize = 3;

/// One run of a load, judged by its p99.
pub trait Run: Copy + Default {
    fn p99_ms(&self) -> f64;
}

impl Run for Load {
    fn p99_ms(&self) -> f64 {
        self.p99_ms
    }
}

impl Run for crate::paced::Paced {
    fn p99_ms(&self) -> f64 {
        self.p99_ms
    }
}

/// The run whose p99 is the median.
pub fn median_run<R: Run>(mut runs: Vec<R>) -> R {
    runs.sort_by(|a, b| a.p99_ms().total_cmp(&b.p99_ms()));
    runs.get(runs.len() / 2).copied().unwrap_or_default()
}

/// A load run [`RUNS`] times in a row: the run of median p99.
pub fn median_of<R: Run>(run: impl FnMut() -> R) -> R {
    median_and_p99s(run).0
}

/// The same, with each run's p99 in the order they ran.
pub fn median_and_p99s<R: Run>(mut run: impl FnMut() -> R) -> (R, Vec<f64>) {
    let runs: Vec<R> = (0..RUNS).map(|_| run()).collect();
    let p99s = runs.iter().map(Run::p99_ms).collect();
    (median_run(runs), p99s)
}

/// p99s as a table cell shows them: `3.10, 4.20, 5.00 ms`.
pub fn p99s_shown(p99s: &[f64]) -> String {
    let shown: Vec<String> = p99s.iter().map(|p99| format!("{p99:.2}")).collect();
    format!("{} ms", shown.join(", "))
}

/// [`wrk`] [`RUNS`] times in a row: the run of median p99.
pub fn wrk_median(server: &Server, script: &str, seconds: u64) -> Load {
    median_of(|| wrk(server, script, seconds))
}

/// A wrk Lua script for one kind of call, signed once for the whole run.
pub fn script(kind: &str, user_id: u64) -> String {
    let date = now_paris();
    let signature = Keys::new(KEY).sign(&date);
    let auth = format!("token={TOKEN}&date={}", date.replace(' ', "+"));
    let head = format!("wrk.headers[\"signature\"] = \"{signature}\"\n");
    match kind {
        "info" => format!("{head}wrk.method = \"GET\"\nwrk.path = \"/api/user?{auth}&id_user={user_id}\"\n"),
        "list" => format!("{head}wrk.method = \"GET\"\nwrk.path = \"/api/user/list?{auth}&max=100\"\n"),
        "create" => format!(
            "{head}wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
             local threads = 0\n\
             function setup(thread) threads = threads + 1; thread:set(\"tid\", threads) end\n\
             local n = 0\n\
             function request()\n  n = n + 1\n  local body = \"{auth}&firstname=Bench&lastname=Mark&gender=F&statut=particulier\
             &address1=1+rue&zipcode=75001&city=Paris&country=FR&email=bench-\" .. tid .. \"-\" .. n .. \"-{stamp}%40example.com\"\n  \
             return wrk.format(\"POST\", \"/api/user\", nil, body)\nend\n",
            stamp = std::process::id() as u128 * 1_000_000 + Instant::now().elapsed().as_nanos()
        ),
        other => unreachable!("no script for {other}"),
    }
}

/// A signed `POST mail` from `sender` with one uploaded attachment: its
/// signature and form body, signed once for the whole run.
pub struct SignedSend {
    signature: String,
    body: String,
}

impl SignedSend {
    pub fn new(sender: u64, attachment: u64) -> Self {
        let date = now_paris();
        let signature = Keys::new(KEY).sign(&date);
        let auth = format!("token={TOKEN}&date={}", date.replace(' ', "+"));
        let body = format!(
            "{auth}&id_user={sender}&to_email=destinataire%40example.com&dest_statut=particulier\
             &to_firstname=Marie&to_lastname=Dupont&content=Mise+en+demeure&attachment%5B0%5D={attachment}"
        );
        Self { signature, body }
    }

    /// As a wrk script.
    pub fn script(&self) -> String {
        format!(
            "wrk.headers[\"signature\"] = \"{}\"\n\
             wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n\
             wrk.method = \"POST\"\nwrk.path = \"/api/mail\"\nwrk.body = \"{}\"\n",
            self.signature, self.body
        )
    }

    /// As the bytes of an HTTP/1.1 request, for [`crate::paced::paced`].
    pub fn request(&self) -> Vec<u8> {
        format!(
            "POST /api/mail HTTP/1.1\r\nhost: 127.0.0.1\r\nsignature: {}\r\n\
             content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{}",
            self.signature,
            self.body.len(),
            self.body
        )
        .into_bytes()
    }
}

/// A sender who may send (confirmed, CGU accepted, a payment method) and one
/// uploaded attachment of `size` bytes: their ids.
pub async fn ready_sender(server: &Server, size: usize) -> (u64, u64) {
    let api = server.api();
    let control = server.control();
    let email = format!("sender-{}@example.com", free_port());
    let created = api.send(&new_user(&email).param("confirmed", 1)).await.expect("the mock answers");
    let id = match created {
        Answer::Success { result: Some(user), .. } => user["id"].as_u64().expect("a user id"),
        other => panic!("creating the sender failed: {}", other.outcome()),
    };
    let asked = api.send(&Call::post("user/request_cgu").param("id_user", id)).await.expect("the mock answers");
    assert!(asked.is_success(), "asking for the CGU failed: {}", asked.outcome());
    control.accept_latest(&email, "cgu").await.expect("the CGU link is accepted");
    control.add_payment_method(id).await.expect("a payment method");
    let file = Call::post("attachment").param("id_user", id).file("file", "facture.pdf", vec![b'%'; size]);
    let attachment = match api.send(&file).await.expect("the mock answers") {
        Answer::Success { result: Some(upload), .. } => upload["file_id"].as_u64().expect("a file id"),
        other => panic!("uploading failed: {}", other.outcome()),
    };
    (id, attachment)
}

/// The id the next letter gets, read by sending one.
pub async fn letters_sent(server: &Server, sender: u64, attachment: u64) -> u64 {
    let call = Call::post("mail").params([
        ("id_user", sender.to_string()),
        ("to_email", "destinataire@example.com".into()),
        ("dest_statut", "particulier".into()),
        ("to_firstname", "Marie".into()),
        ("to_lastname", "Dupont".into()),
        ("content", "Mise en demeure".into()),
        ("attachment[0]", attachment.to_string()),
    ]);
    match server.api().send(&call).await.expect("the mock answers") {
        Answer::Success { result: Some(mail), .. } => mail["id"].as_u64().expect("a letter id"),
        other => panic!("sending failed: {}", other.outcome()),
    }
}

pub fn wrk(server: &Server, script: &str, seconds: u64) -> Load {
    let path = std::env::temp_dir().join(format!("ar24-bench-{}.lua", free_port()));
    std::fs::File::create(&path).and_then(|mut f| f.write_all(script.as_bytes())).expect("a temporary script");
    let output = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(&path)
        .arg(server.url("/"))
        .output()
        .expect("wrk is installed (Debian package wrk)");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && text.contains("Requests/sec"), "wrk failed: {text}");
    let number = |prefix: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).and_then(|v| v.split_whitespace().next().map(str::to_owned)))
            .and_then(|v| parse_ms(&v).or_else(|| v.parse().ok()))
    };
    Load {
        rps: number("Requests/sec:").unwrap_or(0.0),
        p50_ms: number("50%").unwrap_or(f64::NAN),
        p99_ms: number("99%").unwrap_or(f64::NAN),
    }
}

/// wrk's durations: `812.00us`, `1.20ms`, `2.01s`.
pub fn parse_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (value, unit) = text.split_at(split);
    let value: f64 = value.parse().ok()?;
    match unit {
        "us" => Some(value / 1000.0),
        "ms" => Some(value),
        "s" => Some(value * 1000.0),
        "m" => Some(value * 60_000.0),
        _ => None,
    }
}

/// `POST user` for a valid account with this address.
pub fn new_user(email: &str) -> Call {
    Call::post("user").params([
        ("firstname", "Bench".to_owned()),
        ("lastname", "Mark".into()),
        ("email", email.to_owned()),
        ("gender", "F".into()),
        ("statut", "particulier".into()),
        ("address1", "1 rue de la Paix".into()),
        ("zipcode", "75002".into()),
        ("city", "Paris".into()),
        ("country", "FR".into()),
    ])
}

/// Creates `count` users through the signed API, 64 at a time; answers the first id.
pub async fn create_users(server: &Server, count: usize, tag: &str) -> u64 {
    let api = server.api();
    let mut next = 0;
    while next < count {
        let batch: Vec<_> = (next..count.min(next + 64))
            .map(|i| {
                let call = new_user(&format!("memory-{tag}-{i}@example.com"));
                let api = api.clone();
                async move { api.send(&call).await }
            })
            .collect();
        for answer in futures_util::future::join_all(batch).await {
            let answer = answer.expect("the mock answers");
            assert!(answer.is_success(), "creating a user failed: {}", answer.outcome());
        }
        next += 64;
    }
    // The first id, read back through the list (ids increase).
    match api.send(&Call::get("user/list").param("max", 1)).await.expect("the mock answers") {
        Answer::Success { result: Some(list), .. } => list["users"][0]["id"].as_u64().expect("a user id"),
        other => panic!("listing users failed: {}", other.outcome()),
    }
}

/// How many of the last journalled calls failed (the journal keeps the last 10 000).
pub async fn journalled_errors(server: &Server) -> usize {
    let entries = server.control().requests(None).await.unwrap_or_default();
    entries.iter().filter(|e| e["status"] != "SUCCESS").count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_durations() {
        assert_eq!(parse_ms("812.00us"), Some(0.812));
        assert_eq!(parse_ms("1.20ms"), Some(1.2));
        assert_eq!(parse_ms("2.5s"), Some(2500.0));
        assert_eq!(parse_ms("12"), None);
    }

    #[test]
    fn the_run_shown_is_the_one_of_median_p99() {
        let run = |rps: f64, p99_ms: f64| Load { rps, p50_ms: 1.0, p99_ms };
        let shown = median_run(vec![run(1.0, 9.0), run(2.0, 3.0), run(3.0, 5.0)]);
        assert_eq!((shown.rps, shown.p99_ms), (3.0, 5.0), "its own throughput beside its p99");
    }

    #[test]
    fn every_run_s_p99_is_kept_in_the_order_the_runs_ran() {
        let mut p99s = [9.0, 3.0, 5.0].into_iter();
        let (shown, all) = median_and_p99s(|| Load { rps: 1.0, p50_ms: 1.0, p99_ms: p99s.next().unwrap() });
        assert_eq!(shown.p99_ms, 5.0);
        assert_eq!(all, [9.0, 3.0, 5.0]);
        assert_eq!(p99s_shown(&all), "9.00, 3.00, 5.00 ms");
    }
}
