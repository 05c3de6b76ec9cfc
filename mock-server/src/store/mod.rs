//! All of the mock's state, behind intention-revealing methods.
//!
//! Handlers never touch a map. Rules that keep the state whole:
//! - a user's email is unique: creation goes through the `by_email` entry, so
//!   of many simultaneous creates exactly one wins;
//! - no map guard is held while another guard of the *same* map is taken, nor
//!   across an `.await` (every method here is synchronous); lock order across
//!   maps is `by_email` → `users` → `visible` and `links` → `users` → `visible`;
//! - resets take the `gate` for writing, every other change takes it for
//!   reading, so a reset never interleaves with a half-done change.

pub mod faults;
pub mod journal;
pub mod outbox;
pub mod partner;
pub mod snapshot;
pub mod user;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::domain::{Email as Address, NewUser, UserRef};
use crate::protocol::date::now_paris;
use crate::slug::Slug;
use journal::{Journal, JournalEntry};
use outbox::{Email, Link, LinkKind, Partnership};
use partner::{NewPartner, Partner, PartnerPatch};
use user::{User, UserAnswer};

/// Shards of the user maps (a power of two).
const SHARDS: usize = 64;

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

/// Why a link cannot be accepted.
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

/// Sorting of `user/list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Lowest id first.
    Asc,
    /// Highest id first.
    Desc,
}

/// The in-memory state of one mock.
#[derive(Debug)]
pub struct Store {
    gate: RwLock<()>,
    public_url: String,
    next_user_id: AtomicU64,
    next_email_id: AtomicU64,
    /// Users behind `Arc`: reads share them, changes copy on write, and the map stays small to grow.
    users: DashMap<u64, Arc<User>>,
    by_email: DashMap<String, u64>,
    /// Per partner token, the users it may see (created or granted).
    visible: DashMap<String, BTreeSet<u64>>,
    partners: DashMap<String, Arc<Partner>>,
    outbox: Mutex<Vec<Email>>,
    links: DashMap<String, Link>,
    journal: Journal,
    /// Injected faults.
    pub faults: faults::Faults,
}

impl Store {
    /// An empty store whose links start with `public_url`, with these partners.
    pub fn new(public_url: &str, journal_limit: usize, partners: impl IntoIterator<Item = Partner>) -> Self {
        let store = Self {
            gate: RwLock::new(()),
            public_url: public_url.trim_end_matches('/').to_owned(),
            next_user_id: AtomicU64::new(1),
            next_email_id: AtomicU64::new(1),
            // Many small shards: a shard that grows is rehashed under its lock, and
            // smaller shards make that pause shorter for the creations waiting on it.
            users: DashMap::with_shard_amount(SHARDS),
            by_email: DashMap::with_shard_amount(SHARDS),
            visible: DashMap::new(),
            partners: DashMap::new(),
            outbox: Mutex::new(Vec::new()),
            links: DashMap::new(),
            journal: Journal::new(journal_limit),
            faults: faults::Faults::default(),
        };
        for partner in partners {
            store.partners.insert(partner.token.clone(), Arc::new(partner));
        }
        store
    }

    fn shared(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Held by resets, exports and imports: no change interleaves with them.
    fn exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        self.gate.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets every user, visibility, link and email (the caller holds `exclusive`).
    fn clear_data(&self) {
        self.users.clear();
        self.by_email.clear();
        self.visible.clear();
        self.links.clear();
        self.outbox().clear();
    }

    fn outbox(&self) -> MutexGuard<'_, Vec<Email>> {
        self.outbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ----- partners -----

    /// The partner with this token.
    pub fn partner(&self, token: &str) -> Option<Arc<Partner>> {
        self.partners.get(token).map(|p| Arc::clone(&p))
    }

    /// Registers a partner; missing token and key are generated.
    pub fn add_partner(&self, new: NewPartner) -> Result<Arc<Partner>, Slug> {
        let token = new.token.filter(|t| !t.trim().is_empty()).unwrap_or_else(random_secret);
        let private_key = new.private_key.filter(|k| !k.is_empty()).unwrap_or_else(random_secret);
        let name = new.name.unwrap_or_else(|| format!("Partner {}", token.chars().take(8).collect::<String>()));
        match self.partners.entry(token.clone()) {
            Entry::Occupied(_) => Err(Slug::PartnerAlreadyExists),
            Entry::Vacant(slot) => {
                let partner = Arc::new(Partner::new(token, private_key, name, new.cgu_preaccepted, new.global_billing));
                slot.insert(Arc::clone(&partner));
                Ok(partner)
            }
        }
    }

    /// Changes a partner's settings.
    pub fn update_partner(&self, token: &str, patch: &PartnerPatch) -> Option<Arc<Partner>> {
        let mut slot = self.partners.get_mut(token)?;
        let updated = Arc::new(slot.patched(patch));
        *slot = Arc::clone(&updated);
        Some(updated)
    }

    // ----- users -----

    /// Creates an account; `user_already_exist` if its email has one.
    pub fn create_user(&self, account: NewAccount) -> Result<Arc<User>, Slug> {
        let _shared = self.shared();
        match self.by_email.entry(account.profile.email.key()) {
            Entry::Occupied(_) => Err(Slug::UserAlreadyExist),
            Entry::Vacant(slot) => {
                let id = self.next_user_id.fetch_add(1, Ordering::Relaxed);
                let user = Arc::new(User {
                    id,
                    profile: account.profile,
                    creation: now_paris(),
                    cgu: account.cgu,
                    notif_cgu: false,
                    payment_method: account.payment_method,
                    team_master: None,
                    created_by: account.created_by,
                });
                // The user exists before its email points at it, so a lookup
                // by email never finds an id without a user.
                self.users.insert(id, Arc::clone(&user));
                if let Some(token) = &user.created_by {
                    self.visible.entry(token.clone()).or_default().insert(id);
                }
                slot.insert(id);
                Ok(user)
            }
        }
    }

    /// The user, if it exists.
    pub fn user(&self, id: u64) -> Option<Arc<User>> {
        self.users.get(&id).map(|u| Arc::clone(&u))
    }

    fn find(&self, by: &UserRef) -> Option<Arc<User>> {
        let id = match by {
            UserRef::Id(id) => *id,
            UserRef::Email(email) => *self.by_email.get(&email.key())?,
        };
        self.user(id)
    }

    /// The user with this email, if any.
    pub fn user_by_email(&self, email: &Address) -> Option<Arc<User>> {
        self.find(&UserRef::Email(email.clone()))
    }

    /// Whether `partner` may see the user.
    pub fn is_visible(&self, partner: &Partner, user_id: u64) -> bool {
        self.visible.get(&partner.token).is_some_and(|ids| ids.contains(&user_id))
    }

    /// The user as `partner` may reach it: `user_not_exist` or `user_unavailable` otherwise.
    pub fn user_for(&self, partner: &Partner, by: &UserRef) -> Result<Arc<User>, Slug> {
        let user = self.find(by).ok_or(Slug::UserNotExist)?;
        if self.is_visible(partner, user.id) { Ok(user) } else { Err(Slug::UserUnavailable) }
    }

    /// Whether the user can pay for what `partner`'s API does: own method,
    /// team administrator's method, or the partner's global billing.
    pub fn can_pay(&self, user: &User, partner: Option<&Partner>) -> bool {
        user.payment_method
            || partner.is_some_and(|p| p.global_billing)
            || user.team_master.is_some_and(|master| self.users.get(&master).is_some_and(|m| m.payment_method))
    }

    /// The user object as `partner` is answered it.
    pub fn view(&self, user: &Arc<User>, partner: &Partner) -> UserAnswer {
        UserAnswer { payment_possible: self.can_pay(user, Some(partner)), user: Arc::clone(user) }
    }

    /// A page of the users `partner` sees, sorted by id.
    pub fn list_for(&self, partner: &Partner, max: usize, start: usize, order: Order) -> Vec<UserAnswer> {
        let ids: Vec<u64> = match self.visible.get(&partner.token) {
            None => Vec::new(),
            Some(set) => match order {
                Order::Asc => set.iter().skip(start).take(max).copied().collect(),
                Order::Desc => set.iter().rev().skip(start).take(max).copied().collect(),
            },
        };
        ids.into_iter().filter_map(|id| self.user(id)).map(|u| self.view(&u, partner)).collect()
    }

    /// The account holder registers a payment method on the website.
    pub fn add_payment_method(&self, id: u64) -> Option<Arc<User>> {
        let _shared = self.shared();
        self.change_user(id, |u| u.payment_method = true)
    }

    /// Changes a stored user (copy on write: answers being sent keep what they read).
    fn change_user(&self, id: u64, change: impl FnOnce(&mut User)) -> Option<Arc<User>> {
        let mut stored = self.users.get_mut(&id)?;
        change(Arc::make_mut(&mut stored));
        Some(Arc::clone(&stored))
    }

    // ----- emails and links -----

    /// Makes a one-use link for `kind`, without sending anything.
    pub fn issue_link(&self, kind: LinkKind, user: &User, partner: &Partner, master: Option<&User>) -> Link {
        let _shared = self.shared();
        self.new_link(kind, user, partner, master)
    }

    fn new_link(&self, kind: LinkKind, user: &User, partner: &Partner, master: Option<&User>) -> Link {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let link = Link {
            url: format!("{}/_mock/links/{id}", self.public_url),
            id: id.clone(),
            kind,
            user_id: user.id,
            to: user.profile.email.as_str().to_owned(),
            partner: partner.token.clone(),
            master_id: master.map(|m| m.id),
            used_at: None,
        };
        self.links.insert(id, link.clone());
        link
    }

    /// Sends the email for `kind` to `user`, with a fresh link.
    pub fn send_email(&self, kind: LinkKind, user: &User, partner: &Partner, master: Option<&User>) -> Email {
        let _shared = self.shared();
        let link = self.new_link(kind, user, partner, master);
        if kind == LinkKind::Cgu {
            self.change_user(user.id, |u| u.notif_cgu = true);
        }
        let from = Partnership {
            token: &partner.token,
            name: &partner.name,
            master_email: master.map(|m| m.profile.email.as_str()),
        };
        let id = self.next_email_id.fetch_add(1, Ordering::Relaxed);
        let email = Email::compose(id, kind, user.profile.email.as_str(), &from, link.url, now_paris());
        self.outbox().push(email.clone());
        email
    }

    /// The outbox, oldest first, filtered by recipient (any case) and kind.
    pub fn emails(&self, to: Option<&str>, kind: Option<LinkKind>) -> Vec<Email> {
        self.outbox()
            .iter()
            .filter(|e| to.is_none_or(|to| e.to.eq_ignore_ascii_case(to.trim())))
            .filter(|e| kind.is_none_or(|k| e.kind == k))
            .cloned()
            .collect()
    }

    /// A partner's name, or its token when no partner has it any more.
    pub fn partner_name(&self, token: &str) -> String {
        self.partner(token).map_or_else(|| token.to_owned(), |p| p.name.clone())
    }

    /// What a link asks, in a sentence naming the partner and any team administrator.
    pub fn request_of(&self, link: &Link) -> String {
        let master = link.master_id.and_then(|id| self.user(id));
        link.kind.request(&self.partner_name(&link.partner), master.as_ref().map(|m| m.profile.email.as_str()))
    }

    /// A copy of the link, if it exists.
    pub fn link(&self, id: &str) -> Option<Link> {
        self.links.get(id).map(|l| l.clone())
    }

    /// Accepts what the link asks, once.
    pub fn accept_link(&self, id: &str) -> Result<Link, LinkError> {
        let _shared = self.shared();
        // The link's guard is held while the effect is applied, so two
        // simultaneous acceptances of one link cannot both apply it.
        let mut link = self.links.get_mut(id).ok_or(LinkError::NotFound)?;
        if link.used_at.is_some() {
            return Err(LinkError::Used);
        }
        self.apply(&link)?;
        link.used_at = Some(now_paris());
        Ok(link.clone())
    }

    fn apply(&self, link: &Link) -> Result<(), LinkError> {
        let obsolete = LinkError::Obsolete;
        match link.kind {
            LinkKind::Cgu => {
                self.change_user(link.user_id, |u| u.cgu = true).ok_or(obsolete)?;
            }
            LinkKind::Payment => {
                self.change_user(link.user_id, |u| u.payment_method = true).ok_or(obsolete)?;
            }
            LinkKind::Access => {
                if !self.users.contains_key(&link.user_id) {
                    return Err(obsolete);
                }
                self.visible.entry(link.partner.clone()).or_default().insert(link.user_id);
            }
            LinkKind::Team => {
                let master = link.master_id.ok_or(obsolete)?;
                let master_can_pay = self.users.get(&master).is_some_and(|m| m.payment_method);
                if !master_can_pay {
                    return Err(obsolete);
                }
                self.change_user(link.user_id, |u| u.team_master = Some(master)).ok_or(obsolete)?;
            }
        }
        Ok(())
    }

    // ----- journal -----

    /// Records one API call.
    pub fn record_request(&self, entry: JournalEntry) {
        self.journal.push(entry);
    }

    /// The journal, oldest first, for one partner or all.
    pub fn requests(&self, token: Option<&str>) -> Vec<JournalEntry> {
        self.journal.entries(token)
    }

    // ----- resets -----

    /// Forgets all users, emails, links, teams and the journal; keeps partners.
    pub fn reset(&self) {
        let _exclusive = self.exclusive();
        self.clear_data();
        self.journal.forget(None);
        self.faults.clear(None);
    }

    /// Forgets what one partner made: the users it created (everywhere), its
    /// access to other users, its emails and links, its journal. Other
    /// partners' data stays, but for the accounts this partner created.
    pub fn reset_partner(&self, token: &str) {
        let _exclusive = self.exclusive();
        let created: HashSet<u64> =
            self.users.iter().filter(|u| u.created_by.as_deref() == Some(token)).map(|u| u.id).collect();
        let mut forgotten_addresses = HashSet::new();
        for id in &created {
            if let Some((_, user)) = self.users.remove(id) {
                forgotten_addresses.insert(user.profile.email.key());
                self.by_email.remove(&user.profile.email.key());
            }
        }
        self.users.iter_mut().for_each(|mut u| {
            if u.team_master.is_some_and(|m| created.contains(&m)) {
                Arc::make_mut(&mut u).team_master = None;
            }
        });
        self.visible.remove(token);
        self.visible.iter_mut().for_each(|mut ids| ids.retain(|id| !created.contains(id)));
        self.links.retain(|_, l| l.partner != token && !created.contains(&l.user_id));
        self.outbox().retain(|e| e.partner != token && !forgotten_addresses.contains(&e.to.to_lowercase()));
        self.journal.forget(Some(token));
        self.faults.clear(Some(token));
    }
}

/// A random 32-character secret for generated tokens and keys.
fn random_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
