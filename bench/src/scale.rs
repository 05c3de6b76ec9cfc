//! `ar24-bench --scale`: the mock holding a million users, with and without a
//! state file. Builds the fixture from a user the mock itself exported (so it
//! follows the state format), then measures start, memory, `user/list` at
//! any offset, and user info under 64 connections while the state file is
//! appended to and while it is rewritten whole.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ar24_client::{Answer, Call};
use serde_json::{Value, json};

use crate::harness::{KEY, Load, RUNS, Server, TOKEN, free_port, median, median_run, script, start, wrk, wrk_median};

/// The figures of one run.
#[derive(Debug, Default)]
struct Figures {
    /// Start to healthy, from the state (the log when persisting).
    start: Option<Duration>,
    /// Loading the state: from the older single document, or `PUT /_mock/state`.
    load: Duration,
    memory_per_user: f64,
    /// Worst median latency of `user/list` over the offsets tried, in ms.
    list_ms: f64,
    list_offsets: Vec<(usize, f64)>,
    info: Load,
    /// User info while the state file is rewritten whole.
    info_rewriting: Option<Load>,
    rewrite_ms: Option<u64>,
    rewrite_rss_growth: Option<u64>,
    append_bytes_per_user: Option<f64>,
    created_meanwhile: u64,
}

/// Runs both, then the letters (`crate::letters`), and prints the tables.
pub async fn run(binary: &Path, users: usize, letters: usize, seconds: u64) {
    let dir = std::env::temp_dir().join(format!("ar24-bench-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let fixture = dir.join("fixture.json");
    let made = Instant::now();
    write_fixture(binary, &fixture, users).await;
    let size = std::fs::metadata(&fixture).map(|m| m.len()).unwrap_or(0);
    eprintln!("fixture: {users} users, {} MB, written in {:.1} s", size / 1_048_576, made.elapsed().as_secs_f64());
    let idle = idle_rss(binary).await;
    let persisting = with_state_file(binary, &fixture, &dir, users, seconds, idle).await;
    let plain = without_state_file(binary, &fixture, users, seconds, idle).await;
    let _ = std::fs::remove_file(&fixture);
    print_table(users, seconds, &persisting, &plain);
    if letters > 0 {
        crate::letters::run(binary, &dir, letters, seconds).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A user exported by the mock, made the `i`th of the fixture.
fn fixture_user(template: &Value, i: usize) -> Value {
    let mut user = template.clone();
    user["id"] = json!(i);
    user["profile"]["email"] = json!(format!("scale-{i}@example.com"));
    user
}

async fn write_fixture(binary: &Path, path: &Path, users: usize) {
    // One user, created through the API and exported: the shape of every user.
    let (server, _) = start_mock(binary, &[]).await;
    let call = crate::harness::new_user("template@example.com");
    let created = server.api().send(&call).await.expect("the mock answers");
    assert!(created.is_success(), "creating the template user failed: {}", created.outcome());
    let state = server.control().export_state().await.expect("the state exports");
    drop(server);
    let template = state["users"][0].clone();
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("the fixture file"));
    let head = json!({"format": state["format"], "next_user_id": users + 1, "next_email_id": 1, "partners": state["partners"]});
    let head = head.to_string();
    write!(out, "{},\"users\":[", head.trim_end_matches('}')).unwrap();
    for i in 1..=users {
        if i > 1 {
            out.write_all(b",").unwrap();
        }
        serde_json::to_writer(&mut out, &fixture_user(&template, i)).unwrap();
    }
    write!(out, "],\"visible\":{{\"{TOKEN}\":[").unwrap();
    for i in 1..=users {
        write!(out, "{}{i}", if i > 1 { "," } else { "" }).unwrap();
    }
    out.write_all(b"]},\"emails\":[],\"links\":[]}").unwrap();
    out.flush().unwrap();
}

/// Resident memory of a fresh mock, settled: what each stored thing is counted above.
pub(crate) async fn idle_rss(binary: &Path) -> u64 {
    let (server, _) = start_mock(binary, &[]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.rss()
}

/// The mock with `args`, without a terminal.
pub(crate) async fn start_mock(binary: &Path, args: &[&str]) -> (Server, Duration) {
    let port = free_port();
    let mut command = Command::new(binary);
    command.args(["--port", &port.to_string(), "--journal-limit", "1000"]).args(args).env_remove("AR24_MOCK_AUTH");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    start(&mut command, port, Duration::from_secs(600)).await
}

/// Copies `fixture` to `to` and waits until the copy is on disk: a mock
/// started on a copy still in the page cache would be measured while the
/// system writes gigabytes back (and throttles every writer meanwhile).
pub fn copy_to_disk(fixture: &Path, to: &Path) {
    std::fs::copy(fixture, to).expect("a copy of the fixture");
    std::fs::File::open(to).and_then(|copy| copy.sync_all()).expect("the copy of the fixture on disk");
}

async fn with_state_file(binary: &Path, fixture: &Path, dir: &Path, users: usize, seconds: u64, idle: u64) -> Figures {
    let state = dir.join("state");
    copy_to_disk(fixture, &state);
    let log = dir.join("mock.log");
    let args = ["--state-file", state.to_str().unwrap(), "--state-interval", "1"];
    // The older single document loads, then is rewritten as a log.
    let (first, load) = start_logged(binary, &args, &log).await;
    wait_until(Duration::from_secs(600), || rewrites(&log) >= 1).await;
    stop(first);
    let (server, start) = start_logged(binary, &args, &log).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let memory_per_user = server.rss().saturating_sub(idle) as f64 / users as f64;
    let (list_ms, list_offsets) = list_latency(&server, users).await;

    // User info while users are created (each second's changes appended).
    let before = std::fs::metadata(&state).map(|m| m.len()).unwrap_or(0);
    let creator = Creator::start(&server, "appending");
    let info = wrk_median(&server, &script("info", users as u64 / 2), seconds);
    let created_meanwhile = creator.stop();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let grown = std::fs::metadata(&state).map(|m| m.len()).unwrap_or(0).saturating_sub(before);
    let append_bytes_per_user = (created_meanwhile > 0).then(|| grown as f64 / created_meanwhile as f64);

    // User info while the log is rewritten whole: resetting another partner
    // that made an account forces a rewrite at the next interval (a reset
    // that forgets nothing the log holds compacts nothing).
    let rss_before = server.rss();
    let peak = Arc::new(AtomicU64::new(rss_before));
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (peak, watching, pid) = (Arc::clone(&peak), Arc::clone(&watching), server.pid());
        std::thread::spawn(move || {
            while watching.load(Ordering::Relaxed) {
                peak.fetch_max(crate::harness::rss_tree(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let (mut rewriting, mut rewrite_times) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let other = server.control().new_partner(&ar24_client::NewPartner::default()).await.expect("a partner");
        let theirs = crate::harness::new_user(&format!("other-{}@example.com", other.token));
        let made = server.api().for_partner(&other.token, &other.private_key).send(&theirs).await;
        assert!(made.as_ref().is_ok_and(Answer::is_success), "the other partner's account: {made:?}");
        let rewrites_before = rewrites(&log);
        server.control().reset_partner(&other.token).await.expect("the reset");
        rewriting.push(wrk(&server, &script("info", users as u64 / 2), seconds));
        wait_until(Duration::from_secs(600), || rewrites(&log) > rewrites_before).await;
        rewrite_times.extend(last_rewrite_ms(&log));
    }
    watching.store(false, Ordering::Relaxed);
    let _ = watcher.join();
    rewrite_times.sort_unstable();
    let rewrite_ms = rewrite_times.get(rewrite_times.len() / 2).copied();
    stop(server);
    Figures {
        start: Some(start),
        load,
        memory_per_user,
        list_ms,
        list_offsets,
        info,
        info_rewriting: Some(median_run(rewriting)),
        rewrite_ms,
        rewrite_rss_growth: Some(peak.load(Ordering::Relaxed).saturating_sub(rss_before)),
        append_bytes_per_user,
        created_meanwhile,
    }
}

async fn without_state_file(binary: &Path, fixture: &Path, users: usize, seconds: u64, idle: u64) -> Figures {
    let (server, load) = start_with_fixture(binary, fixture).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let memory_per_user = server.rss().saturating_sub(idle) as f64 / users as f64;
    let (list_ms, list_offsets) = list_latency(&server, users).await;
    let creator = Creator::start(&server, "plain");
    let info = wrk_median(&server, &script("info", users as u64 / 2), seconds);
    let created_meanwhile = creator.stop();
    Figures { load, memory_per_user, list_ms, list_offsets, info, created_meanwhile, ..Figures::default() }
}

/// A mock without a state file given `fixture` through `PUT /_mock/state`,
/// and how long the import took.
pub(crate) async fn start_with_fixture(binary: &Path, fixture: &Path) -> (Server, Duration) {
    let limit = (std::fs::metadata(fixture).map(|m| m.len()).unwrap_or(0) + 1_048_576).to_string();
    let (server, _) = start_mock(binary, &["--max-state-body", &limit]).await;
    let body = std::fs::read(fixture).expect("the fixture");
    let started = Instant::now();
    server.control().import_state_bytes(body).await.expect("the fixture imports");
    let load = started.elapsed();
    (server, load)
}

/// The mock with its stderr appended to `log`.
pub(crate) async fn start_logged(binary: &Path, args: &[&str], log: &Path) -> (Server, Duration) {
    let port = free_port();
    let err = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("the log file");
    let mut command = Command::new(binary);
    command
        .args(["--port", &port.to_string(), "--journal-limit", "1000"])
        .args(args)
        .env_remove("AR24_MOCK_AUTH")
        .env("RUST_LOG", "ar24_mock=info")
        .stdout(Stdio::null())
        .stderr(err);
    start(&mut command, port, Duration::from_secs(600)).await
}

pub(crate) fn stop(mut server: Server) {
    let _ = Command::new("kill").args(["-TERM", &server.pid().to_string()]).status();
    if let Some(child) = &mut server.child {
        let _ = child.wait();
    }
}

pub(crate) async fn wait_until(limit: Duration, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "waited {limit:?} in vain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn log_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_owned).collect()
}

pub(crate) fn rewrites(log: &Path) -> usize {
    log_lines(log).iter().filter(|l| l.contains("state file rewritten")).count()
}

/// The duration the last "state file rewritten: … in N ms" line gives.
fn last_rewrite_ms(log: &Path) -> Option<u64> {
    log_lines(log).iter().rev().find_map(|l| {
        let (_, tail) = l.split_once("state file rewritten")?;
        tail.split(" in ").nth(1)?.split_whitespace().next()?.parse().ok()
    })
}

/// `user/list` (10 users) at the start, the middle and the end: the median of 21 calls each.
async fn list_latency(server: &Server, users: usize) -> (f64, Vec<(usize, f64)>) {
    let api = server.api();
    let mut offsets = Vec::new();
    for start in [0, users / 2, users.saturating_sub(10)] {
        let mut times = Vec::new();
        for _ in 0..21 {
            let call = Call::get("user/list").param("max", 10).param("start", start);
            let began = Instant::now();
            let answer = api.send(&call).await.expect("the mock answers");
            times.push(began.elapsed());
            match answer {
                Answer::Success { result: Some(list), .. } => {
                    assert_eq!(list["users"].as_array().map(Vec::len), Some(10), "a full page at start={start}")
                }
                other => panic!("user/list failed: {}", other.outcome()),
            }
        }
        offsets.push((start, median(times).as_secs_f64() * 1000.0));
    }
    let worst = offsets.iter().map(|(_, ms)| *ms).fold(0.0, f64::max);
    (worst, offsets)
}

/// Creates users one after the other from its own thread while the load runs.
struct Creator {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl Creator {
    fn start(server: &Server, tag: &'static str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let api = ar24_client::Client::new(&server.url("/api/"), TOKEN, KEY);
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let mut made = 0u64;
                while !flag.load(Ordering::Relaxed) {
                    let call = crate::harness::new_user(&format!("{tag}-{made}-{}@example.com", std::process::id()));
                    if api.send(&call).await.is_ok_and(|a| a.is_success()) {
                        made += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                made
            })
        });
        Self { stop, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

fn print_table(users: usize, seconds: u64, with: &Figures, without: &Figures) {
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let na = || "n/a".to_owned();
    let p99 = |l: &Load| format!("{:.2} / {:.2} ms ({:.0} req/s)", l.p50_ms, l.p99_ms, l.rps);
    let offsets = |f: &Figures| {
        f.list_offsets.iter().map(|(s, ms)| format!("{s}: {ms:.2}")).collect::<Vec<_>>().join(", ") + " ms"
    };
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "\n{users} stored users; user info under 64 connections for {seconds} s, {RUNS} times each (the run of median p99 shown), a user created every ~5 ms meanwhile.\n"
    );
    println!("| figure | with a state file | without | target | met |");
    println!("|---|---|---|---|---|");
    let start = with.start.unwrap_or_default();
    println!(
        "| start to healthy, from the state file (the log) | {} | n/a | < 2 s | {} |",
        ms(start),
        met(start < Duration::from_secs(2))
    );
    println!(
        "| loading the fixture (older single document at start / `PUT /_mock/state`) | {} | {} | | |",
        ms(with.load),
        ms(without.load)
    );
    let worst_memory = with.memory_per_user.max(without.memory_per_user);
    println!(
        "| resident memory per stored user | {:.0} B | {:.0} B | < 1 KB | {} |",
        with.memory_per_user,
        without.memory_per_user,
        met(worst_memory < 1024.0)
    );
    let worst_list = with.list_ms.max(without.list_ms);
    println!(
        "| `user/list` (10 users), median at start = … | {} | {} | < 5 ms | {} |",
        offsets(with),
        offsets(without),
        met(worst_list < 5.0)
    );
    println!(
        "| user info p50 / p99, users being created | {} | {} | p99 < 5 ms | {} |",
        p99(&with.info),
        p99(&without.info),
        met(with.info.p99_ms < 5.0 && without.info.p99_ms < 5.0)
    );
    if let Some(rewriting) = &with.info_rewriting {
        println!(
            "| user info p50 / p99 while the state file is rewritten whole | {} | n/a | p99 < 5 ms | {} |",
            p99(rewriting),
            met(rewriting.p99_ms < 5.0)
        );
    }
    println!(
        "| rewriting the whole state file: time / resident memory growth | {} / {} | n/a | | |",
        with.rewrite_ms.map_or_else(na, |m| format!("{m} ms")),
        with.rewrite_rss_growth.map_or_else(na, |b| format!("{:.0} MB", b as f64 / 1_048_576.0))
    );
    println!(
        "| state file growth per user created | {} | n/a | | |",
        with.append_bytes_per_user.map_or_else(na, |b| format!("{b:.0} B ({} users)", with.created_meanwhile))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fixture_user_has_its_own_id_and_address() {
        let template = json!({"id": 1, "profile": {"email": "template@example.com", "city": "Paris"}});
        let user = fixture_user(&template, 42);
        assert_eq!(user["id"], 42);
        assert_eq!(user["profile"]["email"], "scale-42@example.com");
        assert_eq!(user["profile"]["city"], "Paris");
    }

    #[test]
    fn reads_the_rewrite_duration_from_the_mock_s_log() {
        let path = std::env::temp_dir().join(format!("ar24-bench-log-{}", free_port()));
        std::fs::write(&path, "x INFO state file rewritten: 3 records, 10 bytes in 7 ms\nother\n").unwrap();
        assert_eq!(last_rewrite_ms(&path), Some(7));
        assert_eq!(rewrites(&path), 1);
        let _ = std::fs::remove_file(path);
    }
}
