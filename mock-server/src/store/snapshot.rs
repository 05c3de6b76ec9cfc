//! The whole state as one JSON document: what `GET /_mock/state` exports,
//! `PUT /_mock/state` imports, and the state file keeps across restarts.
//! The journal and the faults are not part of it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    pub letters: Vec<Arc<Letter>>,
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
    /// About how many records this state is written as: one per thing, one
    /// per user a partner sees (as appends write them; a rewrite gathers a
    /// partner's in one line), the format and the counters.
    pub fn records(&self) -> u64 {
        let seen: usize = self.visible.values().map(Vec::len).sum();
        let things = [
            self.partners.len(),
            self.users.len(),
            seen,
            self.emails.len(),
            self.links.len(),
            self.attachments.len(),
            self.contents.len(),
            self.letters.len(),
            self.charges.len(),
            self.webhooks.len(),
        ];
        2 + things.iter().map(|n| *n as u64).sum::<u64>()
    }

    /// `invalid_state` unless the document describes a state the mock can
    /// hold. Emails are checked unique only when `emails` says so: a restore
    /// into an empty store checks them as it fills its maps.
    pub(super) fn check(&self, emails: Emails) -> Result<(), Slug> {
        let invalid = Err(Slug::InvalidState);
        if !READABLE.contains(&self.format) {
            return invalid;
        }
        // Emails on another thread: at a million users, this halves the time to check.
        let (emails_ok, ids) = std::thread::scope(|scope| {
            let emails_ok = scope.spawn(|| emails == Emails::Unchecked || unique_emails(&self.users));
            (emails_ok.join().unwrap_or(false), unique_ids(self.users.iter().map(|u| u.id)))
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
        let Some(uploads) = unique_ids(self.attachments.iter().map(|a| a.id)) else {
            return false;
        };
        let upload_known = |id: &u64| uploads.binary_search(id).is_ok();
        let uploads_ok = self.attachments.iter().all(|a| known(&a.user_id) && self.contents.contains_key(&a.sha1));
        // Each letter read once (a million of them are far apart in memory): its id kept, its references checked.
        let mut letter_ids = Vec::with_capacity(self.letters.len());
        let letters_ok = self.letters.iter().all(|l| {
            letter_ids.push(l.id);
            known(&l.sender) && l.attachments.iter().all(upload_known)
        });
        let Some(letters) = unique_ids(letter_ids.into_iter()) else {
            return false;
        };
        let webhooks_ok = self.webhooks.iter().all(|d| letters.binary_search(&d.letter).is_ok());
        contents_ok && uploads_ok && letters_ok && webhooks_ok
    }
}

/// The ids, sorted, or `None` when two are the same or one is 0.
fn unique_ids(ids: impl Iterator<Item = u64>) -> Option<Vec<u64>> {
    let mut ids: Vec<u64> = ids.collect();
    // What is read from a log or exported comes in id order already.
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
pub(super) enum Emails {
    Checked,
    Unchecked,
}

impl Snapshot {
    /// A document of `format` holding nothing, for the aggregates to fill.
    pub fn empty(format: u32) -> Self {
        Self { format, ..Self::default() }
    }

    /// The outbox's part (emails, links, the next email id), taken out: the
    /// outbox shares nothing with the rest, so it can be handled on a thread
    /// of its own.
    pub(super) fn take_outbox_part(&mut self) -> Snapshot {
        Snapshot {
            emails: std::mem::take(&mut self.emails),
            links: std::mem::take(&mut self.links),
            next_email_id: self.next_email_id,
            ..Snapshot::default()
        }
    }

    /// Puts back what [`Snapshot::take_outbox_part`] took (or an outbox's part filled apart).
    pub(super) fn put_outbox_part(&mut self, part: Snapshot) {
        self.emails = part.emails;
        self.links = part.links;
        self.next_email_id = part.next_email_id;
    }
}

impl Store {
    /// The state now, consistent: changes wait while it is taken.
    pub fn snapshot(&self) -> Snapshot {
        let _exclusive = self.exclusive();
        self.snapshot_held()
    }

    /// [`Store::snapshot`] for a caller that holds `exclusive`.
    pub(super) fn snapshot_held(&self) -> Snapshot {
        let mut snapshot = Snapshot::empty(FORMAT);
        self.partners.export(&mut snapshot);
        self.accounts.export(&mut snapshot);
        self.outbox.export(&mut snapshot);
        self.mail.export(&mut snapshot);
        snapshot.clock_offset = Some(self.clock.offset());
        snapshot
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
        self.replace_held(snapshot, configured)
    }

    /// [`Store::replace`] for a caller that holds `exclusive`, the snapshot checked.
    pub(super) fn replace_held(
        &self,
        mut snapshot: Snapshot,
        configured: impl IntoIterator<Item = Partner>,
    ) -> Result<usize, Slug> {
        self.clear_data();
        let count = snapshot.users.len();
        self.partners.import(&mut snapshot, configured);
        self.accounts.import(&mut snapshot)?;
        // The outbox and the mail share nothing: they are restored side by side
        // (at a million letters, two million emails and a million links on one
        // core, the letters, charges and their indexes on the other).
        let mut outbox = snapshot.take_outbox_part();
        std::thread::scope(|scope| {
            scope.spawn(|| self.outbox.import(&mut outbox));
            self.mail.import(&mut snapshot);
        });
        if let Some(offset) = snapshot.clock_offset {
            self.clock.set_offset(offset);
        }
        Ok(count)
    }
}
