//! `ar24-bench`: measures the mock as partners feel it (start time, signed and
//! encrypted calls under 64 connections, memory) against Stoplight Prism
//! mocking `openapi.yaml`, and prints a table with the targets.
//!
//! Run through `scripts/bench.sh` (which installs wrk and Prism and builds the
//! release binaries); `--quick` is the short smoke run CI does. The load
//! generator is wrk, on the same machine: figures are medians and ratios of one
//! run, on a shared, noisy machine.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ar24_client::{Answer, Call, Client, ControlPlane, Keys, now_paris};
use clap::Parser;

mod scale;

/// The mock's documented default partner.
const TOKEN: &str = "ar24-mock-token";
const KEY: &str = "ar24-mock-private-key";

#[derive(Parser, Debug)]
#[command(about = "Benchmarks the AR24 mock against Stoplight Prism")]
struct Options {
    /// A short smoke run: fewer starts, one-second loads, fewer users.
    #[arg(long)]
    quick: bool,
    /// The release `ar24-mock` binary.
    #[arg(long, default_value = "target/release/ar24-mock")]
    mock: PathBuf,
    /// Prism's executable (`bench/prism/node_modules/.bin/prism`); without it, Prism is left out.
    #[arg(long)]
    prism: Option<PathBuf>,
    /// The OpenAPI description Prism mocks.
    #[arg(long, default_value = "openapi.yaml")]
    openapi: PathBuf,
    /// Print the signed wrk script for `info`, `list` or `create` (for profiling by hand) and exit.
    #[arg(long, value_name = "KIND")]
    print_script: Option<String>,
    /// Measure the mock holding many users, with and without a state file, instead of the comparison with Prism.
    #[arg(long)]
    scale: bool,
    /// How many users `--scale` stores.
    #[arg(long, default_value_t = 1_000_000)]
    users: usize,
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn api(&self) -> Client {
        Client::new(&self.url("/api/"), TOKEN, KEY)
    }

    fn control(&self) -> ControlPlane {
        ControlPlane::new(&self.url("/"))
    }

    /// Resident memory of the process and its children, in bytes.
    fn rss(&self) -> u64 {
        rss_tree(self.child.id())
    }
}

fn rss_tree(pid: u32) -> u64 {
    let own = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        .unwrap_or(0)
        * 1024;
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    own + children.split_whitespace().filter_map(|c| c.parse().ok()).map(rss_tree).sum::<u64>()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts a server (its output as `command` says) and times it until `/_mock/health` answers 200.
async fn start(command: &mut Command, port: u16, limit: Duration) -> (Server, Duration) {
    let started = Instant::now();
    let child = command.spawn().expect("the server starts");
    let server = Server { child, port };
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

async fn start_mock(binary: &Path) -> (Server, Duration) {
    let port = free_port();
    let mut command = Command::new(binary);
    command.args(["--port", &port.to_string(), "--journal-limit", "10000"]).env_remove("AR24_MOCK_AUTH");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    start(&mut command, port, Duration::from_secs(10)).await
}

async fn start_prism(prism: &Path, openapi: &Path) -> (Server, Duration) {
    let port = free_port();
    let mut command = Command::new(prism);
    command.args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()]).arg(openapi);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    start(&mut command, port, Duration::from_secs(120)).await
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// One wrk run's figures.
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// A wrk Lua script for one kind of call, signed once for the whole run.
fn script(kind: &str, user_id: u64) -> String {
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

fn wrk(server: &Server, script: &str, seconds: u64) -> Load {
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
fn parse_ms(text: &str) -> Option<f64> {
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
fn new_user(email: &str) -> Call {
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
async fn create_users(server: &Server, count: usize, tag: &str) -> u64 {
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
async fn journalled_errors(server: &Server) -> usize {
    let entries = server.control().requests(None).await.unwrap_or_default();
    entries.iter().filter(|e| e["status"] != "SUCCESS").count()
}

struct Row {
    figure: String,
    mock: String,
    prism: String,
    ratio: String,
    target: String,
    met: Option<bool>,
}

fn row(figure: &str, mock: String, prism: String, ratio: String, target: &str, met: Option<bool>) -> Row {
    Row { figure: figure.into(), mock, prism, ratio, target: target.into(), met }
}

fn ratio(numerator: f64, denominator: f64) -> String {
    if numerator.is_finite() && denominator.is_finite() && denominator > 0.0 {
        format!("{:.1}×", numerator / denominator)
    } else {
        "n/a".into()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = Options::parse();
    if let Some(kind) = &options.print_script {
        print!("{}", script(kind, 1));
        return;
    }
    if options.scale {
        scale::run(&options.mock, options.users, if options.quick { 2 } else { 10 }).await;
        return;
    }
    let (starts, prism_starts, seconds, memory_users) =
        if options.quick { (5, 1, 1, 20_000) } else { (20, 3, 10, 100_000) };
    let na = || "n/a".to_owned();
    let mut rows = Vec::new();

    // Start to healthy.
    let mut mock_starts = Vec::new();
    for _ in 0..starts {
        mock_starts.push(start_mock(&options.mock).await.1);
    }
    let mock_start = median(mock_starts);
    let prism_start = match &options.prism {
        Some(p) => {
            let mut times = Vec::new();
            for _ in 0..prism_starts {
                times.push(start_prism(p, &options.openapi).await.1);
            }
            Some(median(times))
        }
        None => None,
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    rows.push(row(
        &format!("start to first healthy /_mock/health (median of {starts}; Prism {prism_starts})"),
        format!("{:.1} ms", ms(mock_start)),
        prism_start.map_or_else(na, |d| format!("{:.0} ms", ms(d))),
        prism_start.map_or_else(na, |d| format!("{} faster", ratio(ms(d), ms(mock_start)))),
        "< 20 ms",
        Some(mock_start < Duration::from_millis(20)),
    ));

    // Signed, encrypted calls in strict mode, 64 connections.
    let (mock, _) = start_mock(&options.mock).await;
    let idle = mock.rss();
    let first = create_users(&mock, 100, "list").await;
    let info = wrk(&mock, &script("info", first), seconds);
    let list = wrk(&mock, &script("list", first), seconds);
    let create = wrk(&mock, &script("create", first), seconds);
    let create_errors = journalled_errors(&mock).await;
    drop(mock);
    let prism = match &options.prism {
        Some(p) => Some(start_prism(p, &options.openapi).await.0),
        None => None,
    };
    let prism_idle = prism.as_ref().map(Server::rss);
    let prism_load = |kind: &str| prism.as_ref().map(|p| wrk(p, &script(kind, 1), seconds));
    let (p_info, p_list, p_create) = (prism_load("info"), prism_load("list"), prism_load("create"));
    drop(prism);

    for (name, load, other, rps_target) in [
        ("user info", info, p_info, Some(35_000.0)),
        ("user list (100 users)", list, p_list, None),
        ("user creation", create, p_create, None),
    ] {
        let target = match rps_target {
            Some(_) => "≥ 35 000 req/s and ≥ 30× Prism",
            None => "",
        };
        let met = rps_target.map(|t| load.rps >= t && other.is_none_or(|o| load.rps >= 30.0 * o.rps));
        rows.push(row(
            &format!("{name}: requests/s (64 connections, {seconds} s)"),
            format!("{:.0}", load.rps),
            other.map_or_else(na, |o| format!("{:.0}", o.rps)),
            other.map_or_else(na, |o| ratio(load.rps, o.rps)),
            target,
            met,
        ));
        rows.push(row(
            &format!("{name}: latency p50 / p99"),
            format!("{:.2} / {:.2} ms", load.p50_ms, load.p99_ms),
            other.map_or_else(na, |o| format!("{:.2} / {:.2} ms", o.p50_ms, o.p99_ms)),
            other.map_or_else(na, |o| format!("p99 {} lower", ratio(o.p99_ms, load.p99_ms))),
            "p99 < 5 ms",
            Some(load.p99_ms < 5.0),
        ));
    }
    rows.push(row(
        "user creation: errors among the last 10 000 journalled calls",
        create_errors.to_string(),
        na(),
        na(),
        "0",
        Some(create_errors == 0),
    ));

    // Memory: idle, and per stored user, on a fresh mock.
    let (fresh, _) = start_mock(&options.mock).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fresh_idle = fresh.rss();
    create_users(&fresh, memory_users, "memory").await;
    let per_user = fresh.rss().saturating_sub(fresh_idle) as f64 / memory_users as f64;
    drop(fresh);
    let mb = |b: u64| format!("{:.1} MB", b as f64 / 1_048_576.0);
    rows.push(row(
        "resident memory, idle",
        mb(idle.min(fresh_idle)),
        prism_idle.map_or_else(na, mb),
        prism_idle.map_or_else(na, |p| format!("{} smaller", ratio(p as f64, idle.min(fresh_idle) as f64))),
        "< 10 MB",
        Some(idle.min(fresh_idle) < 10 * 1_048_576),
    ));
    rows.push(row(
        &format!("resident memory per stored user (after {memory_users} users)"),
        format!("{per_user:.0} B"),
        "stores nothing".into(),
        na(),
        "< 2 KB",
        Some(per_user < 2048.0),
    ));

    println!("\n| figure | ar24-mock | Prism | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        let met = match r.met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "",
        };
        println!("| {} | {} | {} | {} | {} | {} |", r.figure, r.mock, r.prism, r.ratio, r.target, met);
    }
    if options.quick {
        println!("\n(quick smoke run: figures are indicative only)");
    }
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
    fn ratios_refuse_nonsense() {
        assert_eq!(ratio(100.0, 4.0), "25.0×");
        assert_eq!(ratio(1.0, 0.0), "n/a");
        assert_eq!(ratio(f64::NAN, 1.0), "n/a");
    }
}
