//! What mail is looked up by, kept beside its maps so that no lookup walks
//! the store: the work due on the business clock, by due time; a sender's
//! letters and a partner's; a user's uploads and a content's; a letter's
//! webhook deliveries; a user's charges and a partner's. Derived data: never
//! in the state file, rebuilt from the maps after a reset or an import.
//!
//! Every entry is added and removed by the mail aggregate's write methods
//! (`mail/mod.rs`), under the aggregate's locks; this file owns no lock.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

/// What the business clock makes due, in the order it is done at one instant:
/// a letter's events before webhook attempts (an event makes the attempt it
/// tells of), each by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheduled {
    /// A letter's next event (notification, reminder, negligence).
    Letter(u64),
    /// A webhook delivery's next attempt.
    Delivery(u64),
}

/// Ids grouped by what they are looked up by.
#[derive(Debug)]
pub struct Grouped<K>(HashMap<K, BTreeSet<u64>, crate::store::Hasher>);

impl<K: std::hash::Hash + Eq> PartialEq for Grouped<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: std::hash::Hash + Eq> Eq for Grouped<K> {}

impl<K> Default for Grouped<K> {
    fn default() -> Self {
        Self(HashMap::default())
    }
}

impl<K: std::hash::Hash + Eq> Grouped<K> {
    /// `(key, id)` pairs in any order, grouped: each key's set built whole.
    fn collect(pairs: impl IntoIterator<Item = (K, u64)>) -> Self {
        let mut lists: HashMap<K, Vec<u64>, crate::store::Hasher> = HashMap::default();
        for (key, id) in pairs {
            lists.entry(key).or_default().push(id);
        }
        Self(lists.into_iter().map(|(key, ids)| (key, ids.into_iter().collect())).collect())
    }

    /// Files `id` under `key`.
    pub fn add(&mut self, key: K, id: u64) {
        self.0.entry(key).or_default().insert(id);
    }

    /// The ids under `key`, by id.
    pub fn of<Q>(&self, key: &Q) -> Option<&BTreeSet<u64>>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.0.get(key)
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// The indexes of the mail aggregate.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Index {
    /// What falls due, by due time.
    pub due: BTreeSet<(DateTime<Utc>, Scheduled)>,
    /// Every letter, by id.
    pub letters: BTreeSet<u64>,
    /// Letters by sender.
    pub letters_by_sender: Grouped<u64>,
    /// Letters by sending partner.
    pub letters_by_partner: Grouped<crate::store::shared::Token>,
    /// Uploads by uploading user.
    pub uploads_by_user: Grouped<u64>,
    /// Uploads by content (SHA-1).
    pub uploads_by_content: Grouped<String>,
    /// Deliveries by letter, in the order they were queued.
    pub deliveries_by_letter: Grouped<u64>,
    /// Charges by user.
    pub charges_by_user: Grouped<u64>,
    /// Charges by partner.
    pub charges_by_partner: Grouped<crate::store::shared::Token>,
}

/// What the index files of one letter.
#[derive(Debug)]
pub struct LetterKeys {
    pub id: u64,
    pub sender: u64,
    pub partner: crate::store::shared::Token,
    /// When its next event falls due, if one will.
    pub due: Option<DateTime<Utc>>,
}

/// What the index files of one upload: id, user, content.
pub type UploadKeys = (u64, u64, String);
/// Of one charge: id, user, partner.
pub type ChargeKeys = (u64, u64, crate::store::shared::Token);
/// Of one webhook delivery: id, letter, when its next attempt falls due.
pub type DeliveryKeys = (u64, u64, Option<DateTime<Utc>>);

impl Index {
    /// The indexes of everything at once (after a reset or an import), each
    /// set built whole rather than an id at a time: at a million letters,
    /// several times faster.
    pub fn build(
        letters: Vec<LetterKeys>,
        uploads: Vec<UploadKeys>,
        charges: Vec<ChargeKeys>,
        deliveries: Vec<DeliveryKeys>,
    ) -> Self {
        let letter_due = letters.iter().filter_map(|l| Some((l.due?, Scheduled::Letter(l.id))));
        let delivery_due = deliveries.iter().filter_map(|&(id, _, due)| Some((due?, Scheduled::Delivery(id))));
        Self {
            due: letter_due.chain(delivery_due).collect(),
            letters: letters.iter().map(|l| l.id).collect(),
            letters_by_sender: Grouped::collect(letters.iter().map(|l| (l.sender, l.id))),
            uploads_by_user: Grouped::collect(uploads.iter().map(|&(id, user, _)| (user, id))),
            uploads_by_content: Grouped::collect(uploads.into_iter().map(|(id, _, sha1)| (sha1, id))),
            deliveries_by_letter: Grouped::collect(deliveries.iter().map(|&(id, letter, _)| (letter, id))),
            charges_by_user: Grouped::collect(charges.iter().map(|&(id, user, _)| (user, id))),
            charges_by_partner: Grouped::collect(charges.into_iter().map(|(id, _, partner)| (partner, id))),
            letters_by_partner: Grouped::collect(letters.into_iter().map(|l| (l.partner, l.id))),
        }
    }

    /// Files a new letter.
    pub fn file_letter(&mut self, letter: LetterKeys) {
        self.letters.insert(letter.id);
        self.letters_by_sender.add(letter.sender, letter.id);
        self.letters_by_partner.add(letter.partner, letter.id);
        self.reschedule(Scheduled::Letter(letter.id), None, letter.due);
    }

    /// Moves `work` from `before` to `after` in the due order.
    /// `work` ends in the order at `after` even when `before` is the same (it
    /// may have been taken meanwhile).
    pub fn reschedule(&mut self, work: Scheduled, before: Option<DateTime<Utc>>, after: Option<DateTime<Utc>>) {
        if let Some(at) = before {
            self.due.remove(&(at, work));
        }
        if let Some(at) = after {
            self.due.insert((at, work));
        }
    }

    /// Forgets everything (before a rebuild).
    pub fn clear(&mut self) {
        self.due.clear();
        self.letters.clear();
        self.letters_by_sender.clear();
        self.letters_by_partner.clear();
        self.uploads_by_user.clear();
        self.uploads_by_content.clear();
        self.deliveries_by_letter.clear();
        self.charges_by_user.clear();
        self.charges_by_partner.clear();
    }
}

/// A page of `ids`: `start` skipped, at most `max`, ascending or descending.
pub fn page<'a>(ids: impl DoubleEndedIterator<Item = &'a u64>, descending: bool, start: usize, max: usize) -> Vec<u64> {
    if descending {
        ids.rev().skip(start).take(max).copied().collect()
    } else {
        ids.skip(start).take(max).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_due_at_one_instant_puts_letters_events_before_webhook_attempts() {
        let at = Utc::now();
        let mut index = Index::default();
        index.reschedule(Scheduled::Delivery(1), None, Some(at));
        index.reschedule(Scheduled::Letter(2), None, Some(at));
        let order: Vec<Scheduled> = index.due.iter().map(|(_, w)| *w).collect();
        assert_eq!(order, [Scheduled::Letter(2), Scheduled::Delivery(1)]);
        index.reschedule(Scheduled::Letter(2), Some(at), None);
        assert_eq!(index.due.len(), 1);
        // Taken, then due again at the same instant: it is back.
        index.due.clear();
        index.reschedule(Scheduled::Delivery(1), Some(at), Some(at));
        assert_eq!(index.due.len(), 1);
    }

    #[test]
    fn an_index_built_whole_is_the_index_filed_one_thing_at_a_time() {
        let now = Utc::now();
        let at = |minutes| Some(now + chrono::TimeDelta::minutes(minutes));
        let (acme, other) = (crate::store::shared::token("acme"), crate::store::shared::token("other"));
        let letter = |id, sender, partner: &crate::store::shared::Token, due| LetterKeys {
            id,
            sender,
            partner: partner.clone(),
            due,
        };
        // Not in id order, as the maps hold them.
        let letters = || vec![letter(9, 2, &acme, at(5)), letter(3, 1, &other, None), letter(4, 2, &acme, at(1))];
        let uploads = vec![(8, 2, "aa".to_owned()), (2, 1, "aa".to_owned()), (5, 2, "bb".to_owned())];
        let charges = vec![(7, 2, acme.clone()), (6, 1, other.clone())];
        let deliveries = vec![(12, 9, at(2)), (11, 9, None), (10, 4, at(2))];

        let mut filed = Index::default();
        for keys in letters() {
            filed.file_letter(keys);
        }
        for (id, user, sha1) in uploads.clone() {
            filed.uploads_by_user.add(user, id);
            filed.uploads_by_content.add(sha1, id);
        }
        for (id, user, partner) in charges.clone() {
            filed.charges_by_user.add(user, id);
            filed.charges_by_partner.add(partner, id);
        }
        for (id, letter, due) in deliveries.clone() {
            filed.deliveries_by_letter.add(letter, id);
            filed.reschedule(Scheduled::Delivery(id), None, due);
        }
        let built = Index::build(letters(), uploads, charges, deliveries);
        assert_eq!(built, filed);
        assert_eq!(built.due.len(), 4, "two letters and two deliveries due");
        assert_eq!(built.letters_by_sender.of(&2).unwrap().iter().copied().collect::<Vec<_>>(), [4, 9]);
    }

    #[test]
    fn pages_skip_then_take_in_either_order() {
        let ids: BTreeSet<u64> = (1..=5).collect();
        assert_eq!(page(ids.iter(), false, 1, 2), [2, 3]);
        assert_eq!(page(ids.iter(), true, 1, 2), [4, 3]);
        assert_eq!(page(ids.iter(), true, 4, 9), [1]);
    }
}
