//! The outbox: every email AR24 would send, and the one-use links they carry.
//! What following a link does is the facade's (`ops/links.rs`): the outbox
//! only knows whether a link is still unused, and claims it.
//!
//! Lock order: `links` and `emails` are never held together; `requests` is
//! locked alone; no guard is held by a caller.

pub mod email;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

pub use email::{Email, EmailRow, Link, LinkId, LinkKind, LinkRow, Partnership};

use super::accounts::{Everything, Forgotten};
use super::clock::Clock;
use super::record::{Counters, Latest};
use super::snapshot::Snapshot;
use super::tracked::{Changes, MANY_SHARDS, TrackedLog, TrackedMap};
use crate::protocol::date::ParisTime;

/// Why a link cannot be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// No such link (or forgotten by a reset).
    NotFound,
    /// Already used.
    Used,
    /// The user or team administrator it concerns is gone, or the
    /// administrator can no longer pay.
    Obsolete,
}

/// What a new link is for.
#[derive(Debug, Clone)]
pub struct LinkFor<'a> {
    /// What it asks.
    pub kind: LinkKind,
    /// The user it concerns.
    pub user_id: u64,
    /// Where it is sent.
    pub to: &'a str,
    /// The partner that asked.
    pub partner: &'a str,
    /// The team administrator, for a team invitation.
    pub master_id: Option<u64>,
    /// The letter, for a recipient's link.
    pub letter_id: Option<u64>,
}

/// The outbox.
#[derive(Debug)]
pub struct Outbox {
    public_url: String,
    next_email_id: AtomicU64,
    emails: TrackedLog<Email>,
    /// Shared: the map's slots, part empty, hold pointers, not links, and the
    /// state file's writer takes a changed link by counting one more reference.
    links: TrackedMap<LinkId, Arc<Link>, super::Hasher>,
    /// Each sentence emails ask in, once: a sender's letters all tell the
    /// recipient the same thing (derived, never stored).
    requests: Mutex<HashSet<Arc<str>, super::Hasher>>,
    clock: Arc<Clock>,
}

impl Outbox {
    pub(super) fn new(changes: &Arc<Changes>, clock: &Arc<Clock>, public_url: &str) -> Self {
        Self {
            public_url: public_url.to_owned(),
            next_email_id: AtomicU64::new(1),
            emails: TrackedLog::new(changes),
            links: TrackedMap::with_shards(changes, MANY_SHARDS),
            requests: Mutex::default(),
            clock: Arc::clone(clock),
        }
    }

    // ----- reads -----

    /// The mock's public URL, that links start with.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The outbox, oldest first, filtered by recipient (any case) and kind.
    pub fn emails(&self, to: Option<&str>, kind: Option<LinkKind>) -> Vec<Email> {
        self.emails
            .lock()
            .iter()
            .filter(|e| to.is_none_or(|to| e.to.eq_ignore_ascii_case(to.trim())))
            .filter(|e| kind.is_none_or(|k| e.kind == k))
            .cloned()
            .collect()
    }

    /// A copy of the link, if it exists.
    pub fn link(&self, id: &str) -> Option<Link> {
        self.link_by_id(Link::parse_id(id)?)
    }

    /// A copy of the link with this id, if it exists.
    pub fn link_by_id(&self, id: LinkId) -> Option<Link> {
        self.links.get(&id).map(|l| Link::clone(&l))
    }

    /// The link's URL.
    pub fn url(&self, link: &Link) -> String {
        link.url(&self.public_url)
    }

    // ----- writes -----

    /// Makes a one-use link, without sending anything.
    pub fn new_link(&self, what: LinkFor<'_>) -> Link {
        let id = uuid::Uuid::new_v4();
        let link = Link {
            id,
            kind: what.kind,
            user_id: what.user_id,
            to: what.to.into(),
            partner: crate::store::shared::token(what.partner),
            master_id: what.master_id,
            letter_id: what.letter_id,
            used_at: None,
        };
        self.links.insert(id, Arc::new(link.clone()));
        link
    }

    /// Puts an email in the outbox.
    pub fn post(&self, kind: LinkKind, to: &str, from: &Partnership<'_>, link: String) -> Arc<Email> {
        self.post_at(kind, to, from, link, self.clock.now())
    }

    /// [`Outbox::post`], dated `when` (business time: when what it tells of fell due).
    pub fn post_at(
        &self,
        kind: LinkKind,
        to: &str,
        from: &Partnership<'_>,
        link: String,
        when: DateTime<Utc>,
    ) -> Arc<Email> {
        let id = self.next_email_id.fetch_add(1, Ordering::Relaxed);
        let mut email = Email::compose(id, kind, to, from, link, ParisTime(when));
        self.share_request(&mut email);
        self.emails.lock().insert(id, email)
    }

    /// Gives `email` the one shared copy of its sentence.
    fn share_request(&self, email: &mut Email) {
        share_sentence(&mut self.requests.lock().unwrap_or_else(PoisonError::into_inner), email);
    }

    /// Claims an unused link of a kind `wanted` takes: it is used from now on,
    /// unless [`Outbox::release`] gives it back. Of two simultaneous claims, one wins.
    pub fn claim(&self, id: &str, wanted: impl Fn(LinkKind) -> bool) -> Result<Link, LinkError> {
        let id = Link::parse_id(id).ok_or(LinkError::NotFound)?;
        let mut stored = self.links.get_mut(&id).ok_or(LinkError::NotFound)?;
        if !wanted(stored.kind) {
            return Err(LinkError::NotFound);
        }
        if stored.used_at.is_some() {
            return Err(LinkError::Used);
        }
        Arc::make_mut(&mut stored).used_at = Some(self.clock.now_paris());
        Ok(Link::clone(&stored))
    }

    /// Gives back a link whose effect could not happen: unused again.
    pub fn release(&self, id: &str) {
        if let Some(mut stored) = Link::parse_id(id).and_then(|id| self.links.get_mut(&id)) {
            Arc::make_mut(&mut stored).used_at = None;
        }
    }

    /// Forgets every email and link.
    pub(super) fn clear(&self) {
        self.emails.lock().clear();
        self.links.clear();
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Forgets a partner's emails and links, and those of the accounts it created.
    pub(super) fn forget_partner(&self, token: &str, forgotten: &Forgotten) {
        self.links.retain(|_, l| *l.partner != *token && !forgotten.ids.contains(&l.user_id));
        self.emails.lock().retain(|e| {
            *e.partner != *token
                && (forgotten.addresses.is_empty() || !forgotten.addresses.contains(e.to.to_lowercase().as_str()))
        });
    }

    // ----- the state file and the state document -----

    /// The records of what changed; `Err` when only a whole rewrite can carry it.
    pub(super) fn changed_records(&self, out: &mut Vec<super::Record>) -> Result<(), Everything> {
        let links = self.links.records(self.links.take_marks(), |_, l| Record::Link(Arc::clone(l)), Record::LinkGone);
        let emails = self.emails.records(self.emails.take_marks(), |e| Record::Email(Arc::clone(e)), Record::EmailGone);
        let (Some(links), Some(emails)) = (links, emails) else { return Err(Everything) };
        out.extend(links.chain(emails).map(super::Record::Outbox));
        Ok(())
    }

    /// Every link and email, for a rewrite of the log, `pause` called between batches.
    pub(super) fn gather(&self, pause: &dyn Fn()) -> Vec<Record> {
        let mut records = self.links.gather(|_, l| Record::Link(Arc::clone(l)), pause);
        records.extend(self.emails.gather(|e| Record::Email(Arc::clone(e)), pause));
        records
    }

    /// Its id counter.
    pub(super) fn counters(&self, counters: &mut Counters) {
        counters.email = self.next_email_id.load(Ordering::SeqCst);
    }

    /// Its part of the state document.
    pub(super) fn export(&self, snapshot: &mut Snapshot) {
        snapshot.next_email_id = self.next_email_id.load(Ordering::SeqCst);
        snapshot.emails = self.emails.lock().iter().cloned().collect();
        let mut links: Vec<Link> = self.links.iter().map(|l| Link::clone(&l)).collect();
        links.sort_by_key(|l| l.id);
        snapshot.links = links;
    }

    /// Takes its part of a checked state document, into an empty aggregate.
    pub(super) fn import(&self, snapshot: &mut Snapshot) {
        let mut emails = std::mem::take(&mut snapshot.emails);
        let max_email = emails.iter().map(|e| e.id).max().unwrap_or(0);
        self.next_email_id.store(snapshot.next_email_id.max(max_email + 1), Ordering::SeqCst);
        emails.iter_mut().for_each(|email| self.share_request(email));
        let mut list = self.emails.lock();
        for email in emails {
            list.insert(email.id, email);
        }
        for link in std::mem::take(&mut snapshot.links) {
            self.links.insert(link.id, Arc::new(link));
        }
    }
}

/// The records of the outbox in the state log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Record {
    /// Written as a [`LinkRow`]; read from a row or, as older logs wrote it, by field names.
    #[serde(serialize_with = "link_as_row")]
    Link(Arc<Link>),
    LinkGone(#[serde(with = "uuid::serde::simple")] LinkId),
    /// Written as an [`EmailRow`]; read from a row or, as older logs wrote it, by field names.
    #[serde(serialize_with = "email_as_row")]
    Email(Arc<Email>),
    EmailGone(u64),
}

/// Gives `email` the copy of its sentence that `known` holds, or adds its own.
fn share_sentence(known: &mut HashSet<Arc<str>, super::Hasher>, email: &mut Email) {
    match known.get(&*email.request) {
        Some(shared) => email.request = Arc::clone(shared),
        None => _ = known.insert(Arc::clone(&email.request)),
    }
}

/// The sentences of emails read from the state log, shared among the records
/// of one batch as it is decoded (on the thread that decoded it): each
/// email's own copy is dropped at once rather than when the outbox takes it.
#[derive(Debug, Default)]
pub struct DecodedSentences(HashSet<Arc<str>, super::Hasher>);

impl DecodedSentences {
    /// Shares the sentence of `record` when it is an email.
    pub fn share(&mut self, record: &mut Record) {
        if let Record::Email(email) = record {
            share_sentence(&mut self.0, Arc::make_mut(email));
        }
    }
}

fn link_as_row<S: serde::Serializer>(link: &Link, serializer: S) -> Result<S::Ok, S::Error> {
    LinkRow(link).serialize(serializer)
}

fn email_as_row<S: serde::Serializer>(email: &Email, serializer: S) -> Result<S::Ok, S::Error> {
    EmailRow(email).serialize(serializer)
}

/// The outbox rebuilt from records, applied in order.
#[derive(Debug, Default)]
pub struct Replay {
    links: Latest<LinkId, Link>,
    emails: Latest<u64, Email>,
}

impl Replay {
    /// Applies one record: each replaces what it names.
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::Link(link) => self.links.put(link.id, Arc::unwrap_or_clone(link)),
            Record::LinkGone(id) => self.links.remove(id),
            Record::Email(email) => self.emails.put(email.id, Arc::unwrap_or_clone(email)),
            Record::EmailGone(id) => self.emails.remove(id),
        }
    }

    /// Its part of the state document.
    pub fn finish(self, counters: &Counters, snapshot: &mut Snapshot) {
        snapshot.next_email_id = counters.email;
        snapshot.emails = self.emails.finish();
        snapshot.links = self.links.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox() -> Outbox {
        let changes = Arc::new(Changes::default());
        Outbox::new(&changes, &Arc::new(Clock::new(&changes)), "http://mock")
    }

    #[test]
    fn emails_that_say_the_same_share_one_sentence_also_after_an_import() {
        let outbox = outbox();
        let from = |other| Partnership { token: "t", name: "Acme", other: Some(other) };
        let first = outbox.post(LinkKind::Letter, "a@example.com", &from("Jean Dupont"), "http://mock/1".into());
        let second = outbox.post(LinkKind::Letter, "b@example.com", &from("Jean Dupont"), "http://mock/2".into());
        let other = outbox.post(LinkKind::Letter, "b@example.com", &from("Marie Curie"), "http://mock/3".into());
        assert!(Arc::ptr_eq(&first.request, &second.request));
        assert!(!Arc::ptr_eq(&first.request, &other.request));
        assert!(other.request.contains("Marie Curie"), "{}", other.request);

        let mut snapshot = Snapshot::default();
        outbox.export(&mut snapshot);
        let written = serde_json::to_string(&snapshot.emails).unwrap();
        let restored = self::outbox();
        restored.import(&mut Snapshot { emails: serde_json::from_str(&written).unwrap(), ..Snapshot::default() });
        let emails = restored.emails(None, None);
        assert_eq!(emails.len(), 3);
        assert!(Arc::ptr_eq(&emails[0].request, &emails[1].request), "shared again once read back");
        assert_eq!(emails[2].request, other.request);
        assert_eq!(serde_json::to_string(&emails).unwrap(), written, "the same emails");
    }

    #[test]
    fn emails_decoded_together_share_one_sentence() {
        let outbox = outbox();
        let from = |other| Partnership { token: "t", name: "Acme", other: Some(other) };
        for (to, other) in
            [("a@example.com", "Jean Dupont"), ("b@example.com", "Jean Dupont"), ("c@example.com", "Marie Curie")]
        {
            outbox.post(LinkKind::Letter, to, &from(other), "http://mock/1".into());
        }
        let written = serde_json::to_string(&outbox.emails(None, None)).unwrap();
        let read: Vec<Email> = serde_json::from_str(&written).unwrap();
        assert!(!Arc::ptr_eq(&read[0].request, &read[1].request), "each read on its own");
        let mut sentences = DecodedSentences::default();
        let shared: Vec<Arc<str>> = read
            .into_iter()
            .map(|email| {
                let mut record = Record::Email(Arc::new(email));
                sentences.share(&mut record);
                let Record::Email(email) = record else { unreachable!() };
                Arc::clone(&email.request)
            })
            .collect();
        assert!(Arc::ptr_eq(&shared[0], &shared[1]), "the same sentence, one copy");
        assert!(!Arc::ptr_eq(&shared[1], &shared[2]));
        assert!(shared[2].contains("Marie Curie"), "{}", shared[2]);
    }
}
