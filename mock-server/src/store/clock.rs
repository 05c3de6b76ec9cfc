//! The mock's business clock: real time plus an offset that only moves
//! forward. Letter dates, OTP-hash expiry and charges follow it; the date
//! window of authentication follows the real clock. The offset is kept in
//! the state file (in the counters record), so that what is due stays due
//! after a restart. No lock: the offset is an atomic.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

use super::tracked::{Changes, Marks, Taken};
use crate::protocol::date::format_paris;

/// Real time, moved forward by `offset` seconds.
#[derive(Debug)]
pub struct Clock {
    offset: AtomicI64,
    /// Marked when the offset moves (as new: the counters line that carries
    /// it, written with every append, the state file's writer counts itself).
    moved: Marks<()>,
}

impl Clock {
    /// A clock at real time.
    pub fn new(changes: &Arc<Changes>) -> Self {
        Self { offset: AtomicI64::new(0), moved: Marks::new(changes) }
    }

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

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: u32) {
        self.offset.fetch_add(i64::from(seconds), Ordering::SeqCst);
        self.moved.mark_new(());
    }

    /// Sets how far ahead of real time the clock is (a restored state's).
    pub(super) fn set_offset(&self, seconds: i64) {
        self.offset.store(seconds, Ordering::SeqCst);
        self.moved.mark_new(());
    }

    /// Whether the offset moved since this was last asked.
    pub(super) fn take_moved(&self) -> bool {
        matches!(self.moved.take(), Taken::Keys(keys) if !keys.is_empty())
    }
}
