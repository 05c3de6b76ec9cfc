//! The mock's business clock: real time plus an offset that only moves
//! forward. Letter dates, OTP-hash expiry and charges follow it; the date
//! window of authentication follows the real clock.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

use crate::protocol::date::format_paris;

/// Real time, moved forward by `offset` seconds.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// The business time now.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::seconds(self.offset.load(Ordering::SeqCst))
    }

    /// The business time now, Paris local time, AR24 format.
    pub fn now_paris(&self) -> String {
        format_paris(self.now())
    }

    /// Seconds the clock is ahead of real time.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `seconds` (through [`crate::store::Store::advance_clock`],
    /// which also keeps the move in the state file).
    pub(super) fn advance(&self, seconds: u32) {
        self.offset.fetch_add(i64::from(seconds), Ordering::SeqCst);
    }

    /// Sets how far ahead of real time the clock is (a restored state's).
    pub(super) fn set_offset(&self, seconds: i64) {
        self.offset.store(seconds, Ordering::SeqCst);
    }
}
