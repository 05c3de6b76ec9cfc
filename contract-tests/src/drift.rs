//! Comparing two recorded runs (see `record.rs`): every difference in plain words.

use std::fmt::Write;

use serde_json::Value;

use crate::record::{CallRecord, Snapshot};

/// A difference between the expected run and the actual one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The scenario.
    pub scenario: String,
    /// The call (1-based), if it is about one.
    pub call: Option<usize>,
    /// What differs, in words.
    pub what: String,
}

/// What the comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Differences: each one is drift.
    pub differences: Vec<Difference>,
    /// Scenarios one side skipped: not compared, not drift.
    pub not_compared: Vec<String>,
}

/// Compares `actual` against `expected`.
pub fn compare(expected: &Snapshot, actual: &Snapshot) -> Report {
    let mut report = Report::default();
    for (name, want) in &expected.scenarios {
        let Some(got) = actual.scenarios.get(name) else {
            report.differences.push(Difference { scenario: name.clone(), call: None, what: "scenario missing".into() });
            continue;
        };
        if let Some(reason) = got.skipped.as_ref().or(want.skipped.as_ref()) {
            report.not_compared.push(format!("{name} (skipped: {reason})"));
            continue;
        }
        let mut add = |call: Option<usize>, what: String| {
            report.differences.push(Difference { scenario: name.clone(), call, what });
        };
        for (i, (w, g)) in want.calls.iter().zip(&got.calls).enumerate() {
            for what in compare_call(w, g) {
                add(Some(i + 1), what);
            }
        }
        if want.calls.len() != got.calls.len() {
            add(None, format!("{} calls expected, {} made", want.calls.len(), got.calls.len()));
        }
    }
    for name in actual.scenarios.keys().filter(|n| !expected.scenarios.contains_key(*n)) {
        report.differences.push(Difference { scenario: name.clone(), call: None, what: "scenario added".into() });
    }
    report
}

fn compare_call(want: &CallRecord, got: &CallRecord) -> Vec<String> {
    let mut out = Vec::new();
    if (want.method.as_str(), want.route.as_str(), want.by.as_str())
        != (got.method.as_str(), got.route.as_str(), got.by.as_str())
    {
        out.push(format!(
            "call changed: expected {} {} by {}, got {} {} by {}",
            want.method, want.route, want.by, got.method, got.route, got.by
        ));
        return out;
    }
    let call = format!("{} {}", got.method, got.route);
    if want.params != got.params {
        out.push(format!("{call}: parameters changed from {:?} to {:?}", want.params, got.params));
    }
    if want.status != got.status {
        out.push(format!("{call}: status changed from {} to {}", want.status, got.status));
    }
    if want.slug != got.slug {
        let name = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
        out.push(format!("{call}: slug changed from {} to {}", name(&want.slug), name(&got.slug)));
    }
    match (&want.result, &got.result) {
        (Some(w), Some(g)) => compare_shape("result", w, g, &call, &mut out),
        (Some(_), None) => out.push(format!("{call}: result missing")),
        (None, Some(_)) => out.push(format!("{call}: result added")),
        (None, None) => {}
    }
    out
}

fn kind(shape: &Value) -> String {
    match shape {
        Value::Object(_) => "object".into(),
        Value::Array(_) => "list".into(),
        Value::String(placeholder) => placeholder.trim_matches(['<', '>']).to_owned(),
        other => other.to_string(),
    }
}

fn compare_shape(path: &str, want: &Value, got: &Value, call: &str, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (key, ws) in w {
                match g.get(key) {
                    None => out.push(format!("{call}: field missing: {path}.{key}")),
                    Some(gs) => compare_shape(&format!("{path}.{key}"), ws, gs, call, out),
                }
            }
            for key in g.keys().filter(|k| !w.contains_key(*k)) {
                out.push(format!("{call}: field added: {path}.{key} ({})", kind(&g[key])));
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if let (Some(ws), Some(gs)) = (w.first(), g.first()) {
                compare_shape(&format!("{path}[]"), ws, gs, call, out);
            }
        }
        // Whether a field is null depends on the data (a company or none), not on the API's shape.
        _ if kind(want) == "null" || kind(got) == "null" => {}
        _ if kind(want) != kind(got) => {
            out.push(format!("{call}: type changed: {path} was {}, is {}", kind(want), kind(got)));
        }
        _ => {}
    }
}

/// The report in plain words, one line per difference.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for d in &report.differences {
        let call = d.call.map(|c| format!(" [call {c}]")).unwrap_or_default();
        let _ = writeln!(out, "{}{call}: {}", d.scenario, d.what);
    }
    for name in &report.not_compared {
        let _ = writeln!(out, "not compared: {name}");
    }
    let _ = writeln!(
        out,
        "{} difference(s), {} scenario(s) not compared",
        report.differences.len(),
        report.not_compared.len()
    );
    out
}

/// The report as Markdown, for a CI job summary.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("## AR24 drift report\n\n");
    if report.differences.is_empty() {
        out.push_str("No difference: AR24 answers as the reference does.\n");
    } else {
        out.push_str("| scenario | call | difference |\n|---|---|---|\n");
        for d in &report.differences {
            let call = d.call.map(|c| c.to_string()).unwrap_or_default();
            let _ = writeln!(out, "| {} | {call} | {} |", d.scenario.replace('|', "\\|"), d.what.replace('|', "\\|"));
        }
    }
    if !report.not_compared.is_empty() {
        out.push_str("\nNot compared (skipped on one side):\n\n");
        for name in &report.not_compared {
            let _ = writeln!(out, "- {name}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::record::{CallRecord, ScenarioRecord};

    fn call(route: &str, status: &str, slug: Option<&str>, result: Option<Value>) -> CallRecord {
        CallRecord {
            by: "us".into(),
            method: "GET".into(),
            route: route.into(),
            params: vec!["date".into(), "id_user".into(), "token".into()],
            status: status.into(),
            slug: slug.map(Into::into),
            result,
        }
    }

    fn run(scenarios: &[(&str, Vec<CallRecord>)]) -> Snapshot {
        Snapshot {
            format: crate::record::FORMAT,
            scenarios: scenarios
                .iter()
                .map(|(n, calls)| ((*n).to_owned(), ScenarioRecord { skipped: None, calls: calls.clone() }))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    fn user() -> Value {
        json!({"id": "<integer>", "email": "<email>", "cgu": "<integer>"})
    }

    fn whats(expected: &Snapshot, actual: &Snapshot) -> Vec<String> {
        compare(expected, actual).differences.into_iter().map(|d| d.what).collect()
    }

    #[test]
    fn identical_runs_have_no_difference() {
        let a = run(&[("S", vec![call("user", "SUCCESS", None, Some(user()))])]);
        assert_eq!(compare(&a, &a.clone()), Report::default());
        assert!(text(&compare(&a, &a)).contains("0 difference(s)"));
    }

    #[test]
    fn a_field_added_missing_or_retyped_is_named() {
        let expected = run(&[("S", vec![call("user", "SUCCESS", None, Some(user()))])]);
        let actual = run(&[(
            "S",
            vec![call(
                "user",
                "SUCCESS",
                None,
                Some(json!({"id": "<string>", "email": "<email>", "phone": "<string>"})),
            )],
        )]);
        let found = whats(&expected, &actual);
        assert!(found.contains(&"GET user: type changed: result.id was integer, is string".to_owned()), "{found:?}");
        assert!(found.contains(&"GET user: field missing: result.cgu".to_owned()), "{found:?}");
        assert!(found.contains(&"GET user: field added: result.phone (string)".to_owned()), "{found:?}");
    }

    #[test]
    fn null_against_a_value_is_data_not_drift() {
        let expected = run(&[("S", vec![call("user", "SUCCESS", None, Some(json!({"company": "<null>"})))])]);
        let actual = run(&[("S", vec![call("user", "SUCCESS", None, Some(json!({"company": "<string>"})))])]);
        assert!(whats(&expected, &actual).is_empty());
    }

    #[test]
    fn nested_lists_are_compared_by_their_elements() {
        let expected = run(&[("S", vec![call("user/list", "SUCCESS", None, Some(json!({"users": [user()]})))])]);
        let actual =
            run(&[("S", vec![call("user/list", "SUCCESS", None, Some(json!({"users": [{"id": "<integer>"}]})))])]);
        let found = whats(&expected, &actual);
        assert!(found.contains(&"GET user/list: field missing: result.users[].email".to_owned()), "{found:?}");
    }

    #[test]
    fn a_slug_or_status_that_changed_is_named() {
        let expected = run(&[("S", vec![call("user", "ERROR", Some("user_unavailable"), None)])]);
        let renamed = run(&[("S", vec![call("user", "ERROR", Some("user_not_accessible"), None)])]);
        assert_eq!(whats(&expected, &renamed), ["GET user: slug changed from user_unavailable to user_not_accessible"]);
        let succeeded = run(&[("S", vec![call("user", "SUCCESS", None, Some(user()))])]);
        let found = whats(&expected, &succeeded);
        assert!(found.contains(&"GET user: status changed from ERROR to SUCCESS".to_owned()), "{found:?}");
        assert!(found.contains(&"GET user: result added".to_owned()), "{found:?}");
    }

    #[test]
    fn scenarios_missing_or_added_and_calls_changed_are_named() {
        let expected = run(&[("A", vec![call("user", "SUCCESS", None, None)]), ("B", vec![])]);
        let actual = run(&[
            ("A", vec![call("user/info", "SUCCESS", None, None), call("user", "SUCCESS", None, None)]),
            ("C", vec![]),
        ]);
        let found = whats(&expected, &actual);
        assert!(found.contains(&"scenario missing".to_owned()), "{found:?}");
        assert!(found.contains(&"scenario added".to_owned()), "{found:?}");
        assert!(
            found.iter().any(|w| w.starts_with("call changed: expected GET user by us, got GET user/info")),
            "{found:?}"
        );
        assert!(found.contains(&"1 calls expected, 2 made".to_owned()), "{found:?}");
        let mut params = call("user", "SUCCESS", None, None);
        params.params.push("email".into());
        let changed = whats(&expected, &run(&[("A", vec![params]), ("B", vec![])]));
        assert_eq!(changed.len(), 1);
        assert!(changed[0].contains("parameters changed"), "{changed:?}");
    }

    #[test]
    fn a_scenario_skipped_on_one_side_is_not_compared() {
        let expected = run(&[("S", vec![call("user", "SUCCESS", None, Some(user()))])]);
        let mut actual = run(&[("S", vec![])]);
        actual.scenarios.get_mut("S").unwrap().skipped = Some("no operator".into());
        let report = compare(&expected, &actual);
        assert!(report.differences.is_empty());
        assert_eq!(report.not_compared, ["S (skipped: no operator)"]);
        assert!(markdown(&report).contains("No difference"));
    }

    #[test]
    fn the_markdown_report_has_a_row_per_difference() {
        let expected = run(&[("S", vec![call("user", "ERROR", Some("a"), None)])]);
        let actual = run(&[("S", vec![call("user", "ERROR", Some("b"), None)])]);
        let md = markdown(&compare(&expected, &actual));
        assert!(md.contains("| S | 1 | GET user: slug changed from a to b |"), "{md}");
    }
}
