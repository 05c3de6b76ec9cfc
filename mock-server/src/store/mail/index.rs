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

impl<K> Default for Grouped<K> {
    fn default() -> Self {
        Self(HashMap::default())
    }
}

impl<K: std::hash::Hash + Eq> Grouped<K> {
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
#[derive(Debug, Default)]
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

impl Index {
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
    fn pages_skip_then_take_in_either_order() {
        let ids: BTreeSet<u64> = (1..=5).collect();
        assert_eq!(page(ids.iter(), false, 1, 2), [2, 3]);
        assert_eq!(page(ids.iter(), true, 1, 2), [4, 3]);
        assert_eq!(page(ids.iter(), true, 4, 9), [1]);
    }
}
