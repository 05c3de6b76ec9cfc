//! The report of skipped scenarios. Cucumber drops filtered scenarios from its
//! own reports, so the runner lists them itself: on the console and, when a
//! JUnit file is asked for, as `<skipped>` test cases in that file.

use html_escape::encode_double_quoted_attribute as escape;

/// A scenario the target could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedScenario {
    /// The feature's name.
    pub feature: String,
    /// The scenario's name.
    pub scenario: String,
    /// Where it is written: `path:line:column`.
    pub location: String,
    /// Why it was skipped.
    pub reason: String,
}

/// The console section listing skipped scenarios (empty when none).
pub fn console(skipped: &[SkippedScenario]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let mut out = format!("\n{} scenario(s) skipped by this target:\n", skipped.len());
    for s in skipped {
        out.push_str(&format!(
            "  - Feature: {} / Scenario: {} ({})\n      skipped: {}\n",
            s.feature, s.scenario, s.location, s.reason
        ));
    }
    out
}

/// `xml` (a JUnit report) with one `<testsuite>` holding a skipped test case per scenario.
pub fn add_to_junit(xml: &str, skipped: &[SkippedScenario]) -> String {
    if skipped.is_empty() {
        return xml.to_owned();
    }
    let mut suite = format!(
        "  <testsuite id=\"skipped\" name=\"Skipped by this target\" tests=\"{n}\" skipped=\"{n}\" failures=\"0\" errors=\"0\">\n",
        n = skipped.len()
    );
    for s in skipped {
        suite.push_str(&format!(
            "    <testcase name=\"Scenario: {}: {}\" classname=\"Feature: {}\">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
            escape(&s.scenario),
            escape(&s.location),
            escape(&s.feature),
            escape(&s.reason)
        ));
    }
    suite.push_str("  </testsuite>\n");
    match xml.rfind("</testsuites>") {
        Some(end) => format!("{}{suite}{}", &xml[..end], &xml[end..]),
        None => format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n{suite}</testsuites>\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one() -> Vec<SkippedScenario> {
        vec![SkippedScenario {
            feature: "CGU".into(),
            scenario: "The user accepts \"the CGU\" <by email>".into(),
            reason: "no operator & no time".into(),
            location: "features/cgu.feature:12:3".into(),
        }]
    }

    #[test]
    fn skipped_scenarios_join_an_existing_report_escaped() {
        let xml = "<?xml version=\"1.0\"?>\n<testsuites>\n  <testsuite name=\"x\"></testsuite>\n</testsuites>\n";
        let out = add_to_junit(xml, &one());
        assert!(out.contains("<testsuite name=\"x\"></testsuite>"));
        assert!(
            out.contains(
                "name=\"Scenario: The user accepts &quot;the CGU&quot; &lt;by email&gt;: features/cgu.feature:12:3\""
            ),
            "{out}"
        );
        assert!(out.contains("<skipped message=\"no operator &amp; no time\"/>"), "{out}");
        assert!(out.trim_end().ends_with("</testsuites>"));
    }

    #[test]
    fn nothing_skipped_leaves_the_report_alone() {
        assert_eq!(add_to_junit("<testsuites></testsuites>", &[]), "<testsuites></testsuites>");
        assert_eq!(console(&[]), "");
    }

    #[test]
    fn the_console_names_each_scenario_and_its_reason() {
        let text = console(&one());
        assert!(text.contains("1 scenario(s) skipped"));
        assert!(text.contains("Scenario: The user accepts \"the CGU\" <by email>"));
        assert!(text.contains("skipped: no operator & no time"));
    }
}
