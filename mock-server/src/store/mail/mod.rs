//! Mail: uploaded attachments and their contents, registered letters, the
//! charges paid for them (and for identity checks), and webhook deliveries.
//! Routes decide *whether* (the gates of `routes/mail.rs`); the facade's
//! operations (`ops/`) decide what a send or an event touches elsewhere;
//! this records *what happened* to mail.
//!
//! Lock order: none is needed: each map and list is locked alone (a guard of
//! one is never held while another is taken, `letters`, `attachments`,
//! `blobs`, `charges` and `deliveries` alike), no guard is held by a caller,
//! nor while another aggregate is called.

pub mod attachment;
pub mod charges;
pub mod letter;
pub mod lifecycle;
pub mod webhook;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::accounts::{Everything, Forgotten};
use super::clock::Clock;
use super::record::Counters;
use super::snapshot::Snapshot;
use super::tracked::{Changes, TrackedLog, TrackedMap};
use super::{Order, partner::Partner};
use crate::protocol::date::format_paris;
use crate::protocol::params::FilePart;
use attachment::Attachment;
use charges::{Charge, ChargeKind, Payer};
use letter::{Letter, LetterStatus, MailView};
use lifecycle::{Due, Event, Refused, Timings};
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
    public_url: String,
    clock: Arc<Clock>,
    timings: RwLock<Timings>,
    next_attachment_id: AtomicU64,
    next_letter_id: AtomicU64,
    next_charge_id: AtomicU64,
    next_delivery_id: AtomicU64,
    attachments: TrackedMap<u64, Attachment>,
    /// Attachment bytes, once per content, by SHA-1.
    blobs: TrackedMap<String, bytes::Bytes>,
    letters: TrackedMap<u64, Letter>,
    charges: TrackedLog<Charge>,
    deliveries: TrackedLog<Delivery>,
}

fn page<T>(mut items: Vec<T>, id: impl Fn(&T) -> u64, max: usize, start: usize, order: Order) -> Vec<T> {
    items.sort_by_key(&id);
    if order == Order::Desc {
        items.reverse();
    }
    items.into_iter().skip(start).take(max).collect()
}

impl Mail {
    pub(super) fn new(changes: &Arc<Changes>, clock: &Arc<Clock>, public_url: &str) -> Self {
        Self {
            public_url: public_url.to_owned(),
            clock: Arc::clone(clock),
            timings: RwLock::new(Timings::default()),
            next_attachment_id: AtomicU64::new(1),
            next_letter_id: AtomicU64::new(1),
            next_charge_id: AtomicU64::new(1),
            next_delivery_id: AtomicU64::new(1),
            attachments: TrackedMap::new(changes),
            blobs: TrackedMap::new(changes),
            letters: TrackedMap::new(changes),
            charges: TrackedLog::new(changes),
            deliveries: TrackedLog::new(changes),
        }
    }

    /// The timings in force.
    pub fn timings(&self) -> Timings {
        *self.timings.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the timings (from the configuration).
    pub fn set_timings(&self, timings: Timings) {
        *self.timings.write().unwrap_or_else(PoisonError::into_inner) = timings;
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
            partner: partner.token.clone(),
            filename,
            size: file.bytes.len() as u64,
            sha1: file.sha1.clone(),
            upload_date: self.clock.now_paris(),
        };
        self.attachments.insert(attachment.id, attachment.clone());
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

    /// The name of the first upload of the content with this SHA-1.
    pub fn attachment_named(&self, sha1: &str) -> Option<String> {
        self.attachments.iter().filter(|a| a.sha1 == sha1).min_by_key(|a| a.id).map(|a| a.filename.clone())
    }

    /// A page of a user's uploads, by id.
    pub fn user_attachments(&self, user_id: u64, max: usize, start: usize, order: Order) -> Vec<Attachment> {
        let mine = self.attachments.iter().filter(|a| a.user_id == user_id).map(|a| a.clone()).collect();
        page(mine, |a: &Attachment| a.id, max, start, order)
    }

    /// A letter's attachments, in the letter's order.
    pub fn letter_attachments(&self, letter: &Letter) -> Vec<Attachment> {
        letter.attachments.iter().filter_map(|id| self.attachment(*id)).collect()
    }

    /// The mail object AR24 answers for `letter`, its URLs under the mock's public URL.
    pub fn view(&self, letter: &Letter) -> MailView {
        letter.view(&self.letter_attachments(letter), &self.public_url)
    }

    // ----- letters -----

    /// The id the next letter gets.
    pub(super) fn next_letter_id(&self) -> u64 {
        self.next_letter_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Stores a new letter.
    pub(super) fn insert_letter(&self, letter: Letter) {
        self.letters.insert(letter.id, letter);
    }

    /// The letter with this id.
    pub fn letter(&self, id: u64) -> Option<Letter> {
        self.letters.get(&id).map(|l| l.clone())
    }

    /// A page of a user's letters, by id; only `ids` when given.
    pub fn user_letters(&self, user_id: u64, ids: &[u64], max: usize, start: usize, order: Order) -> Vec<Letter> {
        let mine = self
            .letters
            .iter()
            .filter(|l| l.sender == user_id && (ids.is_empty() || ids.contains(&l.id)))
            .map(|l| l.clone())
            .collect();
        page(mine, |l: &Letter| l.id, max, start, order)
    }

    /// Every letter matching `filter`, oldest first.
    pub fn letters(&self, filter: &LetterFilter) -> Vec<Letter> {
        let mut list: Vec<Letter> = self
            .letters
            .iter()
            .filter(|l| filter.token.as_ref().is_none_or(|t| &l.partner == t))
            .filter(|l| filter.user.is_none_or(|u| l.sender == u))
            .filter(|l| filter.status.is_none_or(|s| l.status == s))
            .map(|l| l.clone())
            .collect();
        list.sort_by_key(|l| l.id);
        list
    }

    /// Sets the status `event` leads to, dated `when`; nothing changes when
    /// the event cannot happen now.
    pub(super) fn apply_event(&self, id: u64, event: Event, when: DateTime<Utc>) -> Result<Letter, Refused> {
        let mut letter = self.letters.get_mut(&id).ok_or(Refused::NotFound)?;
        let to = event.from(letter.status).ok_or(Refused::Settled(letter.status))?;
        let date = Some(format_paris(when));
        letter.status = to;
        match to {
            LetterStatus::Ev => letter.ts_ev_date = date,
            LetterStatus::Ar => letter.view_date = date,
            LetterStatus::Rf => letter.refused_date = date,
            LetterStatus::Ng => letter.negligence_date = date,
            LetterStatus::Bc => letter.bounced_date = date,
            LetterStatus::Waiting => {}
        }
        Ok(letter.clone())
    }

    /// Keeps the recipient's link on the letter.
    pub(super) fn set_recipient_link(&self, id: u64, link: &str) {
        if let Some(mut letter) = self.letters.get_mut(&id) {
            letter.recipient_link = Some(link.to_owned());
        }
    }

    /// Counts a reminder; the letter as it is then.
    pub(super) fn count_reminder(&self, id: u64) -> Option<Letter> {
        let mut letter = self.letters.get_mut(&id)?;
        letter.reminders += 1;
        Some(letter.clone())
    }

    /// The earliest thing due by `now` for a letter, with the letter's id.
    pub(super) fn next_due(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, u64, Due)> {
        let timings = self.timings();
        self.letters
            .iter()
            .filter_map(|l| l.next_due(&timings).map(|(when, due)| (when, l.id, due)))
            .filter(|(when, _, _)| *when <= now)
            .min_by_key(|(when, id, _)| (*when, *id))
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
            token: partner.token.clone(),
            payer,
            price_ht,
            letter,
            time: self.clock.now_paris(),
        };
        self.charges.lock().insert(charge.id, charge.clone());
        charge
    }

    /// Every charge, oldest first, for one partner and one user or all.
    pub fn charges_for(&self, token: Option<&str>, user: Option<u64>) -> Vec<Charge> {
        self.charges
            .lock()
            .iter()
            .filter(|c| token.is_none_or(|t| c.token == t) && user.is_none_or(|u| c.user == u))
            .cloned()
            .collect()
    }

    // ----- webhook deliveries -----

    /// The form fields AR24 posts for the letter's current status ([ASSUMED]):
    /// `id_mail`, `new_state`, `proof_url`, and the status's date.
    pub fn webhook_payload(&self, letter: &Letter) -> Vec<(String, String)> {
        let view = self.view(letter);
        let (proof, date) = match letter.status {
            LetterStatus::Ev => (view.proof_ev_url, letter.ts_ev_date.clone()),
            LetterStatus::Ar => (view.proof_ar_url, letter.view_date.clone()),
            LetterStatus::Rf => (view.proof_rf_url, letter.refused_date.clone()),
            LetterStatus::Ng => (view.proof_ng_url, letter.negligence_date.clone()),
            LetterStatus::Bc => (view.proof_bc_url, letter.bounced_date.clone()),
            LetterStatus::Waiting => (None, None),
        };
        let mut payload = vec![
            ("id_mail".to_owned(), letter.id.to_string()),
            ("new_state".to_owned(), letter.status.as_str().to_owned()),
            ("proof_url".to_owned(), proof.unwrap_or_default()),
        ];
        if let (Some(field), Some(date)) = (webhook::date_field(letter.status), date) {
            payload.push((field.to_owned(), date));
        }
        payload
    }

    /// Queues a delivery of the letter's current status to `url`, due at `when`.
    pub(super) fn queue_delivery(&self, letter: &Letter, url: String, when: DateTime<Utc>) -> u64 {
        let payload = self.webhook_payload(letter);
        let id = self.next_delivery_id.fetch_add(1, Ordering::Relaxed);
        let delivery = Delivery::new(id, letter.id, letter.partner.clone(), url, payload, when);
        self.deliveries.lock().insert(id, delivery);
        id
    }

    /// The attempts due by `now`, earliest first, each marked under way so
    /// that it is made once.
    pub fn take_due_deliveries(&self, now: DateTime<Utc>) -> Vec<webhook::Due> {
        let mut deliveries = self.deliveries.lock();
        let mut due: Vec<(Option<DateTime<Utc>>, u64)> = deliveries
            .iter()
            .filter(|d| d.state == DeliveryState::Pending && !d.in_flight && d.next_due.is_some_and(|at| at <= now))
            .map(|d| (d.next_due, d.id))
            .collect();
        due.sort_unstable();
        due.into_iter()
            .filter_map(|(_, id)| {
                let d = deliveries.get_mut(id)?;
                d.in_flight = true;
                Some(webhook::Due {
                    id: d.id,
                    url: d.url.clone(),
                    payload: d.payload.clone(),
                    number: d.attempts.len() as u32 + 1,
                })
            })
            .collect()
    }

    /// Records an attempt: delivered on HTTP 200; otherwise the next attempt is
    /// due one interval after this one was, until the retries run out.
    pub fn record_attempt(&self, id: u64, attempt: Attempt) {
        let timings = self.timings();
        let now = self.clock.now();
        let mut deliveries = self.deliveries.lock();
        let Some(delivery) = deliveries.get_mut(id) else { return };
        delivery.in_flight = false;
        let delivered = attempt.status == Some(200);
        delivery.attempts.push(attempt);
        if delivered {
            delivery.state = DeliveryState::Delivered;
            delivery.next_due = None;
        } else if delivery.attempts.len() as u32 > timings.webhook_retries {
            delivery.state = DeliveryState::Failed;
            delivery.next_due = None;
        } else {
            let previous = delivery.next_due.unwrap_or(now);
            delivery.next_due = Some(previous + timings.webhook_retry_every);
        }
    }

    /// Sends a delivery again now, whatever became of it.
    pub fn replay_delivery(&self, id: u64) -> Option<Delivery> {
        let now = self.clock.now();
        let mut deliveries = self.deliveries.lock();
        let in_flight = deliveries.get(id)?.in_flight;
        if in_flight {
            return deliveries.get(id).cloned();
        }
        let delivery = deliveries.get_mut(id)?;
        delivery.state = DeliveryState::Pending;
        delivery.next_due = Some(now);
        Some(delivery.clone())
    }

    /// Every delivery, oldest first, of one letter or all.
    pub fn webhook_deliveries(&self, letter: Option<u64>) -> Vec<Delivery> {
        self.deliveries.lock().iter().filter(|d| letter.is_none_or(|l| d.letter == l)).cloned().collect()
    }

    // ----- resets -----

    /// Forgets all mail.
    pub(super) fn clear(&self) {
        self.letters.clear();
        self.attachments.clear();
        self.blobs.clear();
        self.charges.lock().clear();
        self.deliveries.lock().clear();
    }

    /// Forgets the letters, uploads and charges of one partner and of the
    /// accounts it created, the contents no upload uses any more, and the
    /// deliveries of forgotten letters.
    pub(super) fn forget_partner(&self, token: &str, forgotten: &Forgotten) {
        let created = &forgotten.ids;
        self.letters.retain(|_, l| l.partner != token && !created.contains(&l.sender));
        self.attachments.retain(|_, a| a.partner != token && !created.contains(&a.user_id));
        let kept: std::collections::HashSet<String> = self.attachments.iter().map(|a| a.sha1.clone()).collect();
        self.blobs.retain(|sha1, _| kept.contains(sha1));
        self.charges.lock().retain(|c| c.token != token && !created.contains(&c.user));
        let letters: std::collections::HashSet<u64> = self.letters.iter().map(|l| l.id).collect();
        self.deliveries.lock().retain(|d| letters.contains(&d.letter));
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
        let letters = self.letters.records(
            self.letters.take_marks(),
            |_, l| Record::Letter(Box::new(l.clone())),
            Record::LetterGone,
        );
        let charges = self.charges.records(
            self.charges.take_marks(),
            |c| Record::Charge(Box::new(c.clone())),
            Record::ChargeGone,
        );
        let deliveries = self.deliveries.records(
            self.deliveries.take_marks(),
            |d| Record::Delivery(Box::new(d.clone())),
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

    /// Everything, gathered for a rewrite of the log (contents shared, not copied).
    pub(super) fn gather(&self) -> Gathered {
        Gathered {
            contents: self.blobs.iter().map(|b| (b.key().clone(), b.value().clone())).collect(),
            attachments: self.attachments.iter().map(|a| a.clone()).collect(),
            letters: self.letters.iter().map(|l| l.clone()).collect(),
            charges: self.charges.lock().iter().cloned().collect(),
            deliveries: self.deliveries.lock().iter().cloned().collect(),
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
        let gathered = self.gather();
        snapshot.next_attachment_id = counters.attachment;
        snapshot.next_letter_id = counters.letter;
        snapshot.next_charge_id = counters.charge;
        snapshot.next_delivery_id = counters.delivery;
        snapshot.contents =
            gathered.contents.iter().map(|(sha1, bytes)| (sha1.clone(), BASE64.encode(bytes))).collect();
        snapshot.attachments = sorted(gathered.attachments, |a| a.id);
        snapshot.letters = sorted(gathered.letters, |l| l.id);
        snapshot.charges = gathered.charges;
        snapshot.webhooks = gathered.deliveries;
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
        for letter in std::mem::take(&mut snapshot.letters) {
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
    Letter(Box<Letter>),
    LetterGone(u64),
    Charge(Box<Charge>),
    ChargeGone(u64),
    Delivery(Box<Delivery>),
    DeliveryGone(u64),
}

/// Mail as [`Mail::gather`] took it, to be written record by record.
#[derive(Debug)]
pub struct Gathered {
    contents: Vec<(String, bytes::Bytes)>,
    attachments: Vec<Attachment>,
    letters: Vec<Letter>,
    charges: Vec<Charge>,
    deliveries: Vec<Delivery>,
}

impl Gathered {
    /// Each record, in the order they are written (each content encoded as it is written).
    pub fn records(self) -> impl Iterator<Item = Record> {
        let contents = self.contents.into_iter().map(|(sha1, bytes)| Record::Content(sha1, BASE64.encode(&bytes[..])));
        contents
            .chain(self.attachments.into_iter().map(|a| Record::Attachment(Box::new(a))))
            .chain(self.letters.into_iter().map(|l| Record::Letter(Box::new(l))))
            .chain(self.charges.into_iter().map(|c| Record::Charge(Box::new(c))))
            .chain(self.deliveries.into_iter().map(|d| Record::Delivery(Box::new(d))))
    }
}

/// Mail rebuilt from records, applied in order.
#[derive(Debug, Default)]
pub struct Replay {
    contents: BTreeMap<String, String>,
    attachments: BTreeMap<u64, Attachment>,
    letters: BTreeMap<u64, Letter>,
    charges: BTreeMap<u64, Charge>,
    deliveries: BTreeMap<u64, Delivery>,
}

impl Replay {
    /// Applies one record: each replaces what it names.
    pub fn apply(&mut self, record: Record) {
        match record {
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

    /// Its part of the state document.
    pub fn finish(self, counters: &Counters, snapshot: &mut Snapshot) {
        snapshot.next_attachment_id = counters.attachment;
        snapshot.next_letter_id = counters.letter;
        snapshot.next_charge_id = counters.charge;
        snapshot.next_delivery_id = counters.delivery;
        snapshot.contents = self.contents;
        snapshot.attachments = self.attachments.into_values().collect();
        snapshot.letters = self.letters.into_values().collect();
        snapshot.charges = self.charges.into_values().collect();
        snapshot.webhooks = self.deliveries.into_values().collect();
    }
}
