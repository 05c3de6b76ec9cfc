//! Start-up configuration: one flag and one environment variable per setting.
//! The README's configuration table mirrors `ar24-mock --help`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The default partner's token: fixed, so a pipeline needs no set-up.
pub const DEFAULT_TOKEN: &str = "ar24-mock-token";
/// The default partner's private key: fixed, so a pipeline needs no set-up.
pub const DEFAULT_PRIVATE_KEY: &str = "ar24-mock-private-key";
/// Default port.
pub const DEFAULT_PORT: u16 = 8080;
/// Default accepted distance between `date` and the server clock, in seconds.
pub const DEFAULT_DATE_WINDOW: u64 = 600;
/// Default largest request body, in bytes.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
/// Default largest state fixture, in bytes.
pub const DEFAULT_MAX_STATE_BODY: usize = 256 * 1024 * 1024;
/// Default largest attachment file, in bytes: AR24's 256 MB.
pub const DEFAULT_MAX_ATTACHMENT: usize = 256 * 1024 * 1024;
/// Default longest letter content, in characters.
pub const DEFAULT_MAX_CONTENT: usize = 100_000;
/// Default number of journal entries kept.
pub const DEFAULT_JOURNAL_LIMIT: usize = 10_000;
/// Default seconds between two writes of the state file.
pub const DEFAULT_STATE_INTERVAL: f64 = 1.0;

/// How strictly the API authenticates and whether it encrypts.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Exactly like AR24: date window, signature, encrypted success bodies.
    #[default]
    Strict,
    /// Token only, success bodies as plain JSON: for curl debugging.
    Plain,
}

/// The mock's configuration.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "ar24-mock", version, about = "An in-memory AR24 API with a mailbox and a control plane")]
pub struct Config {
    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Port to listen on.
    #[arg(long, env = "AR24_MOCK_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Address to listen on (0.0.0.0 in a container).
    #[arg(long, env = "AR24_MOCK_BIND", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Base URL of the mock as its users reach it, used in email links [default: http://BIND:PORT].
    #[arg(long, env = "AR24_MOCK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Token of the default partner.
    #[arg(long, env = "AR24_MOCK_TOKEN", default_value = DEFAULT_TOKEN)]
    pub token: String,
    /// Private key of the default partner.
    #[arg(long, env = "AR24_MOCK_PRIVATE_KEY", default_value = DEFAULT_PRIVATE_KEY, hide_env_values = true)]
    pub private_key: String,
    /// Authentication mode.
    #[arg(long, env = "AR24_MOCK_AUTH", value_enum, default_value_t = AuthMode::Strict)]
    pub auth: AuthMode,
    /// Seconds a `date` may be away from the server clock, either way.
    #[arg(long, env = "AR24_MOCK_DATE_WINDOW", default_value_t = DEFAULT_DATE_WINDOW)]
    pub date_window: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "AR24_MOCK_MAX_BODY", default_value_t = DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// Largest fixture `PUT /_mock/state` takes, in bytes (`body_too_large` beyond).
    #[arg(long, env = "AR24_MOCK_MAX_STATE_BODY", default_value_t = DEFAULT_MAX_STATE_BODY)]
    pub max_state_body: usize,
    /// Largest attachment file accepted by `POST attachment`, in bytes.
    #[arg(long, env = "AR24_MOCK_MAX_ATTACHMENT", default_value_t = DEFAULT_MAX_ATTACHMENT)]
    pub max_attachment: usize,
    /// Longest letter content accepted by `POST mail`, in characters (`content_exceeds_limit` beyond).
    #[arg(long, env = "AR24_MOCK_MAX_CONTENT", default_value_t = DEFAULT_MAX_CONTENT)]
    pub max_content: usize,
    /// Price before VAT of a simple registered letter, in euros (`price_ht`).
    #[arg(long, env = "AR24_MOCK_PRICE_SIMPLE", default_value_t = 0.0)]
    pub price_simple: f64,
    /// Price before VAT of an eIDAS registered letter, in euros.
    #[arg(long, env = "AR24_MOCK_PRICE_EIDAS", default_value_t = 0.0)]
    pub price_eidas: f64,
    /// Price before VAT of an identity check (`user/identity`, `user/verify`), in euros.
    #[arg(long, env = "AR24_MOCK_PRICE_IDENTITY", default_value_t = 0.0)]
    pub price_identity: f64,
    /// Seconds of the business clock between sending a letter and notifying its recipient.
    #[arg(long, env = "AR24_MOCK_NOTIFY_DELAY", default_value_t = 0)]
    pub notify_delay: u64,
    /// Seconds of the business clock between two reminders to a recipient who has not answered.
    #[arg(long, env = "AR24_MOCK_REMIND_EVERY", default_value_t = 2 * 24 * 3600)]
    pub remind_every: u64,
    /// Seconds of the business clock after the notification when an unanswered letter is neglected.
    #[arg(long, env = "AR24_MOCK_NEGLIGENCE_AFTER", default_value_t = 15 * 24 * 3600)]
    pub negligence_after: u64,
    /// Seconds between two webhook attempts (AR24: 15 minutes; shorten it for tests).
    #[arg(long, env = "AR24_MOCK_WEBHOOK_RETRY_EVERY", default_value_t = 900)]
    pub webhook_retry_every: u64,
    /// Webhook retries after a failed first attempt (AR24: 48).
    #[arg(long, env = "AR24_MOCK_WEBHOOK_RETRIES", default_value_t = 48)]
    pub webhook_retries: u32,
    /// Lock the control plane: every `/_mock/` route but health and the emailed
    /// links' pages then needs this token (`Authorization: Bearer`; the console
    /// asks for it once). Without it, anyone who can reach the mock can reset it
    /// and read every partner's outbox and journal.
    #[arg(long, env = "AR24_MOCK_CONTROL_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub control_token: Option<String>,
    /// Also trust the certificate(s) in this PEM file for `https://` webhooks (a local
    /// receiver's self-signed certificate); the public roots are always trusted.
    #[arg(long, env = "AR24_MOCK_WEBHOOK_CA", value_name = "PEM")]
    pub webhook_ca: Option<std::path::PathBuf>,
    /// Only warnings on the terminal: no line per API call (`RUST_LOG` overrides both).
    #[arg(long, env = "AR24_MOCK_QUIET", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub quiet: bool,
    /// Number of request journal entries kept (oldest dropped first).
    #[arg(long, env = "AR24_MOCK_JOURNAL_LIMIT", default_value_t = DEFAULT_JOURNAL_LIMIT)]
    pub journal_limit: usize,
    /// The default partner may create users with the CGU pre-accepted (`cgu=1`); env: 1/0, true/false.
    #[arg(long, env = "AR24_MOCK_CGU_PREACCEPTED", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub cgu_preaccepted: bool,
    /// Keep everything across restarts in this file: partners, users, teams, emails and links,
    /// uploads, letters, charges, webhook deliveries and the business clock.
    #[arg(long, env = "AR24_MOCK_STATE_FILE", value_name = "PATH")]
    pub state_file: Option<std::path::PathBuf>,
    /// Start from this fixture, and return to it on `POST /_mock/reset` (all of it) and
    /// `POST /_mock/partners/{token}/reset` (that partner's part): a state document
    /// (`GET /_mock/state`) or the short form (partners, users, attachments). Never
    /// written. A state file that holds a state wins at start.
    #[arg(long, env = "AR24_MOCK_SEED", value_name = "PATH")]
    pub seed: Option<std::path::PathBuf>,
    /// Seconds between two writes of the state file (what a crash may lose; fractions allowed).
    #[arg(long, env = "AR24_MOCK_STATE_INTERVAL", default_value_t = DEFAULT_STATE_INTERVAL, value_parser = positive_seconds)]
    pub state_interval: f64,
    /// The default partner pays for all its users' API usage; env: 1/0, true/false.
    #[arg(long, env = "AR24_MOCK_GLOBAL_BILLING", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub global_billing: bool,
}

/// Subcommands of the binary.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Exit 0 when a mock answers `/_mock/health` (for container health checks), else 1.
    Healthcheck {
        /// The health URL [default: http://127.0.0.1:PORT/_mock/health, PORT from --port / AR24_MOCK_PORT].
        #[arg(long)]
        url: Option<String>,
    },
}

impl Default for Config {
    fn default() -> Self {
        Self {
            command: None,
            port: DEFAULT_PORT,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            public_url: None,
            token: DEFAULT_TOKEN.into(),
            private_key: DEFAULT_PRIVATE_KEY.into(),
            auth: AuthMode::Strict,
            date_window: DEFAULT_DATE_WINDOW,
            max_body: DEFAULT_MAX_BODY,
            max_attachment: DEFAULT_MAX_ATTACHMENT,
            max_state_body: DEFAULT_MAX_STATE_BODY,
            max_content: DEFAULT_MAX_CONTENT,
            price_simple: 0.0,
            price_eidas: 0.0,
            price_identity: 0.0,
            quiet: false,
            notify_delay: 0,
            remind_every: 2 * 24 * 3600,
            negligence_after: 15 * 24 * 3600,
            webhook_retry_every: 900,
            webhook_retries: 48,
            webhook_ca: None,
            control_token: None,
            journal_limit: DEFAULT_JOURNAL_LIMIT,
            cgu_preaccepted: false,
            global_billing: false,
            state_file: None,
            seed: None,
            state_interval: DEFAULT_STATE_INTERVAL,
        }
    }
}

impl Config {
    /// The log filter when `RUST_LOG` is not set: one line per API call at
    /// info level, or warnings only with `--quiet`.
    pub fn default_log_filter(&self) -> &'static str {
        if self.quiet { "ar24_mock=warn,tower_http=warn" } else { "ar24_mock=info,tower_http=warn" }
    }

    /// The timings of a letter's life, from the settings above.
    pub fn timings(&self) -> crate::store::lifecycle::Timings {
        let seconds = |s: u64| chrono::TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        crate::store::lifecycle::Timings {
            notify_after: seconds(self.notify_delay),
            negligence_after: seconds(self.negligence_after),
            remind_every: seconds(self.remind_every.max(1)),
            webhook_retry_every: seconds(self.webhook_retry_every),
            webhook_retries: self.webhook_retries,
        }
    }

    /// Milliseconds between two writes of the state file (at least 10).
    pub fn state_interval_ms(&self) -> u64 {
        (self.state_interval * 1000.0).round().max(10.0) as u64
    }

    /// The address to bind.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// The public URL, or one made from the address actually bound.
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if bound.ip().is_unspecified() => format!("http://localhost:{}", bound.port()),
            None => format!("http://{bound}"),
        }
    }
}

/// A number of seconds above zero, fractions allowed.
fn positive_seconds(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 => Ok(seconds),
        _ => Err(format!("{raw:?} is not a number of seconds between 0 and 86400 (e.g. 1 or 0.2)")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn flags_override_the_defaults() {
        let config = Config::try_parse_from([
            "ar24-mock",
            "--port",
            "9000",
            "--auth",
            "plain",
            "--date-window",
            "60",
            "--global-billing",
        ])
        .unwrap();
        assert_eq!(config.port, 9000);
        assert_eq!(config.auth, AuthMode::Plain);
        assert_eq!(config.date_window, 60);
        assert!(config.global_billing);
        assert!(!config.cgu_preaccepted);
    }

    #[test]
    fn the_state_interval_takes_fractions_and_refuses_what_is_not_a_duration() {
        let config = Config::try_parse_from(["ar24-mock", "--state-interval", "0.2"]).unwrap();
        assert_eq!(config.state_interval_ms(), 200);
        assert_eq!(Config::default().state_interval_ms(), 1000);
        for bad in ["0", "-1", "soon", "NaN"] {
            assert!(Config::try_parse_from(["ar24-mock", "--state-interval", bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unknown_auth_mode_is_refused() {
        assert!(Config::try_parse_from(["ar24-mock", "--auth", "loose"]).is_err());
    }

    #[test]
    fn the_public_url_defaults_to_the_bound_address() {
        let config = Config::default();
        assert_eq!(config.public_url_for("127.0.0.1:4000".parse().unwrap()), "http://127.0.0.1:4000");
        assert_eq!(config.public_url_for("0.0.0.0:4000".parse().unwrap()), "http://localhost:4000");
        let set = Config { public_url: Some("http://mock:8080/".into()), ..Config::default() };
        assert_eq!(set.public_url_for("0.0.0.0:8080".parse().unwrap()), "http://mock:8080");
    }
}
