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

pub mod attachment;
pub mod changes;
pub mod charges;
pub mod clock;
pub mod faults;
pub mod ids;
pub mod journal;
pub mod letter;
pub mod lifecycle;
pub mod otp;
pub mod outbox;
pub mod partner;
mod sending;
pub mod snapshot;
pub mod user;
pub mod webhook;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::domain::{Email as Address, NewUser, UserRef};
use crate::slug::Slug;
use journal::{Journal, JournalEntry};
use outbox::{Email, Link, LinkKind, Partnership};
use partner::{NewPartner, Partner, PartnerPatch};
use user::{User, UserAnswer};

pub use sending::{LetterFilter, SendOrder};

/// The hasher of the maps of users and ids: a million of them are hashed at
/// start, and SipHash (the standard one) took a tenth of that time.
pub type Hasher = foldhash::fast::RandomState;

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

pub use crate::domain::page::Order;

/// The in-memory state of one mock.
#[derive(Debug)]
pub struct Store {
    gate: RwLock<()>,
    public_url: String,
    next_user_id: AtomicU64,
    next_email_id: AtomicU64,
    /// Users behind `Arc`: reads share them, changes copy on write, and the map stays small to grow.
    users: DashMap<u64, Arc<User>, Hasher>,
    by_email: DashMap<String, u64, Hasher>,
    /// Per partner token, the users it may see (created or granted).
    visible: DashMap<String, ids::IdSet>,
    partners: DashMap<String, Arc<Partner>>,
    outbox: Mutex<Vec<Email>>,
    links: DashMap<String, Link>,
    journal: Journal,
    /// Injected faults.
    pub faults: faults::Faults,
    /// The business clock.
    pub clock: clock::Clock,
    next_attachment_id: AtomicU64,
    next_letter_id: AtomicU64,
    next_charge_id: AtomicU64,
    attachments: DashMap<u64, attachment::Attachment>,
    /// Attachment bytes, once per content, by SHA-1.
    blobs: DashMap<String, bytes::Bytes>,
    letters: DashMap<u64, letter::Letter>,
    charges: Mutex<Vec<charges::Charge>>,
    otp: otp::Otp,
    timings: RwLock<lifecycle::Timings>,
    next_delivery_id: AtomicU64,
    deliveries: Mutex<Vec<webhook::Delivery>>,
    /// Counts changes to accounts, for [`Store::fingerprint`].
    user_changes: AtomicU64,
    /// What changed since the state file was last written.
    changes: changes::Changes,
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
            users: DashMap::with_hasher_and_shard_amount(Hasher::default(), SHARDS),
            by_email: DashMap::with_hasher_and_shard_amount(Hasher::default(), SHARDS),
            visible: DashMap::new(),
            partners: DashMap::new(),
            outbox: Mutex::new(Vec::new()),
            links: DashMap::new(),
            journal: Journal::new(journal_limit),
            faults: faults::Faults::default(),
            clock: clock::Clock::default(),
            next_attachment_id: AtomicU64::new(1),
            next_letter_id: AtomicU64::new(1),
            next_charge_id: AtomicU64::new(1),
            attachments: DashMap::new(),
            blobs: DashMap::new(),
            letters: DashMap::new(),
            charges: Mutex::new(Vec::new()),
            otp: otp::Otp::default(),
            timings: RwLock::new(lifecycle::Timings::default()),
            next_delivery_id: AtomicU64::new(1),
            deliveries: Mutex::new(Vec::new()),
            user_changes: AtomicU64::new(0),
            changes: changes::Changes::default(),
        };
        for partner in partners {
            store.partners.insert(partner.token.clone(), Arc::new(partner));
        }
        store
    }

    /// Makes room in the user maps for `users` accounts at once.
    pub fn make_room(&mut self, users: usize) {
        let per_shard = users.div_ceil(SHARDS);
        // Only an optimisation: a map that cannot reserve grows as it fills.
        let _ = self.users.try_reserve(per_shard);
        let _ = self.by_email.try_reserve(per_shard);
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
        self.attachments.clear();
        self.blobs.clear();
        self.letters.clear();
        self.charges().clear();
        self.otp.clear();
        self.deliveries.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn charges(&self) -> MutexGuard<'_, Vec<charges::Charge>> {
        self.charges.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn outbox(&self) -> MutexGuard<'_, Vec<Email>> {
        self.outbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ----- partners -----

    /// The partner with this token.
    pub fn partner(&self, token: &str) -> Option<Arc<Partner>> {
        self.partners.get(token).map(|p| Arc::clone(&p))
    }

    /// Every partner, by token.
    pub fn partner_list(&self) -> Vec<Arc<Partner>> {
        let mut list: Vec<Arc<Partner>> = self.partners.iter().map(|p| Arc::clone(&p)).collect();
        list.sort_by(|a, b| a.token.cmp(&b.token));
        list
    }

    /// Registers a partner; missing token and key are generated.
    pub fn add_partner(&self, new: NewPartner) -> Result<Arc<Partner>, Slug> {
        let token = new.token.filter(|t| !t.trim().is_empty()).unwrap_or_else(random_secret);
        let private_key = new.private_key.filter(|k| !k.is_empty()).unwrap_or_else(random_secret);
        let name = new.name.unwrap_or_else(|| format!("Partner {}", token.chars().take(8).collect::<String>()));
        match self.partners.entry(token.clone()) {
            Entry::Occupied(_) => Err(Slug::PartnerAlreadyExists),
            Entry::Vacant(slot) => {
                let partner = Arc::new(
                    Partner::new(token, private_key, name, new.cgu_preaccepted, new.global_billing)
                        .with_webhook(new.webhook),
                );
                slot.insert(Arc::clone(&partner));
                self.changes.partner(&partner.token);
                Ok(partner)
            }
        }
    }

    /// Changes a partner's settings.
    pub fn update_partner(&self, token: &str, patch: &PartnerPatch) -> Option<Arc<Partner>> {
        let mut slot = self.partners.get_mut(token)?;
        let updated = Arc::new(slot.patched(patch));
        *slot = Arc::clone(&updated);
        self.changes.partner(token);
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
                    creation: self.clock.now_paris().into(),
                    cgu: account.cgu,
                    notif_cgu: false,
                    payment_method: account.payment_method,
                    team_master: None,
                    created_by: account.created_by.as_deref().map(user::shared_token),
                    identity_verified: false,
                    otp_secret: None,
                });
                // The user exists before its email points at it, so a lookup
                // by email never finds an id without a user.
                self.users.insert(id, Arc::clone(&user));
                self.user_changes.fetch_add(1, Ordering::Relaxed);
                self.changes.user(id);
                if let Some(token) = &user.created_by {
                    self.visible.entry(token.to_string()).or_default().insert(id);
                    self.changes.seen(token, id);
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

    /// Who pays for what `partner`'s API does for `user`, in AR24's order: the
    /// user's own payment method, else the team administrator's, else the
    /// partner's global billing (API actions only: `partner` is `None` otherwise).
    pub fn payer_for(&self, user: &User, partner: Option<&Partner>) -> Option<charges::Payer> {
        if user.payment_method {
            return Some(charges::Payer::User);
        }
        if let Some(master) = user.team_master.filter(|m| self.users.get(m).is_some_and(|m| m.payment_method)) {
            return Some(charges::Payer::TeamMaster { id: master });
        }
        partner.filter(|p| p.global_billing).map(|p| charges::Payer::Partner { token: p.token.clone() })
    }

    /// Whether the user can pay for what `partner`'s API does (see [`Store::payer_for`]).
    pub fn can_pay(&self, user: &User, partner: Option<&Partner>) -> bool {
        self.payer_for(user, partner).is_some()
    }

    /// The user object as `partner` is answered it.
    pub fn view(&self, user: &Arc<User>, partner: &Partner) -> UserAnswer {
        UserAnswer { payment_possible: self.can_pay(user, Some(partner)), user: Arc::clone(user) }
    }

    /// A page of the users `partner` sees, sorted by id.
    pub fn list_for(&self, partner: &Partner, max: usize, start: usize, order: Order) -> Vec<UserAnswer> {
        let ids = self.visible.get(&partner.token).map(|set| set.page(max, start, order)).unwrap_or_default();
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
        self.user_changes.fetch_add(1, Ordering::Relaxed);
        self.changes.user(id);
        Some(Arc::clone(&stored))
    }

    /// A number that changes whenever something a person watching the console
    /// would see changes: calls, emails, accounts, visibility, links, letters,
    /// webhook attempts, fault rules, the clock.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hash = std::collections::hash_map::DefaultHasher::new();
        self.journal.last_seq().hash(&mut hash);
        self.outbox().len().hash(&mut hash);
        (self.users.len(), self.user_changes.load(Ordering::Relaxed)).hash(&mut hash);
        self.visible.iter().map(|v| v.iter().len()).sum::<usize>().hash(&mut hash);
        self.links.iter().filter(|l| l.used_at.is_some()).count().hash(&mut hash);
        let mut letters: Vec<(u64, &'static str)> = self.letters.iter().map(|l| (l.id, l.status.as_str())).collect();
        letters.sort_unstable();
        letters.hash(&mut hash);
        self.webhook_deliveries(None).iter().map(|d| d.attempts.len()).sum::<usize>().hash(&mut hash);
        self.faults.list().iter().map(|f| (f.id, f.served)).collect::<Vec<_>>().hash(&mut hash);
        (self.clock.offset(), self.partners.len()).hash(&mut hash);
        hash.finish()
    }

    /// The latest `limit` accounts, newest first, each with the names of the partners that see it.
    pub fn accounts(&self, limit: usize) -> Vec<(Arc<User>, Vec<String>)> {
        let mut ids: Vec<u64> = self.users.iter().map(|u| u.id).collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.truncate(limit);
        ids.into_iter()
            .filter_map(|id| self.user(id))
            .map(|user| {
                let mut seen_by: Vec<String> = self
                    .visible
                    .iter()
                    .filter(|v| v.value().contains(&user.id))
                    .map(|v| self.partner_name(v.key()))
                    .collect();
                seen_by.sort();
                (user, seen_by)
            })
            .collect()
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
            letter_id: None,
            used_at: None,
        };
        self.changes.link(&id);
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
        let from =
            Partnership { token: &partner.token, name: &partner.name, other: master.map(|m| m.profile.email.as_str()) };
        self.post(kind, user.profile.email.as_str(), &from, link.url)
    }

    /// Puts an email in the outbox.
    fn post(&self, kind: LinkKind, to: &str, from: &Partnership<'_>, link: String) -> Email {
        let id = self.next_email_id.fetch_add(1, Ordering::Relaxed);
        let email = Email::compose(id, kind, to, from, link, self.clock.now_paris());
        self.outbox().push(email.clone());
        self.changes.email(id);
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

    /// What a link asks, in a sentence naming the partner and any team administrator or letter sender.
    pub fn request_of(&self, link: &Link) -> String {
        let master = link.master_id.and_then(|id| self.user(id)).map(|m| m.profile.email.as_str().to_owned());
        let sender = link.letter_id.and_then(|id| self.letters.get(&id).map(|l| l.from.name.clone()));
        link.kind.request(&self.partner_name(&link.partner), master.or(sender).as_deref())
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
        link.used_at = Some(self.clock.now_paris());
        self.changes.link(id);
        Ok(link.clone())
    }

    /// The recipient of a letter, identified, refuses it through its link, once.
    pub fn refuse_by_link(&self, id: &str) -> Result<Link, LinkError> {
        let _shared = self.shared();
        let mut link = self.links.get_mut(id).ok_or(LinkError::NotFound)?;
        if !matches!(link.kind, LinkKind::Letter | LinkKind::Reminder) {
            return Err(LinkError::NotFound);
        }
        if link.used_at.is_some() {
            return Err(LinkError::Used);
        }
        let letter = link.letter_id.ok_or(LinkError::Obsolete)?;
        self.apply_event(letter, lifecycle::Event::Refuse, self.clock.now()).map_err(|_| LinkError::Obsolete)?;
        link.used_at = Some(self.clock.now_paris());
        self.changes.link(id);
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
            LinkKind::Letter | LinkKind::Reminder => {
                let letter = link.letter_id.ok_or(obsolete)?;
                self.apply_event(letter, lifecycle::Event::Accept, self.clock.now()).map_err(|_| obsolete)?;
            }
            LinkKind::Notification => return Err(obsolete),
            LinkKind::Access => {
                if !self.users.contains_key(&link.user_id) {
                    return Err(obsolete);
                }
                self.visible.entry(link.partner.clone()).or_default().insert(link.user_id);
                self.changes.seen(&link.partner, link.user_id);
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
        self.changes.everything();
        self.journal.forget(None);
        self.faults.clear(None);
    }

    /// Forgets what one partner made: the users it created (everywhere), its
    /// access to other users, its emails and links, its journal. Other
    /// partners' data stays, but for the accounts this partner created.
    pub fn reset_partner(&self, token: &str) {
        let _exclusive = self.exclusive();
        self.changes.everything();
        let created: HashSet<u64> =
            self.users.iter().filter(|u| u.created_by.as_deref() == Some(token)).map(|u| u.id).collect();
        let mut forgotten_addresses = HashSet::new();
        for id in &created {
            if let Some((_, user)) = self.users.remove(id) {
                forgotten_addresses.insert(user.profile.email.key());
                self.by_email.remove(&user.profile.email.key());
            }
        }
        // Only what changes is locked for writing: calls reading other
        // accounts go on meanwhile, however many are stored.
        if !created.is_empty() {
            let members: Vec<u64> = self
                .users
                .iter()
                .filter(|u| u.team_master.is_some_and(|m| created.contains(&m)))
                .map(|u| u.id)
                .collect();
            for id in members {
                self.change_user(id, |u| u.team_master = None);
            }
        }
        self.visible.remove(token);
        let seeing: Vec<String> = self
            .visible
            .iter()
            .filter(|ids| created.iter().any(|id| ids.contains(id)))
            .map(|ids| ids.key().clone())
            .collect();
        for other in seeing {
            if let Some(mut ids) = self.visible.get_mut(&other) {
                ids.retain(|id| !created.contains(id));
            }
        }
        self.links.retain(|_, l| l.partner != token && !created.contains(&l.user_id));
        self.forget_sending(token, &created);
        self.outbox().retain(|e| e.partner != token && !forgotten_addresses.contains(&e.to.to_lowercase()));
        self.journal.forget(Some(token));
        self.faults.clear(Some(token));
    }
}

/// A random 32-character secret for generated tokens and keys.
fn random_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
