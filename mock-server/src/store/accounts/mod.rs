//! Accounts: users, the email index, which partner sees whom, and teams (a
//! user's `team_master`). Users are created by partners (`POST user`) or on
//! the website; what changes them is the account holder's doing (confirming,
//! accepting the CGU, adding a payment method, joining a team) or an order
//! of identity.
//!
//! Lock order: `by_email` → `users` → `visible`. No guard is held across
//! another guard of the same map, nor by a caller: every method copies out.

pub mod ids;
pub mod user;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use serde::{Deserialize, Serialize};

use super::record::Counters;
use super::snapshot::Snapshot;
use super::tracked::{Changes, MANY_SHARDS, Marks, Taken, TrackedMap};
use super::{Hasher, Order, charges::Payer, partner::Partner};
use crate::domain::{NewUser, UserRef};
use crate::slug::Slug;
use ids::IdSet;
use user::{User, UserAnswer, UserRow};

/// How many user ids one [`Record::SeesAll`] holds at most (a line of about 80 KB).
pub const SEEN_RUN: usize = 10_000;

/// How an account comes to exist.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The validated sign-up data.
    pub profile: NewUser,
    /// The partner token creating it (`None`: signed up on the website).
    pub created_by: Option<String>,
    /// Terms accepted at creation.
    pub cgu: bool,
    /// A payment method registered at creation.
    pub payment_method: bool,
}

/// The accounts a partner reset forgot.
#[derive(Debug, Default)]
pub struct Forgotten {
    /// Their ids.
    pub ids: HashSet<u64>,
    /// Their addresses, lowercase.
    pub addresses: HashSet<String>,
}

/// The accounts.
#[derive(Debug)]
pub struct Accounts {
    next_id: AtomicU64,
    /// Users behind `Arc`: reads share them, changes copy on write.
    users: TrackedMap<u64, Arc<User>, Hasher>,
    /// Lowercase email → id: an index of `users`, never written to the state file.
    by_email: DashMap<String, u64, Hasher>,
    visible: Visibility,
    /// Creation dates come from the business clock.
    clock: Arc<super::clock::Clock>,
}

impl Accounts {
    pub(super) fn new(changes: &Arc<Changes>, clock: &Arc<super::clock::Clock>) -> Self {
        Self {
            next_id: AtomicU64::new(1),
            users: TrackedMap::with_shards(changes, MANY_SHARDS),
            by_email: DashMap::with_hasher_and_shard_amount(Hasher::default(), MANY_SHARDS),
            visible: Visibility::new(changes),
            clock: Arc::clone(clock),
        }
    }

    /// Makes room for `users` accounts at once.
    pub(super) fn make_room(&mut self, users: usize) {
        let per_shard = users.div_ceil(MANY_SHARDS);
        self.users.reserve_per_shard(per_shard);
        let _ = self.by_email.try_reserve(per_shard);
    }

    // ----- reads -----

    /// The user, if it exists.
    pub fn get(&self, id: u64) -> Option<Arc<User>> {
        self.users.get(&id).map(|u| Arc::clone(&u))
    }

    /// The user `by` names.
    pub fn find(&self, by: &UserRef) -> Option<Arc<User>> {
        let id = match by {
            UserRef::Id(id) => *id,
            UserRef::Email(email) => *self.by_email.get(&email.key())?,
        };
        self.get(id)
    }

    /// Whether the partner with this token sees the user.
    pub fn is_visible(&self, token: &str, id: u64) -> bool {
        self.visible.sees(token, id)
    }

    /// A page of the ids the partner with this token sees.
    pub fn visible_page(&self, token: &str, max: usize, start: usize, order: Order) -> Vec<u64> {
        self.visible.page(token, max, start, order)
    }

    /// The tokens of the partners that see the user.
    pub fn seen_by(&self, id: u64) -> Vec<String> {
        self.visible.seeing(id)
    }

    /// The latest `limit` ids, newest first.
    pub fn latest_ids(&self, limit: usize) -> Vec<u64> {
        let mut ids: Vec<u64> = self.users.iter().map(|u| u.id).collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.truncate(limit);
        ids
    }

    /// Who pays for what `partner`'s API does for `user`, in AR24's order: the
    /// user's own payment method, else the team administrator's, else the
    /// partner's global billing (API actions only: `partner` is `None` otherwise).
    pub fn payer_for(&self, user: &User, partner: Option<&Partner>) -> Option<Payer> {
        if user.payment_method {
            return Some(Payer::User);
        }
        if let Some(master) = user.team_master.filter(|m| self.users.get(m).is_some_and(|m| m.payment_method)) {
            return Some(Payer::TeamMaster { id: master });
        }
        partner.filter(|p| p.global_billing).map(|p| Payer::Partner { token: p.token.clone() })
    }

    /// The user object as `partner` is answered it.
    pub fn answer(&self, user: &Arc<User>, partner: &Partner) -> UserAnswer {
        UserAnswer { payment_possible: self.payer_for(user, Some(partner)).is_some(), user: Arc::clone(user) }
    }

    // ----- writes -----

    /// Creates an account; `user_already_exist` if its email has one. Of
    /// many simultaneous creates with one email, exactly one wins.
    pub fn create(&self, account: NewAccount) -> Result<Arc<User>, Slug> {
        match self.by_email.entry(account.profile.email.key()) {
            Entry::Occupied(_) => Err(Slug::UserAlreadyExist),
            Entry::Vacant(slot) => {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let user = Arc::new(User {
                    id,
                    profile: account.profile,
                    creation: self.clock.now_paris().into(),
                    cgu: account.cgu,
                    notif_cgu: false,
                    payment_method: account.payment_method,
                    team_master: None,
                    created_by: account.created_by.as_deref().map(crate::store::shared::token),
                    identity_verified: false,
                    otp_secret: None,
                });
                // The user exists before its email points at it, so a lookup
                // by email never finds an id without a user.
                self.users.insert(id, Arc::clone(&user));
                if let Some(token) = &user.created_by {
                    self.visible.grant(token, id);
                }
                slot.insert(id);
                Ok(user)
            }
        }
    }

    /// Changes a stored user (copy on write: answers being sent keep what they read).
    pub fn change(&self, id: u64, change: impl FnOnce(&mut User)) -> Option<Arc<User>> {
        let mut stored = self.users.get_mut(&id)?;
        change(Arc::make_mut(&mut stored));
        Some(Arc::clone(&stored))
    }

    /// The partner with this token sees the user from now on; `false` when the user is gone.
    pub fn grant(&self, token: &str, id: u64) -> bool {
        if !self.users.contains_key(&id) {
            return false;
        }
        self.visible.grant(token, id);
        true
    }

    /// Forgets every account and all visibility.
    pub(super) fn clear(&self) {
        self.users.clear();
        self.by_email.clear();
        self.visible.clear();
    }

    /// Forgets the accounts the partner with this token created (everywhere)
    /// and what it sees; teams whose administrator is forgotten lose it.
    /// Only what changes is locked for writing: calls reading other accounts
    /// go on meanwhile, however many are stored.
    pub(super) fn forget_partner(&self, token: &str) -> Forgotten {
        let ids: HashSet<u64> =
            self.users.iter().filter(|u| u.created_by.as_deref() == Some(token)).map(|u| u.id).collect();
        let mut addresses = HashSet::new();
        for id in &ids {
            if let Some(user) = self.users.remove(id) {
                self.by_email.remove(&user.profile.email.key());
                addresses.insert(user.profile.email.key());
            }
        }
        if !ids.is_empty() {
            let members: Vec<u64> =
                self.users.iter().filter(|u| u.team_master.is_some_and(|m| ids.contains(&m))).map(|u| u.id).collect();
            for id in members {
                self.change(id, |u| u.team_master = None);
            }
        }
        self.visible.forget_partner(token);
        self.visible.forget_users(&ids);
        Forgotten { ids, addresses }
    }

    // ----- the state file and the state document -----

    /// The records of what changed; `Err` when only a whole rewrite can carry it.
    pub(super) fn changed_records(&self, out: &mut Vec<super::Record>) -> Result<(), Everything> {
        let users = self.users.records(self.users.take_marks(), |_, u| Record::User(Arc::clone(u)), Record::UserGone);
        let seen = self.visible.records();
        let (Some(users), Some(seen)) = (users, seen) else { return Err(Everything) };
        out.extend(users.chain(seen).map(super::Record::Accounts));
        Ok(())
    }

    /// Everything, gathered for a rewrite of the log (users shared, not copied).
    pub(super) fn gather(&self) -> Gathered {
        let mut users: Vec<Arc<User>> = self.users.iter().map(|u| Arc::clone(&u)).collect();
        // By id, so that they are read back into memory in the order they are gone through.
        users.sort_unstable_by_key(|u| u.id);
        Gathered { users, visible: self.visible.all() }
    }

    /// Its id counter.
    pub(super) fn counters(&self, counters: &mut Counters) {
        counters.user = self.next_id.load(Ordering::SeqCst);
    }

    /// Its part of the state document.
    pub(super) fn export(&self, snapshot: &mut Snapshot) {
        let gathered = self.gather();
        snapshot.next_user_id = self.next_id.load(Ordering::SeqCst);
        snapshot.users = gathered.users;
        snapshot.visible = gathered.visible.into_iter().collect();
    }

    /// Takes its part of a checked state document, into an empty aggregate;
    /// `invalid_state` when two users share an email (whatever its case).
    pub(super) fn import(&self, snapshot: &mut Snapshot) -> Result<(), Slug> {
        let users = std::mem::take(&mut snapshot.users);
        let max_id = users.iter().map(|u| u.id).max().unwrap_or(0);
        self.next_id.store(snapshot.next_user_id.max(max_id + 1), Ordering::SeqCst);
        // The two maps filled by two threads, each taking half the users (moved, not shared).
        let mut first = users;
        let second = first.split_off(first.len() / 2);
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
        for (token, ids) in std::mem::take(&mut snapshot.visible) {
            self.visible.set(token, ids.into_iter().collect());
        }
        Ok(())
    }
}

/// A write that only a whole rewrite of the state file can carry (a clear).
#[derive(Debug, Clone, Copy)]
pub struct Everything;

/// The records of accounts in the state log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Record {
    /// Written as a [`UserRow`]; read from a row or, as older logs wrote it, by field names.
    #[serde(serialize_with = "as_row")]
    User(Arc<User>),
    /// The user with this id is gone.
    UserGone(u64),
    /// A partner sees a user (`true`) or no longer does.
    Seen(String, u64, bool),
    /// A partner sees all these users (a rewrite writes what each partner sees in runs).
    SeesAll(String, Vec<u64>),
}

fn as_row<S: serde::Serializer>(user: &Arc<User>, serializer: S) -> Result<S::Ok, S::Error> {
    UserRow(user).serialize(serializer)
}

/// Accounts as [`Accounts::gather`] took them, to be written record by record.
#[derive(Debug)]
pub struct Gathered {
    users: Vec<Arc<User>>,
    visible: Vec<(String, Vec<u64>)>,
}

impl Gathered {
    /// Each record, in the order they are written.
    pub fn records(self) -> impl Iterator<Item = Record> {
        let users = self.users.into_iter().map(Record::User);
        let runs = self.visible.into_iter().flat_map(|(token, ids)| {
            ids.chunks(SEEN_RUN).map(|run| Record::SeesAll(token.clone(), run.to_vec())).collect::<Vec<_>>()
        });
        users.chain(runs)
    }
}

/// Accounts rebuilt from records, applied in order.
#[derive(Debug, Default)]
pub struct Replay {
    users: super::record::Latest<u64, Arc<User>>,
    seen: BTreeMap<String, HashSet<u64, Hasher>>,
}

impl Replay {
    /// Applies one record: each replaces what it names.
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::User(user) => self.users.put(user.id, user),
            Record::UserGone(id) => self.users.remove(id),
            Record::Seen(token, id, true) => _ = self.seen.entry(token).or_default().insert(id),
            Record::SeesAll(token, ids) => self.seen.entry(token).or_default().extend(ids),
            Record::Seen(token, id, false) => _ = self.seen.get_mut(&token).map(|ids| ids.remove(&id)),
        }
    }

    /// Its part of the state document.
    pub fn finish(self, counters: &Counters, snapshot: &mut Snapshot) {
        snapshot.next_user_id = counters.user;
        snapshot.users = self.users.finish();
        snapshot.visible = self
            .seen
            .into_iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(token, ids)| {
                let mut ids: Vec<u64> = ids.into_iter().collect();
                ids.sort_unstable();
                (token, ids)
            })
            .collect();
    }
}

/// Per partner token, the users it may see (created or granted); its writes
/// mark each (token, user) they change.
#[derive(Debug)]
struct Visibility {
    sets: DashMap<String, IdSet>,
    marks: Marks<(String, u64)>,
}

impl Visibility {
    fn new(changes: &Arc<Changes>) -> Self {
        Self { sets: DashMap::new(), marks: Marks::new(changes) }
    }

    fn sees(&self, token: &str, id: u64) -> bool {
        self.sets.get(token).is_some_and(|ids| ids.contains(&id))
    }

    fn page(&self, token: &str, max: usize, start: usize, order: Order) -> Vec<u64> {
        self.sets.get(token).map(|set| set.page(max, start, order)).unwrap_or_default()
    }

    fn seeing(&self, id: u64) -> Vec<String> {
        self.sets.iter().filter(|v| v.value().contains(&id)).map(|v| v.key().clone()).collect()
    }

    fn all(&self) -> Vec<(String, Vec<u64>)> {
        self.sets.iter().map(|v| (v.key().clone(), v.value().iter().copied().collect())).collect()
    }

    fn grant(&self, token: &str, id: u64) {
        let mut ids = self.sets.entry(token.to_owned()).or_default();
        if ids.insert(id) {
            self.marks.mark_new((token.to_owned(), id));
        }
    }

    /// What `token` sees, set while importing (an empty set is not kept).
    fn set(&self, token: String, ids: IdSet) {
        if ids.is_empty() {
            return;
        }
        self.sets.insert(token.clone(), ids);
        // Read back under its guard: the marks are built only while they are kept.
        if let Some(ids) = self.sets.get(&token) {
            self.marks.mark_each_new(ids.iter().map(|id| (token.clone(), *id)));
        }
    }

    fn forget_partner(&self, token: &str) {
        if let Some((token, ids)) = self.sets.remove(token) {
            self.marks.mark_each_gone(ids.iter().map(|id| (token.clone(), *id)));
        }
    }

    fn forget_users(&self, forgotten: &HashSet<u64>) {
        if forgotten.is_empty() {
            return;
        }
        for mut entry in self.sets.iter_mut() {
            let token = entry.key().clone();
            let gone: Vec<(String, u64)> =
                entry.value().iter().filter(|id| forgotten.contains(id)).map(|id| (token.clone(), *id)).collect();
            entry.value_mut().retain(|id| !forgotten.contains(id));
            self.marks.mark_each_gone(gone);
        }
        // A partner that sees nobody has no set, as a replay of the state file rebuilds it.
        self.sets.retain(|_, ids| !ids.is_empty());
    }

    fn clear(&self) {
        self.sets.clear();
        self.marks.mark_everything();
    }

    fn records(&self) -> Option<impl Iterator<Item = Record> + '_> {
        let Taken::Keys(keys) = self.marks.take() else { return None };
        Some(keys.into_iter().map(|(token, id)| {
            let seen = self.sees(&token, id);
            Record::Seen(token, id, seen)
        }))
    }
}
