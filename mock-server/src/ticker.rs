//! The business clock's ticker: every [`TICK_MS`] while the mock serves,
//! what fell due fires (letters' events, then webhook attempts), and the
//! ticks are counted, so that a test can tell that a tick went by.

use std::sync::atomic::{AtomicU64, Ordering};

/// How often the business clock is checked for what fell due, in milliseconds.
pub const TICK_MS: u64 = 200;

/// How many ticks completed.
#[derive(Debug, Default)]
pub struct Ticks(AtomicU64);

impl Ticks {
    /// Ticks completed so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Ticks every [`TICK_MS`] until the task is dropped.
pub async fn run(state: crate::AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_millis(TICK_MS));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        state.tick();
        state.ticks.0.fetch_add(1, Ordering::SeqCst);
    }
}
