//! The state every handler shares.

use std::sync::Arc;

use crate::config::Config;
use crate::store::Store;
use crate::store::partner::Partner;

/// Shared by every handler through `State`.
#[derive(Clone, Debug)]
pub struct AppState {
    /// All users, partners, emails, links and the journal.
    pub store: Arc<Store>,
    /// The start-up configuration.
    pub config: Arc<Config>,
    /// Where users reach the mock (email links, the mailbox).
    pub public_url: Arc<str>,
}

impl AppState {
    /// A fresh state with the configured default partner, for a mock reached at `public_url`.
    pub fn new(config: Config, public_url: &str) -> Self {
        let default_partner = Partner::new(
            config.token.clone(),
            config.private_key.clone(),
            "Default partner".into(),
            config.cgu_preaccepted,
            config.global_billing,
        );
        Self {
            store: Arc::new(Store::new(public_url, config.journal_limit, [default_partner])),
            config: Arc::new(config),
            public_url: public_url.trim_end_matches('/').into(),
        }
    }
}
