//! All of the mock's state: one aggregate per concern, behind a small facade.
//!
//! | aggregate | holds | in the state file |
//! |---|---|---|
//! | [`partners`] | partners by token | yes |
//! | [`accounts`] | users, the email index, visibility, teams | yes |
//! | [`outbox`] | emails and one-use links | yes |
//! | [`mail`] | attachments and contents, letters, charges, webhook deliveries | yes |
//! | [`clock`] | the business clock's offset | yes (in the counters) |
//! | [`identity`] | used OTP codes, `auth_otp` hashes | no |
//! | [`journal`] | the request journal | no |
//! | [`faults`] | injected fault rules | no |
//!
//! Each aggregate owns its maps and their lock order (at the top of its
//! file), its write methods, its records in the state log and their replay,
//! its part of the state document and of both resets. Its containers
//! (`tracked.rs`) mark what each write changed, so the state file follows
//! every write without any call site marking anything.
//!
//! Handlers never touch a map. Reads of one aggregate go through its
//! accessor ([`Store::mail`], ...); reads that span aggregates, and every
//! write, are methods of the facade. A write that spans aggregates is a
//! named operation (`ops/`) calling each aggregate's own write path, in this
//! order: partners → accounts → outbox → mail → identity.
//!
//! Lock order across aggregates: the `gate` first, then one aggregate's
//! locks at a time: no aggregate's guard is held while another aggregate is
//! called (each write copies out what it answers), so no two aggregates can
//! wait on each other. Resets and imports take the `gate` for writing, every
//! other write takes it for reading, so a reset never interleaves with a
//! half-done change.

pub mod accounts;
pub mod clock;
pub mod faults;
pub mod identity;
pub mod journal;
pub mod mail;
mod ops;
pub mod outbox;
pub mod partners;
pub mod record;
mod seed;
pub mod shared;
pub mod snapshot;
pub mod tracked;

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use crate::domain::page::Order;
pub use accounts::{NewAccount, user};
pub use mail::{LetterFilter, attachment, charges, letter, lifecycle, webhook};
pub use ops::{SendOrder, Work};
pub use outbox::LinkError;
pub use partners::partner;
pub use record::Record;

use crate::domain::{EmailAddress, UserRef};
use crate::slug::Slug;
use accounts::Accounts;
use journal::{Journal, JournalEntry};
use mail::Mail;
use outbox::Outbox;
use partner::{NewPartner, Partner, PartnerPatch};
use partners::Partners;
use tracked::Changes;
use user::{User, UserAnswer};

/// The hasher of the maps of users and ids: a million of them are hashed at
/// start, and SipHash (the standard one) took a tenth of that time.
pub type Hasher = foldhash::fast::RandomState;

/// The in-memory state of one mock.
#[derive(Debug)]
pub struct Store {
    gate: RwLock<()>,
    changes: Arc<Changes>,
    /// The business clock.
    pub clock: Arc<clock::Clock>,
    partners: Partners,
    accounts: Accounts,
    outbox: Outbox,
    mail: Mail,
    identity: identity::Otp,
    journal: Journal,
    /// Injected faults.
    pub faults: faults::Faults,
}

/// What changed since the state file was last written.
#[derive(Debug)]
pub enum Changed {
    /// A reset or an import: only a whole rewrite carries it.
    Everything,
    /// The records of each changed thing as it is now, the counters last (none when nothing changed).
    Records(Vec<Record>),
}

impl Store {
    /// An empty store whose links start with `public_url`, with these partners.
    pub fn new(public_url: &str, journal_limit: usize, partners: impl IntoIterator<Item = Partner>) -> Self {
        let public_url = public_url.trim_end_matches('/');
        let changes = Arc::new(Changes::default());
        let clock = Arc::new(clock::Clock::new(&changes));
        Self {
            gate: RwLock::new(()),
            partners: Partners::new(&changes, partners),
            accounts: Accounts::new(&changes, &clock),
            outbox: Outbox::new(&changes, &clock, public_url),
            mail: Mail::new(&changes, &clock, public_url),
            identity: identity::Otp::default(),
            journal: Journal::new(journal_limit, &changes),
            faults: faults::Faults::new(&changes),
            clock,
            changes,
        }
    }

    /// Makes room in the user maps for `users` accounts at once.
    pub fn make_room(&mut self, users: usize) {
        self.accounts.make_room(users);
    }

    fn shared(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Held by resets, exports and imports: no change interleaves with them.
    fn exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        self.gate.write().unwrap_or_else(PoisonError::into_inner)
    }

    // ----- reads of one aggregate -----

    /// Partners.
    pub fn partners(&self) -> &Partners {
        &self.partners
    }

    /// Accounts.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The outbox.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Mail.
    pub fn mail(&self) -> &Mail {
        &self.mail
    }

    /// The partner with this token.
    pub fn partner(&self, token: &str) -> Option<Arc<Partner>> {
        self.partners.get(token)
    }

    /// The user, if it exists.
    pub fn user(&self, id: u64) -> Option<Arc<User>> {
        self.accounts.get(id)
    }

    /// A number that grows with every change a person watching the console
    /// would see: calls, emails, accounts, visibility, links, letters,
    /// webhook attempts, fault rules, the clock, partners.
    pub fn version(&self) -> u64 {
        self.changes.version()
    }

    // ----- reads across aggregates -----

    /// The user as `partner` may reach it: `user_not_exist` or `user_unavailable` otherwise.
    pub fn user_for(&self, partner: &Partner, by: &UserRef) -> Result<Arc<User>, Slug> {
        let user = self.accounts.find(by).ok_or(Slug::UserNotExist)?;
        if self.accounts.is_visible(&partner.token, user.id) { Ok(user) } else { Err(Slug::UserUnavailable) }
    }

    /// The user with this email, if any.
    pub fn user_by_email(&self, email: &EmailAddress) -> Option<Arc<User>> {
        self.accounts.find(&UserRef::Email(email.clone()))
    }

    /// Who pays for what `partner`'s API does for `user` (see [`Accounts::payer_for`]).
    pub fn payer_for(&self, user: &User, partner: Option<&Partner>) -> Option<charges::Payer> {
        self.accounts.payer_for(user, partner)
    }

    /// The user object as `partner` is answered it.
    pub fn view(&self, user: &Arc<User>, partner: &Partner) -> UserAnswer {
        self.accounts.answer(user, partner)
    }

    /// A page of the users `partner` sees, sorted by id.
    pub fn list_for(&self, partner: &Partner, max: usize, start: usize, order: Order) -> Vec<UserAnswer> {
        let ids = self.accounts.visible_page(&partner.token, max, start, order);
        ids.into_iter().filter_map(|id| self.user(id)).map(|u| self.view(&u, partner)).collect()
    }

    /// The latest `limit` accounts, newest first, each with the names of the partners that see it.
    pub fn latest_accounts(&self, limit: usize) -> Vec<(Arc<User>, Vec<String>)> {
        let ids = self.accounts.latest_ids(limit);
        ids.into_iter()
            .filter_map(|id| self.user(id))
            .map(|user| {
                let mut seen_by: Vec<String> =
                    self.accounts.seen_by(user.id).iter().map(|token| self.partners.name(token)).collect();
                seen_by.sort();
                (user, seen_by)
            })
            .collect()
    }

    /// What a link asks, in a sentence naming the partner and any team administrator or letter sender.
    pub fn request_of(&self, link: &outbox::Link) -> String {
        let master = link.master_id.and_then(|id| self.user(id)).map(|m| m.profile.email.as_str().to_owned());
        let sender = link.letter_id.and_then(|id| self.mail.letter(id)).map(|l| l.from.name.clone());
        link.kind.request(&self.partners.name(&link.partner), master.or(sender).as_deref())
    }

    // ----- writes of one aggregate -----

    /// Registers a partner; missing token and key are generated.
    pub fn add_partner(&self, new: NewPartner) -> Result<Arc<Partner>, Slug> {
        let _shared = self.shared();
        self.partners.add(new)
    }

    /// Changes a partner's settings.
    pub fn update_partner(&self, token: &str, patch: &PartnerPatch) -> Option<Arc<Partner>> {
        let _shared = self.shared();
        self.partners.update(token, patch)
    }

    /// Creates an account; `user_already_exist` if its email has one.
    pub fn create_user(&self, account: NewAccount) -> Result<Arc<User>, Slug> {
        let _shared = self.shared();
        self.accounts.create(account)
    }

    /// The account holder registers a payment method on the website.
    pub fn add_payment_method(&self, id: u64) -> Option<Arc<User>> {
        let _shared = self.shared();
        self.accounts.change(id, |u| u.payment_method = true)
    }

    /// The account holder confirms their address.
    pub fn confirm_user(&self, id: u64) -> Option<Arc<User>> {
        let _shared = self.shared();
        self.accounts.change(id, |u| u.profile.confirmed = true)
    }

    /// Moves the business clock forward by `seconds`, kept in the state file.
    pub fn advance_clock(&self, seconds: u32) {
        let _shared = self.shared();
        self.clock.advance(seconds);
    }

    /// Records one API call.
    pub fn record_request(&self, entry: JournalEntry) {
        self.journal.push(entry);
    }

    /// The journal, oldest first, for one partner or all.
    pub fn requests(&self, token: Option<&str>) -> Vec<JournalEntry> {
        self.journal.entries(token)
    }

    /// Records a webhook attempt (see [`Mail::record_attempt`]).
    pub fn record_attempt(&self, id: u64, attempt: webhook::Attempt) {
        let _shared = self.shared();
        self.mail.record_attempt(id, attempt);
    }

    /// Sends a webhook delivery again now, whatever became of it.
    pub fn replay_delivery(&self, id: u64) -> Option<webhook::Delivery> {
        let _shared = self.shared();
        self.mail.replay_delivery(id)
    }

    /// Sets the timings of a letter's life (from the configuration).
    pub fn set_timings(&self, timings: lifecycle::Timings) {
        self.mail.set_timings(timings);
    }

    // ----- resets -----

    /// Forgets every account, email, link, letter, upload, charge, delivery,
    /// OTP hash (the caller holds `exclusive`); keeps partners.
    fn clear_data(&self) {
        self.accounts.clear();
        self.outbox.clear();
        self.mail.clear();
        self.identity.clear();
    }

    /// Forgets all users, emails, links, teams, mail, the journal and the fault rules; keeps partners.
    pub fn reset(&self) {
        let _exclusive = self.exclusive();
        self.clear_data();
        self.journal.forget(None);
        self.faults.clear(None);
    }

    /// Forgets what one partner made: the users it created (everywhere), its
    /// access to other users, its emails, links, mail, OTP hashes, journal and
    /// fault rules. Other partners' data stays, but for the accounts this
    /// partner created.
    pub fn reset_partner(&self, token: &str) {
        let _exclusive = self.exclusive();
        // Every forgotten thing the state file holds is marked, which counts
        // as a change (the journal and the fault rules, which it does not
        // hold, are forgotten after the count is read).
        let before = self.changes.version();
        let forgotten = self.accounts.forget_partner(token);
        self.outbox.forget_partner(token, &forgotten);
        self.mail.forget_partner(token, &forgotten);
        self.identity.forget_partner(token);
        let forgot = self.changes.version() != before;
        self.journal.forget(Some(token));
        self.faults.clear(Some(token));
        // Like a reset, it compacts the state file, when it forgot something
        // the file holds: at a million letters a rewrite is a minute of a
        // core and the next reset waits for its gathering, and a suite's
        // partner, reset between its tests, has often made nothing since.
        if forgot {
            self.changes.rewrite_whole();
        }
    }

    // ----- the state file -----

    /// Starts marking changes for the state file.
    pub fn track_changes(&self) {
        self.changes.track();
    }

    /// What changed since the last call, each changed thing as it is now.
    /// (A thing changed again meanwhile is marked again and written again.)
    pub fn take_changes(&self) -> Changed {
        let mut records = Vec::new();
        // Every aggregate's marks are taken, even once one says everything.
        let parts = [
            self.partners.changed_records(&mut records),
            self.accounts.changed_records(&mut records),
            self.outbox.changed_records(&mut records),
            self.mail.changed_records(&mut records),
        ];
        let moved = self.clock.take_moved();
        let whole = self.changes.take_rewrite_whole();
        if whole || parts.iter().any(Result::is_err) {
            return Changed::Everything;
        }
        if !records.is_empty() || moved {
            records.push(Record::Meta(record::Meta::Counters(self.counters())));
        }
        Changed::Records(records)
    }

    /// How many lines of the state file the changes taken since this was
    /// last asked supersede (see [`tracked::Changes::take_superseded`]).
    pub fn take_superseded(&self) -> u64 {
        self.changes.take_superseded()
    }

    /// The id counters and the clock's offset now.
    fn counters(&self) -> record::Counters {
        let mut counters = record::Counters { clock: self.clock.offset(), ..Default::default() };
        self.accounts.counters(&mut counters);
        self.outbox.counters(&mut counters);
        self.mail.counters(&mut counters);
        counters
    }

    /// The whole state, gathered for a rewrite of the log: resets and imports
    /// wait while it is gathered (users are gathered as `Arc`s, not copied), and
    /// nothing waits while it is written. A change made meanwhile is marked
    /// and written again after. Uploads, letters, emails, links, charges and
    /// webhook deliveries are taken in batches, `pause` called between them
    /// holding none of their locks: the state file's writer sleeps there, so
    /// that gathering millions of them leaves the API's calls their share of
    /// the cores, and appends there what changed meanwhile (it takes no gate).
    pub fn whole(&self, pause: &dyn Fn()) -> record::Whole {
        let _shared = self.shared();
        record::Whole {
            partners: self.partners.gather(),
            accounts: self.accounts.gather(),
            outbox: self.outbox.gather(pause),
            mail: self.mail.gather(pause),
            counters: self.counters(),
        }
    }
}
