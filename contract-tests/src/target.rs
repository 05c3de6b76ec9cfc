//! Which AR24 the suite runs against, chosen by environment variables:
//!
//! | `AR24_TARGET` | what | needs |
//! |---|---|---|
//! | unset or `in-process` | a mock started inside the runner | nothing |
//! | `mock` | a mock already running | `AR24_BASE_URL`; `AR24_TOKEN` / `AR24_PRIVATE_KEY` default to the mock's |
//! | `sandbox` | AR24's sandbox | `AR24_BASE_URL`, `AR24_TOKEN`, `AR24_PRIVATE_KEY` |
//!
//! Optional: `AR24_OPERATOR` (a person who clicks emailed links, sandbox),
//! `AR24_OPERATOR_TIMEOUT` (seconds, default 600), `AR24_OPERATOR_POLL`
//! (seconds between looks at the API, default 5), `AR24_SECOND_TOKEN` and
//! `AR24_SECOND_PRIVATE_KEY` (another partner, sandbox), `AR24_GLOBAL_BILLING`
//! and `AR24_CGU_PREACCEPTED` (`1` when the sandbox token has that setting),
//! `AR24_EMAIL_TEMPLATE` (addresses of created users, `{id}` replaced),
//! `AR24_WEBHOOK_URL` (a public URL AR24 can call that reaches this machine,
//! sandbox) with `AR24_WEBHOOK_LISTEN` (the local address it reaches, default
//! `0.0.0.0:8099`). On a mock the suite's receiver listens on 127.0.0.1.
//! The suite refuses every AR24 host but the sandbox.

use std::time::Duration;

/// The one AR24 host the suite may call: it creates accounts and sends real
/// emails, so never production or any other host of AR24's domain.
pub const SANDBOX_HOST: &str = "sandbox.ar24.fr";

/// AR24's domain.
pub const AR24_DOMAIN: &str = "ar24.fr";

/// The token ar24-mock's default partner has (documented in its README).
pub const MOCK_DEFAULT_TOKEN: &str = "ar24-mock-token";

/// The private key of ar24-mock's default partner (documented in its README).
pub const MOCK_DEFAULT_PRIVATE_KEY: &str = "ar24-mock-private-key";

/// Where created users' addresses go by default: a reserved domain nobody receives mail for.
pub const DEFAULT_EMAIL_TEMPLATE: &str = "ar24-contract+{id}@example.com";

/// The kind of target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A mock started inside the runner.
    InProcess,
    /// A mock already running, with its control plane.
    Mock,
    /// AR24's sandbox.
    Sandbox,
}

/// A partner's credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The API token.
    pub token: String,
    /// The private key.
    pub private_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("token", &self.token).finish_non_exhaustive()
    }
}

/// A person who acts on AR24's emails and website during a sandbox run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// Who it is, for the prompts.
    pub name: String,
    /// How long to wait for each action.
    pub timeout: Duration,
    /// How often to look at the API for it.
    pub poll_every: Duration,
}

/// What the suite runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The kind.
    pub kind: TargetKind,
    /// The API base URL, ending in `/`; empty for an in-process mock until it starts.
    pub base_url: String,
    /// Our partner.
    pub partner: Credentials,
    /// Another partner (sandbox only: on a mock, the control plane makes one).
    pub second_partner: Option<Credentials>,
    /// The person who clicks links (sandbox only).
    pub operator: Option<Operator>,
    /// The sandbox token has global billing.
    pub global_billing: bool,
    /// The sandbox token may create users with the CGU pre-accepted.
    pub cgu_preaccepted: bool,
    /// Addresses of created users, `{id}` replaced by a unique id.
    pub email_template: String,
    /// Where AR24 can call our webhook receiver (sandbox; on a mock the receiver's own URL).
    pub webhook: Option<WebhookReceiver>,
}

/// A webhook receiver AR24 can reach: the public URL, and where it lands locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReceiver {
    /// The URL given to AR24 (`AR24_WEBHOOK_URL`).
    pub public_url: String,
    /// The local address the receiver listens on (`AR24_WEBHOOK_LISTEN`).
    pub listen: std::net::SocketAddr,
}

/// A wrong or incomplete configuration: the message says what to set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Target {
    /// The target the environment describes.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The target described by `var` (a lookup of environment variables).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let kind = match var("AR24_TARGET").as_deref() {
            None | Some("in-process") => TargetKind::InProcess,
            Some("mock") => TargetKind::Mock,
            Some("sandbox") => TargetKind::Sandbox,
            Some(other) => {
                return Err(ConfigError(format!(
                    "AR24_TARGET={other} is not a target: use in-process (default), mock or sandbox"
                )));
            }
        };
        let require = |name: &str, example: &str| {
            var(name).ok_or_else(|| {
                let target = if kind == TargetKind::Sandbox { "sandbox" } else { "mock" };
                ConfigError(format!("AR24_TARGET={target} needs {name}: set {name} (for example {example})"))
            })
        };
        let base_url = match kind {
            TargetKind::InProcess => String::new(),
            TargetKind::Mock => normalize(&require("AR24_BASE_URL", "http://127.0.0.1:8080/api/")?)?,
            TargetKind::Sandbox => normalize(&require("AR24_BASE_URL", "https://sandbox.ar24.fr/api/")?)?,
        };
        let partner = match kind {
            TargetKind::Sandbox => Credentials {
                token: require("AR24_TOKEN", "the sandbox token AR24 gave you")?,
                private_key: require("AR24_PRIVATE_KEY", "the private key that goes with AR24_TOKEN")?,
            },
            _ => Credentials {
                token: var("AR24_TOKEN").unwrap_or_else(|| MOCK_DEFAULT_TOKEN.into()),
                private_key: var("AR24_PRIVATE_KEY").unwrap_or_else(|| MOCK_DEFAULT_PRIVATE_KEY.into()),
            },
        };
        let second_partner = match (var("AR24_SECOND_TOKEN"), var("AR24_SECOND_PRIVATE_KEY")) {
            (Some(token), Some(private_key)) => Some(Credentials { token, private_key }),
            (None, None) => None,
            _ => {
                return Err(ConfigError(
                    "AR24_SECOND_TOKEN and AR24_SECOND_PRIVATE_KEY go together: set both or neither".into(),
                ));
            }
        };
        let seconds = |name: &str, default: u64| match var(name) {
            None => Ok(Duration::from_secs(default)),
            Some(text) => text
                .parse()
                .map(Duration::from_secs)
                .map_err(|_| ConfigError(format!("{name}={text} is not a whole number of seconds"))),
        };
        let timeout = seconds("AR24_OPERATOR_TIMEOUT", 600)?;
        let poll_every = seconds("AR24_OPERATOR_POLL", 5)?;
        let operator = var("AR24_OPERATOR").map(|name| Operator { name, timeout, poll_every });
        let email_template = var("AR24_EMAIL_TEMPLATE").unwrap_or_else(|| DEFAULT_EMAIL_TEMPLATE.into());
        if !email_template.contains("{id}") || !email_template.contains('@') {
            return Err(ConfigError(format!(
                "AR24_EMAIL_TEMPLATE={email_template} must be an address containing {{id}}, e.g. qa+{{id}}@your-company.fr"
            )));
        }
        if kind == TargetKind::Sandbox && operator.is_some() && var("AR24_EMAIL_TEMPLATE").is_none() {
            return Err(ConfigError(
                "AR24_OPERATOR is set, so AR24's emails must reach the operator: set AR24_EMAIL_TEMPLATE to an address they read, with {id}, e.g. qa+{id}@your-company.fr".into(),
            ));
        }
        let webhook = match var("AR24_WEBHOOK_URL") {
            None => None,
            Some(public_url) => {
                let listen = var("AR24_WEBHOOK_LISTEN").unwrap_or_else(|| "0.0.0.0:8099".into());
                let listen = listen.parse().map_err(|_| {
                    ConfigError(format!(
                        "AR24_WEBHOOK_LISTEN={listen} is not an address to listen on, e.g. 0.0.0.0:8099"
                    ))
                })?;
                Some(WebhookReceiver { public_url, listen })
            }
        };
        Ok(Self {
            kind,
            base_url,
            partner,
            second_partner,
            operator,
            webhook,
            global_billing: flag(var("AR24_GLOBAL_BILLING"), "AR24_GLOBAL_BILLING")?,
            cgu_preaccepted: flag(var("AR24_CGU_PREACCEPTED"), "AR24_CGU_PREACCEPTED")?,
            email_template,
        })
    }

    /// How many scenarios may run at once. An operator acts on one prompt at
    /// a time, and a poll must see their action, not another scenario's: with
    /// an operator, one. The sandbox gets a few; a mock many.
    pub fn max_concurrent_scenarios(&self) -> usize {
        match self.kind {
            _ if self.operator.is_some() => 1,
            TargetKind::Sandbox => 4,
            TargetKind::InProcess | TargetKind::Mock => 64,
        }
    }

    /// Whether the target has the mock's control plane (mailbox, partners).
    pub fn is_mock(&self) -> bool {
        self.kind != TargetKind::Sandbox
    }

    /// The control plane's root (`http://host:port/_mock/`), on a mock.
    pub fn control_url(&self) -> Option<String> {
        self.is_mock().then(|| format!("{}_mock/", self.base_url.trim_end_matches('/').trim_end_matches("api")))
    }
}

fn flag(value: Option<String>, name: &str) -> Result<bool, ConfigError> {
    match value.as_deref() {
        None | Some("0" | "false") => Ok(false),
        Some("1" | "true") => Ok(true),
        Some(other) => Err(ConfigError(format!("{name}={other}: use 1 or 0"))),
    }
}

fn normalize(url: &str) -> Result<String, ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            ConfigError(format!("AR24_BASE_URL={url} must start with http:// or https:// and name a host"))
        })?;
    // The parser lowercases the host and keeps user info and port apart; a
    // trailing dot names the same host.
    let host = parsed.host_str().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
    let is_ar24 = host == AR24_DOMAIN || host.ends_with(&format!(".{AR24_DOMAIN}"));
    if is_ar24 && host != SANDBOX_HOST {
        return Err(ConfigError(format!(
            "refusing to run against {host}: of AR24's hosts only the sandbox ({SANDBOX_HOST}) may be used, since the suite creates accounts and sends real emails. Use https://{SANDBOX_HOST}/api/"
        )));
    }
    Ok(if url.ends_with('/') { url.to_owned() } else { format!("{url}/") })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn target(vars: &[(&str, &str)]) -> Result<Target, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Target::from_vars(|name| map.get(name).cloned())
    }

    fn sandbox() -> Vec<(&'static str, &'static str)> {
        vec![
            ("AR24_TARGET", "sandbox"),
            ("AR24_BASE_URL", "https://sandbox.ar24.fr/api"),
            ("AR24_TOKEN", "tok"),
            ("AR24_PRIVATE_KEY", "key"),
        ]
    }

    #[test]
    fn nothing_set_is_the_in_process_mock_with_its_defaults() {
        let t = target(&[]).unwrap();
        assert_eq!(t.kind, TargetKind::InProcess);
        assert_eq!(t.partner.token, MOCK_DEFAULT_TOKEN);
        assert!(t.operator.is_none());
    }

    #[test]
    fn a_running_mock_needs_its_url_and_has_a_control_plane() {
        let err = target(&[("AR24_TARGET", "mock")]).unwrap_err();
        assert!(err.0.contains("set AR24_BASE_URL"), "{err}");
        let t = target(&[("AR24_TARGET", "mock"), ("AR24_BASE_URL", "http://mock:8080/api/")]).unwrap();
        assert_eq!(t.control_url().as_deref(), Some("http://mock:8080/_mock/"));
    }

    #[test]
    fn the_sandbox_needs_url_token_and_key_each_named() {
        for missing in ["AR24_BASE_URL", "AR24_TOKEN", "AR24_PRIVATE_KEY"] {
            let vars: Vec<_> = sandbox().into_iter().filter(|(k, _)| *k != missing).collect();
            let err = target(&vars).unwrap_err();
            assert!(err.0.contains(&format!("set {missing}")), "{err}");
        }
        let t = target(&sandbox()).unwrap();
        assert_eq!(t.base_url, "https://sandbox.ar24.fr/api/");
        assert_eq!(t.control_url(), None);
    }

    fn with_url(url: &str) -> Result<Target, ConfigError> {
        let mut vars = sandbox();
        vars.retain(|(k, _)| *k != "AR24_BASE_URL");
        vars.push(("AR24_BASE_URL", url));
        target(&vars)
    }

    #[track_caller]
    fn refused(url: &str) {
        let err = with_url(url).unwrap_err();
        assert!(err.0.starts_with("refusing"), "{url}: {err}");
    }

    #[test]
    fn production_is_refused() {
        refused("https://app.ar24.fr/api/");
    }

    #[test]
    fn production_is_refused_in_capitals() {
        refused("https://APP.AR24.FR/api/");
    }

    #[test]
    fn production_is_refused_with_a_port() {
        refused("https://app.ar24.fr:443/api");
    }

    #[test]
    fn production_is_refused_over_plain_http() {
        refused("http://app.ar24.fr");
    }

    #[test]
    fn production_is_refused_behind_user_info() {
        refused("https://x@app.ar24.fr/api/");
        refused("https://user:pass@app.ar24.fr/api/");
    }

    #[test]
    fn production_is_refused_with_a_trailing_dot() {
        refused("https://app.ar24.fr./api/");
    }

    #[test]
    fn the_website_and_the_bare_domain_are_refused() {
        refused("https://www.ar24.fr/api/");
        refused("https://ar24.fr/api/");
        refused("https://ar24.fr./api/");
    }

    #[test]
    fn any_other_host_of_the_domain_is_refused() {
        refused("https://api.ar24.fr/api/");
        refused("https://sandbox.ar24.fr.app.ar24.fr/api/");
    }

    #[test]
    fn the_sandbox_is_allowed_however_it_is_written() {
        for url in ["https://sandbox.ar24.fr/api/", "https://SANDBOX.ar24.fr/api", "https://sandbox.ar24.fr./api/"] {
            assert!(with_url(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn hosts_that_only_look_like_ar24_are_not_ar24() {
        for url in ["https://ar24.fr.example.com/api/", "https://notar24.fr/api/", "http://127.0.0.1:8080/api/"] {
            assert!(with_url(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn an_operator_means_one_scenario_at_a_time() {
        assert_eq!(target(&sandbox()).unwrap().max_concurrent_scenarios(), 4);
        let mut operator = sandbox();
        operator.extend([("AR24_OPERATOR", "Claire"), ("AR24_EMAIL_TEMPLATE", "qa+{id}@acme.fr")]);
        assert_eq!(target(&operator).unwrap().max_concurrent_scenarios(), 1);
        let mock = [("AR24_TARGET", "mock"), ("AR24_BASE_URL", "http://m/api/"), ("AR24_OPERATOR", "Claire")];
        assert_eq!(target(&mock).unwrap().max_concurrent_scenarios(), 1);
        assert_eq!(target(&[]).unwrap().max_concurrent_scenarios(), 64);
    }

    #[test]
    fn wrong_values_are_explained() {
        assert!(target(&[("AR24_TARGET", "prod")]).unwrap_err().0.contains("in-process (default), mock or sandbox"));
        let mut half = sandbox();
        half.push(("AR24_SECOND_TOKEN", "x"));
        assert!(target(&half).unwrap_err().0.contains("set both"));
        let mut operator = sandbox();
        operator.push(("AR24_OPERATOR", "Claire"));
        assert!(target(&operator).unwrap_err().0.contains("AR24_EMAIL_TEMPLATE"));
        operator.push(("AR24_EMAIL_TEMPLATE", "qa+{id}@acme.fr"));
        assert_eq!(target(&operator).unwrap().operator.unwrap().name, "Claire");
        let mut timeout = sandbox();
        timeout.push(("AR24_OPERATOR_TIMEOUT", "ten"));
        assert!(target(&timeout).unwrap_err().0.contains("AR24_OPERATOR_TIMEOUT=ten is not"));
        let mut billing = sandbox();
        billing.push(("AR24_GLOBAL_BILLING", "yes please"));
        assert!(target(&billing).unwrap_err().0.contains("use 1 or 0"));
        let mut url = sandbox();
        url.retain(|(k, _)| *k != "AR24_BASE_URL");
        url.push(("AR24_BASE_URL", "sandbox.ar24.fr/api"));
        assert!(target(&url).unwrap_err().0.contains("http://"));
    }
}
