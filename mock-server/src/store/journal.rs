//! The request journal: what each API call asked and what it was answered.
//! Bounded, not kept in the state file; resets forget it (all, or a partner's).
//!
//! Lock order: one mutex; old entries are freed after it is released.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use super::tracked::Changes;
use crate::protocol::date::format_paris;
use crate::protocol::params::{FileRecord, Params};

/// Parameters whose values never leave the journal.
const SECRET_PARAMS: [&str; 1] = ["password"];

/// One API call. It keeps the call's parameters as they came (shared, not
/// copied) and masks secrets when read: there is no signature among them, and
/// a `password` shows as `********`.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// Increasing number, in arrival order of answers.
    pub seq: u64,
    /// When it was answered, shown in Paris local time.
    #[serde(serialize_with = "paris_time")]
    pub time: DateTime<Utc>,
    /// HTTP method.
    pub method: String,
    /// Path below `/api/`, e.g. `user/list`.
    pub route: String,
    /// The `token` parameter, if any.
    pub token: Option<String>,
    /// The parameters.
    #[serde(serialize_with = "masked")]
    pub params: Arc<Params>,
    /// The file parts: name, size and SHA-1, never their bytes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileRecord>,
    /// The HTTP status answered.
    pub http_status: u16,
    /// `SUCCESS`, `ERROR`, `maintenance` or `dropped`.
    pub status: &'static str,
    /// The error slug, for an error.
    pub slug: Option<&'static str>,
    /// The injected fault that answered, if any (`maintenance`, `error`, `delay`, `drop`).
    pub fault: Option<&'static str>,
    /// For a failed call: why, in plain words, for the developer (never a secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn paris_time<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_paris(*time))
}

fn masked<S: Serializer>(params: &Arc<Params>, serializer: S) -> Result<S::Ok, S::Error> {
    let shown: BTreeMap<&str, &str> = params
        .pairs()
        .iter()
        .map(|(k, v)| (k.as_str(), if SECRET_PARAMS.contains(&k.as_str()) { "********" } else { v.as_str() }))
        .collect();
    shown.serialize(serializer)
}

/// A bounded journal: the oldest entries go first.
#[derive(Debug)]
pub struct Journal {
    inner: Mutex<Entries>,
    limit: usize,
    /// Told of every entry (the console shows them).
    changes: Arc<Changes>,
}

#[derive(Debug, Default)]
struct Entries {
    last_seq: u64,
    list: VecDeque<JournalEntry>,
}

impl Journal {
    /// An empty journal keeping at most `limit` entries.
    pub fn new(limit: usize, changes: &Arc<Changes>) -> Self {
        Self { inner: Mutex::new(Entries::default()), limit, changes: Arc::clone(changes) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding this lock cannot leave a half-written entry.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends, numbering the entry and dropping the oldest beyond the limit.
    pub fn push(&self, mut entry: JournalEntry) {
        let dropped = {
            let mut entries = self.lock();
            entries.last_seq += 1;
            entry.seq = entries.last_seq;
            entries.list.push_back(entry);
            let excess = entries.list.len().saturating_sub(self.limit);
            entries.list.drain(..excess).collect::<Vec<_>>()
        };
        // Old entries are freed after the lock is released: other calls need not wait for it.
        drop(dropped);
        self.changes.bump();
    }

    /// The journal, oldest first, for one partner or all.
    pub fn entries(&self, token: Option<&str>) -> Vec<JournalEntry> {
        self.lock().list.iter().filter(|e| token.is_none_or(|t| e.token.as_deref() == Some(t))).cloned().collect()
    }

    /// Forgets the entries of one partner (or all).
    pub fn forget(&self, token: Option<&str>) {
        self.lock().list.retain(|e| token.is_some_and(|t| e.token.as_deref() != Some(t)));
        self.changes.bump();
    }
}
