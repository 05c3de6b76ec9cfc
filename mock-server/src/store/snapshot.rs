//! The whole state as one JSON document: what `GET /_mock/state` exports,
//! `PUT /_mock/state` imports, and the state file keeps across restarts.
//! The journal and the faults are not part of it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::attachment::Attachment;
use super::charges::Charge;
use super::letter::Letter;
use super::outbox::{Email, Link};
use super::partner::{Partner, PartnerView};
use super::user::User;
use super::webhook::Delivery;
use super::{Hasher, Store};
use crate::slug::Slug;

/// The format this mock writes. Format 1 (before letters) still loads.
pub const FORMAT: u32 = 2;
/// Formats this mock reads.
const READABLE: [u32; 2] = [1, 2];

/// Users, partners, teams (in the users), visibility, outbox and links; since
/// format 2 also attachments (their contents once each, base64), letters and charges.
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
    /// Every account, by id (shared with the store: no copy is made).
    pub users: Vec<Arc<User>>,
    /// Per partner token, the user ids it sees.
    pub visible: BTreeMap<String, Vec<u64>>,
    /// The outbox, oldest first.
    pub emails: Vec<Email>,
    /// Every link, used or not.
    pub links: Vec<Link>,
    /// The next attachment id.
    #[serde(default)]
    pub next_attachment_id: u64,
    /// The next letter id.
    #[serde(default)]
    pub next_letter_id: u64,
    /// The next charge id.
    #[serde(default)]
    pub next_charge_id: u64,
    /// Every upload.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The uploaded contents, base64, by lowercase hex SHA-1.
    #[serde(default)]
    pub contents: BTreeMap<String, String>,
    /// Every letter.
    #[serde(default)]
    pub letters: Vec<Letter>,
    /// Every charge, oldest first.
    #[serde(default)]
    pub charges: Vec<Charge>,
    /// The next webhook delivery id.
    #[serde(default)]
    pub next_delivery_id: u64,
    /// Every webhook delivery; pending ones resume where they stopped.
    #[serde(default)]
    pub webhooks: Vec<Delivery>,
    /// Seconds the business clock is ahead of real time, so that what is due
    /// (retries, negligence, reminders) stays due after a restart. Absent:
    /// an import leaves the clock where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_offset: Option<i64>,
}

impl Snapshot {
    /// `invalid_state` unless the document describes a state the mock can
    /// hold. Emails are checked unique only when `emails` says so: a restore
    /// into an empty store checks them as it fills its maps.
    fn check(&self, emails: Emails) -> Result<(), Slug> {
        let invalid = Err(Slug::InvalidState);
        if !READABLE.contains(&self.format) {
            return invalid;
        }
        // Emails on another thread: at a million users, this halves the time to check.
        let (emails_ok, ids) = std::thread::scope(|scope| {
            let emails_ok = scope.spawn(|| emails == Emails::Unchecked || unique_emails(&self.users));
            (emails_ok.join().unwrap_or(false), unique_ids(&self.users))
        });
        let (true, Some(ids)) = (emails_ok, ids) else {
            return invalid;
        };
        let tokens: HashSet<&str> = self.partners.iter().map(|p| p.token.as_str()).collect();
        if tokens.len() != self.partners.len() {
            return invalid;
        }
        let known = |id: &u64| ids.binary_search(id).is_ok();
        let visible_ok =
            self.visible.iter().all(|(token, seen)| tokens.contains(token.as_str()) && seen.iter().all(known));
        let teams_ok = self.users.iter().all(|u| u.team_master.as_ref().is_none_or(known));
        if !(visible_ok && teams_ok && self.sending_ok(&ids)) {
            return invalid;
        }
        Ok(())
    }

    /// Uploads name known users and stored contents (each content matching
    /// its SHA-1), letters known senders and uploads, and ids are unique.
    fn sending_ok(&self, users: &[u64]) -> bool {
        let known = |id: &u64| users.binary_search(id).is_ok();
        let contents_ok = self.contents.iter().all(|(sha1, data)| {
            BASE64.decode(data).is_ok_and(|bytes| crate::protocol::params::sha1_hex(&bytes) == *sha1)
        });
        let mut uploads = HashSet::new();
        let uploads_ok = self
            .attachments
            .iter()
            .all(|a| uploads.insert(a.id) && known(&a.user_id) && self.contents.contains_key(&a.sha1));
        let mut letters = HashSet::new();
        let letters_ok = self
            .letters
            .iter()
            .all(|l| letters.insert(l.id) && known(&l.sender) && l.attachments.iter().all(|a| uploads.contains(a)));
        let webhooks_ok = self.webhooks.iter().all(|d| letters.contains(&d.letter));
        contents_ok && uploads_ok && letters_ok && webhooks_ok
    }
}

/// The users' ids, sorted, or `None` when two users share one or one is 0.
fn unique_ids(users: &[Arc<User>]) -> Option<Vec<u64>> {
    let mut ids: Vec<u64> = users.iter().map(|u| u.id).collect();
    // Users read from a log or exported come in id order already.
    if !ids.is_sorted() {
        ids.sort_unstable();
    }
    let unique = ids.first() != Some(&0) && ids.windows(2).all(|pair| pair[0] < pair[1]);
    unique.then_some(ids)
}

/// Whether no two users share an email (whatever its case).
fn unique_emails(users: &[Arc<User>]) -> bool {
    let mut seen = HashSet::with_capacity_and_hasher(users.len(), Hasher::default());
    users.iter().all(|u| seen.insert(u.profile.email.key()))
}

/// Whether [`Snapshot::check`] checks that emails are unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Emails {
    Checked,
    Unchecked,
}

impl Store {
    /// The state now, consistent: changes wait while it is taken.
    pub fn snapshot(&self) -> Snapshot {
        let _exclusive = self.exclusive();
        let mut users: Vec<Arc<User>> = self.users.iter().map(|u| Arc::clone(&u)).collect();
        users.sort_by_key(|u| u.id);
        let mut partners: Vec<PartnerView> = self.partners.iter().map(|p| p.view()).collect();
        partners.sort_by(|a, b| a.token.cmp(&b.token));
        let mut links: Vec<Link> = self.links.iter().map(|l| l.clone()).collect();
        links.sort_by(|a, b| a.id.cmp(&b.id));
        let counters = self.counters();
        Snapshot {
            format: FORMAT,
            next_user_id: counters.user,
            next_email_id: counters.email,
            partners,
            visible: self.visible.iter().map(|e| (e.key().clone(), e.value().iter().copied().collect())).collect(),
            users,
            emails: self.outbox().clone(),
            links,
            next_attachment_id: counters.attachment,
            next_letter_id: counters.letter,
            next_charge_id: counters.charge,
            attachments: sorted(self.attachments.iter().map(|a| a.clone()), |a| a.id),
            contents: self.blobs.iter().map(|b| (b.key().clone(), BASE64.encode(b.value()))).collect(),
            letters: sorted(self.letters.iter().map(|l| l.clone()), |l| l.id),
            charges: self.charges().clone(),
            next_delivery_id: counters.delivery,
            webhooks: self.webhook_deliveries(None),
            clock_offset: Some(counters.clock),
        }
    }

    /// Replaces the whole state by `snapshot`, keeping `configured` partners
    /// that it lacks. Nothing changes when it is `invalid_state`.
    pub fn restore(&self, snapshot: Snapshot, configured: impl IntoIterator<Item = Partner>) -> Result<usize, Slug> {
        snapshot.check(Emails::Checked)?;
        self.replace(snapshot, configured)
    }

    /// [`Store::restore`] into a store that holds nothing yet (at start, from
    /// the state file): nothing being there to keep, emails are checked unique
    /// as the maps are filled rather than in a pass of their own before. When
    /// it is `invalid_state`, the store is left part filled, to be dropped.
    pub fn restore_empty(
        &self,
        snapshot: Snapshot,
        configured: impl IntoIterator<Item = Partner>,
    ) -> Result<usize, Slug> {
        snapshot.check(Emails::Unchecked)?;
        self.replace(snapshot, configured)
    }

    /// Fills the store with a checked `snapshot`; `invalid_state` when two users share an email.
    fn replace(&self, snapshot: Snapshot, configured: impl IntoIterator<Item = Partner>) -> Result<usize, Slug> {
        let _exclusive = self.exclusive();
        self.changes.everything();
        self.clear_data();
        self.partners.clear();
        let count = snapshot.users.len();
        let max_id = snapshot.users.iter().map(|u| u.id).max().unwrap_or(0);
        self.next_user_id.store(snapshot.next_user_id.max(max_id + 1), Ordering::SeqCst);
        let max_email = snapshot.emails.iter().map(|e| e.id).max().unwrap_or(0);
        self.next_email_id.store(snapshot.next_email_id.max(max_email + 1), Ordering::SeqCst);
        for view in snapshot.partners {
            let partner =
                Partner::new(view.token, view.private_key, view.name, view.cgu_preaccepted, view.global_billing)
                    .with_webhook(view.webhook);
            self.partners.insert(partner.token.clone(), Arc::new(partner));
        }
        for partner in configured {
            if !self.partners.contains_key(&partner.token) {
                self.partners.insert(partner.token.clone(), Arc::new(partner));
            }
        }
        // The two maps filled by two threads, each taking half the users (moved, not shared).
        let mut first = snapshot.users;
        let second = first.split_off(count / 2);
        let fill = |part: Vec<Arc<User>>| {
            part.into_iter().all(|user| {
                let fresh = self.by_email.insert(user.profile.email.key(), user.id).is_none();
                self.users.insert(user.id, user);
                fresh
            })
        };
        let emails_unique = std::thread::scope(|scope| {
            let filling = [first, second].map(|half| scope.spawn(move || fill(half)));
            filling.into_iter().all(|filled| filled.join().unwrap_or(false))
        });
        if !emails_unique {
            return Err(Slug::InvalidState);
        }
        for (token, ids) in snapshot.visible {
            self.visible.insert(token, ids.into_iter().collect());
        }
        for link in snapshot.links {
            self.links.insert(link.id.clone(), link);
        }
        *self.outbox() = snapshot.emails;
        let next = |stored: u64, max: Option<u64>| stored.max(max.map_or(1, |m| m + 1));
        let max_upload = snapshot.attachments.iter().map(|a| a.id).max();
        self.next_attachment_id.store(next(snapshot.next_attachment_id, max_upload), Ordering::SeqCst);
        let max_letter = snapshot.letters.iter().map(|l| l.id).max();
        self.next_letter_id.store(next(snapshot.next_letter_id, max_letter), Ordering::SeqCst);
        let max_charge = snapshot.charges.iter().map(|c| c.id).max();
        self.next_charge_id.store(next(snapshot.next_charge_id, max_charge), Ordering::SeqCst);
        for (sha1, data) in snapshot.contents {
            // Checked decodable above.
            self.blobs.insert(sha1, BASE64.decode(data).unwrap_or_default().into());
        }
        for attachment in snapshot.attachments {
            self.attachments.insert(attachment.id, attachment);
        }
        for letter in snapshot.letters {
            self.letters.insert(letter.id, letter);
        }
        *self.charges() = snapshot.charges;
        let max_delivery = snapshot.webhooks.iter().map(|d| d.id).max();
        self.next_delivery_id.store(next(snapshot.next_delivery_id, max_delivery), Ordering::SeqCst);
        self.restore_deliveries(snapshot.webhooks);
        if let Some(offset) = snapshot.clock_offset {
            self.clock.set_offset(offset);
        }
        Ok(count)
    }
}

fn sorted<T>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> u64) -> Vec<T> {
    let mut list: Vec<T> = items.collect();
    list.sort_by_key(key);
    list
}
