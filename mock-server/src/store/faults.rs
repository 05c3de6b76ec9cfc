//! Injected faults: what partners rehearse their retry and error handling
//! against. A rule answers AR24's maintenance reply, an error slug, an added
//! delay or a dropped connection, for a route or all, a partner or all, a
//! number of times or until removed. Not kept in the state file; resets
//! forget them (all, or a partner's).
//!
//! Lock order: one mutex.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::tracked::Changes;
use crate::slug::Slug;

/// Longest delay a rule may add.
pub const MAX_DELAY_MS: u64 = 60_000;

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// Answers `{"status":"maintenance"}`.
    Maintenance,
    /// Answers the error envelope with a chosen slug.
    Error,
    /// Waits, then answers normally.
    Delay,
    /// Closes the connection without an answer.
    Drop,
}

/// Body of `POST /_mock/faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    /// What the fault does.
    pub kind: FaultKind,
    /// For `error`: the slug to answer.
    pub slug: Option<String>,
    /// For `delay`: milliseconds to add.
    pub delay_ms: Option<u64>,
    /// The route below `/api/` (`user/list`); none: every API route.
    pub route: Option<String>,
    /// The partner token; none: every partner.
    pub token: Option<String>,
    /// How many calls it applies to; none: until removed.
    pub times: Option<u64>,
}

/// A rule in force.
#[derive(Debug, Clone, Serialize)]
pub struct FaultRule {
    /// Its number.
    pub id: u64,
    /// What it does.
    pub kind: FaultKind,
    /// For `error`.
    pub slug: Option<Slug>,
    /// For `delay`.
    pub delay_ms: Option<u64>,
    /// Route it applies to (none: all).
    pub route: Option<String>,
    /// Partner it applies to (none: all).
    pub token: Option<String>,
    /// Calls left (none: until removed).
    pub remaining: Option<u64>,
    /// Calls it has answered so far.
    pub served: u64,
}

/// What the front door does for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer maintenance.
    Maintenance,
    /// Answer this error.
    Error(Slug),
    /// Wait, then go on.
    Delay(Duration),
    /// Close the connection.
    Drop,
}

impl Fault {
    /// The name the journal shows.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Maintenance => "maintenance",
            Fault::Error(_) => "error",
            Fault::Delay(_) => "delay",
            Fault::Drop => "drop",
        }
    }
}

fn normalize(route: &str) -> String {
    route.trim().trim_matches('/').to_owned()
}

/// The rules in force, oldest first.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<(u64, Vec<FaultRule>)>,
    /// Told of every change (the console shows the rules and what they served).
    changes: Arc<Changes>,
}

impl Faults {
    /// No rule yet; changes are told to `changes`.
    pub fn new(changes: &Arc<Changes>) -> Self {
        Self { rules: Mutex::default(), changes: Arc::clone(changes) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<FaultRule>)> {
        self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a rule; `invalid_fault` when it cannot apply as asked.
    pub fn add(&self, request: FaultRequest) -> Result<FaultRule, Slug> {
        let slug = match (request.kind, request.slug.as_deref()) {
            (FaultKind::Error, Some(text)) => Some(Slug::parse(text).ok_or(Slug::InvalidFault)?),
            (FaultKind::Error, None) => return Err(Slug::InvalidFault),
            (_, Some(_)) => return Err(Slug::InvalidFault),
            (_, None) => None,
        };
        match (request.kind, request.delay_ms) {
            (FaultKind::Delay, Some(ms)) if ms <= MAX_DELAY_MS => {}
            (FaultKind::Delay, _) | (_, Some(_)) => return Err(Slug::InvalidFault),
            _ => {}
        }
        if request.times == Some(0) {
            return Err(Slug::InvalidFault);
        }
        let mut rules = self.lock();
        rules.0 += 1;
        let rule = FaultRule {
            id: rules.0,
            kind: request.kind,
            slug,
            delay_ms: request.delay_ms,
            route: request.route.as_deref().map(normalize).filter(|r| !r.is_empty()),
            token: request.token.filter(|t| !t.is_empty()),
            remaining: request.times,
            served: 0,
        };
        rules.1.push(rule.clone());
        self.changes.bump();
        Ok(rule)
    }

    /// The rules in force.
    pub fn list(&self) -> Vec<FaultRule> {
        self.lock().1.clone()
    }

    /// Removes every rule, or those of one partner.
    pub fn clear(&self, token: Option<&str>) {
        self.lock().1.retain(|r| token.is_some_and(|t| r.token.as_deref() != Some(t)));
        self.changes.bump();
    }

    /// The fault for a call to `route` by `token`, if a rule applies: the
    /// oldest matching rule serves it, and is removed once its times are used.
    pub fn take(&self, route: &str, token: Option<&str>) -> Option<Fault> {
        let mut rules = self.lock();
        // Every API call passes here: with no rule, nothing more to do.
        if rules.1.is_empty() {
            return None;
        }
        let route = normalize(route);
        let index = rules.1.iter().position(|r| {
            r.route.as_deref().is_none_or(|want| want == route)
                && r.token.as_deref().is_none_or(|want| Some(want) == token)
        })?;
        let rule = &mut rules.1[index];
        rule.served += 1;
        self.changes.bump();
        let fault = match rule.kind {
            FaultKind::Maintenance => Fault::Maintenance,
            FaultKind::Error => Fault::Error(rule.slug.unwrap_or(Slug::InternalError)),
            FaultKind::Delay => Fault::Delay(Duration::from_millis(rule.delay_ms.unwrap_or(0))),
            FaultKind::Drop => Fault::Drop,
        };
        if let Some(left) = rule.remaining.as_mut() {
            *left -= 1;
            if *left == 0 {
                rules.1.remove(index);
            }
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: FaultKind) -> FaultRequest {
        FaultRequest { kind, slug: None, delay_ms: None, route: None, token: None, times: None }
    }

    #[test]
    fn a_rule_applies_its_times_then_goes() {
        let faults = Faults::default();
        faults
            .add(FaultRequest { times: Some(2), route: Some("/user/list/".into()), ..request(FaultKind::Maintenance) })
            .unwrap();
        assert_eq!(faults.take("user", None), None, "another route");
        assert_eq!(faults.take("user/list", None), Some(Fault::Maintenance));
        assert_eq!(faults.take("user/list/", Some("t")), Some(Fault::Maintenance));
        assert_eq!(faults.take("user/list", None), None);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn token_rules_match_their_partner_only_and_the_oldest_rule_wins() {
        let faults = Faults::default();
        faults.add(FaultRequest { token: Some("a".into()), ..request(FaultKind::Drop) }).unwrap();
        faults.add(request(FaultKind::Maintenance)).unwrap();
        assert_eq!(faults.take("user", Some("a")), Some(Fault::Drop));
        assert_eq!(faults.take("user", Some("b")), Some(Fault::Maintenance));
        assert_eq!(faults.list()[0].served, 1);
        faults.clear(Some("a"));
        let left: Vec<Option<String>> = faults.list().into_iter().map(|r| r.token).collect();
        assert_eq!(left, [None], "only partner a's rule is gone");
        faults.clear(None);
        assert!(faults.list().is_empty());
    }

    #[test]
    fn rules_that_cannot_apply_are_refused() {
        let faults = Faults::default();
        for bad in [
            request(FaultKind::Error),
            FaultRequest { slug: Some("no_such_slug".into()), ..request(FaultKind::Error) },
            request(FaultKind::Delay),
            FaultRequest { delay_ms: Some(MAX_DELAY_MS + 1), ..request(FaultKind::Delay) },
            FaultRequest { delay_ms: Some(5), ..request(FaultKind::Maintenance) },
            FaultRequest { slug: Some("token_invalid".into()), ..request(FaultKind::Drop) },
            FaultRequest { times: Some(0), ..request(FaultKind::Drop) },
        ] {
            assert_eq!(faults.add(bad.clone()).err(), Some(Slug::InvalidFault), "{bad:?}");
        }
        let error = faults.add(FaultRequest { slug: Some("user_no_payment".into()), ..request(FaultKind::Error) });
        assert_eq!(error.unwrap().slug, Some(Slug::UserNoPayment));
    }
}
