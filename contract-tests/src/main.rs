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

/// The key of a scenario in snapshots: stable across runs and targets.
fn scenario_key(feature: &cucumber::gherkin::Feature, scenario: &cucumber::gherkin::Scenario) -> String {
    format!("{} / {} (line {})", feature.name, scenario.name, scenario.position.line)
}

/// What this run recorded of each scenario, for `--record`.
type Recorded = Arc<Mutex<BTreeMap<String, ScenarioRecord>>>;

/// The scenarios skipped because the target cannot run them.
type Skipped = Arc<Mutex<Vec<SkippedScenario>>>;

/// Why the runner stopped before or after the scenarios: a sentence and an exit code.
struct Stop(String, u8);

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(Stop(message, code)) => {
            eprintln!("ar24-contract: {message}");
            ExitCode::from(code)
        }
    }
}

/// Runs the suite against the target; whether every scenario run passed.
async fn run() -> Result<bool, Stop> {
    let mut target = Target::from_env().map_err(|err| Stop(err.to_string(), 2))?;
    let _in_process = if target.kind == TargetKind::InProcess {
        let mock = MockServer::start(Config::default()).await;
        target.base_url = mock.base_url();
        Some(mock)
    } else {
        None
    };
    println!("AR24 contract suite: {:?} target at {}", target.kind, target.base_url);
    let mut opts = Opts::parsed();
    let options = opts.custom.clone();
    let junit_out = junit_out(options.junit.as_deref())?;
    let (skipped, recorded) = (Skipped::default(), Recorded::default());
    let filter = scenario_filter(&mut opts, &target, &skipped, &recorded);
    let passed = run_scenarios(target, opts, &options, junit_out, filter, &recorded).await;
    let skipped = std::mem::take(&mut *skipped.lock().unwrap_or_else(PoisonError::into_inner));
    print!("{}", report::console(&skipped));
    if let Some(path) = &options.junit {
        add_skips_to_junit(path, &skipped)?;
    }
    if let Some(path) = &options.record {
        write_snapshot(path, &recorded)?;
    }
    Ok(passed)
}

/// Where the JUnit report goes: the file asked for, else nowhere.
/// The control token of a mock locked with `--control-token`, from the
/// environment variable of the same name the mock reads.
fn control_token() -> Option<String> {
    std::env::var("AR24_MOCK_CONTROL_TOKEN").ok()
}

fn junit_out(path: Option<&std::path::Path>) -> Result<JunitOut, Stop> {
    match path {
        None => Ok(JunitOut::Nowhere),
        Some(path) => File::create(path)
            .map(JunitOut::File)
            .map_err(|err| Stop(format!("cannot write the JUnit report {}: {err}", path.display()), 2)),
    }
}

/// Which scenarios run: those `--name` and `--tags` select (cucumber would
/// replace a run filter by them, so they are applied here instead), less those
/// the target cannot run, which are listed in `skipped` and recorded as skipped.
fn scenario_filter(
    opts: &mut Opts,
    target: &Target,
    skipped: &Skipped,
    recorded: &Recorded,
) -> impl Fn(&cucumber::gherkin::Feature, Option<&cucumber::gherkin::Rule>, &cucumber::gherkin::Scenario) -> bool + use<>
{
    let name_filter = opts.re_filter.take();
    let tags_filter = opts.tags_filter.take();
    let (skipped, recorded, target) = (Arc::clone(skipped), Arc::clone(recorded), target.clone());
    let cwd = std::env::current_dir().unwrap_or_default();
    move |feature, rule, scenario| {
        let tags: Vec<&String> =
            feature.tags.iter().chain(rule.iter().flat_map(|r| r.tags.iter())).chain(scenario.tags.iter()).collect();
        let named = name_filter.as_ref().is_none_or(|re| re.is_match(&scenario.name));
        let tagged = tags_filter.as_ref().is_none_or(|expr| expr.eval(tags.iter().copied()));
        if !(named && tagged) {
            return false;
        }
        let Some(reason) = skip_reason(&tags, &target) else { return true };
        let path = feature.path.as_deref().map(|p| p.strip_prefix(&cwd).unwrap_or(p).display().to_string());
        let location = format!("{}:{}:{}", path.unwrap_or_default(), scenario.position.line, scenario.position.col);
        let record = ScenarioRecord { skipped: Some(reason.clone()), calls: Vec::new() };
        recorded.lock().unwrap_or_else(PoisonError::into_inner).insert(scenario_key(feature, scenario), record);
        let entry =
            SkippedScenario { feature: feature.name.clone(), scenario: scenario.name.clone(), location, reason };
        skipped.lock().unwrap_or_else(PoisonError::into_inner).push(entry);
        false
    }
}

/// Runs the selected scenarios, recording each one's calls; whether all passed.
async fn run_scenarios(
    target: Target,
    opts: Opts,
    options: &Options,
    junit_out: JunitOut,
    filter: impl Fn(&cucumber::gherkin::Feature, Option<&cucumber::gherkin::Rule>, &cucumber::gherkin::Scenario) -> bool
    + 'static,
    recorded: &Recorded,
) -> bool {
    let features = options
        .features_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../features")));
    let concurrency = target.max_concurrent_scenarios();
    world::init(world::Context {
        control: target.control_url().map(|url| ControlPlane::new(&url).with_token(control_token())),
        target,
    });
    let recorded = Arc::clone(recorded);
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
        .after(move |feature, _rule, scenario, _finished, world| {
            if let Some(world) = world {
                let mut recorded = recorded.lock().unwrap_or_else(PoisonError::into_inner);
                // Outline examples share a key: their calls follow one another in example order.
                let entry = recorded
                    .entry(scenario_key(feature, scenario))
                    .or_insert(ScenarioRecord { skipped: None, calls: Vec::new() });
                entry.calls.extend(world.recorder.calls());
            }
            Box::pin(async {})
        })
        .with_cli(opts)
        .filter_run(features, filter)
        .await;
    !writer.execution_has_failed()
}

/// Adds the skipped scenarios to the JUnit report cucumber wrote.
fn add_skips_to_junit(path: &std::path::Path, skipped: &[SkippedScenario]) -> Result<(), Stop> {
    std::fs::read_to_string(path)
        .and_then(|xml| std::fs::write(path, report::add_to_junit(&xml, skipped)))
        .map_err(|err| Stop(format!("cannot add skipped scenarios to {}: {err}", path.display()), 1))
}

/// Writes what each scenario called, for drift reports.
fn write_snapshot(path: &std::path::Path, recorded: &Recorded) -> Result<(), Stop> {
    let scenarios = std::mem::take(&mut *recorded.lock().unwrap_or_else(PoisonError::into_inner));
    let snapshot = Snapshot { format: ar24_contract_tests::record::FORMAT, scenarios };
    let json = serde_json::to_string_pretty(&snapshot).unwrap_or_default() + "\n";
    std::fs::write(path, json)
        .map_err(|err| Stop(format!("cannot write the snapshot {}: {err}", path.display()), 1))?;
    println!("snapshot of {} scenario(s) written to {}", snapshot.scenarios.len(), path.display());
    Ok(())
}
