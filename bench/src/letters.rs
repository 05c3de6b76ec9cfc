//! `ar24-bench --scale`, its letters: the mock holding a million letters
//! (their uploads, emails, links and charges) from a state file. Builds the
//! fixture from letters the mock itself sent and exported (so it follows
//! the state format), then measures start, memory per letter, idle CPU,
//! `user/mail` and `user/attachment` pages, signed `POST mail` under 64
//! connections, and a 15-day clock advance over a thousand pending letters.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use ar24_client::{Answer, Call};
use serde_json::{Value, json};

use crate::harness::{
    Load, RUNS, Server, SignedSend, letters_sent, median, median_and_p99s, p99s_shown, ready_sender, wrk,
};
use crate::paced::{CONNECTIONS, Paced, RATE, TARGET, paced};

/// Senders the letters are spread over.
const SENDERS: usize = 1_000;
/// Uploads per sender.
const UPLOADS_PER_SENDER: usize = 100;
/// Letters still waiting for their recipient (the rest are accepted).
const PENDING: usize = 1_000;

/// The figures of one run.
#[derive(Debug, Default)]
struct Figures {
    start: Duration,
    bytes_per_letter: f64,
    idle_cpu: f64,
    mail_page_ms: f64,
    attachment_page_ms: f64,
    loads: SendLoads,
    advance: Duration,
    fired: Value,
    /// Whole rewrites of the state file finished during the closed loops, during
    /// the paced loads, and when the mock stopped (one under way is finished then).
    rewrites: [usize; 3],
    /// The same send loads on a mock given the fixture through `PUT /_mock/state`,
    /// writing no state file: as the empty mock is measured, the letters stored the
    /// only difference.
    plain: Plain,
}

/// Signed `POST mail` under wrk's closed loop and paced.
#[derive(Debug, Default)]
struct SendLoads {
    send: Load,
    paced: Paced,
    /// Each run's p99, in the order they ran: the closed loops', the paced loads'.
    p99s: [Vec<f64>; 2],
}

/// The send loads with the letters imported and no state file written.
#[derive(Debug, Default)]
struct Plain {
    import: Duration,
    loads: SendLoads,
}

/// Builds the fixture, measures and prints the table.
pub async fn run(binary: &Path, dir: &Path, letters: usize, seconds: u64) {
    let fixture = dir.join("letters.json");
    let made = Instant::now();
    write_fixture(binary, &fixture, letters).await;
    let size = std::fs::metadata(&fixture).map(|m| m.len()).unwrap_or(0);
    eprintln!("fixture: {letters} letters, {} MB, written in {:.1} s", size / 1_048_576, made.elapsed().as_secs_f64());
    let idle_rss = crate::scale::idle_rss(binary).await;
    let mut figures = measure(binary, &fixture, dir, letters, seconds, idle_rss).await;
    figures.plain = without_state_file(binary, &fixture, letters, seconds).await;
    print_table(letters, seconds, &figures);
}

/// What the mock exported after one sender uploaded a file and sent two
/// letters, the first accepted: the shape of every fixture entry.
struct Template {
    state: Value,
    sender: Value,
    upload: Value,
    settled: Value,
    pending: Value,
}

async fn template(binary: &Path) -> Template {
    let (server, _) = crate::scale::start_mock(binary, &[]).await;
    let (sender, attachment) = ready_sender(&server, 20 * 1024).await;
    let settled = letters_sent(&server, sender, attachment).await;
    server.control().act_on_letter(settled, "accept").await.expect("the letter is accepted");
    let pending = letters_sent(&server, sender, attachment).await;
    let state = server.control().export_state().await.expect("the state exports");
    drop(server);
    let find = |list: &str, id: u64| {
        state[list].as_array().and_then(|l| l.iter().find(|x| x["id"] == id).cloned()).expect("exported")
    };
    Template {
        sender: find("users", sender),
        upload: find("attachments", attachment),
        settled: find("letters", settled),
        pending: find("letters", pending),
        state,
    }
}

/// The `i`th letter (from 1): its sender, upload, link and charge follow from `i`.
fn fixture_letter(template: &Template, i: usize, letters: usize) -> Value {
    let mut letter =
        if i > letters - PENDING.min(letters) { template.pending.clone() } else { template.settled.clone() };
    let sender = (i - 1) % SENDERS + 1;
    letter["id"] = json!(i);
    letter["sender"] = json!(sender);
    letter["attachments"] = json!([upload_id(sender, i / SENDERS % UPLOADS_PER_SENDER)]);
    letter["recipient_link"] = json!(link_id(i));
    letter["download_token"] = json!(format!("{i:016x}"));
    letter
}

fn upload_id(sender: usize, nth: usize) -> usize {
    (sender - 1) * UPLOADS_PER_SENDER + nth + 1
}

fn link_id(i: usize) -> String {
    format!("{i:032x}")
}

/// Writes `items` as a JSON list named `name`, made one at a time.
fn write_list(out: &mut impl Write, name: &str, count: usize, item: impl Fn(usize) -> Value) {
    write!(out, ",\"{name}\":[").unwrap();
    for i in 1..=count {
        if i > 1 {
            out.write_all(b",").unwrap();
        }
        serde_json::to_writer(&mut *out, &item(i)).unwrap();
    }
    out.write_all(b"]").unwrap();
}

async fn write_fixture(binary: &Path, path: &Path, letters: usize) {
    let t = template(binary).await;
    let state = &t.state;
    // The emails and the link of the pending letter: every letter gets its own copies.
    let pending_id = t.pending["id"].clone();
    let link = state["links"].as_array().and_then(|l| l.iter().find(|k| k["letter_id"] == pending_id).cloned());
    let link = link.expect("the pending letter's link");
    let link_id_text = link["id"].as_str().unwrap_or_default();
    let links_to = |e: &Value| e["link"].as_str().is_some_and(|l| l.ends_with(&format!("/_mock/links/{link_id_text}")));
    let letter_emails: Vec<Value> = state["emails"]
        .as_array()
        .map(|all| all.iter().filter(|e| links_to(e) || e["kind"] == "notification").cloned().collect())
        .unwrap_or_default();
    let (recipient_email, sender_email) = (
        letter_emails.iter().find(|e| e["kind"] == "letter").cloned().expect("the recipient's email"),
        letter_emails.iter().find(|e| e["kind"] == "notification").cloned().expect("the sender's email"),
    );
    let charge = state["charges"][0].clone();
    let base_url = recipient_email["link"].as_str().unwrap_or_default().trim_end_matches(link_id_text);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("the fixture file"));
    let head = json!({
        "format": state["format"],
        "partners": state["partners"],
        "contents": state["contents"],
        "next_user_id": SENDERS + 1,
        "next_attachment_id": SENDERS * UPLOADS_PER_SENDER + 1,
        "next_letter_id": letters + 1,
        "next_email_id": 2 * letters + 1,
        "next_charge_id": letters + 1,
    })
    .to_string();
    out.write_all(head.trim_end_matches('}').as_bytes()).unwrap();
    write_list(&mut out, "users", SENDERS, |i| {
        let mut user = t.sender.clone();
        user["id"] = json!(i);
        user["profile"]["email"] = json!(format!("sender-{i}@example.com"));
        user
    });
    write!(out, ",\"visible\":{{\"{}\":[", crate::harness::TOKEN).unwrap();
    for i in 1..=SENDERS {
        write!(out, "{}{i}", if i > 1 { "," } else { "" }).unwrap();
    }
    out.write_all(b"]}").unwrap();
    write_list(&mut out, "attachments", SENDERS * UPLOADS_PER_SENDER, |i| {
        let mut upload = t.upload.clone();
        upload["id"] = json!(i);
        upload["user_id"] = json!((i - 1) / UPLOADS_PER_SENDER + 1);
        upload
    });
    write_list(&mut out, "letters", letters, |i| fixture_letter(&t, i, letters));
    let letter_url = sender_email["link"].as_str().unwrap_or_default();
    let letter_url = letter_url.trim_end_matches(|c: char| c.is_ascii_digit()).to_owned();
    write_list(&mut out, "emails", 2 * letters, |n| {
        let i = n.div_ceil(2);
        let mut email = if n % 2 == 1 { recipient_email.clone() } else { sender_email.clone() };
        email["id"] = json!(n);
        if n % 2 == 1 {
            email["link"] = json!(format!("{base_url}{}", link_id(i)));
        } else {
            email["link"] = json!(format!("{letter_url}{i}"));
            email["to"] = json!(format!("sender-{}@example.com", (i - 1) % SENDERS + 1));
        }
        email
    });
    write_list(&mut out, "links", letters, |i| {
        let mut own = link.clone();
        own["id"] = json!(link_id(i));
        own["letter_id"] = json!(i);
        own["user_id"] = json!((i - 1) % SENDERS + 1);
        own
    });
    write_list(&mut out, "charges", letters, |i| {
        let mut own = charge.clone();
        own["id"] = json!(i);
        own["letter"] = json!(i);
        own["user"] = json!((i - 1) % SENDERS + 1);
        own
    });
    out.write_all(b"}").unwrap();
    out.flush().unwrap();
}

async fn measure(binary: &Path, fixture: &Path, dir: &Path, letters: usize, seconds: u64, idle_rss: u64) -> Figures {
    let state = dir.join("letters-state");
    crate::scale::copy_to_disk(fixture, &state);
    let log = dir.join("letters.log");
    let args = ["--state-file", state.to_str().unwrap(), "--state-interval", "1"];
    // The single document loads, then is rewritten as a log; the start that counts is from the log.
    let (first, _) = crate::scale::start_logged(binary, &args, &log).await;
    crate::scale::wait_until(Duration::from_secs(900), || crate::scale::rewrites(&log) >= 1).await;
    crate::scale::stop(first);
    let (server, start) = crate::scale::start_logged(binary, &args, &log).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_cpu = idle_cpu(&server, Duration::from_secs(10));
    // Settled: read once the memory freed after reading the state file has gone back.
    let bytes_per_letter = server.rss().saturating_sub(idle_rss) as f64 / letters as f64;
    let sender = (letters.min(SENDERS) / 2).max(1) as u64;
    let mail_page_ms = page_ms(&server, "user/mail", sender).await;
    let attachment_page_ms = page_ms(&server, "user/attachment", sender).await;
    // The advance first: over the fixture's waiting letters only, not those the load sends.
    let began = Instant::now();
    let moved = server.control().advance_clock(&json!("15d")).await.expect("the clock moves");
    let advance = began.elapsed();
    let before = crate::scale::rewrites(&log);
    let (loads, after_closed, after_paced) =
        send_loads_counted(&server, sender, seconds, || crate::scale::rewrites(&log));
    crate::scale::stop(server);
    let at_stop = crate::scale::rewrites(&log);
    Figures {
        start,
        bytes_per_letter,
        idle_cpu,
        mail_page_ms,
        attachment_page_ms,
        loads,
        advance,
        fired: moved["fired"].clone(),
        rewrites: [after_closed - before, after_paced - after_closed, at_stop - after_paced],
        plain: Plain::default(),
    }
}

/// The send loads on a mock that holds the letters but writes no state file.
async fn without_state_file(binary: &Path, fixture: &Path, letters: usize, seconds: u64) -> Plain {
    let (server, import) = crate::scale::start_with_fixture(binary, fixture).await;
    // Settled, as for the run with a state file: the memory the import freed goes back first.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let loads = send_loads(&server, (letters.min(SENDERS) / 2).max(1) as u64, seconds);
    crate::scale::stop(server);
    Plain { import, loads }
}

/// Signed sends from `sender` (who has the fixture's uploads), each with its first upload.
fn send_loads(server: &Server, sender: u64, seconds: u64) -> SendLoads {
    send_loads_counted(server, sender, seconds, || 0).0
}

/// The same, reading `count` after the closed loops and after the paced loads.
fn send_loads_counted<T>(server: &Server, sender: u64, seconds: u64, count: impl Fn() -> T) -> (SendLoads, T, T) {
    let signed = SignedSend::new(sender, upload_id(sender as usize, 0) as u64);
    let script = signed.script();
    let (send, closed_p99s) = median_and_p99s(|| wrk(server, &script, seconds));
    let after_closed = count();
    let request = signed.request();
    let (paced, paced_p99s) = median_and_p99s(|| paced(server.port, &request, RATE, CONNECTIONS, seconds as f64));
    (SendLoads { send, paced, p99s: [closed_p99s, paced_p99s] }, after_closed, count())
}

/// The share of one core the mock used over `window`, serving nothing.
fn idle_cpu(server: &Server, window: Duration) -> f64 {
    let ticks = || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.pid())).unwrap_or_default();
        // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<u64> = rest.split_whitespace().filter_map(|f| f.parse().ok()).collect();
        fields.get(10).copied().unwrap_or(0) + fields.get(11).copied().unwrap_or(0)
    };
    let before = ticks();
    std::thread::sleep(window);
    let used = ticks().saturating_sub(before) as f64 / 100.0;
    used / window.as_secs_f64()
}

/// The median of 21 calls for a page of 10 of `sender`'s letters or uploads.
async fn page_ms(server: &Server, route: &str, sender: u64) -> f64 {
    let api = server.api();
    let mut times = Vec::new();
    for _ in 0..21 {
        let call = Call::get(route).param("id_user", sender).param("max", 10).param("start", 20);
        let began = Instant::now();
        let answer = api.send(&call).await.expect("the mock answers");
        times.push(began.elapsed());
        assert!(matches!(answer, Answer::Success { .. }), "{route} failed: {}", answer.outcome());
    }
    median(times).as_secs_f64() * 1000.0
}

fn print_table(letters: usize, seconds: u64, f: &Figures) {
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "\n{letters} stored letters over {SENDERS} senders ({PENDING} waiting for their recipient, the others accepted), each with its two emails, its link and its charge; {} uploads.\n",
        SENDERS * UPLOADS_PER_SENDER
    );
    println!("| figure | measured | target | met |");
    println!("|---|---|---|---|");
    println!(
        "| start to healthy, from the state file | {:.0} ms | reported (a million users: < 2 s) | |",
        f.start.as_secs_f64() * 1000.0
    );
    println!(
        "| resident memory per stored letter (its emails, link and charge included) | {:.0} B | < 2 KB | {} |",
        f.bytes_per_letter,
        met(f.bytes_per_letter < 2048.0)
    );
    println!("| idle CPU over 10 s | {:.2} % of a core | < 1 % | {} |", f.idle_cpu * 100.0, met(f.idle_cpu < 0.01));
    println!(
        "| `user/mail` (10 letters of a sender with {}), median | {:.2} ms | < 5 ms | {} |",
        letters / SENDERS,
        f.mail_page_ms,
        met(f.mail_page_ms < 5.0)
    );
    println!(
        "| `user/attachment` (10 of {UPLOADS_PER_SENDER} uploads), median | {:.2} ms | < 5 ms | {} |",
        f.attachment_page_ms,
        met(f.attachment_page_ms < 5.0)
    );
    for (setting, SendLoads { send, paced, p99s: [closed_p99s, paced_p99s] }) in
        [("the state file written every second", &f.loads), ("no state file", &f.plain.loads)]
    {
        println!(
            "| signed `POST mail`, one 20 KB attachment, 64 connections, {seconds} s, {RUNS} times (the run of median p99 shown), {setting}: sends/s | {:.0} | ≥ 20 000 | {} |",
            send.rps,
            met(send.rps >= 20_000.0)
        );
        println!(
            "| the same: latency p50 / p99 (each run's p99: {}) | {:.2} / {:.2} ms | p99 < 5 ms | {} |",
            p99s_shown(closed_p99s),
            send.p50_ms,
            send.p99_ms,
            met(send.p99_ms < 5.0)
        );
        println!(
            "| {}, {setting} ({RUNS} times, the run of median p99 shown; each run's p99: {}) | {} | {TARGET} | {} |",
            paced.figure(seconds),
            p99s_shown(paced_p99s),
            paced.summary(),
            met(paced.met())
        );
    }
    let [closed, paced, at_stop] = f.rewrites;
    println!(
        "| whole rewrites of the state file finished during its closed loops / its paced loads / at the mock's stop (one under way then) | {closed} / {paced} / {at_stop} | | |"
    );
    println!(
        "| the letters imported through `PUT /_mock/state` for the runs without a state file | {:.0} ms | | |",
        f.plain.import.as_secs_f64() * 1000.0
    );
    println!(
        "| `POST /_mock/clock` 15 days over {PENDING} waiting letters | {:.0} ms, fired {} | | |",
        f.advance.as_secs_f64() * 1000.0,
        f.fired
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_and_links_are_numbered_without_overlap() {
        assert_eq!(upload_id(1, 0), 1);
        assert_eq!(upload_id(1, UPLOADS_PER_SENDER - 1), UPLOADS_PER_SENDER);
        assert_eq!(upload_id(2, 0), UPLOADS_PER_SENDER + 1);
        assert_ne!(link_id(1), link_id(2));
        assert_eq!(link_id(255).len(), 32);
    }
}
