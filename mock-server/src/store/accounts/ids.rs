//! The ids a partner sees, kept sorted in one vector: ids mostly arrive in
//! increasing order (a push), membership is a binary search, and a page at
//! any offset is a slice, as fast at the millionth user as at the first.

use crate::domain::page::Order;

/// A sorted set of user ids.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IdSet(Vec<u64>);

impl IdSet {
    /// Adds `id`; `false` when it was there.
    pub fn insert(&mut self, id: u64) -> bool {
        if self.0.last().is_none_or(|last| *last < id) {
            self.0.push(id);
            return true;
        }
        match self.0.binary_search(&id) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, id);
                true
            }
        }
    }

    /// Whether `id` is in.
    pub fn contains(&self, id: &u64) -> bool {
        self.0.binary_search(id).is_ok()
    }

    /// Keeps the ids `keep` says.
    pub fn retain(&mut self, keep: impl FnMut(&u64) -> bool) {
        self.0.retain(keep);
    }

    /// Whether it holds no id.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In increasing order.
    pub fn iter(&self) -> std::slice::Iter<'_, u64> {
        self.0.iter()
    }

    /// At most `max` ids from `start`, in `order`.
    pub fn page(&self, max: usize, start: usize, order: Order) -> Vec<u64> {
        let len = self.0.len();
        let from = start.min(len);
        let to = from.saturating_add(max).min(len);
        match order {
            Order::Asc => self.0[from..to].to_vec(),
            Order::Desc => self.0[len - to..len - from].iter().rev().copied().collect(),
        }
    }
}

impl FromIterator<u64> for IdSet {
    fn from_iter<I: IntoIterator<Item = u64>>(ids: I) -> Self {
        let mut ids: Vec<u64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Self(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_sorted_and_unique_in_any_order_of_arrival() {
        let mut set = IdSet::default();
        for id in [5, 9, 1, 7, 9, 5, 12] {
            set.insert(id);
        }
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), [1, 5, 7, 9, 12]);
        assert!(!set.insert(7), "already in");
        assert!(set.contains(&9) && !set.contains(&8));
        assert_eq!(set, [12, 1, 9, 7, 5, 5].into_iter().collect());
    }

    #[test]
    fn a_page_is_the_same_slice_a_sorted_list_gives_in_both_orders() {
        let set: IdSet = (1..=10).collect();
        assert_eq!(set.page(3, 0, Order::Asc), [1, 2, 3]);
        assert_eq!(set.page(3, 8, Order::Asc), [9, 10]);
        assert_eq!(set.page(3, 0, Order::Desc), [10, 9, 8]);
        assert_eq!(set.page(3, 8, Order::Desc), [2, 1]);
        assert_eq!(set.page(3, 10, Order::Asc), Vec::<u64>::new());
        assert_eq!(set.page(usize::MAX, 11, Order::Desc), Vec::<u64>::new());
        assert_eq!(set.page(usize::MAX, 0, Order::Desc).len(), 10);
    }
}
