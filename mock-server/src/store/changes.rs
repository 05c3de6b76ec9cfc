//! What changed since the state file was last written, and the records that
//! carry it: the state file is a log of these records (see `persist.rs`).
//!
//! Every change to something the state keeps marks the key it touched; a
//! write takes the marks and records each marked thing as it is *now* (or as
//! gone), so the cost of a write follows what changed, not what is stored.
//! Resets and imports mark everything: the next write rewrites the log.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::attachment::Attachment;
use super::charges::Charge;
use super::letter::Letter;
use super::outbox::{Email, Link};
use super::partner::PartnerView;
use super::snapshot::{FORMAT, Snapshot};
use super::user::{User, UserRow};
use super::webhook::Delivery;
use super::{Hasher, Store};

/// How many user ids one [`Record::SeesAll`] holds at most (a line of about 80 KB).
pub(crate) const SEEN_RUN: usize = 10_000;

/// The keys changed since the last write.
#[derive(Debug, Default)]
pub struct Dirty {
    /// Everything: the next write rewrites the whole log.
    pub everything: bool,
    /// The business clock moved.
    clock: bool,
    users: HashSet<u64>,
    seen: HashSet<(String, u64)>,
    partners: HashSet<String>,
    links: HashSet<String>,
    emails: HashSet<u64>,
    contents: HashSet<String>,
    attachments: HashSet<u64>,
    letters: HashSet<u64>,
    charges: HashSet<u64>,
    deliveries: HashSet<u64>,
}

impl Dirty {
    /// How many things changed (everything counts as one).
    pub fn len(&self) -> usize {
        usize::from(self.everything)
            + usize::from(self.clock)
            + self.users.len()
            + self.seen.len()
            + self.partners.len()
            + self.links.len()
            + self.emails.len()
            + self.contents.len()
            + self.attachments.len()
            + self.letters.len()
            + self.charges.len()
            + self.deliveries.len()
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds the marks of `other`.
    pub fn absorb(&mut self, other: Dirty) {
        self.everything |= other.everything;
        self.clock |= other.clock;
        self.users.extend(other.users);
        self.seen.extend(other.seen);
        self.partners.extend(other.partners);
        self.links.extend(other.links);
        self.emails.extend(other.emails);
        self.contents.extend(other.contents);
        self.attachments.extend(other.attachments);
        self.letters.extend(other.letters);
        self.charges.extend(other.charges);
        self.deliveries.extend(other.deliveries);
    }
}

/// The marks, kept only while a state file is written (otherwise marking costs nothing).
#[derive(Debug, Default)]
pub struct Changes {
    on: AtomicBool,
    dirty: Mutex<Dirty>,
}

impl Changes {
    /// Starts keeping marks.
    pub fn track(&self) {
        self.on.store(true, Ordering::SeqCst);
    }

    fn mark(&self, change: impl FnOnce(&mut Dirty)) {
        if self.on.load(Ordering::Relaxed) {
            change(&mut self.dirty.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// Takes the marks made so far.
    pub fn take(&self) -> Dirty {
        std::mem::take(&mut *self.dirty.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(super) fn everything(&self) {
        self.mark(|d| d.everything = true);
    }
    pub(super) fn clock(&self) {
        self.mark(|d| d.clock = true);
    }
    pub(super) fn user(&self, id: u64) {
        self.mark(|d| _ = d.users.insert(id));
    }
    pub(super) fn seen(&self, token: &str, id: u64) {
        self.mark(|d| _ = d.seen.insert((token.to_owned(), id)));
    }
    pub(super) fn partner(&self, token: &str) {
        self.mark(|d| _ = d.partners.insert(token.to_owned()));
    }
    pub(super) fn link(&self, id: &str) {
        self.mark(|d| _ = d.links.insert(id.to_owned()));
    }
    pub(super) fn email(&self, id: u64) {
        self.mark(|d| _ = d.emails.insert(id));
    }
    pub(super) fn content(&self, sha1: &str) {
        self.mark(|d| _ = d.contents.insert(sha1.to_owned()));
    }
    pub(super) fn attachment(&self, id: u64) {
        self.mark(|d| _ = d.attachments.insert(id));
    }
    pub(super) fn letter(&self, id: u64) {
        self.mark(|d| _ = d.letters.insert(id));
    }
    pub(super) fn charge(&self, id: u64) {
        self.mark(|d| _ = d.charges.insert(id));
    }
    pub(super) fn delivery(&self, id: u64) {
        self.mark(|d| _ = d.deliveries.insert(id));
    }
}

/// The id counters: ids are never reused, even of things forgotten.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Counters {
    pub user: u64,
    pub email: u64,
    pub attachment: u64,
    pub letter: u64,
    pub charge: u64,
    pub delivery: u64,
    /// Seconds the business clock is ahead of real time.
    #[serde(default)]
    pub clock: i64,
}

/// One line of the state log: a thing as it is now, or gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Record {
    /// The first record of a log: the format of the state it holds.
    Format(u32),
    Counters(Counters),
    Partner(Box<PartnerView>),
    PartnerGone(String),
    /// Written as a [`UserRow`]; read from a row or, as older logs wrote it, by field names.
    #[serde(serialize_with = "as_row")]
    User(Arc<User>),
    UserGone(u64),
    /// A partner sees a user (`true`) or no longer does.
    Seen(String, u64, bool),
    /// A partner sees all these users (a rewrite writes what each partner sees in runs).
    SeesAll(String, Vec<u64>),
    Link(Box<Link>),
    LinkGone(String),
    Email(Box<Email>),
    EmailGone(u64),
    /// An uploaded content, base64, by SHA-1.
    Content(String, String),
    ContentGone(String),
    Attachment(Box<Attachment>),
    AttachmentGone(u64),
    Letter(Box<Letter>),
    LetterGone(u64),
    Charge(Box<Charge>),
    ChargeGone(u64),
    Delivery(Box<Delivery>),
    DeliveryGone(u64),
}

impl Store {
    /// Starts marking changes for the state file.
    pub fn track_changes(&self) {
        self.changes.track();
    }

    /// Takes the marks made since the last call.
    pub fn take_changes(&self) -> Dirty {
        self.changes.take()
    }

    /// Moves the business clock forward by `seconds`, kept in the state file.
    pub fn advance_clock(&self, seconds: u32) {
        self.clock.advance(seconds);
        self.changes.clock();
    }

    /// Marks everything: the next write of the state file rewrites it whole.
    pub fn mark_everything(&self) {
        self.changes.everything();
    }

    /// The id counters and the clock's offset now.
    pub(super) fn counters(&self) -> Counters {
        let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::SeqCst);
        Counters {
            user: load(&self.next_user_id),
            email: load(&self.next_email_id),
            attachment: load(&self.next_attachment_id),
            letter: load(&self.next_letter_id),
            charge: load(&self.next_charge_id),
            delivery: load(&self.next_delivery_id),
            clock: self.clock.offset(),
        }
    }

    /// The records of what `dirty` marks, each as it is now, counters last.
    /// (A thing changed again meanwhile is marked again and written again.)
    pub fn changed_records(&self, dirty: &Dirty) -> Vec<Record> {
        let mut records = Vec::with_capacity(dirty.len() + 1);
        for token in &dirty.partners {
            records.push(
                self.partner(token)
                    .map_or_else(|| Record::PartnerGone(token.clone()), |p| Record::Partner(Box::new(p.view()))),
            );
        }
        for id in &dirty.users {
            records.push(self.user(*id).map_or(Record::UserGone(*id), Record::User));
        }
        for (token, id) in &dirty.seen {
            let seen = self.visible.get(token).is_some_and(|ids| ids.contains(id));
            records.push(Record::Seen(token.clone(), *id, seen));
        }
        for id in &dirty.links {
            records.push(self.link(id).map_or_else(|| Record::LinkGone(id.clone()), |l| Record::Link(Box::new(l))));
        }
        if !dirty.emails.is_empty() {
            records.extend(marked(&self.outbox(), &dirty.emails, |e| e.id, Record::Email, Record::EmailGone));
        }
        for sha1 in &dirty.contents {
            let content = self.blobs.get(sha1).map(|bytes| BASE64.encode(&bytes[..]));
            records
                .push(content.map_or_else(|| Record::ContentGone(sha1.clone()), |c| Record::Content(sha1.clone(), c)));
        }
        for id in &dirty.attachments {
            records.push(
                self.attachments
                    .get(id)
                    .map_or(Record::AttachmentGone(*id), |a| Record::Attachment(Box::new(a.clone()))),
            );
        }
        for id in &dirty.letters {
            records.push(self.letter(*id).map_or(Record::LetterGone(*id), |l| Record::Letter(Box::new(l))));
        }
        if !dirty.charges.is_empty() {
            records.extend(marked(&self.charges(), &dirty.charges, |c| c.id, Record::Charge, Record::ChargeGone));
        }
        if !dirty.deliveries.is_empty() {
            let all = self.webhook_deliveries(None);
            records.extend(marked(&all, &dirty.deliveries, |d| d.id, Record::Delivery, Record::DeliveryGone));
        }
        records.push(Record::Counters(self.counters()));
        records
    }

    /// The whole state, gathered for a rewrite of the log: resets and imports
    /// wait while it is gathered (users are gathered as `Arc`s, not copied), and
    /// nothing waits while it is written. A change made meanwhile is marked
    /// and written again after.
    pub fn whole(&self) -> Whole {
        let _shared = self.shared();
        let mut users: Vec<(u64, Arc<User>)> = self.users.iter().map(|u| (*u.key(), Arc::clone(&u))).collect();
        // By id, so that they are read back into memory in the order they are gone through.
        users.sort_unstable_by_key(|(id, _)| *id);
        Whole {
            partners: self.partner_list().iter().map(|p| p.view()).collect(),
            users,
            visible: self.visible.iter().map(|v| (v.key().clone(), v.value().iter().copied().collect())).collect(),
            links: self.links.iter().map(|l| l.clone()).collect(),
            emails: self.outbox().clone(),
            contents: self.blobs.iter().map(|b| (b.key().clone(), b.value().clone())).collect(),
            attachments: self.attachments.iter().map(|a| a.clone()).collect(),
            letters: self.letters.iter().map(|l| l.clone()).collect(),
            charges: self.charges().clone(),
            deliveries: self.webhook_deliveries(None),
            counters: self.counters(),
        }
    }
}

/// The whole state as [`Store::whole`] gathered it, to be written record by record.
#[derive(Debug)]
pub struct Whole {
    partners: Vec<PartnerView>,
    users: Vec<(u64, Arc<User>)>,
    visible: Vec<(String, Vec<u64>)>,
    links: Vec<Link>,
    emails: Vec<Email>,
    contents: Vec<(String, bytes::Bytes)>,
    attachments: Vec<Attachment>,
    letters: Vec<Letter>,
    charges: Vec<Charge>,
    deliveries: Vec<Delivery>,
    counters: Counters,
}

impl Whole {
    /// Passes each record to `write`, in the order a log starts with.
    pub fn each_record<E>(self, mut write: impl FnMut(&Record) -> Result<(), E>) -> Result<(), E> {
        write(&Record::Format(FORMAT))?;
        for partner in self.partners {
            write(&Record::Partner(Box::new(partner)))?;
        }
        for (_, user) in self.users {
            write(&Record::User(user))?;
        }
        for (token, ids) in self.visible {
            for run in ids.chunks(SEEN_RUN) {
                write(&Record::SeesAll(token.clone(), run.to_vec()))?;
            }
        }
        for link in self.links {
            write(&Record::Link(Box::new(link)))?;
        }
        for email in self.emails {
            write(&Record::Email(Box::new(email)))?;
        }
        for (sha1, bytes) in self.contents {
            write(&Record::Content(sha1, BASE64.encode(&bytes[..])))?;
        }
        for attachment in self.attachments {
            write(&Record::Attachment(Box::new(attachment)))?;
        }
        for letter in self.letters {
            write(&Record::Letter(Box::new(letter)))?;
        }
        for charge in self.charges {
            write(&Record::Charge(Box::new(charge)))?;
        }
        for delivery in self.deliveries {
            write(&Record::Delivery(Box::new(delivery)))?;
        }
        write(&Record::Counters(self.counters))
    }
}

fn as_row<S: serde::Serializer>(user: &Arc<User>, serializer: S) -> Result<S::Ok, S::Error> {
    UserRow(user).serialize(serializer)
}

/// The records of the `marked` ids of a list kept by id: each one still
/// there as it is now, the others as gone.
fn marked<T: Clone>(
    list: &[T],
    marked: &HashSet<u64>,
    id: impl Fn(&T) -> u64,
    present: impl Fn(Box<T>) -> Record,
    gone: impl Fn(u64) -> Record,
) -> Vec<Record> {
    let mut found = HashSet::with_capacity(marked.len());
    let mut records: Vec<Record> = list
        .iter()
        .filter(|item| marked.contains(&id(item)))
        .inspect(|item| _ = found.insert(id(item)))
        .map(|item| present(Box::new(item.clone())))
        .collect();
    records.extend(marked.difference(&found).map(|id| gone(*id)));
    records
}

/// A state rebuilt from records, applied in order: each record replaces what
/// it names, so a thing written twice ends as it was written last.
#[derive(Debug, Default)]
pub struct Replay {
    format: Option<u32>,
    counters: Counters,
    partners: BTreeMap<String, PartnerView>,
    /// Each user record as it came (`None`: the user was removed), sorted at
    /// the end; a rewrite writes users in id order, which makes that one pass.
    users: Vec<(u64, Option<Arc<User>>)>,
    seen: BTreeMap<String, HashSet<u64, Hasher>>,
    links: BTreeMap<String, Link>,
    emails: BTreeMap<u64, Email>,
    contents: BTreeMap<String, String>,
    attachments: BTreeMap<u64, Attachment>,
    letters: BTreeMap<u64, Letter>,
    charges: BTreeMap<u64, Charge>,
    deliveries: BTreeMap<u64, Delivery>,
}

impl Replay {
    /// Applies one record.
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::Format(format) => self.format = Some(format),
            Record::Counters(counters) => self.counters = counters,
            Record::Partner(view) => _ = self.partners.insert(view.token.clone(), *view),
            Record::PartnerGone(token) => _ = self.partners.remove(&token),
            Record::User(user) => self.users.push((user.id, Some(user))),
            Record::UserGone(id) => self.users.push((id, None)),
            Record::Seen(token, id, true) => _ = self.seen.entry(token).or_default().insert(id),
            Record::SeesAll(token, ids) => self.seen.entry(token).or_default().extend(ids),
            Record::Seen(token, id, false) => _ = self.seen.get_mut(&token).map(|ids| ids.remove(&id)),
            Record::Link(link) => _ = self.links.insert(link.id.clone(), *link),
            Record::LinkGone(id) => _ = self.links.remove(&id),
            Record::Email(email) => _ = self.emails.insert(email.id, *email),
            Record::EmailGone(id) => _ = self.emails.remove(&id),
            Record::Content(sha1, data) => _ = self.contents.insert(sha1, data),
            Record::ContentGone(sha1) => _ = self.contents.remove(&sha1),
            Record::Attachment(attachment) => _ = self.attachments.insert(attachment.id, *attachment),
            Record::AttachmentGone(id) => _ = self.attachments.remove(&id),
            Record::Letter(letter) => _ = self.letters.insert(letter.id, *letter),
            Record::LetterGone(id) => _ = self.letters.remove(&id),
            Record::Charge(charge) => _ = self.charges.insert(charge.id, *charge),
            Record::ChargeGone(id) => _ = self.charges.remove(&id),
            Record::Delivery(delivery) => _ = self.deliveries.insert(delivery.id, *delivery),
            Record::DeliveryGone(id) => _ = self.deliveries.remove(&id),
        }
    }

    /// The format named by the log's first record, if it had one.
    pub fn format(&self) -> Option<u32> {
        self.format
    }

    /// The state as `PUT /_mock/state` would take it (checked when restored).
    pub fn into_snapshot(self) -> Snapshot {
        Snapshot {
            format: self.format.unwrap_or(FORMAT),
            next_user_id: self.counters.user,
            next_email_id: self.counters.email,
            partners: self.partners.into_values().collect(),
            users: {
                // A stable sort on the ids alone: an id's records stay in the
                // order of the file, and the last one is what the user became.
                let mut records = self.users;
                records.sort_by_key(|(id, _)| *id);
                let mut records = records.into_iter().peekable();
                let mut users = Vec::with_capacity(records.len());
                while let Some((id, user)) = records.next() {
                    let replaced = records.peek().is_some_and(|(next, _)| *next == id);
                    users.extend(user.filter(|_| !replaced));
                }
                users
            },
            visible: self
                .seen
                .into_iter()
                .filter(|(_, ids)| !ids.is_empty())
                .map(|(token, ids)| {
                    let mut ids: Vec<u64> = ids.into_iter().collect();
                    ids.sort_unstable();
                    (token, ids)
                })
                .collect(),
            emails: self.emails.into_values().collect(),
            links: self.links.into_values().collect(),
            next_attachment_id: self.counters.attachment,
            next_letter_id: self.counters.letter,
            next_charge_id: self.counters.charge,
            attachments: self.attachments.into_values().collect(),
            contents: self.contents,
            letters: self.letters.into_values().collect(),
            charges: self.charges.into_values().collect(),
            next_delivery_id: self.counters.delivery,
            webhooks: self.deliveries.into_values().collect(),
            clock_offset: Some(self.counters.clock),
        }
    }
}
