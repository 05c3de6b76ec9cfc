//! The business clock's runner: what falls due (letters' events, webhook
//! attempts) is done here, and nowhere else.
//!
//! - The ticker, every [`TICK_MS`] while the mock serves (and at once when
//!   a webhook attempt is queued), does what is due by now;
//!   webhook attempts run in their own tasks, bounded, never on the path of
//!   an API answer. Its passes are counted (`GET /_mock/clock`'s `ticks`).
//! - [`Runner::advance`] (`POST /_mock/clock`) first waits for attempts under
//!   way, then moves the clock and does everything due up to the new time
//!   one by one, in the order it fell due, each attempt made and its outcome
//!   recorded before the next: when it answers, everything has happened.
//!
//! Each piece of work is stamped with the business time it fell due.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tokio::sync::RwLock;

use crate::store::Store;
use crate::store::Work;
use crate::store::lifecycle::Due;
use crate::webhook_sender::Webhooks;

/// How often the business clock is checked for what fell due, in milliseconds.
pub const TICK_MS: u64 = 200;

/// What one advance of the clock did, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fired {
    /// Recipients notified.
    pub notifications: u64,
    /// Reminders sent.
    pub reminders: u64,
    /// Letters neglected.
    pub negligences: u64,
    /// Webhook attempts made (whatever they were answered).
    pub webhook_attempts: u64,
}

impl Fired {
    fn count(&mut self, work: &Work) {
        match work {
            Work::Fired(Due::Notify) => self.notifications += 1,
            Work::Fired(Due::Remind) => self.reminders += 1,
            Work::Fired(Due::Neglect) => self.negligences += 1,
            Work::Attempt(_) => self.webhook_attempts += 1,
            Work::Nothing => {}
        }
    }
}

/// Does what falls due.
#[derive(Debug)]
pub struct Runner {
    /// Held (shared) by each ticker pass and attempt under way; held alone by an advance.
    gate: Arc<RwLock<()>>,
    /// Ticker passes completed.
    ticks: AtomicU64,
    webhooks: Arc<Webhooks>,
}

impl Runner {
    /// A runner posting webhooks with `webhooks`.
    pub fn new(webhooks: Webhooks) -> Self {
        Self { gate: Arc::default(), ticks: AtomicU64::new(0), webhooks: Arc::new(webhooks) }
    }

    /// Ticker passes completed so far.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::SeqCst)
    }

    /// One pass of the ticker: everything due by now; attempts in their own tasks.
    async fn pass(&self, store: &Arc<Store>) {
        loop {
            // Taken before the work, so that an advance waits for this pass and its attempts.
            let shared = Arc::clone(&self.gate).read_owned().await;
            match store.next_work(store.clock.now()) {
                None => break,
                Some(Work::Attempt(due)) => {
                    let (webhooks, store) = (Arc::clone(&self.webhooks), Arc::clone(store));
                    tokio::spawn(async move {
                        let attempt = webhooks.attempt(&due).await;
                        store.record_attempt(due.id, attempt);
                        drop(shared);
                    });
                }
                Some(_) => {}
            }
        }
        self.ticks.fetch_add(1, Ordering::SeqCst);
    }

    /// Moves the business clock forward by `seconds` and does, in order,
    /// everything due up to the new time; answers what it did.
    pub async fn advance(&self, store: &Store, seconds: u32) -> Fired {
        let _alone = self.gate.write().await;
        store.advance_clock(seconds);
        let until = store.clock.now();
        let mut fired = Fired::default();
        while let Some(work) = store.next_work(until) {
            fired.count(&work);
            if let Work::Attempt(due) = work {
                let attempt = self.webhooks.attempt(&due).await;
                store.record_attempt(due.id, attempt);
            }
        }
        fired
    }
}

/// Runs the ticker until the task is dropped.
pub async fn run(runner: Arc<Runner>, store: Arc<Store>) {
    let mut every = tokio::time::interval(std::time::Duration::from_millis(TICK_MS));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = store.mail().attempt_queued() => {}
        }
        runner.pass(&store).await;
    }
}
