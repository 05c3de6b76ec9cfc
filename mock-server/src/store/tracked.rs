//! Containers whose writes mark what they changed.
//!
//! The state file is a log of records, each a stored thing as it is now (see
//! `record.rs`). What makes a change survive a restart is the mark its write
//! leaves: every mutating method of [`TrackedMap`] and [`TrackedLog`] marks
//! the key it touched as part of the write itself, so no caller marks
//! anything and none can forget to. The writer of the state file takes the
//! marks and asks each aggregate for the records of what they name.
//!
//! A mark is made once the change can be read (after an insert or a removal,
//! or while the guard of a change in place is held): a writer that takes the
//! mark then reads the thing as changed, never as it was.
//!
//! Every write also bumps one change counter, [`Changes::version`], that tells
//! the console something changed without walking the store.
//!
//! A mark also says what the write does to the log: a new thing adds a line
//! and leaves every line there is current; a change or a removal makes the
//! line the log holds for that thing one a rewrite would drop (a removal, the
//! line saying so as well). [`Changes::take_superseded`] counts those lines,
//! which tells the writer when a rewrite is worth its cost (`persist.rs`).

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use dashmap::DashMap;
use dashmap::mapref::one::{Ref, RefMut};

/// Shared by every container of one store: whether marks are kept (only while
/// a state file is written; otherwise marking costs a counter increment), and
/// the change counter.
#[derive(Debug, Default)]
pub struct Changes {
    on: AtomicBool,
    version: AtomicU64,
    /// A whole rewrite is asked for (see [`Changes::rewrite_whole`]).
    whole: AtomicBool,
    /// Lines of the state file that the changes marked so far leave for a
    /// rewrite to drop (see [`Changes::take_superseded`]).
    superseded: AtomicU64,
}

impl Changes {
    /// Starts keeping marks.
    pub fn track(&self) {
        self.on.store(true, Ordering::SeqCst);
    }

    /// Whether marks are kept.
    fn tracking(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// A number that grows with every change to anything the store holds.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Tells observers that something changed (for what no record carries:
    /// the journal, fault rules, the clock).
    pub fn bump(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
    }

    /// Asks that the next write rewrite the state file whole rather than
    /// append (after a partner reset, which may forget much: the log is
    /// compacted). The changes are marked all the same.
    pub fn rewrite_whole(&self) {
        if self.tracking() {
            self.whole.store(true, Ordering::SeqCst);
        }
    }

    /// Whether a whole rewrite was asked for since this was last asked.
    pub fn take_rewrite_whole(&self) -> bool {
        self.whole.swap(false, Ordering::SeqCst)
    }

    /// How many lines of the state file the changes marked since this was
    /// last asked leave for a rewrite to drop, once their records are
    /// appended: the line of each thing changed or removed, and the line
    /// saying a thing is gone (the log's counters line, written with each
    /// append, the writer counts itself). Counted per mark, while marks are
    /// kept: a thing added and changed before the next append is one line.
    pub fn take_superseded(&self) -> u64 {
        self.superseded.swap(0, Ordering::SeqCst)
    }
}

/// The marks of one kind of stored thing: the keys changed since they were
/// last taken, or "everything" after the container was cleared.
#[derive(Debug)]
pub struct Marks<K> {
    changes: Arc<Changes>,
    keys: Mutex<HashSet<K>>,
    everything: AtomicBool,
}

/// What [`Marks::take`] hands over.
#[derive(Debug)]
pub enum Taken<K> {
    /// The container was cleared: only a whole rewrite can carry it.
    Everything,
    /// These keys changed (maybe none).
    Keys(HashSet<K>),
}

impl<K: Hash + Eq> Marks<K> {
    /// Marks sharing `changes`.
    pub fn new(changes: &Arc<Changes>) -> Self {
        Self { changes: Arc::clone(changes), keys: Mutex::new(HashSet::new()), everything: AtomicBool::new(false) }
    }

    fn keys(&self) -> MutexGuard<'_, HashSet<K>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `key` is new: the log holds no line of it yet.
    pub fn mark_new(&self, key: K) {
        self.note(key, 0, 0);
    }

    /// `key` changed: the line the log holds of it is superseded.
    pub fn mark(&self, key: K) {
        self.note(key, 1, 0);
    }

    /// `key` is gone: the line the log holds of it is superseded, and so is
    /// the line saying it is gone.
    pub fn mark_gone(&self, key: K) {
        self.note(key, 2, 1);
    }

    /// Every key in `keys` is gone (see [`Marks::mark_gone`]).
    pub fn mark_each_gone(&self, keys: impl IntoIterator<Item = K>) {
        self.changes.bump();
        if self.changes.tracking() {
            let mut marked = self.keys();
            let superseded = keys.into_iter().map(|key| if marked.insert(key) { 2 } else { 1 }).sum();
            drop(marked);
            self.changes.superseded.fetch_add(superseded, Ordering::Relaxed);
        }
    }

    /// Every key in `keys` is new (see [`Marks::mark_new`]).
    pub fn mark_each_new(&self, keys: impl IntoIterator<Item = K>) {
        self.changes.bump();
        if self.changes.tracking() {
            self.keys().extend(keys);
        }
    }

    /// Marks `key`, counting `superseded` lines when it was not marked since
    /// the marks were last taken, else `again` (its line is written once).
    fn note(&self, key: K, superseded: u64, again: u64) {
        self.changes.bump();
        if self.changes.tracking() {
            let first = self.keys().insert(key);
            let superseded = if first { superseded } else { again };
            if superseded > 0 {
                self.changes.superseded.fetch_add(superseded, Ordering::Relaxed);
            }
        }
    }

    /// Everything changed (a clear): only a whole rewrite carries it.
    pub fn mark_everything(&self) {
        self.changes.bump();
        if self.changes.tracking() {
            self.everything.store(true, Ordering::SeqCst);
        }
    }

    /// Takes the marks made so far.
    pub fn take(&self) -> Taken<K> {
        // The next set starts as large as the last one was: growing it would
        // rehash every key while each write that marks waits.
        // (Made before the lock is taken again, so that no write waits for the allocation.)
        let last = self.keys().len();
        let room = HashSet::with_capacity(last);
        let keys = std::mem::replace(&mut *self.keys(), room);
        if self.everything.swap(false, Ordering::SeqCst) { Taken::Everything } else { Taken::Keys(keys) }
    }
}

/// Shards of a map that may hold millions of entries (users, letters, links;
/// a power of two): a shard that grows is rehashed under its lock, and smaller
/// shards make that pause shorter.
pub const MANY_SHARDS: usize = 64;

/// A concurrent map whose writes mark the keys they touch.
#[derive(Debug)]
pub struct TrackedMap<K: Hash + Eq, V, S: BuildHasher + Clone = std::hash::RandomState> {
    map: DashMap<K, V, S>,
    marks: Marks<K>,
}

/// How many entries shard `index` of `shards` holds when its table of
/// `capacity` doubles: from half of the capacity for the first shard to all of
/// it for the last (see [`TrackedMap::grow_in_turn`]). Small tables double as
/// they would.
fn turn(index: usize, shards: usize, capacity: usize) -> usize {
    if capacity < 1024 {
        return usize::MAX;
    }
    capacity / 2 + capacity / 2 * index / shards
}

/// A value being changed in place; its key was marked when it was taken.
pub type Changing<'a, K, V> = RefMut<'a, K, V>;

impl<K: Hash + Eq + Clone, V, S: BuildHasher + Clone + Default> TrackedMap<K, V, S> {
    /// An empty map sharing `changes`.
    pub fn new(changes: &Arc<Changes>) -> Self {
        Self::with_shards(
            changes,
            (std::thread::available_parallelism().map_or(1, usize::from) * 4).next_power_of_two(),
        )
    }

    /// An empty map of `shards` shards (a power of two).
    pub fn with_shards(changes: &Arc<Changes>, shards: usize) -> Self {
        Self { map: DashMap::with_hasher_and_shard_amount(S::default(), shards), marks: Marks::new(changes) }
    }

    /// The value of `key`.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<Ref<'_, K, V>>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    /// Whether `key` is in.
    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.map.contains_key(key)
    }

    /// How many entries it holds (each shard locked for reading in turn).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Every entry, in no order (each shard locked for reading in turn).
    pub fn iter(&self) -> dashmap::iter::Iter<'_, K, V, S> {
        self.map.iter()
    }

    /// Inserts or replaces; marks `key`.
    pub fn insert(&self, key: K, value: V) -> Option<V> {
        let old = self.map.insert(key.clone(), value);
        if old.is_some() {
            self.marks.mark(key)
        } else {
            self.grow_in_turn(&key);
            self.marks.mark_new(key)
        }
        old
    }

    /// Inserts unless `key` is in (then answers the value back); marks `key` when inserted.
    pub fn insert_new(&self, key: K, value: V) -> Result<(), V> {
        match self.map.entry(key.clone()) {
            dashmap::Entry::Occupied(_) => return Err(value),
            dashmap::Entry::Vacant(slot) => _ = slot.insert(value),
        }
        self.grow_in_turn(&key);
        self.marks.mark_new(key);
        Ok(())
    }

    /// Doubles the table of `key`'s shard now when it is as full as its turn
    /// says (see [`turn`]), rather than when it is full.
    ///
    /// A shard's table doubles when it is seven-eighths full, and hashing
    /// fills the shards evenly: left to themselves, every shard of a map
    /// doubles within the same moment (a map of 64 shards at 1 835 008
    /// entries, then 3 670 016), each clearing fresh memory under its lock,
    /// which stalled sends for up to 80 ms (README, "Still owed"). Each shard
    /// doubling at its own fill instead, between half and all of what its
    /// table holds, the doublings are spread over the whole growth, one shard
    /// at a time, for tables about two-fifths larger on average.
    fn grow_in_turn(&self, key: &K) {
        let shards = self.map.shards();
        if shards.len() < 2 {
            return;
        }
        let index = self.map.determine_map(key);
        let shard = &shards[index];
        let (len, capacity) = {
            let table = shard.read();
            (table.len(), table.capacity())
        };
        if len < turn(index, shards.len(), capacity) {
            return;
        }
        let mut table = shard.write();
        let room = table.capacity() - table.len();
        // Only when it is still this full (another call may have doubled it meanwhile).
        if table.len() >= turn(index, shards.len(), table.capacity()) {
            table.reserve(room + 1, |(key, _)| self.map.hash_usize(key) as u64);
        }
    }

    /// Removes; marks `key` when it was there.
    pub fn remove(&self, key: &K) -> Option<V> {
        let (key, value) = self.map.remove(key)?;
        self.marks.mark_gone(key);
        Some(value)
    }

    /// The value of `key`, to change in place: the key is marked now, while
    /// the guard keeps readers (the state file's writer too) waiting.
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<Changing<'_, K, V>>
    where
        K: Borrow<Q>,
    {
        let guard = self.map.get_mut(key)?;
        self.marks.mark(guard.key().clone());
        Some(guard)
    }

    /// Keeps the entries `keep` says; marks each one removed.
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        let mut removed = Vec::new();
        self.map.retain(|key, value| {
            let kept = keep(key, value);
            if !kept {
                removed.push(key.clone());
            }
            kept
        });
        if !removed.is_empty() {
            self.marks.mark_each_gone(removed);
        }
    }

    /// Empties it: the next write of the state file rewrites it whole.
    pub fn clear(&self) {
        self.map.clear();
        self.marks.mark_everything();
    }

    /// Makes room for `additional` entries per shard (only an optimisation).
    pub fn reserve_per_shard(&mut self, additional: usize) {
        let _ = self.map.try_reserve(additional);
    }

    /// Takes the marks made so far.
    pub fn take_marks(&self) -> Taken<K> {
        self.marks.take()
    }

    /// `f` of every entry, in no order, for a rewrite of the state file (what
    /// changes meanwhile is marked and written after it). The keys are listed
    /// first, then each entry is read under its own guard: a write waits for
    /// one entry's `f`, not for a whole shard's. `pause` is called after every
    /// [`RECORDS_PER_LOCK`] entries, holding nothing (it may sleep).
    pub fn gather<R>(&self, f: impl Fn(&K, &V) -> R, pause: &dyn Fn()) -> Vec<R> {
        let keys: Vec<K> = self.map.iter().map(|entry| entry.key().clone()).collect();
        let mut gathered = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(RECORDS_PER_LOCK) {
            gathered.extend(chunk.iter().filter_map(|key| self.map.get(key).map(|value| f(key, &value))));
            pause();
        }
        gathered
    }

    /// The records of what `taken` names, each as it is now or as gone;
    /// `None` when only a whole rewrite can carry them.
    pub fn records<R>(
        &self,
        taken: Taken<K>,
        present: impl Fn(&K, &V) -> R,
        gone: impl Fn(K) -> R,
    ) -> Option<impl Iterator<Item = R>> {
        let Taken::Keys(keys) = taken else { return None };
        Some(keys.into_iter().map(move |key| match self.map.get(&key) {
            Some(value) => present(&key, &value),
            None => gone(key),
        }))
    }
}

/// How many items [`TrackedLog::records`] and [`TrackedLog::gather`] take out per lock.
/// Few: a writer that loses its core while it holds a list's lock makes every call
/// that writes to the list wait, so the shorter each hold the better the API's tail
/// (16 rather than 256: a p99 of 5.89 ms rather than 6.59, median of eight loads with a
/// state file; README, "Log lines in batches"). A lock taken uncontended costs tens of
/// nanoseconds, nothing beside the records made.
const RECORDS_PER_LOCK: usize = 16;

/// A list kept in id order, behind one lock, whose writes mark the ids they touch.
/// Each item is shared behind an `Arc`: the tree's nodes, often part empty, hold
/// pointers, not items, and the state file's writer takes items out under the
/// lock by counting one more reference, then reads them after letting it go, so
/// a write waits for pointers to be copied, not items (a change in place while
/// the writer holds one copies that item first).
#[derive(Debug)]
pub struct TrackedLog<T> {
    items: Mutex<BTreeMap<u64, Arc<T>>>,
    marks: Marks<u64>,
}

/// The list locked for changes: every change goes through its methods, which mark.
#[derive(Debug)]
pub struct LogGuard<'a, T> {
    items: MutexGuard<'a, BTreeMap<u64, Arc<T>>>,
    marks: &'a Marks<u64>,
}

impl<T> TrackedLog<T> {
    /// An empty list sharing `changes`.
    pub fn new(changes: &Arc<Changes>) -> Self {
        Self { items: Mutex::new(BTreeMap::new()), marks: Marks::new(changes) }
    }

    /// The list, locked.
    pub fn lock(&self) -> LogGuard<'_, T> {
        LogGuard { items: self.items.lock().unwrap_or_else(PoisonError::into_inner), marks: &self.marks }
    }

    /// Takes the marks made so far.
    pub fn take_marks(&self) -> Taken<u64> {
        self.marks.take()
    }

    /// `f` of every item, in id order, for a rewrite of the state file (what
    /// changes meanwhile is marked and written after it): the list is locked
    /// while [`RECORDS_PER_LOCK`] items are taken out, and `f` runs after,
    /// then `pause`, holding nothing (it may sleep).
    pub fn gather<R>(&self, f: impl Fn(&Arc<T>) -> R, pause: &dyn Fn()) -> Vec<R> {
        let mut gathered = Vec::with_capacity(self.lock().items.len());
        let mut chunk = Vec::with_capacity(RECORDS_PER_LOCK);
        let mut from = Some(0);
        while let Some(start) = from {
            chunk.clear();
            chunk.extend(
                self.lock().items.range(start..).take(RECORDS_PER_LOCK).map(|(&id, item)| (id, Arc::clone(item))),
            );
            from = chunk.last().and_then(|(id, _)| id.checked_add(1)).filter(|_| chunk.len() == RECORDS_PER_LOCK);
            gathered.extend(chunk.drain(..).map(|(_, item)| f(&item)));
            pause();
        }
        gathered
    }

    /// The records of what `taken` names (see [`TrackedMap::records`]), in id
    /// order. The list is locked while [`RECORDS_PER_LOCK`] items are taken
    /// out, and the records are made after, so a write waits for a few pointers
    /// to be copied, never for a second's worth of records.
    pub fn records<R>(
        &self,
        taken: Taken<u64>,
        present: impl Fn(&Arc<T>) -> R,
        gone: impl Fn(u64) -> R,
    ) -> Option<Vec<R>> {
        let Taken::Keys(ids) = taken else { return None };
        let mut ids: Vec<u64> = ids.into_iter().collect();
        ids.sort_unstable();
        let mut records = Vec::with_capacity(ids.len());
        let mut items = Vec::with_capacity(RECORDS_PER_LOCK);
        for chunk in ids.chunks(RECORDS_PER_LOCK) {
            let list = self.lock();
            items.extend(chunk.iter().map(|id| (*id, list.items.get(id).map(Arc::clone))));
            drop(list);
            records.extend(items.drain(..).map(|(id, item)| item.map_or_else(|| gone(id), |item| present(&item))));
        }
        Some(records)
    }
}

impl<T> LogGuard<'_, T> {
    /// The item with this id.
    pub fn get(&self, id: u64) -> Option<&T> {
        self.items.get(&id).map(|item| &**item)
    }

    /// The items, in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.items.values().map(|item| &**item)
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Adds or replaces the item with this id; marks it. Answers the item as kept.
    pub fn insert(&mut self, id: u64, item: T) -> Arc<T> {
        let item = Arc::new(item);
        match self.items.insert(id, Arc::clone(&item)) {
            Some(_) => self.marks.mark(id),
            None => self.marks.mark_new(id),
        }
        item
    }

    /// Keeps the items `keep` says; marks each one removed.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut removed = Vec::new();
        self.items.retain(|id, item| {
            let kept = keep(item);
            if !kept {
                removed.push(*id);
            }
            kept
        });
        if !removed.is_empty() {
            self.marks.mark_each_gone(removed);
        }
    }

    /// Empties it: the next write of the state file rewrites it whole.
    pub fn clear(&mut self) {
        self.items.clear();
        self.marks.mark_everything();
    }
}

impl<T: Clone> LogGuard<'_, T> {
    /// The item with this id, to change; marked (the lock is held until the guard goes).
    /// An item the state file's writer is reading at that moment is copied first.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        let item = self.items.get_mut(&id)?;
        self.marks.mark(id);
        Some(Arc::make_mut(item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracking() -> Arc<Changes> {
        let changes = Arc::new(Changes::default());
        changes.track();
        changes
    }

    fn keys<K: Hash + Eq>(taken: Taken<K>) -> HashSet<K> {
        match taken {
            Taken::Keys(keys) => keys,
            Taken::Everything => panic!("everything"),
        }
    }

    #[test]
    fn every_write_of_a_map_marks_its_key_and_bumps_the_version() {
        let changes = tracking();
        let map: TrackedMap<u64, &str> = TrackedMap::new(&changes);
        map.insert(1, "a");
        map.insert(2, "b");
        assert!(map.insert_new(2, "again").is_err(), "an occupied key is not replaced");
        *map.get_mut(&1).unwrap() = "A";
        map.remove(&2);
        assert_eq!(keys(map.take_marks()), HashSet::from([1, 2]));
        assert_eq!(keys(map.take_marks()), HashSet::new(), "marks are taken once");
        map.retain(|k, _| *k != 1);
        assert_eq!(keys(map.take_marks()), HashSet::from([1]));
        map.clear();
        assert!(matches!(map.take_marks(), Taken::Everything));
        assert_eq!(changes.version(), 6, "each write bumps the version once (the refused insert does not)");
    }

    #[test]
    fn marks_are_kept_only_while_tracking_but_the_version_moves_anyway() {
        let changes = Arc::new(Changes::default());
        let log: TrackedLog<&str> = TrackedLog::new(&changes);
        log.lock().insert(1, "a");
        assert_eq!(keys(log.take_marks()), HashSet::new());
        assert_eq!(changes.version(), 1);
        changes.rewrite_whole();
        assert!(!changes.take_rewrite_whole(), "nothing is asked of a state file that is not written");
        changes.track();
        changes.rewrite_whole();
        assert!(changes.take_rewrite_whole());
        assert!(!changes.take_rewrite_whole(), "asked once");
        log.lock().insert(2, "b");
        *log.lock().get_mut(1).unwrap() = "A";
        assert_eq!(keys(log.take_marks()), HashSet::from([1, 2]));
        log.lock().retain(|item| *item != "b");
        assert_eq!(keys(log.take_marks()), HashSet::from([2]), "what a retain removes is marked");
        log.lock().clear();
        assert!(matches!(log.take_marks(), Taken::Everything));
    }

    #[test]
    fn marks_count_the_lines_a_rewrite_would_drop_once_their_records_are_appended() {
        let changes = tracking();
        let map: TrackedMap<u64, &str> = TrackedMap::new(&changes);
        map.insert(1, "a");
        map.insert(2, "b");
        assert!(map.insert_new(3, "c").is_ok());
        map.insert(1, "a again");
        *map.get_mut(&2).unwrap() = "b again";
        map.remove(&3);
        // 1 and 2 are written once each, 3 never was: only the line saying 3 is gone is for nothing.
        assert_eq!(changes.take_superseded(), 1, "added then changed before an append supersedes nothing");
        _ = map.take_marks();
        map.insert(1, "a, written");
        *map.get_mut(&1).unwrap() = "a, twice";
        assert_eq!(changes.take_superseded(), 1, "the line written before; the new one is written once");
        _ = map.take_marks();
        map.remove(&2);
        assert_eq!(changes.take_superseded(), 2, "its line, and the line saying it is gone");
        map.insert(4, "d");
        map.insert(5, "e");
        _ = map.take_marks();
        *map.get_mut(&4).unwrap() = "d again";
        map.retain(|key, _| *key != 4 && *key != 5);
        assert_eq!(changes.take_superseded(), 1 + 1 + 2, "changed then gone; gone");
        assert_eq!(changes.take_superseded(), 0, "counted once");

        let log: TrackedLog<&str> = TrackedLog::new(&changes);
        log.lock().insert(1, "a");
        _ = log.take_marks();
        log.lock().insert(1, "a again");
        log.lock().insert(2, "b");
        assert_eq!(changes.take_superseded(), 1, "a replaced item, not a new one");
        _ = log.take_marks();
        *log.lock().get_mut(2).unwrap() = "b again";
        log.lock().retain(|item| *item != "a again");
        assert_eq!(changes.take_superseded(), 3);

        let untracked = Arc::new(Changes::default());
        let map: TrackedMap<u64, &str> = TrackedMap::new(&untracked);
        map.insert(1, "a");
        map.insert(1, "b");
        map.remove(&1);
        assert_eq!(untracked.take_superseded(), 0, "nothing is counted while no state file is written");
    }

    #[test]
    fn a_log_gathers_and_reads_its_records_in_id_order_across_many_locks() {
        let log: TrackedLog<u64> = TrackedLog::new(&tracking());
        let count = 3 * RECORDS_PER_LOCK as u64 + 7;
        for id in (1..=count).rev() {
            log.lock().insert(id * 2, id * 2);
        }
        // The largest id there can be is gathered too, once.
        log.lock().insert(u64::MAX, u64::MAX);
        let mut expected: Vec<u64> = (1..=count).map(|id| id * 2).collect();
        expected.push(u64::MAX);
        assert_eq!(log.gather(|item| **item, &|| ()), expected);
        log.lock().retain(|item| *item != 4);
        let records = log.records(log.take_marks(), |item| format!("is {item}"), |id| format!("{id} gone")).unwrap();
        assert_eq!(records.len(), expected.len(), "each mark once");
        assert_eq!(records[..3], ["is 2", "4 gone", "is 6"]);
        assert_eq!(records.last().map(String::as_str), Some(format!("is {}", u64::MAX).as_str()));
    }

    #[test]
    fn a_log_is_not_locked_while_its_records_are_read_and_a_change_meanwhile_is_kept_and_marked() {
        let log: TrackedLog<String> = TrackedLog::new(&tracking());
        log.lock().insert(1, "first".into());
        log.lock().insert(2, "second".into());
        _ = log.take_marks();
        // Each record is read with the list free: reading one changes the other
        // item. Each record shows its item as it was when the list was read; the
        // list keeps the changes.
        let read = log.gather(
            |item| {
                assert!(log.items.try_lock().is_ok(), "the list is not locked while {item:?} is read");
                let mut list = log.lock();
                let other = if **item == "first" { 2 } else { 1 };
                list.get_mut(other).unwrap().push_str(" changed");
                String::clone(item)
            },
            &|| (),
        );
        assert_eq!(read, ["first", "second"]);
        assert_eq!(log.lock().iter().cloned().collect::<Vec<_>>(), ["first changed", "second changed"]);
        assert_eq!(keys(log.take_marks()), HashSet::from([1, 2]), "both changes are marked for the next write");
        let free = |_: &Arc<String>| log.items.try_lock().is_ok();
        assert_eq!(log.records(Taken::Keys(HashSet::from([1, 2])), free, |_| false), Some(vec![true, true]));
    }

    #[test]
    fn gathering_pauses_after_each_batch_with_nothing_locked() {
        let count = 3 * RECORDS_PER_LOCK as u64 + 7;
        let log: TrackedLog<u64> = TrackedLog::new(&tracking());
        let map: TrackedMap<u64, u64> = TrackedMap::new(&tracking());
        for id in 1..=count {
            log.lock().insert(id, id);
            map.insert(id, id);
        }
        let pauses = std::cell::Cell::new(0);
        let pause = || {
            pauses.set(pauses.get() + 1);
            assert!(log.items.try_lock().is_ok(), "the list is free while the gatherer pauses");
            // A write to the map meanwhile goes through at once (its shards are free).
            assert!(map.map.try_get_mut(&1).is_present(), "the map is free while the gatherer pauses");
        };
        assert_eq!(log.gather(|item| **item, &pause).len() as u64, count);
        assert_eq!(pauses.get(), 4, "after each batch of {RECORDS_PER_LOCK}");
        assert_eq!(map.gather(|_, value| *value, &pause).len() as u64, count);
        assert_eq!(pauses.get(), 8, "after each batch of {RECORDS_PER_LOCK}");
    }

    /// Where the tables of a map's shards doubled while `count` keys were
    /// inserted one by one, past the small tables (each over 1 024 places):
    /// the number of entries after each insert that doubled one, once per
    /// shard doubled.
    fn doublings<M>(map: &DashMap<u64, u64, M>, count: u64, insert: impl Fn(u64)) -> Vec<u64>
    where
        M: BuildHasher + Clone,
    {
        let capacities = || map.shards().iter().map(|shard| shard.read().capacity()).collect::<Vec<_>>();
        let small = 2 * 1024 * map.shards().len() as u64;
        let mut before = capacities();
        let mut doublings = Vec::new();
        for key in 0..count {
            insert(key);
            let after = capacities();
            let doubled = before.iter().zip(&after).filter(|(b, a)| a > b).count();
            if key >= small {
                doublings.extend(std::iter::repeat_n(key + 1, doubled));
            }
            before = after;
        }
        doublings
    }

    /// The most doublings within 2 % of the growth.
    fn crowding(doublings: &[u64]) -> usize {
        doublings
            .iter()
            .map(|at| doublings.iter().filter(|other| (*at..=at + at / 50).contains(other)).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn the_shards_of_a_big_map_double_one_at_a_time_not_all_at_once() {
        let (count, shards) = (300_000, 64);
        for how in ["insert", "insert_new"] {
            let map: TrackedMap<u64, u64> = TrackedMap::with_shards(&tracking(), shards);
            let insert = |key| match how {
                "insert" => _ = map.insert(key, key),
                _ => map.insert_new(key, key).unwrap(),
            };
            let doublings = doublings(&map.map, count, insert);
            assert!(doublings.len() >= shards / 2, "{how}: {} doublings past the small tables", doublings.len());
            let crowded = crowding(&doublings);
            assert!(crowded <= 10, "{how}: {crowded} shards doubled within 2 % of the growth: {doublings:?}");
            assert!((0..count).all(|key| map.get(&key).is_some_and(|value| *value == key)), "{how}: every key found");
        }
        // The same inserts into a map left to itself: its shards double in a crowd.
        let plain: DashMap<u64, u64> = DashMap::with_shard_amount(shards);
        let crowded = crowding(&doublings(&plain, count, |key| _ = plain.insert(key, key)));
        assert!(crowded >= shards / 3, "only {crowded} shards of a plain map doubled within 2 % of the growth");
    }

    #[test]
    fn a_map_gathers_every_entry_once() {
        let map: TrackedMap<u64, u64> = TrackedMap::new(&tracking());
        for key in 0..1000 {
            map.insert(key, key + 1);
        }
        map.remove(&500);
        let mut gathered = map.gather(|key, value| (*key, *value), &|| ());
        gathered.sort_unstable();
        let expected: Vec<(u64, u64)> = (0..1000).filter(|key| *key != 500).map(|key| (key, key + 1)).collect();
        assert_eq!(gathered, expected);
    }

    #[test]
    fn records_name_each_marked_key_as_it_is_now_or_as_gone() {
        let map: TrackedMap<u64, &str> = TrackedMap::new(&tracking());
        map.insert(1, "a");
        map.insert(2, "b");
        map.remove(&2);
        let mut records: Vec<String> =
            map.records(map.take_marks(), |_, v| format!("is {v}"), |k| format!("{k} gone")).unwrap().collect();
        records.sort();
        assert_eq!(records, ["2 gone", "is a"]);
        map.clear();
        assert!(map.records(map.take_marks(), |_, v| v.to_string(), |k| k.to_string()).is_none());
    }
}
