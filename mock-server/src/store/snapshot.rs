//! The whole state as one JSON document: what `GET /_mock/state` exports,
//! `PUT /_mock/state` imports, and the state file keeps across restarts.
//! The journal and the faults are not part of it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use super::Store;
use super::outbox::{Email, Link};
use super::partner::{Partner, PartnerView};
use super::user::User;
use crate::slug::Slug;

/// The format this mock writes.
pub const FORMAT: u32 = 1;

/// Users, partners, teams (in the users), visibility, outbox and links.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// [`FORMAT`].
    pub format: u32,
    /// The next user id: ids are never reused.
    pub next_user_id: u64,
    /// The next email id.
    pub next_email_id: u64,
    /// Every partner.
    pub partners: Vec<PartnerView>,
    /// Every account, by id.
    pub users: Vec<User>,
    /// Per partner token, the user ids it sees.
    pub visible: BTreeMap<String, Vec<u64>>,
    /// The outbox, oldest first.
    pub emails: Vec<Email>,
    /// Every link, used or not.
    pub links: Vec<Link>,
}

impl Snapshot {
    /// `invalid_state` unless the document describes a state the mock can hold.
    fn check(&self) -> Result<(), Slug> {
        let invalid = Err(Slug::InvalidState);
        if self.format != FORMAT {
            return invalid;
        }
        let mut ids = HashSet::new();
        let mut emails = HashSet::new();
        for user in &self.users {
            if user.id == 0 || !ids.insert(user.id) || !emails.insert(user.profile.email.key()) {
                return invalid;
            }
        }
        let tokens: HashSet<&str> = self.partners.iter().map(|p| p.token.as_str()).collect();
        if tokens.len() != self.partners.len() {
            return invalid;
        }
        let known = |id: &u64| ids.contains(id);
        let visible_ok =
            self.visible.iter().all(|(token, seen)| tokens.contains(token.as_str()) && seen.iter().all(known));
        let teams_ok = self.users.iter().all(|u| u.team_master.as_ref().is_none_or(known));
        if visible_ok && teams_ok { Ok(()) } else { invalid }
    }
}

impl Store {
    /// The state now, consistent: changes wait while it is taken.
    pub fn snapshot(&self) -> Snapshot {
        let _exclusive = self.exclusive();
        let mut users: Vec<User> = self.users.iter().map(|u| User::clone(&u)).collect();
        users.sort_by_key(|u| u.id);
        let mut partners: Vec<PartnerView> = self.partners.iter().map(|p| p.view()).collect();
        partners.sort_by(|a, b| a.token.cmp(&b.token));
        let mut links: Vec<Link> = self.links.iter().map(|l| l.clone()).collect();
        links.sort_by(|a, b| a.id.cmp(&b.id));
        Snapshot {
            format: FORMAT,
            next_user_id: self.next_user_id.load(Ordering::SeqCst),
            next_email_id: self.next_email_id.load(Ordering::SeqCst),
            partners,
            visible: self.visible.iter().map(|e| (e.key().clone(), e.value().iter().copied().collect())).collect(),
            users,
            emails: self.outbox().clone(),
            links,
        }
    }

    /// Replaces the whole state by `snapshot`, keeping `configured` partners
    /// that it lacks. Nothing changes when it is `invalid_state`.
    pub fn restore(&self, snapshot: Snapshot, configured: impl IntoIterator<Item = Partner>) -> Result<usize, Slug> {
        snapshot.check()?;
        let _exclusive = self.exclusive();
        self.clear_data();
        self.partners.clear();
        let count = snapshot.users.len();
        let max_id = snapshot.users.iter().map(|u| u.id).max().unwrap_or(0);
        self.next_user_id.store(snapshot.next_user_id.max(max_id + 1), Ordering::SeqCst);
        let max_email = snapshot.emails.iter().map(|e| e.id).max().unwrap_or(0);
        self.next_email_id.store(snapshot.next_email_id.max(max_email + 1), Ordering::SeqCst);
        for view in snapshot.partners {
            let partner =
                Partner::new(view.token, view.private_key, view.name, view.cgu_preaccepted, view.global_billing);
            self.partners.insert(partner.token.clone(), Arc::new(partner));
        }
        for partner in configured {
            if !self.partners.contains_key(&partner.token) {
                self.partners.insert(partner.token.clone(), Arc::new(partner));
            }
        }
        for user in snapshot.users {
            self.by_email.insert(user.profile.email.key(), user.id);
            self.users.insert(user.id, Arc::new(user));
        }
        for (token, ids) in snapshot.visible {
            self.visible.insert(token, ids.into_iter().collect());
        }
        for link in snapshot.links {
            self.links.insert(link.id.clone(), link);
        }
        *self.outbox() = snapshot.emails;
        Ok(count)
    }
}
