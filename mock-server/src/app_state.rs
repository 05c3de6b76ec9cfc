//! The state every handler shares.

use std::sync::Arc;

use crate::config::Config;
use crate::slug::Slug;
use crate::store::Store;
use crate::store::partner::Partner;
use crate::store::snapshot::Snapshot;

/// Shared by every handler through `State`: one reference-counted pointer to
/// [`AppParts`], read through it (`state.store`, `state.config`). axum clones
/// the state for each extractor and middleware of every call; one count to
/// change per clone, not one per part, keeps the two threads that serve calls
/// from taking turns at six shared counters.
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppParts>);

/// What [`AppState`] shares.
#[derive(Debug)]
pub struct AppParts {
    /// All users, partners, emails, links and the journal.
    pub store: Arc<Store>,
    /// The start-up configuration.
    pub config: Arc<Config>,
    /// Where users reach the mock (email links, the mailbox).
    pub public_url: Arc<str>,
    /// Does what falls due on the business clock (letters' events, webhook attempts).
    pub runner: Arc<crate::ticker::Runner>,
    /// How far the state file has followed the store (when one is written).
    pub state_file: Arc<crate::state_file::Progress>,
    /// The state resets return to (`--seed`); none: resets empty the mock.
    pub seed: Option<Arc<crate::store::snapshot::Snapshot>>,
}

impl AppState {
    /// A fresh state with the configured default partner, for a mock reached
    /// at `public_url`; an unreadable `--webhook-ca` is the error.
    pub fn new(config: Config, public_url: &str) -> Result<Self, String> {
        let webhooks = crate::webhook_sender::Webhooks::new(config.webhook_ca.as_deref())?;
        let seed = config.seed.as_deref().map(|path| crate::seed_file::load(path, &config, public_url)).transpose()?;
        let store = Store::new(public_url, config.journal_limit, [default_partner(&config)]);
        store.set_timings(config.timings());
        Ok(Self(Arc::new(AppParts {
            store: Arc::new(store),
            config: Arc::new(config),
            public_url: public_url.trim_end_matches('/').into(),
            runner: Arc::new(crate::ticker::Runner::new(webhooks)),
            state_file: Arc::default(),
            seed: seed.map(Arc::new),
        })))
    }

    /// Fills the store, still empty, with the seed, if there is one.
    pub fn plant_seed(&self) -> Result<(), String> {
        let Some(seed) = &self.seed else { return Ok(()) };
        let seed = crate::store::snapshot::Snapshot::clone(seed);
        self.store.restore_empty(seed, [self.default_partner()]).map(drop).map_err(|slug| slug.message().to_owned())
    }

    /// Makes room for `users` accounts at once, before the state is shared (a
    /// state file is about to be restored): the maps are not grown step by step.
    pub fn make_room(&mut self, users: usize) {
        if let Some(store) = Arc::get_mut(&mut self.0).and_then(|parts| Arc::get_mut(&mut parts.store)) {
            store.make_room(users);
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The partner the configuration names.
fn default_partner(config: &Config) -> Partner {
    Partner::new(
        config.token.clone(),
        config.private_key.clone(),
        "Default partner".into(),
        config.cgu_preaccepted,
        config.global_billing,
    )
}

impl AppState {
    /// Replaces the whole state by `snapshot`, keeping the configured partner if it lacks it.
    pub fn restore(&self, snapshot: Snapshot) -> Result<usize, Slug> {
        self.store.restore(snapshot, [default_partner(&self.config)])
    }

    /// The partner the configuration names (kept by imports that lack it).
    pub fn default_partner(&self) -> Partner {
        default_partner(&self.config)
    }
}
