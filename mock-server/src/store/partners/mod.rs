//! Partners: the companies calling the API, by token. Resets keep them; an
//! import replaces them (the configured partner stays).
//!
//! One map, one lock per shard; no guard is held by a caller.

pub mod partner;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::accounts::Everything;
use super::snapshot::Snapshot;
use super::tracked::{Changes, TrackedMap};
use crate::slug::Slug;
use partner::{NewPartner, Partner, PartnerPatch, PartnerView};

/// The partners.
#[derive(Debug)]
pub struct Partners {
    map: TrackedMap<String, Arc<Partner>>,
}

impl Partners {
    pub(super) fn new(changes: &Arc<Changes>, partners: impl IntoIterator<Item = Partner>) -> Self {
        let this = Self { map: TrackedMap::new(changes) };
        for partner in partners {
            this.map.insert(partner.token.clone(), Arc::new(partner));
        }
        this
    }

    /// The partner with this token.
    pub fn get(&self, token: &str) -> Option<Arc<Partner>> {
        self.map.get(token).map(|p| Arc::clone(&p))
    }

    /// Every partner, by token.
    pub fn list(&self) -> Vec<Arc<Partner>> {
        let mut list: Vec<Arc<Partner>> = self.map.iter().map(|p| Arc::clone(&p)).collect();
        list.sort_by(|a, b| a.token.cmp(&b.token));
        list
    }

    /// A partner's name, or its token when no partner has it any more.
    pub fn name(&self, token: &str) -> String {
        self.get(token).map_or_else(|| token.to_owned(), |p| p.name.clone())
    }

    /// Registers a partner; missing token and key are generated.
    pub fn add(&self, new: NewPartner) -> Result<Arc<Partner>, Slug> {
        let token = new.token.filter(|t| !t.trim().is_empty()).unwrap_or_else(random_secret);
        let private_key = new.private_key.filter(|k| !k.is_empty()).unwrap_or_else(random_secret);
        let name = new.name.unwrap_or_else(|| format!("Partner {}", token.chars().take(8).collect::<String>()));
        let partner = Arc::new(
            Partner::new(token.clone(), private_key, name, new.cgu_preaccepted, new.global_billing)
                .with_webhook(new.webhook),
        );
        self.map.insert_new(token, Arc::clone(&partner)).map_err(|_| Slug::PartnerAlreadyExists)?;
        Ok(partner)
    }

    /// Changes a partner's settings.
    pub fn update(&self, token: &str, patch: &PartnerPatch) -> Option<Arc<Partner>> {
        let mut slot = self.map.get_mut(token)?;
        let updated = Arc::new(slot.patched(patch));
        *slot = Arc::clone(&updated);
        Some(updated)
    }

    // ----- the state file and the state document -----

    /// The records of what changed; `Err` when only a whole rewrite can carry it.
    pub(super) fn changed_records(&self, out: &mut Vec<super::Record>) -> Result<(), Everything> {
        let records = self
            .map
            .records(self.map.take_marks(), |_, p| Record::Partner(Box::new(p.view())), Record::PartnerGone)
            .ok_or(Everything)?;
        out.extend(records.map(super::Record::Partners));
        Ok(())
    }

    /// Every partner's record, by token.
    pub(super) fn gather(&self) -> Vec<Record> {
        self.list().iter().map(|p| Record::Partner(Box::new(p.view()))).collect()
    }

    /// Its part of the state document.
    pub(super) fn export(&self, snapshot: &mut Snapshot) {
        snapshot.partners = self.list().iter().map(|p| p.view()).collect();
    }

    /// Takes its part of a checked state document, keeping `configured`
    /// partners that it lacks.
    pub(super) fn import(&self, snapshot: &mut Snapshot, configured: impl IntoIterator<Item = Partner>) {
        self.map.clear();
        for view in std::mem::take(&mut snapshot.partners) {
            let partner = Partner::from(view);
            self.map.insert(partner.token.clone(), Arc::new(partner));
        }
        for partner in configured {
            let _ = self.map.insert_new(partner.token.clone(), Arc::new(partner));
        }
    }
}

/// The records of partners in the state log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Record {
    /// A partner as it is now.
    Partner(Box<PartnerView>),
    /// The partner with this token is gone.
    PartnerGone(String),
}

/// Partners rebuilt from records, applied in order.
#[derive(Debug, Default)]
pub struct Replay {
    partners: BTreeMap<String, PartnerView>,
}

impl Replay {
    /// Applies one record: each replaces what it names.
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::Partner(view) => _ = self.partners.insert(view.token.clone(), *view),
            Record::PartnerGone(token) => _ = self.partners.remove(&token),
        }
    }

    /// Its part of the state document.
    pub fn finish(self, snapshot: &mut Snapshot) {
        snapshot.partners = self.partners.into_values().collect();
    }
}

/// A random 32-character secret for generated tokens and keys.
fn random_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
