//! Mail: uploaded attachments and their contents, registered letters, the
//! charges paid for them (and for identity checks), and webhook deliveries.
//! Routes decide *whether* (the gates of `routes/mail.rs`); the facade's
//! operations (`ops/`) decide what a send or an event touches elsewhere;
//! this records *what happened* to mail.
//!
//! What mail is looked up by (a user's letters and uploads, a content's
//! uploads, a letter's deliveries, charges, and the work due on the business
//! clock) is kept in [`index::Index`], updated by the same write methods, so
//! no lookup and no tick walks the store.
//!
//! Lock order: `deliveries`, then one entry (shard) of `letters`, then
//! `index`, which is always taken last and held only to read or change it.
//! `attachments`, `blobs`, `charges`, `cards` and `last_fingerprint` are each locked alone (their index
//! entries are written after their guard is released). No guard is held by
//! a caller, nor while another aggregate is called.

pub mod attachment;
pub mod charges;
pub mod index;
pub mod letter;
pub mod lifecycle;
pub mod webhook;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::accounts::{Everything, Forgotten};
use super::clock::Clock;
use super::record::{Counters, Latest};
use super::snapshot::Snapshot;
use super::tracked::{Changes, MANY_SHARDS, TrackedLog, TrackedMap};
use super::{Order, partner::Partner};
use crate::protocol::date::ParisTime;
use crate::protocol::params::FilePart;
use attachment::Attachment;
use charges::{Charge, ChargeKind, ChargeRow, Payer};
use index::{Index, LetterKeys, Scheduled};
use letter::{Letter, LetterRow, LetterStatus, MailObject, SenderCard, Sha256Digest};
use lifecycle::{Event, Refused, Timings};
use webhook::{Attempt, Delivery, DeliveryState};

/// Which letters `GET /_mock/letters` lists.
#[derive(Debug, Default)]
pub struct LetterFilter {
    /// The sending partner's token.
    pub token: Option<String>,
    /// The sender.
    pub user: Option<u64>,
    /// The status.
    pub status: Option<LetterStatus>,
}

/// The mail aggregate.
#[derive(Debug)]
pub struct Mail {
    public_url: Arc<str>,
    clock: Arc<Clock>,
    timings: RwLock<Timings>,
    next_attachment_id: AtomicU64,
    next_letter_id: AtomicU64,
    next_charge_id: AtomicU64,
    next_delivery_id: AtomicU64,
    attachments: TrackedMap<u64, Attachment, super::Hasher>,
    /// Attachment bytes, once per content, by SHA-1.
    blobs: TrackedMap<String, bytes::Bytes>,
    /// Shared: the map's slots, part empty, hold pointers, not letters, and the
    /// state file's writer takes a changed letter by counting one more reference.
    letters: TrackedMap<u64, Arc<Letter>, super::Hasher>,
    cards: Cards,
    charges: TrackedLog<Charge>,
    deliveries: TrackedLog<Delivery>,
    index: Mutex<Index>,
    /// The last letter's fingerprint and what it was taken over (see [`Mail::fingerprint`]).
    last_fingerprint: Mutex<Option<Fingerprinted>>,
    /// Told whenever an attempt is queued to be made now, so that the runner
    /// makes it at once rather than at its next tick.
    attempt_queued: tokio::sync::Notify,
}

/// A fingerprint and what it was taken over: a content and the SHA-1 of
/// each stored attachment content hashed after it, in order.
#[derive(Debug)]
struct Fingerprinted {
    content: Box<str>,
    hashed: Vec<String>,
    digest: Sha256Digest,
}

/// Work the business clock made due, taken by [`Mail::take_due`] so that it is done once.
#[derive(Debug)]
pub enum DueWork {
    /// Letter `id`'s next event, due at `when`.
    Letter {
        /// The letter.
        id: u64,
        /// When its event fell due.
        when: DateTime<Utc>,
    },
    /// A webhook attempt to make, marked under way.
    Attempt(webhook::Due),
}

impl Mail {
    pub(super) fn new(changes: &Arc<Changes>, clock: &Arc<Clock>, public_url: &str) -> Self {
        Self {
            public_url: public_url.into(),
            clock: Arc::clone(clock),
            timings: RwLock::new(Timings::default()),
            next_attachment_id: AtomicU64::new(1),
            next_letter_id: AtomicU64::new(1),
            next_charge_id: AtomicU64::new(1),
            next_delivery_id: AtomicU64::new(1),
            attachments: TrackedMap::new(changes),
            blobs: TrackedMap::new(changes),
            letters: TrackedMap::with_shards(changes, MANY_SHARDS),
            cards: Cards::default(),
            charges: TrackedLog::new(changes),
            deliveries: TrackedLog::new(changes),
            index: Mutex::new(Index::default()),
            last_fingerprint: Mutex::new(None),
            attempt_queued: tokio::sync::Notify::new(),
        }
    }

    /// Completes when an attempt was queued since the last time this completed.
    pub async fn attempt_queued(&self) {
        self.attempt_queued.notified().await;
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        // Every change to the index is whole before the guard is released.
        self.index.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The timings in force.
    pub fn timings(&self) -> Timings {
        *self.timings.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the timings (from the configuration); what is due follows them.
    pub fn set_timings(&self, timings: Timings) {
        *self.timings.write().unwrap_or_else(PoisonError::into_inner) = timings;
        self.rebuild_index();
    }

    /// The indexes, built again from the maps (after a reset or a change of timings).
    fn rebuild_index(&self) {
        let timings = self.timings();
        let letters = self.letters.iter().map(|l| l.index_keys(&timings)).collect();
        self.rebuild_index_with(letters);
    }

    /// The indexes of `letters` (all the letters stored) and of the uploads,
    /// charges and deliveries in the maps.
    fn rebuild_index_with(&self, letters: Vec<LetterKeys>) {
        let uploads = self.attachments.iter().map(|a| (a.id, a.user_id, a.sha1.clone())).collect();
        let charges = self.charges.lock().iter().map(|c| (c.id, c.user, c.token.clone())).collect();
        let deliveries = self.deliveries.lock().iter().map(|d| (d.id, d.letter, d.due())).collect();
        *self.index() = Index::build(letters, uploads, charges, deliveries);
    }

    // ----- attachments -----

    /// Records an upload of `file` for the user, named `filename`. Its bytes
    /// are kept once per content, whoever uploads them and however often.
    pub fn upload(&self, user_id: u64, partner: &Partner, filename: String, file: &FilePart) -> Attachment {
        // Inserted again only when new: an upload of a known content writes no content record.
        let _ = self.blobs.insert_new(file.sha1.clone(), file.bytes.clone());
        let attachment = Attachment {
            id: self.next_attachment_id.fetch_add(1, Ordering::Relaxed),
            user_id,
            partner: crate::store::shared::token(&partner.token),
            filename: filename.into(),
            size: file.bytes.len() as u64,
            sha1: file.sha1.clone(),
            upload_date: self.clock.now_paris().into(),
        };
        self.attachments.insert(attachment.id, attachment.clone());
        let mut index = self.index();
        index.uploads_by_user.add(user_id, attachment.id);
        index.uploads_by_content.add(attachment.sha1.clone(), attachment.id);
        attachment
    }

    /// The attachment with this id.
    pub fn attachment(&self, id: u64) -> Option<Attachment> {
        self.attachments.get(&id).map(|a| a.clone())
    }

    /// The bytes of the content with this SHA-1.
    pub fn content(&self, sha1: &str) -> Option<bytes::Bytes> {
        self.blobs.get(sha1).map(|b| b.clone())
    }

    /// A letter's `full_hash_sha256`: the SHA-256 of its content followed by
    /// each attachment's bytes ([ASSUMED], README row 36); an attachment
    /// whose content is not stored adds nothing.
    ///
    /// The bytes are hashed once for a run of letters alike: when the content
    /// and the attachments' contents (by SHA-1, as they are stored) are those
    /// of the letter before, its fingerprint is given again. A test suite
    /// sends the same letter over and over, and hashing a 20 KB attachment
    /// takes about as long as the rest of a send.
    pub fn fingerprint(&self, content: &str, attachments: &[Attachment]) -> Sha256Digest {
        let stored: Vec<(&str, bytes::Bytes)> =
            attachments.iter().filter_map(|a| Some((a.sha1.as_str(), self.content(&a.sha1)?))).collect();
        let alike = |before: &Fingerprinted| {
            *before.content == *content
                && before.hashed.iter().map(String::as_str).eq(stored.iter().map(|(sha1, _)| *sha1))
        };
        let mut last = self.last_fingerprint.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(before) = last.as_ref().filter(|before| alike(before)) {
            return before.digest;
        }
        drop(last);
        let mut hash = Sha256::new();
        hash.update(content.as_bytes());
        for (_, bytes) in &stored {
            hash.update(&bytes[..]);
        }
        let digest = Sha256Digest(hash.finalize().into());
        last = self.last_fingerprint.lock().unwrap_or_else(PoisonError::into_inner);
        *last = Some(Fingerprinted {
            content: content.into(),
            hashed: stored.iter().map(|(sha1, _)| (*sha1).to_owned()).collect(),
            digest,
        });
        digest
    }

    /// The name of the first upload of the content with this SHA-1.
    pub fn attachment_named(&self, sha1: &str) -> Option<String> {
        let first = self.index().uploads_by_content.of(sha1).and_then(|ids| ids.first().copied())?;
        self.attachments.get(&first).map(|a| a.filename.to_string())
    }

    /// A page of a user's uploads, by id.
    pub fn user_attachments(&self, user_id: u64, max: usize, start: usize, order: Order) -> Vec<Attachment> {
        let ids = {
            let index = self.index();
            let Some(mine) = index.uploads_by_user.of(&user_id) else { return Vec::new() };
            index::page(mine.iter(), order == Order::Desc, start, max)
        };
        ids.into_iter().filter_map(|id| self.attachment(id)).collect()
    }

    /// A letter's attachments, in the letter's order.
    pub fn letter_attachments(&self, letter: &Letter) -> Vec<Attachment> {
        letter.attachments.iter().filter_map(|id| self.attachment(*id)).collect()
    }

    /// The mail object AR24 answers for `letter`, its URLs under the mock's public URL.
    pub fn view(&self, letter: &Arc<Letter>) -> MailObject {
        MailObject::new(Arc::clone(letter), self.letter_attachments(letter), Arc::clone(&self.public_url))
    }

    // ----- letters -----

    /// The id the next letter gets.
    pub(super) fn next_letter_id(&self) -> u64 {
        self.next_letter_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Stores a new letter; answers it as stored.
    pub(super) fn insert_letter(&self, mut letter: Letter) -> Arc<Letter> {
        self.cards.share(&mut letter);
        let letter = Arc::new(letter);
        let keys = letter.index_keys(&self.timings());
        self.letters.insert(letter.id, Arc::clone(&letter));
        self.index().file_letter(keys);
        letter
    }

    /// The letter with this id (shared: a change replaces the stored one, not this).
    pub fn letter(&self, id: u64) -> Option<Arc<Letter>> {
        self.letters.get(&id).map(|l| Arc::clone(&l))
    }

    /// The next thing due for letter `id`, and when (read in place, not copied).
    pub(super) fn letter_due(&self, id: u64) -> Option<(DateTime<Utc>, lifecycle::Due)> {
        let timings = self.timings();
        self.letters.get(&id)?.next_due(&timings)
    }

    /// A page of a user's letters, by id; only `ids` when given.
    pub fn user_letters(&self, user_id: u64, ids: &[u64], max: usize, start: usize, order: Order) -> Vec<Arc<Letter>> {
        let ids = {
            let index = self.index();
            let Some(mine) = index.letters_by_sender.of(&user_id) else { return Vec::new() };
            if ids.is_empty() {
                index::page(mine.iter(), order == Order::Desc, start, max)
            } else {
                let asked: std::collections::BTreeSet<u64> =
                    ids.iter().copied().filter(|id| mine.contains(id)).collect();
                index::page(asked.iter(), order == Order::Desc, start, max)
            }
        };
        ids.into_iter().filter_map(|id| self.letter(id)).collect()
    }

    /// Every letter matching `filter`, oldest first.
    pub fn letters(&self, filter: &LetterFilter) -> Vec<Arc<Letter>> {
        let ids: Vec<u64> = {
            let index = self.index();
            let by_user = filter.user.map(|u| index.letters_by_sender.of(&u));
            let by_partner = filter.token.as_deref().map(|t| index.letters_by_partner.of(t));
            match (by_user, by_partner) {
                (Some(ids), _) | (None, Some(ids)) => ids.map(|ids| ids.iter().copied().collect()).unwrap_or_default(),
                (None, None) => index.letters.iter().copied().collect(),
            }
        };
        ids.into_iter()
            .filter_map(|id| self.letter(id))
            .filter(|l| filter.token.as_ref().is_none_or(|t| *l.partner == **t))
            .filter(|l| filter.status.is_none_or(|s| l.status == s))
            .collect()
    }

    /// The `max` newest letters, newest first.
    pub fn newest_letters(&self, max: usize) -> Vec<Arc<Letter>> {
        let ids = index::page(self.index().letters.iter(), true, 0, max);
        ids.into_iter().filter_map(|id| self.letter(id)).collect()
    }

    /// Sets the status `event` leads to, dated `when`; nothing changes when
    /// the event cannot happen now.
    pub(super) fn apply_event(&self, id: u64, event: Event, when: DateTime<Utc>) -> Result<Arc<Letter>, Refused> {
        let timings = self.timings();
        let mut stored = self.letters.get_mut(&id).ok_or(Refused::NotFound)?;
        let to = event.from(stored.status).ok_or(Refused::Settled(stored.status))?;
        let letter = Arc::make_mut(&mut stored);
        let before = letter.due_at(&timings);
        let date = Some(ParisTime(when));
        letter.status = to;
        match to {
            LetterStatus::Ev => letter.ts_ev_date = date,
            LetterStatus::Ar => letter.view_date = date,
            LetterStatus::Rf => letter.refused_date = date,
            LetterStatus::Ng => letter.negligence_date = date,
            LetterStatus::Bc => letter.bounced_date = date,
            LetterStatus::Waiting => {}
        }
        self.index().reschedule(Scheduled::Letter(id), before, letter.due_at(&timings));
        Ok(Arc::clone(&stored))
    }

    /// Keeps who refused the letter.
    pub(super) fn set_refused_by(&self, id: u64, by: &str) -> Option<Arc<Letter>> {
        let mut stored = self.letters.get_mut(&id)?;
        Arc::make_mut(&mut stored).refused_by = Some(by.into());
        Some(Arc::clone(&stored))
    }

    /// Keeps the recipient's link on `letter`; the letter as it is then.
    pub(super) fn set_recipient_link(&self, letter: Arc<Letter>, link: crate::store::outbox::LinkId) -> Arc<Letter> {
        let Some(mut stored) = self.letters.get_mut(&letter.id) else { return letter };
        // The caller's copy let go first, so that the stored letter is changed in place, not copied.
        drop(letter);
        Arc::make_mut(&mut stored).recipient_link = Some(link);
        Arc::clone(&stored)
    }

    /// Counts a reminder; the letter as it is then.
    pub(super) fn count_reminder(&self, id: u64) -> Option<Arc<Letter>> {
        let timings = self.timings();
        let mut stored = self.letters.get_mut(&id)?;
        let letter = Arc::make_mut(&mut stored);
        let before = letter.due_at(&timings);
        letter.reminders += 1;
        self.index().reschedule(Scheduled::Letter(id), before, letter.due_at(&timings));
        Some(Arc::clone(&stored))
    }

    /// Takes the earliest work due by `until` that may be done now: a
    /// letter's next event, or a webhook attempt (marked under way). An
    /// event's first attempt waits until the previous event of the same
    /// letter has had its first attempt. Taken work is no longer due: it is
    /// done once, whoever else asks.
    pub(super) fn take_due(&self, until: DateTime<Utc>) -> Option<DueWork> {
        let mut deliveries = self.deliveries.lock();
        let mut index = self.index();
        let (when, work) =
            index.due.iter().take_while(|(at, _)| *at <= until).copied().find(|(_, work)| match work {
                Scheduled::Letter(_) => true,
                Scheduled::Delivery(id) => deliveries.get(*id).is_some_and(|d| {
                    let first_before =
                        index.deliveries_by_letter.of(&d.letter).and_then(|ids| ids.range(..id).next_back());
                    !d.in_flight
                        && (!d.attempts.is_empty()
                            || first_before.and_then(|p| deliveries.get(*p)).is_none_or(|p| !p.attempts.is_empty()))
                }),
            })?;
        index.due.remove(&(when, work));
        match work {
            Scheduled::Letter(id) => Some(DueWork::Letter { id, when }),
            Scheduled::Delivery(id) => {
                let d = deliveries.get_mut(id)?;
                d.in_flight = true;
                Some(DueWork::Attempt(webhook::Due {
                    id: d.id,
                    letter: d.letter,
                    url: d.url.clone(),
                    payload: d.payload.clone(),
                    number: d.attempts.len() as u32 + 1,
                    when,
                }))
            }
        }
    }

    // ----- charges -----

    /// Records a charge of `kind` for the user, paid by `payer`.
    pub(super) fn charge(
        &self,
        kind: ChargeKind,
        user: u64,
        partner: &Partner,
        payer: Payer,
        price_ht: f64,
        letter: Option<u64>,
    ) -> Charge {
        let charge = Charge {
            id: self.next_charge_id.fetch_add(1, Ordering::Relaxed),
            kind,
            user,
            token: crate::store::shared::token(&partner.token),
            payer,
            price_ht,
            letter,
            time: self.clock.now_paris().into(),
        };
        self.charges.lock().insert(charge.id, charge.clone());
        let mut index = self.index();
        index.charges_by_user.add(user, charge.id);
        index.charges_by_partner.add(charge.token.clone(), charge.id);
        charge
    }

    /// Every charge, oldest first, for one partner and one user or all.
    pub fn charges_for(&self, token: Option<&str>, user: Option<u64>) -> Vec<Charge> {
        let ids: Option<Vec<u64>> = {
            let index = self.index();
            let chosen = match (user, token) {
                (Some(user), _) => Some(index.charges_by_user.of(&user)),
                (None, Some(token)) => Some(index.charges_by_partner.of(token)),
                (None, None) => None,
            };
            chosen.map(|ids| ids.map(|ids| ids.iter().copied().collect()).unwrap_or_default())
        };
        let charges = self.charges.lock();
        let wanted = |c: &&Charge| token.is_none_or(|t| *c.token == *t) && user.is_none_or(|u| c.user == u);
        match ids {
            Some(ids) => ids.into_iter().filter_map(|id| charges.get(id)).filter(wanted).cloned().collect(),
            None => charges.iter().cloned().collect(),
        }
    }

    // ----- webhook deliveries -----

    /// The form fields AR24 posts for the letter's current status ([ASSUMED]):
    /// `id_mail`, `new_state`, `proof_url`, and the status's date.
    pub fn webhook_payload(&self, letter: &Letter) -> Vec<(String, String)> {
        let proof = letter.proof_url(letter.status, &self.public_url);
        let date = letter.date_of(letter.status);
        let mut payload = vec![
            ("id_mail".to_owned(), letter.id.to_string()),
            ("new_state".to_owned(), letter.status.as_str().to_owned()),
            ("proof_url".to_owned(), proof.map(|url| url.text()).unwrap_or_default()),
        ];
        if let (Some(field), Some(date)) = (webhook::date_field(letter.status), date) {
            payload.push((field.to_owned(), date.to_string()));
        }
        payload
    }

    /// Queues a delivery of the letter's current status to `url`, due at `when`.
    pub(super) fn queue_delivery(&self, letter: &Letter, url: String, when: DateTime<Utc>) -> u64 {
        let payload = self.webhook_payload(letter);
        let id = self.next_delivery_id.fetch_add(1, Ordering::Relaxed);
        let delivery = Delivery::new(id, letter.id, Arc::clone(&letter.partner), url, payload, when);
        let mut deliveries = self.deliveries.lock();
        deliveries.insert(id, delivery);
        let mut index = self.index();
        index.deliveries_by_letter.add(letter.id, id);
        index.reschedule(Scheduled::Delivery(id), None, Some(when));
        self.attempt_queued.notify_one();
        id
    }

    /// Records an attempt (made when it fell due, `attempt.at`): delivered on
    /// HTTP 200; otherwise the next attempt is due one interval after this
    /// one, until the retries run out.
    pub fn record_attempt(&self, id: u64, attempt: Attempt) {
        let timings = self.timings();
        let mut deliveries = self.deliveries.lock();
        let Some(delivery) = deliveries.get_mut(id) else { return };
        delivery.in_flight = false;
        let delivered = attempt.status == Some(200);
        let made = attempt.at.utc();
        delivery.attempts.push(attempt);
        let before = delivery.due();
        delivery.next_due = if delivered {
            delivery.state = DeliveryState::Delivered;
            None
        } else if delivery.attempts.len() as u32 > timings.webhook_retries {
            delivery.state = DeliveryState::Failed;
            None
        } else {
            Some(ParisTime(made + timings.webhook_retry_every))
        };
        self.index().reschedule(Scheduled::Delivery(id), before, delivery.due());
    }

    /// Sends a delivery again now, whatever became of it.
    pub fn replay_delivery(&self, id: u64) -> Option<Delivery> {
        let now = self.clock.now();
        let mut deliveries = self.deliveries.lock();
        let delivery = deliveries.get_mut(id)?;
        if delivery.in_flight {
            return Some(delivery.clone());
        }
        let before = delivery.due();
        delivery.state = DeliveryState::Pending;
        delivery.next_due = Some(ParisTime(now));
        let replayed = delivery.clone();
        self.index().reschedule(Scheduled::Delivery(id), before, Some(now));
        self.attempt_queued.notify_one();
        Some(replayed)
    }

    /// Every delivery, oldest first, of one letter or all.
    pub fn webhook_deliveries(&self, letter: Option<u64>) -> Vec<Delivery> {
        let deliveries = self.deliveries.lock();
        match letter {
            None => deliveries.iter().cloned().collect(),
            Some(letter) => {
                let ids: Vec<u64> =
                    self.index().deliveries_by_letter.of(&letter).into_iter().flatten().copied().collect();
                ids.into_iter().filter_map(|id| deliveries.get(id).cloned()).collect()
            }
        }
    }

    // ----- resets -----

    /// Forgets all mail.
    pub(super) fn clear(&self) {
        self.letters.clear();
        self.cards.clear();
        self.attachments.clear();
        self.blobs.clear();
        self.charges.lock().clear();
        self.deliveries.lock().clear();
        self.index().clear();
        self.forget_last_fingerprint();
    }

    /// Drops the content kept to give a fingerprint again: nothing of a
    /// forgotten letter stays behind a reset.
    fn forget_last_fingerprint(&self) {
        *self.last_fingerprint.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Forgets the letters, uploads and charges of one partner and of the
    /// accounts it created, the contents no upload uses any more, and the
    /// deliveries of forgotten letters.
    ///
    /// The indexes are built again only when something indexed was forgotten:
    /// at a million letters that is a second, on top of the walk, and most
    /// partner resets (a suite's, between its tests) forget none of them.
    pub(super) fn forget_partner(&self, token: &str, forgotten: &Forgotten) {
        let created = &forgotten.ids;
        let indexed =
            || (self.letters.len(), self.attachments.len(), self.charges.lock().len(), self.deliveries.lock().len());
        let before = indexed();
        self.letters.retain(|_, l| *l.partner != *token && !created.contains(&l.sender));
        self.cards.forget(|sender| created.contains(&sender));
        self.attachments.retain(|_, a| *a.partner != *token && !created.contains(&a.user_id));
        let kept: std::collections::HashSet<String> = self.attachments.iter().map(|a| a.sha1.clone()).collect();
        self.blobs.retain(|sha1, _| kept.contains(sha1));
        self.charges.lock().retain(|c| *c.token != *token && !created.contains(&c.user));
        self.deliveries.lock().retain(|d| self.letters.contains_key(&d.letter));
        if indexed() != before {
            self.rebuild_index();
        }
        self.forget_last_fingerprint();
    }

    // ----- the state file and the state document -----

    /// The records of what changed; `Err` when only a whole rewrite can carry it.
    pub(super) fn changed_records(&self, out: &mut Vec<super::Record>) -> Result<(), Everything> {
        let contents = self.blobs.records(
            self.blobs.take_marks(),
            |sha1, bytes| Record::Content(sha1.clone(), BASE64.encode(&bytes[..])),
            Record::ContentGone,
        );
        let attachments = self.attachments.records(
            self.attachments.take_marks(),
            |_, a| Record::Attachment(Box::new(a.clone())),
            Record::AttachmentGone,
        );
        let letters =
            self.letters.records(self.letters.take_marks(), |_, l| Record::Letter(Arc::clone(l)), Record::LetterGone);
        let charges =
            self.charges.records(self.charges.take_marks(), |c| Record::Charge(Arc::clone(c)), Record::ChargeGone);
        let deliveries = self.deliveries.records(
            self.deliveries.take_marks(),
            |d| Record::Delivery(Arc::clone(d)),
            Record::DeliveryGone,
        );
        let (Some(contents), Some(attachments), Some(letters), Some(charges), Some(deliveries)) =
            (contents, attachments, letters, charges, deliveries)
        else {
            return Err(Everything);
        };
        // Contents before the uploads that name them, uploads before letters.
        let records = contents.chain(attachments).chain(letters).chain(charges).chain(deliveries);
        out.extend(records.map(super::Record::Mail));
        Ok(())
    }

    /// Everything, gathered for a rewrite of the log (contents shared, not
    /// copied), `pause` called between batches (see [`TrackedLog::gather`]).
    pub(super) fn gather(&self, pause: &dyn Fn()) -> Gathered {
        Gathered {
            contents: self.blobs.iter().map(|b| (b.key().clone(), b.value().clone())).collect(),
            attachments: self.attachments.gather(|_, a| a.clone(), pause),
            letters: self.letters.gather(|_, l| Arc::clone(l), pause),
            charges: self.charges.gather(Arc::clone, pause),
            deliveries: self.deliveries.gather(Arc::clone, pause),
        }
    }

    /// Its id counters.
    pub(super) fn counters(&self, counters: &mut Counters) {
        let load = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
        counters.attachment = load(&self.next_attachment_id);
        counters.letter = load(&self.next_letter_id);
        counters.charge = load(&self.next_charge_id);
        counters.delivery = load(&self.next_delivery_id);
    }

    /// Its part of the state document.
    pub(super) fn export(&self, snapshot: &mut Snapshot) {
        let mut counters = Counters::default();
        self.counters(&mut counters);
        let gathered = self.gather(&|| ());
        snapshot.next_attachment_id = counters.attachment;
        snapshot.next_letter_id = counters.letter;
        snapshot.next_charge_id = counters.charge;
        snapshot.next_delivery_id = counters.delivery;
        snapshot.contents =
            gathered.contents.iter().map(|(sha1, bytes)| (sha1.clone(), BASE64.encode(bytes))).collect();
        snapshot.attachments = sorted(gathered.attachments, |a| a.id);
        snapshot.letters = sorted(gathered.letters, |l| l.id);
        snapshot.charges = gathered.charges.into_iter().map(Arc::unwrap_or_clone).collect();
        snapshot.webhooks = gathered.deliveries.into_iter().map(Arc::unwrap_or_clone).collect();
    }

    /// Takes its part of a checked state document, into an empty aggregate.
    pub(super) fn import(&self, snapshot: &mut Snapshot) {
        let next = |stored: u64, max: Option<u64>| stored.max(max.map_or(1, |m| m + 1));
        let max_upload = snapshot.attachments.iter().map(|a| a.id).max();
        self.next_attachment_id.store(next(snapshot.next_attachment_id, max_upload), Ordering::SeqCst);
        let max_letter = snapshot.letters.iter().map(|l| l.id).max();
        self.next_letter_id.store(next(snapshot.next_letter_id, max_letter), Ordering::SeqCst);
        let max_charge = snapshot.charges.iter().map(|c| c.id).max();
        self.next_charge_id.store(next(snapshot.next_charge_id, max_charge), Ordering::SeqCst);
        let max_delivery = snapshot.webhooks.iter().map(|d| d.id).max();
        self.next_delivery_id.store(next(snapshot.next_delivery_id, max_delivery), Ordering::SeqCst);
        for (sha1, data) in std::mem::take(&mut snapshot.contents) {
            // Checked decodable with the document.
            self.blobs.insert(sha1, BASE64.decode(data).unwrap_or_default().into());
        }
        for attachment in std::mem::take(&mut snapshot.attachments) {
            self.attachments.insert(attachment.id, attachment);
        }
        let timings = self.timings();
        let mut keys = Vec::with_capacity(snapshot.letters.len());
        for mut letter in std::mem::take(&mut snapshot.letters) {
            self.cards.share(Arc::make_mut(&mut letter));
            keys.push(letter.index_keys(&timings));
            self.letters.insert(letter.id, letter);
        }
        let mut charges = self.charges.lock();
        for charge in std::mem::take(&mut snapshot.charges) {
            charges.insert(charge.id, charge);
        }
        drop(charges);
        let mut deliveries = self.deliveries.lock();
        for delivery in std::mem::take(&mut snapshot.webhooks) {
            deliveries.insert(delivery.id, delivery);
        }
        drop(deliveries);
        self.rebuild_index_with(keys);
    }
}

/// Each sender's card as its last letter shows it: the letters of a sender
/// whose details did not change share it, one card, not one each (derived,
/// never stored; memory only, no answer changes with it).
#[derive(Debug, Default)]
struct Cards(Mutex<CardsBySender>);

type CardsBySender = HashMap<u64, Arc<SenderCard>, super::Hasher>;

/// Gives `letter` the card its sender's previous letter in `known` holds, when
/// they read the same (the same card already: nothing to compare).
fn share_card(known: &mut CardsBySender, letter: &mut Letter) {
    match known.entry(letter.sender) {
        Entry::Occupied(known) if Arc::ptr_eq(known.get(), &letter.from) => {}
        Entry::Occupied(mut known) if **known.get() != *letter.from => _ = known.insert(Arc::clone(&letter.from)),
        Entry::Occupied(known) => letter.from = Arc::clone(known.get()),
        Entry::Vacant(slot) => _ = slot.insert(Arc::clone(&letter.from)),
    }
}

impl Cards {
    fn lock(&self) -> MutexGuard<'_, CardsBySender> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `letter` the card its sender's previous letter holds, when they read the same.
    fn share(&self, letter: &mut Letter) {
        share_card(&mut self.lock(), letter);
    }

    /// Forgets the cards of the senders `gone` names.
    fn forget(&self, gone: impl Fn(u64) -> bool) {
        self.lock().retain(|sender, _| !gone(*sender));
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

/// The cards of letters read from the state log, shared among the records
/// of one batch as it is decoded (on the thread that decoded it, while its
/// letters are fresh in memory): the store then finds most cards shared
/// already, and compares one card of a sender per batch, not one per letter.
#[derive(Debug, Default)]
pub struct DecodedCards(CardsBySender);

impl DecodedCards {
    /// Shares the card of `record` when it is a letter.
    pub fn share(&mut self, record: &mut Record) {
        if let Record::Letter(letter) = record {
            share_card(&mut self.0, Arc::make_mut(letter));
        }
    }
}

fn sorted<T>(mut list: Vec<T>, key: impl Fn(&T) -> u64) -> Vec<T> {
    list.sort_by_key(key);
    list
}

/// The records of mail in the state log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Record {
    /// An uploaded content, base64, by SHA-1.
    Content(String, String),
    ContentGone(String),
    Attachment(Box<Attachment>),
    AttachmentGone(u64),
    /// Written as a [`LetterRow`]; read from a row or, as older logs wrote it, by field names.
    #[serde(serialize_with = "letter_as_row")]
    Letter(Arc<Letter>),
    LetterGone(u64),
    /// Written as a [`ChargeRow`]; read from a row or, as older logs wrote it, by field names.
    #[serde(serialize_with = "charge_as_row")]
    Charge(Arc<Charge>),
    ChargeGone(u64),
    Delivery(Arc<Delivery>),
    DeliveryGone(u64),
}

fn charge_as_row<S: serde::Serializer>(charge: &Charge, serializer: S) -> Result<S::Ok, S::Error> {
    ChargeRow(charge).serialize(serializer)
}

fn letter_as_row<S: serde::Serializer>(letter: &Letter, serializer: S) -> Result<S::Ok, S::Error> {
    LetterRow(letter).serialize(serializer)
}

/// Mail as [`Mail::gather`] took it, to be written record by record.
#[derive(Debug)]
pub struct Gathered {
    contents: Vec<(String, bytes::Bytes)>,
    attachments: Vec<Attachment>,
    letters: Vec<Arc<Letter>>,
    charges: Vec<Arc<Charge>>,
    deliveries: Vec<Arc<Delivery>>,
}

impl Gathered {
    /// Each record, in the order they are written (each content encoded as it is written).
    pub fn records(self) -> impl Iterator<Item = Record> {
        let contents = self.contents.into_iter().map(|(sha1, bytes)| Record::Content(sha1, BASE64.encode(&bytes[..])));
        contents
            .chain(self.attachments.into_iter().map(|a| Record::Attachment(Box::new(a))))
            .chain(self.letters.into_iter().map(Record::Letter))
            .chain(self.charges.into_iter().map(Record::Charge))
            .chain(self.deliveries.into_iter().map(Record::Delivery))
    }
}

/// Mail rebuilt from records, applied in order.
#[derive(Debug, Default)]
pub struct Replay {
    contents: BTreeMap<String, String>,
    attachments: Latest<u64, Attachment>,
    letters: Latest<u64, Arc<Letter>>,
    charges: Latest<u64, Charge>,
    deliveries: Latest<u64, Delivery>,
}

impl Replay {
    /// Applies one record: each replaces what it names.
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::Content(sha1, data) => _ = self.contents.insert(sha1, data),
            Record::ContentGone(sha1) => _ = self.contents.remove(&sha1),
            Record::Attachment(attachment) => self.attachments.put(attachment.id, *attachment),
            Record::AttachmentGone(id) => self.attachments.remove(id),
            Record::Letter(letter) => self.letters.put(letter.id, letter),
            Record::LetterGone(id) => self.letters.remove(id),
            Record::Charge(charge) => self.charges.put(charge.id, Arc::unwrap_or_clone(charge)),
            Record::ChargeGone(id) => self.charges.remove(id),
            Record::Delivery(delivery) => self.deliveries.put(delivery.id, Arc::unwrap_or_clone(delivery)),
            Record::DeliveryGone(id) => self.deliveries.remove(id),
        }
    }

    /// Its part of the state document.
    pub fn finish(self, counters: &Counters, snapshot: &mut Snapshot) {
        snapshot.next_attachment_id = counters.attachment;
        snapshot.next_letter_id = counters.letter;
        snapshot.next_charge_id = counters.charge;
        snapshot.next_delivery_id = counters.delivery;
        snapshot.contents = self.contents;
        snapshot.attachments = self.attachments.finish();
        snapshot.letters = self.letters.finish();
        snapshot.charges = self.charges.finish();
        snapshot.webhooks = self.deliveries.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        let changes = Arc::new(Changes::default());
        Mail::new(&changes, &Arc::new(Clock::new(&changes)), "http://mock")
    }

    fn letter(id: u64, sender: u64, city: &str) -> Letter {
        serde_json::from_value(serde_json::json!({
            "id": id, "partner": "card-test-token", "sender": sender, "status": "ev", "is_eidas": false,
            "from": {"name": "Mark Bench", "email": "s@example.com", "address1": "1 rue de la Paix",
                     "address2": "", "city": city, "zipcode": "75002"},
            "to": {"email": "d@example.com", "statut": "particulier", "firstname": "Marie", "lastname": "Dupont", "company": ""},
            "content": "Mise en demeure", "attachments": [], "refs": [null, null, null], "payment_slug": null,
            "webhook": null, "pre_notif": false, "price_ht": 0.0, "date": "2026-11-30 16:07:38",
            "full_hash_sha256": "C5A5CD4F090A6EF37BC9E4690040762C40FB61BBD71167A846B06144B79BE4E9",
            "download_token": "27ba2084f0bc45b6", "req_notify": {"ev": true, "ar": true, "rf": true, "ng": true},
            "ts_ev_date": "2026-11-30 16:07:38", "view_date": null, "refused_date": null, "negligence_date": null,
            "bounced_date": null, "recipient_link": "134c3be72c4e446fa8433b65f1b95e4d", "reminders": 0
        }))
        .expect("a letter as the state document writes it")
    }

    #[test]
    fn the_log_writes_a_letter_as_a_row_and_reads_it_back_the_same() {
        let mut letter = letter(7, 3, "Paris");
        letter.refused_by = Some("Marie Dupont".into());
        letter.reminders = 2;
        let named = serde_json::to_value(&letter).unwrap();
        let line = serde_json::to_string(&Record::Letter(Arc::new(letter))).unwrap();
        assert!(
            line.starts_with(r#"{"kind":"letter","value":[7,"card-test-token",3,"ev",false,["Mark Bench""#),
            "{line}"
        );
        assert!(line.len() < named.to_string().len() * 2 / 3, "a row is shorter: {line}");
        let Record::Letter(back) = serde_json::from_str(&line).unwrap() else { panic!("a letter: {line}") };
        assert_eq!(serde_json::to_value(&back).unwrap(), named);
        // As older logs wrote it, by field names.
        let older = format!(r#"{{"kind":"letter","value":{named}}}"#);
        let Record::Letter(back) = serde_json::from_str(&older).unwrap() else { panic!("a letter: {older}") };
        assert_eq!(serde_json::to_value(&back).unwrap(), named);
    }

    #[test]
    fn the_mail_object_writes_the_letters_fields_and_its_download_urls() {
        let mail = mail();
        let mut stored = letter(12, 3, "Paris");
        stored.refs[1] = Some("client-9".into());
        let attachment = Attachment {
            id: 5,
            user_id: 3,
            partner: crate::store::shared::token("card-test-token"),
            filename: "contrat.pdf".into(),
            size: 8_515_845,
            sha1: "a".repeat(40),
            upload_date: "2026-11-30 16:00:00".into(),
        };
        mail.attachments.insert(attachment.id, attachment);
        stored.attachments = vec![5];
        let json = serde_json::to_value(mail.view(&mail.insert_letter(stored))).unwrap();
        let token = "?token=27ba2084f0bc45b6";
        assert_eq!(json["proof_ev_url"], format!("http://mock/get/proof/ev-12{token}"));
        assert_eq!(json["proof_ar_url"], serde_json::Value::Null, "not accepted yet");
        assert_eq!(json["pdf_content"], format!("http://mock/get/content/12{token}"));
        assert_eq!(json["zip"], format!("http://mock/get/zip/12{token}"));
        assert_eq!(json["from_name"], "Mark Bench");
        assert_eq!(json["to_name"], "Marie Dupont");
        assert_eq!(
            (json["ref_dossier"].clone(), json["ref_client"].clone()),
            (serde_json::Value::Null, "client-9".into())
        );
        assert_eq!(json["full_hash_sha256"], "C5A5CD4F090A6EF37BC9E4690040762C40FB61BBD71167A846B06144B79BE4E9");
        assert_eq!(json["attachments"], serde_json::json!([5]));
        let detail = &json["attachments_details"][0];
        assert_eq!(detail["download_url"], format!("http://mock/get/att/{}", "a".repeat(40)));
        assert_eq!(
            (detail["name"].as_str(), detail["human_file_size"].as_str()),
            (Some("contrat.pdf"), Some("8.5 Mb"))
        );
    }

    #[test]
    fn forgetting_a_partner_takes_its_letters_out_of_the_indexes_and_one_with_none_leaves_them_as_they_were() {
        let mail = mail();
        mail.insert_letter(letter(1, 7, "Paris"));
        let mut theirs = letter(2, 8, "Paris");
        theirs.partner = crate::store::shared::token("other-token");
        mail.insert_letter(theirs);
        let before = format!("{:?}", *mail.index());
        mail.forget_partner("nobody-token", &Forgotten::default());
        assert_eq!(format!("{:?}", *mail.index()), before, "nothing of that partner, nothing changes");
        mail.forget_partner("other-token", &Forgotten::default());
        let index = mail.index();
        assert_eq!(index.letters.iter().collect::<Vec<_>>(), [&1], "{index:?}");
        assert!(index.letters_by_sender.of(&8).is_none_or(|ids| ids.is_empty()), "{index:?}");
        assert_eq!(index.letters_by_sender.of(&7).map(|ids| ids.len()), Some(1));
    }

    fn card(mail: &Mail, id: u64) -> Arc<SenderCard> {
        Arc::clone(&mail.letters.get(&id).expect("stored").from)
    }

    #[test]
    fn a_senders_letters_share_one_card_until_the_card_changes_also_after_an_import() {
        let mail = mail();
        mail.insert_letter(letter(1, 7, "Paris"));
        mail.insert_letter(letter(2, 7, "Paris"));
        mail.insert_letter(letter(3, 8, "Paris"));
        mail.insert_letter(letter(4, 7, "Lyon"));
        mail.insert_letter(letter(5, 7, "Lyon"));
        assert!(Arc::ptr_eq(&card(&mail, 1), &card(&mail, 2)), "same sender, same card");
        assert!(!Arc::ptr_eq(&card(&mail, 1), &card(&mail, 3)), "another sender");
        assert_eq!(card(&mail, 4).city, "Lyon", "a moved sender's new letters show the new address");
        assert_eq!(card(&mail, 1).city, "Paris", "and the old ones the old address");
        assert!(Arc::ptr_eq(&card(&mail, 4), &card(&mail, 5)));

        let mut snapshot = Snapshot::default();
        mail.export(&mut snapshot);
        let written = serde_json::to_string(&snapshot.letters).unwrap();
        let restored = self::mail();
        restored.import(&mut Snapshot { letters: serde_json::from_str(&written).unwrap(), ..Snapshot::default() });
        assert!(Arc::ptr_eq(&card(&restored, 1), &card(&restored, 2)), "shared again once read back");
        assert!(Arc::ptr_eq(&card(&restored, 4), &card(&restored, 5)));
        assert_eq!(restored.letter(1).unwrap().from.city, "Paris");
        assert_eq!(restored.letter(1).unwrap().partner, mail.letter(1).unwrap().partner);
    }

    #[test]
    fn letters_decoded_together_share_a_card_and_the_store_shares_it_across_batches() {
        let decode = |letters: Vec<Letter>| {
            let mut cards = DecodedCards::default();
            let records = letters.into_iter().map(|letter| Record::Letter(Arc::new(letter))).map(|mut record| {
                cards.share(&mut record);
                record
            });
            records.map(|record| if let Record::Letter(letter) = record { letter } else { unreachable!() }).collect()
        };
        let first: Vec<Arc<Letter>> =
            decode(vec![letter(1, 7, "Paris"), letter(2, 7, "Paris"), letter(3, 7, "Lyon"), letter(4, 7, "Lyon")]);
        assert!(Arc::ptr_eq(&first[0].from, &first[1].from), "same sender, same card");
        assert!(!Arc::ptr_eq(&first[1].from, &first[2].from), "the sender moved");
        assert_eq!((first[1].from.city.as_str(), first[2].from.city.as_str()), ("Paris", "Lyon"));
        assert!(Arc::ptr_eq(&first[2].from, &first[3].from));
        let second: Vec<Arc<Letter>> = decode(vec![letter(5, 7, "Lyon"), letter(6, 7, "Lyon")]);
        assert!(!Arc::ptr_eq(&first[3].from, &second[0].from), "each batch on its own");

        let mail = mail();
        mail.import(&mut Snapshot { letters: first.into_iter().chain(second).collect(), ..Snapshot::default() });
        assert!(Arc::ptr_eq(&card(&mail, 3), &card(&mail, 6)), "one card across batches once stored");
        assert_eq!(card(&mail, 1).city, "Paris", "the older letters keep the older card");
    }

    #[test]
    fn the_content_hash_is_written_as_64_uppercase_hex_digits_and_read_back() {
        let digest = letter(1, 7, "Paris").full_hash_sha256;
        let text = serde_json::to_value(digest).unwrap();
        assert_eq!(text, "C5A5CD4F090A6EF37BC9E4690040762C40FB61BBD71167A846B06144B79BE4E9");
        assert_eq!(digest.to_string(), text);
        assert_eq!(serde_json::from_value::<letter::Sha256Digest>(text).unwrap(), digest);
        let lower = serde_json::json!("c5a5cd4f090a6ef37bc9e4690040762c40fb61bbd71167a846b06144b79be4e9");
        assert_eq!(serde_json::from_value::<letter::Sha256Digest>(lower).unwrap(), digest, "either case reads");
        for bad in ["C5A5", "not hex at all", ""] {
            assert!(serde_json::from_value::<letter::Sha256Digest>(serde_json::json!(bad)).is_err(), "{bad}");
        }
    }

    /// An upload of `bytes` by user 1, its content stored.
    fn stored(mail: &Mail, id: u64, bytes: &'static [u8]) -> Attachment {
        let file = FilePart::new("file".into(), "a.pdf".into(), bytes::Bytes::from_static(bytes));
        let _ = mail.blobs.insert_new(file.sha1.clone(), file.bytes.clone());
        Attachment {
            id,
            user_id: 1,
            partner: crate::store::shared::token("card-test-token"),
            filename: "a.pdf".into(),
            size: bytes.len() as u64,
            sha1: file.sha1,
            upload_date: "2026-11-30 16:07:38".into(),
        }
    }

    #[test]
    fn a_fingerprint_given_again_is_the_one_a_letter_alike_would_be_hashed_to() {
        let mail = mail();
        let (pdf, other) = (stored(&mail, 1, b"%PDF-1.4 one"), stored(&mail, 2, b"%PDF-1.4 two"));
        let sha256 = |parts: &[&[u8]]| {
            let mut hash = Sha256::new();
            parts.iter().for_each(|part| hash.update(part));
            Sha256Digest(hash.finalize().into())
        };
        // A letter's content and attachments, and the bytes its fingerprint covers.
        type Case<'a> = (&'a str, Vec<Attachment>, Vec<&'a [u8]>);
        let cases: [Case; 6] = [
            ("Mise en demeure", vec![pdf.clone()], vec![b"Mise en demeure", b"%PDF-1.4 one"]),
            // The same again: given from the last letter, and still right.
            ("Mise en demeure", vec![pdf.clone()], vec![b"Mise en demeure", b"%PDF-1.4 one"]),
            ("Mise en demeure", vec![other.clone()], vec![b"Mise en demeure", b"%PDF-1.4 two"]),
            (
                "Mise en demeure",
                vec![other.clone(), pdf.clone()],
                vec![b"Mise en demeure", b"%PDF-1.4 two", b"%PDF-1.4 one"],
            ),
            ("Relance", vec![other.clone(), pdf.clone()], vec![b"Relance", b"%PDF-1.4 two", b"%PDF-1.4 one"]),
            ("Relance", vec![], vec![b"Relance"]),
        ];
        for (content, attachments, hashed) in cases {
            assert_eq!(mail.fingerprint(content, &attachments), sha256(&hashed), "{content} {}", attachments.len());
        }
        // An upload of the same bytes is the same content, whatever its id.
        let again = stored(&mail, 3, b"%PDF-1.4 one");
        mail.fingerprint("Mise en demeure", std::slice::from_ref(&pdf));
        assert_eq!(mail.fingerprint("Mise en demeure", &[again]), sha256(&[b"Mise en demeure", b"%PDF-1.4 one"]));
        // An attachment whose content is not stored adds nothing.
        let mut missing = pdf.clone();
        missing.sha1 = "0".repeat(40);
        assert_eq!(mail.fingerprint("Mise en demeure", &[missing]), sha256(&[b"Mise en demeure"]));
        // A reset keeps nothing of the last letter's content.
        mail.clear();
        assert!(mail.last_fingerprint.lock().unwrap().is_none(), "the last content outlived the reset");
    }
}
