//! The mock against Stoplight Prism mocking `openapi.yaml`: start time,
//! signed and encrypted calls under 64 connections, memory; a table with the
//! targets.

use std::time::Duration;

use crate::Options;
use crate::harness::{
    Load, SignedSend, create_users, journalled_errors, letters_sent, median, ready_sender, script, start_mock,
    start_prism, wrk,
};
use crate::paced::{CONNECTIONS, Paced, RATE, TARGET, paced};

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

/// Runs the comparison and prints its table.
pub async fn run(options: &Options) {
    let (starts, prism_starts, seconds, memory_users) =
        if options.quick { (5, 1, 1, 20_000) } else { (20, 3, 10, 100_000) };
    let mut rows = vec![start_times(options, starts, prism_starts).await];
    let idle = loads(options, seconds, &mut rows).await;
    memory(options, idle, memory_users, &mut rows).await;
    print_table(&rows);
    if options.quick {
        println!("\n(quick smoke run: figures are indicative only)");
    }
}

fn na() -> String {
    "n/a".to_owned()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Start to healthy, median of `starts` (Prism: `prism_starts`).
async fn start_times(options: &Options, starts: usize, prism_starts: usize) -> Row {
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
    row(
        &format!("start to first healthy /_mock/health (median of {starts}; Prism {prism_starts})"),
        format!("{:.1} ms", ms(mock_start)),
        prism_start.map_or_else(na, |d| format!("{:.0} ms", ms(d))),
        prism_start.map_or_else(na, |d| format!("{} faster", ratio(ms(d), ms(mock_start)))),
        "< 20 ms",
        Some(mock_start < Duration::from_millis(20)),
    )
}

/// Signed, encrypted calls in strict mode, 64 connections, for `seconds`
/// each; the idle memory of the mock and of Prism before them.
async fn loads(options: &Options, seconds: u64, rows: &mut Vec<Row>) -> (u64, Option<u64>) {
    let (mock, _) = start_mock(&options.mock).await;
    let idle = mock.rss();
    let first = create_users(&mock, 100, "list").await;
    let info = wrk(&mock, &script("info", first), seconds);
    let list = wrk(&mock, &script("list", first), seconds);
    let create = wrk(&mock, &script("create", first), seconds);
    let create_errors = journalled_errors(&mock).await;
    let sending = send_load(&mock, seconds).await;
    drop(mock);
    let prism = match &options.prism {
        Some(p) => Some(start_prism(p, &options.openapi).await.0),
        None => None,
    };
    let prism_idle = prism.as_ref().map(|p| p.rss());
    let prism_load = |kind: &str| prism.as_ref().map(|p| wrk(p, &script(kind, 1), seconds));
    let (p_info, p_list, p_create) = (prism_load("info"), prism_load("list"), prism_load("create"));
    drop(prism);
    for (name, load, other, rps_target) in [
        ("user info", info, p_info, Some(35_000.0)),
        ("user list (100 users)", list, p_list, None),
        ("user creation", create, p_create, None),
    ] {
        rows.extend(load_rows(name, seconds, &load, other.as_ref(), rps_target));
    }
    rows.extend(sending.rows(seconds));
    rows.push(row(
        "user creation: errors among the last 10 000 journalled calls",
        create_errors.to_string(),
        na(),
        na(),
        "0",
        Some(create_errors == 0),
    ));
    (idle, prism_idle)
}

/// Signed `POST mail` with one 20 KB attachment, on an empty mock.
struct Sending {
    load: Load,
    paced: Paced,
    letters: u64,
    bytes_per_letter: f64,
    errors: usize,
}

impl Sending {
    fn rows(&self, seconds: u64) -> Vec<Row> {
        let name = "sending a letter (`POST mail`, one 20 KB attachment)";
        vec![
            row(
                &format!("{name}: sends/s (64 connections, {seconds} s)"),
                format!("{:.0}", self.load.rps),
                "stores nothing".into(),
                na(),
                "≥ 20 000 sends/s",
                Some(self.load.rps >= 20_000.0),
            ),
            row(
                &format!("{name}: latency p50 / p99"),
                format!("{:.2} / {:.2} ms", self.load.p50_ms, self.load.p99_ms),
                na(),
                na(),
                "p99 < 5 ms",
                Some(self.load.p99_ms < 5.0),
            ),
            paced_row(&self.paced, seconds),
            row(
                &format!("resident memory per letter sent (its emails and link included; {} letters)", self.letters),
                format!("{:.0} B", self.bytes_per_letter),
                na(),
                na(),
                "< 2 KB",
                Some(self.bytes_per_letter < 2048.0),
            ),
            row(
                "sending: errors among the last 10 000 journalled calls",
                self.errors.to_string(),
                na(),
                na(),
                "0",
                Some(self.errors == 0),
            ),
        ]
    }
}

async fn send_load(mock: &crate::harness::Server, seconds: u64) -> Sending {
    let (sender, attachment) = ready_sender(mock, 20 * 1024).await;
    let first = letters_sent(mock, sender, attachment).await;
    let before = mock.rss();
    let send = SignedSend::new(sender, attachment);
    let load = wrk(mock, &send.script(), seconds);
    let errors = journalled_errors(mock).await;
    let last = letters_sent(mock, sender, attachment).await;
    let letters = last - first;
    let bytes_per_letter = mock.rss().saturating_sub(before) as f64 / letters.max(1) as f64;
    let paced = paced(mock.port, &send.request(), RATE, CONNECTIONS, seconds as f64);
    Sending { load, paced, letters, bytes_per_letter, errors }
}

/// The paced send load's row.
fn paced_row(load: &Paced, seconds: u64) -> Row {
    row(&load.figure(seconds), load.summary(), na(), na(), TARGET, Some(load.met()))
}

/// Throughput and latency of one load, beside Prism's.
fn load_rows(name: &str, seconds: u64, load: &Load, other: Option<&Load>, rps_target: Option<f64>) -> [Row; 2] {
    let target = if rps_target.is_some() { "≥ 35 000 req/s and ≥ 30× Prism" } else { "" };
    let met = rps_target.map(|t| load.rps >= t && other.is_none_or(|o| load.rps >= 30.0 * o.rps));
    [
        row(
            &format!("{name}: requests/s (64 connections, {seconds} s)"),
            format!("{:.0}", load.rps),
            other.map_or_else(na, |o| format!("{:.0}", o.rps)),
            other.map_or_else(na, |o| ratio(load.rps, o.rps)),
            target,
            met,
        ),
        row(
            &format!("{name}: latency p50 / p99"),
            format!("{:.2} / {:.2} ms", load.p50_ms, load.p99_ms),
            other.map_or_else(na, |o| format!("{:.2} / {:.2} ms", o.p50_ms, o.p99_ms)),
            other.map_or_else(na, |o| format!("p99 {} lower", ratio(o.p99_ms, load.p99_ms))),
            "p99 < 5 ms",
            Some(load.p99_ms < 5.0),
        ),
    ]
}

/// Memory idle, and per stored user on a fresh mock.
async fn memory(options: &Options, (idle, prism_idle): (u64, Option<u64>), memory_users: usize, rows: &mut Vec<Row>) {
    let (fresh, _) = start_mock(&options.mock).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fresh_idle = fresh.rss();
    create_users(&fresh, memory_users, "memory").await;
    let per_user = fresh.rss().saturating_sub(fresh_idle) as f64 / memory_users as f64;
    drop(fresh);
    let mb = |b: u64| format!("{:.1} MB", b as f64 / 1_048_576.0);
    let idle = idle.min(fresh_idle);
    rows.push(row(
        "resident memory, idle",
        mb(idle),
        prism_idle.map_or_else(na, mb),
        prism_idle.map_or_else(na, |p| format!("{} smaller", ratio(p as f64, idle as f64))),
        "< 10 MB",
        Some(idle < 10 * 1_048_576),
    ));
    rows.push(row(
        &format!("resident memory per stored user (after {memory_users} users)"),
        format!("{per_user:.0} B"),
        "stores nothing".into(),
        na(),
        "< 2 KB",
        Some(per_user < 2048.0),
    ));
}

fn print_table(rows: &[Row]) {
    println!("\n| figure | ar24-mock | Prism | ratio | target | met |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        let met = match r.met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "",
        };
        println!("| {} | {} | {} | {} | {} | {} |", r.figure, r.mock, r.prism, r.ratio, r.target, met);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_refuse_nonsense() {
        assert_eq!(ratio(100.0, 4.0), "25.0×");
        assert_eq!(ratio(1.0, 0.0), "n/a");
        assert_eq!(ratio(f64::NAN, 1.0), "n/a");
    }
}
