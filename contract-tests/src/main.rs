//! `ar24-contract`: the AR24 contract suite's runner.
//!
//! Runs every scenario of `features/` against the target the environment
//! names (see `target.rs`): by default a mock it starts in-process. Scenarios
//! the target cannot run are skipped before the run and listed, with their
//! reason, on the console and in the JUnit report (`--junit FILE` or
//! `AR24_JUNIT`). A step without a definition fails the run.
//!
//! `cargo test` starts this binary (`tests/contract.rs`); so do the
//! sandbox-path test and the contract-tests container. The World and steps
//! live in this binary's crate because cucumber's step registry is only
//! reliable there.

mod steps;
mod world;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use ar24_client::ControlPlane;
use ar24_contract_tests::record::{ScenarioRecord, Snapshot};
use ar24_contract_tests::report::{self, SkippedScenario};
use ar24_contract_tests::skip::skip_reason;
use ar24_contract_tests::{Target, TargetKind};
use ar24_mock::{Config, MockServer};
use cucumber::tag::Ext as _;
use cucumber::writer::Stats as _;
use cucumber::{World as _, WriterExt as _, cli, writer};

/// The runner's own options, beside cucumber's (`--tags`, `--name`, `--concurrency`, ...).
#[derive(clap::Args, Debug, Clone)]
struct Options {
    /// Write a JUnit XML report to this file.
    #[arg(long, env = "AR24_JUNIT", value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Where the `.feature` files are.
    #[arg(long, env = "AR24_FEATURES", value_name = "DIR")]
    features_dir: Option<PathBuf>,
    /// Record every scenario's calls into this snapshot file, for drift reports.
    #[arg(long, env = "AR24_RECORD", value_name = "FILE")]
    record: Option<PathBuf>,
}

/// The key of a scenario in snapshots: stable across runs and targets.
fn scenario_key(feature: &cucumber::gherkin::Feature, scenario: &cucumber::gherkin::Scenario) -> String {
    format!("{} / {} (line {})", feature.name, scenario.name, scenario.position.line)
}

/// The recorded scenarios of this run.
static RECORDED: Mutex<BTreeMap<String, ScenarioRecord>> = Mutex::new(BTreeMap::new());

type Opts = cli::Opts<
    cucumber::parser::basic::Cli,
    cucumber::runner::basic::Cli,
    cli::Compose<writer::basic::Cli, writer::junit::Cli>,
    Options,
>;

/// The JUnit report's destination: a file when asked for, else nowhere.
enum JunitOut {
    File(File),
    Nowhere,
}

impl Write for JunitOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            JunitOut::File(file) => file.write(buf),
            JunitOut::Nowhere => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            JunitOut::File(file) => file.flush(),
            JunitOut::Nowhere => Ok(()),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut target = match Target::from_env() {
        Ok(target) => target,
        Err(err) => {
            eprintln!("ar24-contract: {err}");
            return ExitCode::from(2);
        }
    };
    let _in_process = if target.kind == TargetKind::InProcess {
        let mock = MockServer::start(Config::default()).await;
        target.base_url = mock.base_url();
        Some(mock)
    } else {
        None
    };
    println!("AR24 contract suite: {:?} target at {}", target.kind, target.base_url);

    let mut opts = Opts::parsed();
    let features = opts
        .custom
        .features_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../features")));
    let junit_path = opts.custom.junit.clone();
    let record_path = opts.custom.record.clone();
    let junit_out = match &junit_path {
        None => JunitOut::Nowhere,
        Some(path) => match File::create(path) {
            Ok(file) => JunitOut::File(file),
            Err(err) => {
                eprintln!("ar24-contract: cannot write the JUnit report {}: {err}", path.display());
                return ExitCode::from(2);
            }
        },
    };

    // cucumber replaces a run filter by `--name` / `--tags` when they are given;
    // they are applied here instead, so the target's skips always apply too.
    let name_filter = opts.re_filter.take();
    let tags_filter = opts.tags_filter.take();
    let skipped: Arc<Mutex<Vec<SkippedScenario>>> = Arc::default();
    let filter = {
        let skipped = Arc::clone(&skipped);
        let target = target.clone();
        let cwd = std::env::current_dir().unwrap_or_default();
        move |feature: &cucumber::gherkin::Feature,
              rule: Option<&cucumber::gherkin::Rule>,
              scenario: &cucumber::gherkin::Scenario| {
            let tags: Vec<&String> = feature
                .tags
                .iter()
                .chain(rule.iter().flat_map(|r| r.tags.iter()))
                .chain(scenario.tags.iter())
                .collect();
            let named = name_filter.as_ref().is_none_or(|re| re.is_match(&scenario.name));
            let tagged = tags_filter.as_ref().is_none_or(|expr| expr.eval(tags.iter().copied()));
            if !(named && tagged) {
                return false;
            }
            match skip_reason(&tags, &target) {
                None => true,
                Some(reason) => {
                    let path = feature.path.as_deref().map(|p| p.strip_prefix(&cwd).unwrap_or(p).display().to_string());
                    let location =
                        format!("{}:{}:{}", path.unwrap_or_default(), scenario.position.line, scenario.position.col);
                    let entry = SkippedScenario {
                        feature: feature.name.clone(),
                        scenario: scenario.name.clone(),
                        location,
                        reason: reason.clone(),
                    };
                    let skipped_record = ScenarioRecord { skipped: Some(reason), calls: Vec::new() };
                    RECORDED
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(scenario_key(feature, scenario), skipped_record);
                    skipped.lock().unwrap_or_else(PoisonError::into_inner).push(entry);
                    false
                }
            }
        }
    };

    let concurrency = target.max_concurrent_scenarios();
    world::init(world::Context { control: target.control_url().map(|url| ControlPlane::new(&url)), target });
    let writer = world::Ar24World::cucumber()
        .max_concurrent_scenarios(concurrency)
        .with_writer(
            writer::Basic::stdout()
                .summarized()
                .tee::<world::Ar24World, _>(writer::JUnit::for_tee(junit_out, 0))
                .normalized(),
        )
        // After `with_writer`, which would otherwise replace it: an undefined step fails the run.
        .fail_on_skipped()
        .after(|feature, _rule, scenario, _finished, world| {
            if let Some(world) = world {
                let record = ScenarioRecord { skipped: None, calls: world.recorder.calls() };
                let mut recorded = RECORDED.lock().unwrap_or_else(PoisonError::into_inner);
                // Outline examples share a key: their calls follow one another in example order.
                let entry = recorded
                    .entry(scenario_key(feature, scenario))
                    .or_insert(ScenarioRecord { skipped: None, calls: Vec::new() });
                entry.calls.extend(record.calls);
            }
            Box::pin(async {})
        })
        .with_cli(opts)
        .filter_run(features, filter)
        .await;

    let skipped = std::mem::take(&mut *skipped.lock().unwrap_or_else(PoisonError::into_inner));
    print!("{}", report::console(&skipped));
    if let Some(path) = junit_path {
        let written =
            std::fs::read_to_string(&path).and_then(|xml| std::fs::write(&path, report::add_to_junit(&xml, &skipped)));
        if let Err(err) = written {
            eprintln!("ar24-contract: cannot add skipped scenarios to {}: {err}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = record_path {
        let scenarios = std::mem::take(&mut *RECORDED.lock().unwrap_or_else(PoisonError::into_inner));
        let snapshot = Snapshot { format: ar24_contract_tests::record::FORMAT, scenarios };
        let json = serde_json::to_string_pretty(&snapshot).unwrap_or_default() + "\n";
        if let Err(err) = std::fs::write(&path, json) {
            eprintln!("ar24-contract: cannot write the snapshot {}: {err}", path.display());
            return ExitCode::FAILURE;
        }
        println!("snapshot of {} scenario(s) written to {}", snapshot.scenarios.len(), path.display());
    }
    if writer.execution_has_failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
