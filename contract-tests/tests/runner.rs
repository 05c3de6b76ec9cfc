//! The runner as partners use it, started as a separate process: the sandbox
//! path proven against a separately started mock binary, the JUnit report,
//! skips that are visible, undefined steps that fail, and configuration
//! mistakes that stop at once.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use ar24_client::{ControlPlane, NewPartner};
use ar24_contract_tests::Target;
use ar24_contract_tests::skip::skip_reason;
use ar24_contract_tests::target::{MOCK_DEFAULT_PRIVATE_KEY, MOCK_DEFAULT_TOKEN};
use cucumber::gherkin::{Feature, GherkinEnv};

const RUNNER: &str = env!("CARGO_BIN_EXE_ar24-contract");
const FEATURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../features");

/// The runner with none of the suite's variables inherited from the caller's shell.
fn runner<V: AsRef<str>>(vars: &[(&str, V)]) -> Command {
    let mut command = Command::new(RUNNER);
    for (name, _) in std::env::vars() {
        if name.starts_with("AR24_") {
            command.env_remove(name);
        }
    }
    command.envs(vars.iter().map(|(k, v)| (*k, v.as_ref())));
    command
}

/// The settings of a sandbox run against `mock`: our token is the mock's default, and a
/// second partner is made through the control plane (as a partner would have a second token).
async fn sandbox_vars(mock: &MockProcess) -> Vec<(&'static str, String)> {
    let new = NewPartner { name: Some("Second sandbox partner".into()), ..Default::default() };
    let second = ControlPlane::new(&mock.base_url).new_partner(&new).await.expect("the control plane makes a partner");
    vec![
        ("AR24_TARGET", "sandbox".into()),
        ("AR24_BASE_URL", mock.base_url.clone()),
        ("AR24_TOKEN", MOCK_DEFAULT_TOKEN.into()),
        ("AR24_PRIVATE_KEY", MOCK_DEFAULT_PRIVATE_KEY.into()),
        ("AR24_SECOND_TOKEN", second.token),
        ("AR24_SECOND_PRIVATE_KEY", second.private_key),
    ]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `ar24-mock` binary, running in strict mode on a port the OS picks.
struct MockProcess {
    child: Child,
    base_url: String,
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_mock_binary() -> MockProcess {
    start_mock_binary_with(&[])
}

/// The mock binary with extra flags (partner settings of its default token).
fn start_mock_binary_with(flags: &[&str]) -> MockProcess {
    // The mock's binary sits beside the runner once built; building it is a no-op when it is up to date.
    let dir = Path::new(RUNNER).parent().expect("the runner lives in a target directory");
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "--quiet", "-p", "ar24-mock", "--bin", "ar24-mock"]);
    if dir.file_name().is_some_and(|name| name == "release") {
        build.arg("--release");
    }
    assert!(build.status().expect("cargo runs").success(), "building the ar24-mock binary");
    let mut child = Command::new(dir.join("ar24-mock"))
        .args(["--port", "0", "--auth", "strict"])
        .args(flags)
        .env_remove("AR24_MOCK_AUTH")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the mock binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines().map_while(Result::ok);
    let base_url = lines
        .find_map(|line| line.split_once("API base URL : ").map(|(_, url)| url.trim().to_owned()))
        .expect("the mock prints its API base URL");
    // Keep reading whatever else it prints.
    std::thread::spawn(move || lines.for_each(drop));
    MockProcess { child, base_url }
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ar24-contract-{}-{name}", uuid::Uuid::new_v4().simple()))
}

/// Every scenario of the features, with the tags that apply to it (feature's and its own).
fn scenarios() -> Vec<(String, Vec<String>)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(FEATURES).expect("the features directory") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|ext| ext != "feature") {
            continue;
        }
        let feature = Feature::parse_path(&path, GherkinEnv::default()).expect("a valid feature file");
        let rules = feature.rules.iter().flat_map(|r| r.scenarios.iter().map(move |s| (s, r.tags.clone())));
        for (scenario, rule_tags) in feature.scenarios.iter().map(|s| (s, Vec::new())).chain(rules) {
            let tags = feature.tags.iter().chain(&rule_tags).chain(&scenario.tags).cloned().collect();
            all.push((scenario.name.clone(), tags));
        }
    }
    all
}

/// Test cases of a JUnit report: name and outcome (`passed`, `failed`, or the skip message).
fn junit_cases(xml: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(xml).expect("the JUnit report is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|case| {
            let name = case.attribute("name").unwrap_or_default().to_owned();
            let child = |tag: &str| case.children().find(|c| c.has_tag_name(tag));
            let outcome = if let Some(skipped) = child("skipped") {
                format!("skipped: {}", skipped.attribute("message").unwrap_or_default())
            } else if child("failure").is_some() || child("error").is_some() {
                "failed".to_owned()
            } else {
                "passed".to_owned()
            };
            (name, outcome)
        })
        .collect()
}

#[tokio::test]
async fn the_sandbox_path_skips_out_of_band_scenarios_visibly_and_passes_all_others() {
    let mock = start_mock_binary();
    let junit = temp_path("junit.xml");
    let mut vars = sandbox_vars(&mock).await;
    vars.push(("AR24_JUNIT", junit.to_str().unwrap().to_owned()));

    let output: Output = tokio::task::spawn_blocking({
        let mut command = runner(&vars);
        move || command.output().expect("the runner starts")
    })
    .await
    .unwrap();
    let console = text(&output.stdout);
    assert!(output.status.success(), "the sandbox-path run passes:\n{console}\n{}", text(&output.stderr));

    // What the target cannot run, by the same rules the runner applies.
    let target = Target::from_vars(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap();
    let all = scenarios();
    let expected_skips: BTreeSet<&str> =
        all.iter().filter(|(_, tags)| skip_reason(tags, &target).is_some()).map(|(name, _)| name.as_str()).collect();
    let out_of_band: Vec<&str> =
        all.iter().filter(|(_, tags)| tags.iter().any(|t| t == "out_of_band")).map(|(n, _)| n.as_str()).collect();
    assert!(out_of_band.len() >= 8, "the features have out-of-band scenarios: {out_of_band:?}");

    let cases = junit_cases(&std::fs::read_to_string(&junit).expect("the JUnit report was written"));
    let _ = std::fs::remove_file(&junit);
    let skipped: BTreeSet<&str> = cases
        .iter()
        .filter(|(_, outcome)| outcome.starts_with("skipped"))
        .map(|(name, _)| name.strip_prefix("Scenario: ").and_then(|n| n.rsplit_once(": ")).map_or("", |(n, _)| n))
        .collect();
    assert_eq!(skipped, expected_skips, "skipped scenarios in the JUnit report");
    for name in &out_of_band {
        assert!(skipped.contains(name), "out-of-band scenario {name:?} is skipped");
        let (_, outcome) = cases.iter().find(|(case, _)| case.starts_with(&format!("Scenario: {name}: "))).unwrap();
        assert!(outcome.contains("AR24_OPERATOR"), "{name:?} says why: {outcome}");
        assert!(console.contains(&format!("Scenario: {name} (")), "the console lists {name:?}");
    }
    let failed: Vec<_> = cases.iter().filter(|(_, outcome)| outcome == "failed").collect();
    assert!(failed.is_empty(), "no scenario fails: {failed:?}");
    let passed = cases.iter().filter(|(_, outcome)| outcome == "passed").count();
    assert!(passed >= 50, "everything else ran and passed ({passed})");
    // Each example of an outline is a scenario of its own, in the console as in JUnit.
    let skipped_cases = cases.iter().filter(|(_, outcome)| outcome.starts_with("skipped")).count();
    assert!(skipped_cases >= expected_skips.len());
    assert!(console.contains(&format!("{skipped_cases} scenario(s) skipped by this target")), "{console}");
}

#[test]
fn a_step_without_definition_fails_the_run() {
    let dir = temp_path("features");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("undefined.feature"),
        "Feature: Undefined\n  Scenario: A step nobody wrote\n    When something nobody defined happens\n",
    )
    .unwrap();
    let output = runner(&[("AR24_FEATURES", dir.to_str().unwrap())]).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!output.status.success(), "an undefined step must fail:\n{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("1 failed"), "{}", text(&output.stdout));
}

#[test]
fn an_incomplete_sandbox_configuration_stops_at_once_saying_what_to_set() {
    let output =
        runner(&[("AR24_TARGET", "sandbox"), ("AR24_BASE_URL", "https://sandbox.ar24.fr/api/")]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("set AR24_TOKEN"), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains("Feature"), "nothing ran");
}

#[test]
fn the_production_host_is_refused() {
    let vars = [
        ("AR24_TARGET", "sandbox"),
        ("AR24_BASE_URL", "https://app.ar24.fr/api/"),
        ("AR24_TOKEN", "t"),
        ("AR24_PRIVATE_KEY", "k"),
    ];
    let output = runner(&vars).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("refusing to run against app.ar24.fr"), "{}", text(&output.stderr));
}

#[test]
fn a_junit_report_is_written_only_when_asked() {
    let runs = recorded_runs();
    let cases = junit_cases(&runs.junit);
    assert!(cases.len() >= 80 && cases.iter().all(|(_, outcome)| outcome == "passed"), "{cases:?}");
    assert!(!runs.console.contains("skipped by this target"), "a mock runs everything");
}

/// A stand-in for the person at the sandbox: it acts only when the runner's
/// prompt (on stderr) tells it to, on the email or link the prompt names.
async fn scripted_operator(root: String, mut prompts: tokio::sync::mpsc::UnboundedReceiver<String>) -> usize {
    let control = ControlPlane::new(&root);
    let mut acted = 0;
    while let Some(line) = prompts.recv().await {
        let Some((_, what)) = line.split_once("please act now: ") else { continue };
        if let Some(rest) = what.strip_prefix("open the registered letter AR24 sent to ") {
            let to = rest.split([' ', ',']).next().expect("an address");
            let link = control.latest_link(to, "letter").await.expect("the letter's email");
            let reply = if rest.contains("refuse") {
                control.refuse_letter_link(&link, "Bob", "Destinataire").await
            } else {
                control.click_link(&link).await
            };
            assert_eq!(reply.expect("the mock answers").status, 200, "the operator acts on {link}");
            acted += 1;
            continue;
        }
        let link = match what.strip_prefix("open the AR24 email sent to ") {
            Some(rest) => {
                let to = rest.split(" and ").next().expect("an address");
                let emails = control.emails(Some(to), None).await.expect("the outbox");
                emails.last().map(|e| e.link.clone()).expect("the email the prompt names")
            }
            None => what.strip_prefix("open ").and_then(|r| r.split_whitespace().next()).expect("a link").to_owned(),
        };
        control.accept_link(&link).await.unwrap_or_else(|e| panic!("the operator accepts {link}: {e}"));
        acted += 1;
    }
    acted
}

/// Runs the out-of-band scenarios on the sandbox path with a scripted operator,
/// against a mock binary started with `flags` and the settings `declared`.
async fn run_with_operator(flags: &[&str], declared: &[(&'static str, &str)]) {
    let mock = start_mock_binary_with(flags);
    let root = mock.base_url.trim_end_matches("api/").to_owned();
    let mut vars = sandbox_vars(&mock).await;
    vars.extend([
        ("AR24_OPERATOR", "Scripted operator".to_owned()),
        ("AR24_OPERATOR_TIMEOUT", "30".to_owned()),
        ("AR24_OPERATOR_POLL", "1".to_owned()),
        ("AR24_EMAIL_TEMPLATE", "operator+{id}@example.com".to_owned()),
    ]);
    vars.extend(declared.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let mut child = runner(&vars)
        .args(["--tags", "@out_of_band"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner starts");
    let (prompts, received) = tokio::sync::mpsc::unbounded_channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        BufReader::new(stderr).lines().map_while(Result::ok).for_each(|l| drop(prompts.send(l)))
    });
    let stdout = child.stdout.take().unwrap();
    let console = std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<_>>());
    let operator = tokio::spawn(scripted_operator(root, received));

    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    let console = console.join().unwrap().join("\n");
    let acted = operator.await.unwrap();
    assert!(status.success(), "out-of-band scenarios pass with an operator:\n{console}");
    // What this target can run, by the runner's own rules: the rest is skipped, visibly.
    let target = Target::from_vars(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap();
    let out_of_band: Vec<_> =
        scenarios().into_iter().filter(|(_, tags)| tags.iter().any(|t| t == "out_of_band")).collect();
    let runnable = out_of_band.iter().filter(|(_, tags)| skip_reason(tags, &target).is_none()).count();
    let skipped = out_of_band.len() - runnable;
    assert!(runnable >= 4, "most out-of-band scenarios run here ({runnable})");
    assert!(console.contains(&format!("{runnable} scenarios ({runnable} passed)")), "{console}");
    assert!(acted >= runnable, "the operator acted on every prompt ({acted})");
    if skipped == 0 {
        assert!(!console.contains("skipped by this target"), "nothing skipped: {console}");
    } else {
        assert!(console.contains(&format!("{skipped} scenario(s) skipped by this target")), "{console}");
    }
}

#[tokio::test]
async fn with_an_operator_the_sandbox_path_runs_out_of_band_scenarios_by_prompting_and_polling() {
    run_with_operator(&[], &[]).await;
}

#[tokio::test]
async fn with_an_operator_the_recipient_accepts_and_refuses_letters_in_the_sandbox_path() {
    let settings = [("AR24_GLOBAL_BILLING", "1"), ("AR24_CGU_PREACCEPTED", "1")];
    run_with_operator(&["--global-billing", "--cgu-preaccepted"], &settings).await;
}

const DRIFT: &str = env!("CARGO_BIN_EXE_ar24-drift");
const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../features/snapshots/mock.json");

/// Two whole runs of the suite against the in-process mock, recording its
/// answers, made once for the tests that read them: the first also writes a
/// JUnit report (each run takes the whole suite).
struct RecordedRuns {
    first: Vec<u8>,
    second: Vec<u8>,
    junit: String,
    console: String,
}

fn recorded_runs() -> &'static RecordedRuns {
    static RUNS: std::sync::OnceLock<RecordedRuns> = std::sync::OnceLock::new();
    RUNS.get_or_init(|| {
        let (first_path, second_path, junit_path) =
            (temp_path("first.json"), temp_path("second.json"), temp_path("asked.xml"));
        let record = |vars: &[(&str, &str)]| {
            let output = runner(vars).output().unwrap();
            assert!(output.status.success(), "{}", text(&output.stdout));
            text(&output.stdout)
        };
        let console =
            record(&[("AR24_RECORD", first_path.to_str().unwrap()), ("AR24_JUNIT", junit_path.to_str().unwrap())]);
        record(&[("AR24_RECORD", second_path.to_str().unwrap())]);
        let junit = std::fs::read_to_string(&junit_path).expect("the JUnit report asked for was written");
        let first = std::fs::read(&first_path).unwrap();
        let second = std::fs::read(&second_path).unwrap();
        let _ =
            (std::fs::remove_file(&first_path), std::fs::remove_file(&second_path), std::fs::remove_file(&junit_path));
        RecordedRuns { first, second, junit, console }
    })
}

#[test]
fn placeholders_make_two_recorded_runs_identical() {
    let runs = recorded_runs();
    assert!(runs.first.len() > 10_000, "a real snapshot");
    assert!(runs.first == runs.second, "two runs of the same suite give identical snapshots");
}

#[test]
fn the_mock_answers_in_the_shape_of_the_committed_snapshot() {
    let actual = temp_path("actual.json");
    std::fs::write(&actual, &recorded_runs().second).unwrap();
    let output = Command::new(DRIFT).args([REFERENCE, actual.to_str().unwrap()]).output().unwrap();
    let _ = std::fs::remove_file(&actual);
    assert!(
        output.status.success(),
        "the mock's answers changed shape. If that is intended, update the reference:\n  \
         AR24_RECORD=features/snapshots/mock.json cargo run -p ar24-contract-tests --bin ar24-contract\n{}",
        text(&output.stdout)
    );
}

#[test]
fn ar24_drift_exits_1_on_a_difference_and_2_on_a_file_it_cannot_read() {
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(REFERENCE).unwrap()).unwrap();
    let mut changed = reference.clone();
    let first = changed["scenarios"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .find(|s| s["calls"].as_array().is_some_and(|c| !c.is_empty()))
        .unwrap();
    first["calls"][0]["route"] = serde_json::json!("user/elsewhere");
    let path = temp_path("changed.json");
    let markdown = temp_path("report.md");
    std::fs::write(&path, changed.to_string()).unwrap();
    let output = Command::new(DRIFT)
        .args([REFERENCE, path.to_str().unwrap(), "--markdown", markdown.to_str().unwrap()])
        .output()
        .unwrap();
    let report = std::fs::read_to_string(&markdown).unwrap_or_default();
    let _ = (std::fs::remove_file(&path), std::fs::remove_file(&markdown));
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout).contains("call changed"), "{}", text(&output.stdout));
    assert!(report.contains("| scenario | call | difference |"), "{report}");
    let missing = Command::new(DRIFT).args([REFERENCE, "/nonexistent/snapshot.json"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

/// A features directory holding one feature file with `text`.
fn one_feature(name: &str, text: &str) -> PathBuf {
    let dir = temp_path(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.feature")), text).unwrap();
    dir
}

/// Runs the runner with `vars` off the async runtime (the mock answers meanwhile).
async fn run(vars: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || runner(&vars).output().expect("the runner starts")).await.unwrap()
}

#[tokio::test]
async fn on_the_sandbox_a_step_asking_for_an_undeclared_partner_setting_fails_naming_the_variable() {
    let mock = start_mock_binary();
    let untagged = "Feature: Setting\n  Scenario: Forgot its tag\n    Given AR24 bills us for our users' usage\n    \
                    When we create the user Alice\n    Then Alice can pay\n";
    let dir = one_feature("setting", untagged);
    let mut vars = sandbox_vars(&mock).await;
    vars.push(("AR24_FEATURES", dir.to_str().unwrap().to_owned()));
    let output = run(vars.clone()).await;
    let console = text(&output.stdout);
    assert!(!output.status.success(), "the step must fail:\n{console}");
    assert!(console.contains("AR24_GLOBAL_BILLING does not declare it"), "{console}");

    // Declared, it runs on (the mock's default partner has no global billing, so the last step fails there).
    vars.push(("AR24_GLOBAL_BILLING", "1".into()));
    let declared = text(&run(vars).await.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!declared.contains("does not declare it"), "{declared}");
    assert!(declared.contains("is_payment_possible is off"), "{declared}");
}

#[tokio::test]
async fn an_operator_wait_that_times_out_says_what_ar24_showed_last() {
    let mock = start_mock_binary();
    let waiting = "Feature: Waiting\n  Scenario: Nobody clicks\n    Given the user Alice was created\n    \
                   When we ask AR24 to send Alice the CGU\n    And Alice accepts the CGU sent by email\n";
    let dir = one_feature("waiting", waiting);
    let mut vars = sandbox_vars(&mock).await;
    vars.extend([
        ("AR24_FEATURES", dir.to_str().unwrap().to_owned()),
        ("AR24_OPERATOR", "Nobody".into()),
        ("AR24_EMAIL_TEMPLATE", "nobody+{id}@example.com".into()),
        ("AR24_OPERATOR_TIMEOUT", "1".into()),
        ("AR24_OPERATOR_POLL", "1".into()),
    ]);
    let output = run(vars).await;
    let _ = std::fs::remove_dir_all(&dir);
    let console = text(&output.stdout);
    assert!(!output.status.success(), "nobody acted, so the wait fails:\n{console}");
    assert!(console.contains("not seen within 1 s; the last answer was: cgu = 0"), "{console}");
}
