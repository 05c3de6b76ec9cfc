//! Which scenarios a target cannot run, and why. Decided before the run from
//! the scenario's tags, so a skip is never silent: the runner reports each one.
//!
//! | tag | runs on a mock | runs on the sandbox when |
//! |---|---|---|
//! | `@out_of_band` | yes (the mailbox is read over HTTP) | `AR24_OPERATOR` is set |
//! | `@needs_second_partner` | yes (the control plane makes one) | `AR24_SECOND_TOKEN` is set |
//! | `@needs_global_billing` | yes (a partner with it is made) | `AR24_GLOBAL_BILLING=1` |
//! | `@needs_no_global_billing` | yes | `AR24_GLOBAL_BILLING` is not `1` |
//! | `@needs_cgu_preaccepted` | yes (a partner with it is made) | `AR24_CGU_PREACCEPTED=1` |
//! | `@needs_no_cgu_preaccepted` | yes | `AR24_CGU_PREACCEPTED` is not `1` |
//! | `@needs_business_clock` | yes (the control plane moves its clock) | never: AR24's days take days |
//! | `@needs_webhook_receiver` | yes (the suite's receiver on 127.0.0.1) | `AR24_WEBHOOK_URL` is set |
//! | `@mock_only` | yes | never: it reads the mock's outbox, which AR24 has not |

use crate::target::Target;

/// Why `target` cannot run a scenario with these tags (feature, rule and
/// scenario tags together, with or without `@`), or `None` if it can.
pub fn skip_reason<S: AsRef<str>>(tags: &[S], target: &Target) -> Option<String> {
    if target.is_mock() {
        return None;
    }
    let has = |tag: &str| tags.iter().any(|t| t.as_ref().trim_start_matches('@') == tag);
    if has("mock_only") {
        return Some(
            "checks what AR24 emails by reading the mock's outbox; the sandbox's mail reaches real inboxes only".into(),
        );
    }
    if has("needs_business_clock") {
        return Some(
            "moves the business clock days ahead, which only the mock can: on AR24 the 15 days of negligence take 15 days"
                .into(),
        );
    }
    if has("out_of_band") && target.operator.is_none() {
        return Some(
            "a person must act on an AR24 email or the AR24 website, and no operator is declared (set AR24_OPERATOR)"
                .into(),
        );
    }
    if has("needs_second_partner") && target.second_partner.is_none() {
        return Some("needs a second partner token (set AR24_SECOND_TOKEN and AR24_SECOND_PRIVATE_KEY)".into());
    }
    if has("needs_global_billing") && !target.global_billing {
        return Some(
            "needs a token with global billing (set AR24_GLOBAL_BILLING=1 if the sandbox token has it)".into(),
        );
    }
    if has("needs_no_global_billing") && target.global_billing {
        return Some("expects a token without global billing, and AR24_GLOBAL_BILLING=1 says this one has it".into());
    }
    if has("needs_webhook_receiver") && target.webhook.is_none() {
        return Some(
            "needs a webhook receiver AR24 can reach (set AR24_WEBHOOK_URL to a public URL that reaches AR24_WEBHOOK_LISTEN)"
                .into(),
        );
    }
    if has("needs_cgu_preaccepted") && !target.cgu_preaccepted {
        return Some(
            "needs a token with CGU pre-acceptance (set AR24_CGU_PREACCEPTED=1 if the sandbox token has it)".into(),
        );
    }
    if has("needs_no_cgu_preaccepted") && target.cgu_preaccepted {
        return Some(
            "expects a token without CGU pre-acceptance, and AR24_CGU_PREACCEPTED=1 says this one has it".into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(extra: &[(&str, &str)]) -> Target {
        let mut vars = vec![
            ("AR24_TARGET", "sandbox"),
            ("AR24_BASE_URL", "https://sandbox.ar24.fr/api/"),
            ("AR24_TOKEN", "t"),
            ("AR24_PRIVATE_KEY", "k"),
        ];
        vars.extend_from_slice(extra);
        Target::from_vars(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())).unwrap()
    }

    #[test]
    fn a_mock_runs_everything() {
        let mock = Target::from_vars(|_| None).unwrap();
        assert_eq!(skip_reason(&["out_of_band", "needs_global_billing", "needs_second_partner"], &mock), None);
    }

    #[test]
    fn the_sandbox_skips_out_of_band_without_an_operator_and_says_so() {
        let reason = skip_reason(&["@out_of_band"], &sandbox(&[])).unwrap();
        assert!(reason.contains("AR24_OPERATOR"), "{reason}");
        let with_operator = sandbox(&[("AR24_OPERATOR", "Claire"), ("AR24_EMAIL_TEMPLATE", "qa+{id}@acme.fr")]);
        assert_eq!(skip_reason(&["out_of_band"], &with_operator), None);
        assert_eq!(skip_reason::<&str>(&[], &sandbox(&[])), None);
    }

    #[test]
    fn the_business_clock_never_runs_on_the_sandbox_and_webhooks_need_a_reachable_receiver() {
        let everything = sandbox(&[
            ("AR24_OPERATOR", "Claire"),
            ("AR24_EMAIL_TEMPLATE", "qa+{id}@acme.fr"),
            ("AR24_WEBHOOK_URL", "https://hooks.acme.fr/ar24"),
        ]);
        let reason = skip_reason(&["needs_business_clock"], &everything).unwrap();
        assert!(reason.contains("15 days"), "{reason}");
        assert_eq!(skip_reason(&["needs_webhook_receiver"], &everything), None);
        let reason = skip_reason(&["needs_webhook_receiver"], &sandbox(&[])).unwrap();
        assert!(reason.contains("AR24_WEBHOOK_URL"), "{reason}");
        assert_eq!(everything.webhook.as_ref().map(|w| w.listen.port()), Some(8099));
        let bad = Target::from_vars(|name| match name {
            "AR24_WEBHOOK_URL" => Some("https://hooks.acme.fr/ar24".into()),
            "AR24_WEBHOOK_LISTEN" => Some("everywhere".into()),
            _ => None,
        });
        assert!(bad.unwrap_err().0.contains("AR24_WEBHOOK_LISTEN"));
        let mock = Target::from_vars(|_| None).unwrap();
        assert_eq!(skip_reason(&["needs_business_clock", "needs_webhook_receiver"], &mock), None);
    }

    #[test]
    fn settings_run_only_where_declared_and_their_opposites_only_where_not() {
        let plain = sandbox(&[]);
        let billing = sandbox(&[("AR24_GLOBAL_BILLING", "1")]);
        assert!(skip_reason(&["needs_global_billing"], &plain).is_some());
        assert!(skip_reason(&["needs_global_billing"], &billing).is_none());
        assert!(skip_reason(&["needs_no_global_billing"], &plain).is_none());
        assert!(skip_reason(&["needs_no_global_billing"], &billing).is_some());
        let cgu = sandbox(&[("AR24_CGU_PREACCEPTED", "1")]);
        assert!(skip_reason(&["needs_cgu_preaccepted"], &plain).is_some());
        assert!(skip_reason(&["needs_cgu_preaccepted"], &cgu).is_none());
        assert!(skip_reason(&["needs_no_cgu_preaccepted"], &cgu).is_some());
        assert!(skip_reason(&["needs_second_partner"], &plain).is_some());
        let second = sandbox(&[("AR24_SECOND_TOKEN", "t2"), ("AR24_SECOND_PRIVATE_KEY", "k2")]);
        assert!(skip_reason(&["needs_second_partner"], &second).is_none());
    }
}
