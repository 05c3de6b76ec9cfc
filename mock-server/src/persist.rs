//! The state file (`--state-file`): a log of records (`store/record.rs`),
//! one per line, `<CRC-32 of the JSON, 8 hex digits> <JSON>`.
//!
//! Every interval the things changed since the last write are appended, each
//! as it is now, so a write costs what changed, not what is stored. When more
//! than half of the log's lines are superseded (a later line of the same thing,
//! or a thing gone: what a rewrite would drop, counted by the marks of
//! `store/tracked.rs`) and it is past [`MIN_REWRITE`], or after a reset or an
//! import, it is rewritten whole: into a temporary file beside it, record by
//! record, with the changes made meanwhile appended, then renamed over it (the
//! way Redis rewrites its AOF). A log of things only added (letters sent,
//! accounts created) is never rewritten for its size: a rewrite would write
//! it again line for line.
//!
//! What a crash can do: a `kill -9` loses what changed since the last append
//! (at most one interval); a last line cut short is dropped with a warning;
//! any other damage stops the start and leaves the file as it is. A file that
//! holds one JSON document is a state written by an older mock (or a
//! `GET /_mock/state` export): it loads, and is rewritten as a log.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::store::record::{Decoded, Record, Replay};
use crate::store::snapshot::Snapshot;
use crate::store::{Changed, Store};

/// The log is not rewritten before it reaches this size.
pub const MIN_REWRITE: u64 = 16 * 1024 * 1024;

/// The most room kept for the next append's lines (see [`StateLog`]'s buffer).
const KEPT_LINES: usize = 64 * 1024 * 1024;

/// A rewrite in the background works this long at a time (see [`StateLog::write_paced`]).
pub const SLICE: std::time::Duration = std::time::Duration::from_micros(500);

/// Paces a rewrite while it is unhurried: after each [`SLICE`] of work, a
/// pause as long, so that it takes at most half of a core from the API.
struct Pacer {
    unhurried: Unhurried,
    slice: std::cell::Cell<Instant>,
}

impl Pacer {
    fn new(unhurried: Unhurried) -> Self {
        Self { unhurried, slice: std::cell::Cell::new(Instant::now()) }
    }

    /// Sleeps as long as the slice worked, once a slice is over.
    fn pause(&self) {
        let worked = self.slice.get().elapsed();
        if worked >= SLICE && (self.unhurried)() {
            std::thread::sleep(worked);
            self.slice.set(Instant::now());
        }
    }
}

/// Why the state file cannot be used: the mock does not start, and the file is left as it is.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// It exists but cannot be read.
    #[error("cannot read the state file {path}: {source} (fix it or remove it; it is left as it is)")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// It is not a state this mock wrote.
    #[error(
        "the state file {path} is not a valid ar24-mock state: {reason} (fix it or remove it; it is left as it is)"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// What the state file held.
#[derive(Debug)]
pub struct Saved {
    /// The state.
    pub snapshot: Snapshot,
    /// It was a log (not an older mock's single document).
    pub is_log: bool,
    /// A last line cut short by a crash: where it starts and what was wrong.
    pub torn: Option<(u64, String)>,
    /// The lines read (the one cut short left out; none for a single document).
    pub lines: u64,
}

/// The saved state, or `None` when there is no file yet (or an empty one).
pub fn load(path: &Path) -> Result<Option<Saved>, StateFileError> {
    let unreadable = |source| StateFileError::Unreadable { path: path.to_owned(), source };
    let corrupt = |reason: String| StateFileError::Corrupt { path: path.to_owned(), reason };
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(unreadable(source)),
    };
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let first = reader.fill_buf().map_err(unreadable)?.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        None => Ok(None),
        Some(b'{') => serde_json::from_reader(reader)
            .map(|snapshot| Some(Saved { snapshot, is_log: false, torn: None, lines: 0 }))
            .map_err(|err| corrupt(err.to_string())),
        Some(_) => {
            let threads = std::thread::available_parallelism().map_or(1, usize::from).min(8);
            read_log(reader, BATCH, threads)
        }
        .map_err(|err| match err {
            LogError::Io(source) => unreadable(source),
            LogError::Corrupt(reason) => corrupt(reason),
        }),
    }
}

enum LogError {
    Io(std::io::Error),
    Corrupt(String),
}

/// Lines are read in batches of about this many bytes, decoded on other threads.
const BATCH: usize = 4 * 1024 * 1024;

/// Replays the log in batches of about `batch_bytes`: while one is applied, up
/// to `threads` more are decoded, each on a thread of its own (a pipeline:
/// records are applied in the order of the file).
fn read_log(mut reader: impl Read, batch_bytes: usize, threads: usize) -> Result<Option<Saved>, LogError> {
    let mut replay = Replay::default();
    // Lines and bytes before the line being applied.
    let (mut number, mut offset) = (0u64, 0u64);
    // Batches already applied, kept to be filled again: their memory is not touched anew.
    let mut spare: Vec<Vec<u8>> = Vec::new();
    // The start of a line that the last batch cut.
    let mut carry: Vec<u8> = Vec::new();
    std::thread::scope(|scope| {
        let mut decoding = std::collections::VecDeque::new();
        loop {
            let mut batch = spare.pop().unwrap_or_default();
            batch.clear();
            batch.append(&mut carry);
            let at_end = fill(&mut reader, &mut batch, batch_bytes).map_err(LogError::Io)?;
            if !at_end {
                // Whole lines only: the rest starts the next batch.
                let cut = memchr::memrchr(b'\n', &batch).map_or(0, |i| i + 1);
                carry.extend_from_slice(&batch[cut..]);
                batch.truncate(cut);
            }
            if !batch.is_empty() {
                decoding.push_back(scope.spawn(move || {
                    let lines = decode_batch(&batch);
                    (batch, lines)
                }));
            }
            while decoding.len() > threads.saturating_sub(1) || (at_end && !decoding.is_empty()) {
                let decoded = decoding.pop_front().map(|d| d.join());
                let (batch, lines) = decoded
                    .and_then(Result::ok)
                    .ok_or_else(|| LogError::Corrupt("a record cannot be decoded".into()))?;
                spare.push(batch);
                let last_batch = at_end && decoding.is_empty();
                let count = lines.len();
                for (i, (line, decoded)) in lines.into_iter().enumerate() {
                    number += 1;
                    match decoded {
                        Ok(record) if line.complete => replay.apply(record),
                        failed => {
                            let reason = failed.err().unwrap_or_else(|| "the line has no end".to_owned());
                            // Only the last line may be cut short by a crash.
                            if last_batch && i + 1 == count && number > 1 {
                                return finish(replay, number - 1, Some((offset, reason)));
                            }
                            return Err(LogError::Corrupt(format!("line {number}: {reason}")));
                        }
                    }
                    if number == 1 && replay.format().is_none() {
                        return Err(LogError::Corrupt("the first line does not name the state's format".into()));
                    }
                    offset += line.len;
                }
            }
            if at_end {
                return finish(replay, number, None);
            }
        }
    })
}

/// Reads into `batch` until it holds `batch_bytes` and a line break (a line
/// may be longer than a batch), or the file ends; whether it ended.
fn fill(reader: &mut impl Read, batch: &mut Vec<u8>, batch_bytes: usize) -> std::io::Result<bool> {
    let mut searched = 0;
    loop {
        // Then twice as much each time, so that a long line is searched once.
        let wanted = batch_bytes.saturating_sub(batch.len()).max(batch.len()).max(64 * 1024);
        if reader.take(wanted as u64).read_to_end(batch)? < wanted {
            return Ok(true);
        }
        if memchr::memchr(b'\n', &batch[searched..]).is_some() {
            return Ok(false);
        }
        searched = batch.len();
    }
}

/// A line's length, and whether it ends with a line break.
struct Line {
    len: u64,
    complete: bool,
}

/// Decodes each line of `batch`, in order; its records share what they can (see [`Decoded`]).
fn decode_batch(batch: &[u8]) -> Vec<(Line, Result<Record, String>)> {
    let ends = memchr::memchr_iter(b'\n', batch).map(|i| i + 1).chain(std::iter::once(batch.len()));
    let mut start = 0;
    let mut shared = Decoded::default();
    ends.filter_map(|end| {
        let line = &batch[start..end];
        start = end;
        (!line.is_empty()).then_some(line)
    })
    .map(|line| {
        let mut decoded = decode(line);
        if let Ok(record) = &mut decoded {
            shared.share(record);
        }
        (Line { len: line.len() as u64, complete: line.ends_with(b"\n") }, decoded)
    })
    .collect()
}

fn finish(replay: Replay, lines: u64, torn: Option<(u64, String)>) -> Result<Option<Saved>, LogError> {
    Ok(Some(Saved { snapshot: replay.into_snapshot(), is_log: true, torn, lines }))
}

/// One record from one line.
fn decode(line: &[u8]) -> Result<Record, String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let (crc, json) = match (line.get(..8), line.get(8), line.get(9..)) {
        (Some(crc), Some(b' '), Some(json)) => (crc, json),
        _ => return Err("not `<crc> <record>`".into()),
    };
    let crc = std::str::from_utf8(crc).ok().and_then(|c| u32::from_str_radix(c, 16).ok()).ok_or("a bad CRC field")?;
    if crc32fast::hash(json) != crc {
        return Err("its CRC does not match".into());
    }
    serde_json::from_slice(json).map_err(|err| format!("not a record: {err}"))
}

/// Appends one record to `buffer` as a line: the JSON is written in place
/// and its CRC filled in before it (nothing is left of a record that fails).
/// Written by `sonic_rs`, which escapes strings many bytes at a time:
/// `serde_json`'s escaping, a byte at a time, was half of the writer's
/// instructions (README, "Still owed"). Read back by `serde_json` ([`decode`]):
/// any JSON reader reads the same lines.
fn encode(buffer: &mut Vec<u8>, record: &Record) -> std::io::Result<()> {
    let start = buffer.len();
    buffer.extend_from_slice(b"00000000 ");
    if let Err(err) = sonic_rs::to_writer(&mut *buffer, record) {
        buffer.truncate(start);
        return Err(std::io::Error::other(err));
    }
    let crc = crc32fast::hash(&buffer[start + 9..]);
    // Eight lowercase hex digits, as `{crc:08x}` writes them (by table: formatting was a
    // percent of the writer's time).
    hex::encode_to_slice(crc.to_be_bytes(), &mut buffer[start..start + 8]).map_err(std::io::Error::other)?;
    buffer.push(b'\n');
    Ok(())
}

/// Cuts a torn last line off, so that what is appended next follows a whole line.
pub fn drop_torn_tail(path: &Path, at: u64) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.set_len(at)?;
    file.sync_all()
}

/// What one write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Nothing had changed.
    Nothing,
    /// These many records were appended.
    Appended(usize),
    /// A whole rewrite began on a thread of its own.
    RewriteStarted,
    /// The log was rewritten whole.
    Rewritten {
        /// Its records.
        records: u64,
        /// Its size in bytes.
        bytes: u64,
        /// How long it took, in milliseconds.
        millis: u128,
    },
}

/// Whether a writer may take its time (it is in the background and not stopping).
pub type Unhurried = std::sync::Arc<dyn Fn() -> bool + Send + Sync>;

/// A writer that may not take its time: a stopping mock's last write.
pub fn in_a_hurry() -> Unhurried {
    std::sync::Arc::new(|| false)
}

/// What a log continued at start holds: its lines, and how many records the
/// state they make would be rewritten as (the rest are superseded).
#[derive(Debug, Clone, Copy)]
pub struct Held {
    /// The lines read.
    pub lines: u64,
    /// The records of the state they make ([`Snapshot::records`]).
    pub live: u64,
}

/// A whole rewrite in progress: the state gathered is written into a
/// temporary file by a thread of its own while changes go on being appended
/// to the log it will replace.
#[derive(Debug)]
struct Rewrite {
    temporary: PathBuf,
    started: Instant,
    worker: std::thread::JoinHandle<std::io::Result<(BufWriter<File>, u64)>>,
    since: Since,
}

/// The lines appended to the old log since a rewrite began gathering: they
/// follow the whole in the new one. Kept in a file beside the log (its name
/// and `.since`), written as each append is made and copied into the new log
/// when the rewrite ends, then removed: held in memory, they grew by what a
/// load appends for as long as the rewrite ran (a rewrite of a million
/// letters under 20 000 sends a second holds hundreds of megabytes), and one
/// buffer grown as they came was copied whole at each doubling on the
/// writer's thread while the API's calls waited for a core (README, "A
/// rewrite under load").
#[derive(Debug)]
struct Since {
    path: PathBuf,
    /// Created at the first block: none while nothing was appended.
    file: Option<File>,
    /// How many records the file holds.
    records: u64,
    /// How many lines the records supersede (see [`StateLog`]'s count).
    superseded: u64,
}

impl Since {
    /// Nothing yet, to be kept beside the log at `log`.
    fn beside(log: &Path) -> Self {
        Self { path: beside(log, SINCE), file: None, records: 0, superseded: 0 }
    }

    /// Keeps `lines`, `records` of them superseding `superseded` lines.
    fn keep(&mut self, lines: &[u8], records: usize, superseded: u64) -> std::io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(
                std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&self.path)?,
            ),
        };
        file.write_all(lines)?;
        self.records += records as u64;
        self.superseded += superseded;
        Ok(())
    }

    /// Writes what was kept to `out`, in the order it came.
    fn copy_to(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if let Some(file) = &mut self.file {
            file.seek(std::io::SeekFrom::Start(0))?;
            std::io::copy(file, out)?;
        }
        Ok(())
    }
}

/// The ending added to the log's name for the whole a rewrite writes, renamed
/// over the log once written.
const TEMPORARY: &str = ".tmp";
/// The ending added to the log's name for the lines appended while a rewrite
/// runs ([`Since`]).
const SINCE: &str = ".since";

/// The file beside `log` whose name is the log's and `ending`.
fn beside(log: &Path, ending: &str) -> PathBuf {
    let mut path = log.as_os_str().to_owned();
    path.push(ending);
    PathBuf::from(path)
}

impl Drop for Since {
    /// The file goes with the rewrite, finished or abandoned.
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// While a rewrite gathers the state, what changed is appended this often;
/// between writes, the writer looks this often at how much changed while
/// nothing does (more often while changes come, see `state_file.rs`). A
/// gathering of a million letters takes a second or two, and the changes
/// left for after it were then made into lines at once, holding a core for a
/// fifth of a second.
pub const APPEND_EVERY: std::time::Duration = std::time::Duration::from_millis(20);

/// The one writer of the state file.
#[derive(Debug)]
pub struct StateLog {
    path: PathBuf,
    file: Option<File>,
    size: u64,
    /// The log's lines, and how many of them are superseded: what a rewrite
    /// would drop (counted as changes are appended; for a log continued at
    /// start, the lines read less the records its state makes).
    lines: u64,
    superseded: u64,
    /// [`MIN_REWRITE`] (smaller in tests).
    min_rewrite: u64,
    rewrite: Option<Rewrite>,
    /// The lines of the last append, emptied and kept as room for the next:
    /// a second's lines can be tens of MB, and fresh memory costs a page
    /// fault for every 4 KB (more than [`KEPT_LINES`] is not kept).
    buffer: Vec<u8>,
    /// Changes were taken that the log does not hold (a failed write, a reset
    /// during a rewrite): the next write rewrites it whole.
    must_rewrite: bool,
}

impl StateLog {
    /// The writer of the log at `path`: rewritten whole at its first write
    /// unless `continues` says it already holds the store's state (and how
    /// many of its lines do).
    pub fn new(path: &Path, continues: Option<Held>) -> std::io::Result<Self> {
        let mut log = Self {
            path: path.to_owned(),
            file: None,
            size: 0,
            lines: 0,
            superseded: 0,
            min_rewrite: MIN_REWRITE,
            rewrite: None,
            buffer: Vec::new(),
            must_rewrite: false,
        };
        // What a rewrite that a crash cut short left beside the log: the log
        // holds all of it (the whole is renamed over it only once written).
        for leftover in [TEMPORARY, SINCE].map(|ending| beside(path, ending)) {
            if let Err(err) = std::fs::remove_file(&leftover)
                && err.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(%err, "cannot remove {}, left by a rewrite of the state file", leftover.display());
            }
        }
        if let Some(held) = continues {
            let file = std::fs::OpenOptions::new().append(true).open(path)?;
            log.size = file.metadata()?.len();
            log.lines = held.lines;
            log.superseded = held.lines.saturating_sub(held.live);
            log.file = Some(file);
        }
        Ok(log)
    }

    /// Whether a rewrite is due for what the log holds: more than half of
    /// its lines superseded, and the log past [`MIN_REWRITE`].
    fn outgrown(&self) -> bool {
        self.size > self.min_rewrite && self.superseded > self.lines - self.superseded
    }

    /// `records` appended (the last the counters line, which supersedes the
    /// one before), superseding `superseded` lines.
    fn count(&mut self, records: usize, superseded: u64) {
        self.lines += records as u64;
        self.superseded = (self.superseded + superseded + 1).min(self.lines);
    }

    /// Whether the file is behind the changes taken so far: a whole rewrite
    /// is under way or due (what it carries is not in the file yet).
    pub fn behind(&self) -> bool {
        self.rewrite.is_some() || self.must_rewrite
    }

    /// The log's size in bytes.
    #[cfg(test)]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The log's lines, and how many of them are superseded.
    #[cfg(test)]
    pub fn lines(&self) -> (u64, u64) {
        (self.lines, self.superseded)
    }

    /// [`StateLog::write_paced`] at full speed, a rewrite finished before it returns.
    #[cfg(test)]
    pub fn write(&mut self, store: &Store) -> std::io::Result<Written> {
        self.write_paced(store, &in_a_hurry())
    }

    /// Writes what changed in `store` since the last write: appended, or the
    /// whole log rewritten when it is due. On failure the next write
    /// rewrites everything, and the file stays whole.
    ///
    /// While `unhurried()` holds (a writer in the background, not stopping), a
    /// rewrite runs on a thread of its own, in slices of [`SLICE`] with a
    /// pause as long after each, so that a call arriving meanwhile finds a
    /// core free at once; until it ends, each write goes on appending what
    /// changed to the current log, so a crash meanwhile loses at most an
    /// interval. A later write ends it. Otherwise the rewrite ends before
    /// the write returns.
    pub fn write_paced(&mut self, store: &Store, unhurried: &Unhurried) -> std::io::Result<Written> {
        let result = self.step(store, unhurried);
        if result.is_err() {
            self.must_rewrite = true;
        }
        result
    }

    fn step(&mut self, store: &Store, unhurried: &Unhurried) -> std::io::Result<Written> {
        if let Some(rewrite) = &self.rewrite {
            return if rewrite.worker.is_finished() || !unhurried() {
                self.finish_rewrite(store)
            } else {
                self.append_during_rewrite(store)
            };
        }
        let began = Instant::now();
        let changed = store.take_changes();
        let superseded = store.take_superseded();
        let taken = began.elapsed();
        let records = match changed {
            Changed::Records(records) if !(self.outgrown() || self.must_rewrite || self.file.is_none()) => records,
            // The rewrite gathers the state after these changes: it holds them.
            _ => {
                self.start_rewrite(store, std::sync::Arc::clone(unhurried))?;
                return if unhurried() { Ok(Written::RewriteStarted) } else { self.finish_rewrite(store) };
            }
        };
        if records.is_empty() {
            return Ok(Written::Nothing);
        }
        let (made, bytes) = self.with_lines(&records, |log, lines| {
            let made = began.elapsed();
            log.append(lines)?;
            Ok((made, lines.len()))
        })?;
        self.count(records.len(), superseded);
        tracing::debug!(
            records = records.len(),
            bytes,
            "state file appended: changes taken in {} ms, lines made by {} ms, written and synced by {} ms",
            taken.as_millis(),
            made.as_millis(),
            began.elapsed().as_millis()
        );
        Ok(Written::Appended(records.len()))
    }

    /// Makes the lines of `records`, one each, in the buffer kept from the
    /// last append, and hands them to `then`.
    fn with_lines<R>(
        &mut self,
        records: &[Record],
        then: impl FnOnce(&mut Self, &[u8]) -> std::io::Result<R>,
    ) -> std::io::Result<R> {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        for record in records {
            encode(&mut buffer, record)?;
        }
        let result = then(self, &buffer);
        if buffer.capacity() <= KEPT_LINES {
            self.buffer = buffer;
        }
        result
    }

    fn append(&mut self, lines: &[u8]) -> std::io::Result<()> {
        let file = self.file.as_mut().ok_or_else(|| std::io::Error::other("the log is not open"))?;
        file.write_all(lines)?;
        file.sync_data()?;
        let_go(file, self.size, std::num::NonZeroU64::new(lines.len() as u64));
        self.size += lines.len() as u64;
        Ok(())
    }

    /// Gathers the whole state and starts writing it into a temporary file.
    /// What changes meanwhile goes on being appended to the current log every
    /// [`APPEND_EVERY`], and follows the whole in the new one.
    fn start_rewrite(&mut self, store: &Store, unhurried: Unhurried) -> std::io::Result<()> {
        self.start_rewrite_with(store, unhurried, APPEND_EVERY, &|_| ())
    }

    /// [`StateLog::start_rewrite`], appending every `every`, and calling
    /// `meanwhile` at each pause of the gathering (a test changes the store there).
    fn start_rewrite_with(
        &mut self,
        store: &Store,
        unhurried: Unhurried,
        every: std::time::Duration,
        meanwhile: &dyn Fn(&Store),
    ) -> std::io::Result<()> {
        let temporary = beside(&self.path, TEMPORARY);
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&temporary)?);
        self.must_rewrite = false;
        // Gathered on this thread (of normal priority: it takes the store's
        // locks, a few pointers at a time), paced as the writing is.
        let gathering = Pacer::new(std::sync::Arc::clone(&unhurried));
        let since = std::cell::RefCell::new(Since::beside(&self.path));
        let (log, failed) = (std::cell::RefCell::new(&mut *self), std::cell::Cell::new(None));
        let (began, last) = (Instant::now(), std::cell::Cell::new(Instant::now()));
        let whole = store.whole(&|| {
            gathering.pause();
            meanwhile(store);
            if last.get().elapsed() >= every {
                last.set(Instant::now());
                if let Err(err) = log.borrow_mut().append_meanwhile(store, &mut since.borrow_mut()) {
                    failed.set(Some(err));
                }
            }
        });
        tracing::debug!("state gathered for a rewrite in {} ms", began.elapsed().as_millis());
        let worker = std::thread::Builder::new().name("state-rewrite".into()).spawn(move || {
            // The lowest CPU priority: the rewrite takes idle time, not the
            // API's. It holds none of the store's locks, so none waits on it.
            if let Err(err) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19) {
                tracing::debug!(%err, "the state file's rewrite keeps the normal priority");
            }
            let (mut records, pacer, mut line) = (0u64, Pacer::new(unhurried), Vec::new());
            whole.each_record(|record| {
                records += 1;
                if records % 64 == 0 {
                    pacer.pause();
                }
                line.clear();
                encode(&mut line, record)?;
                out.write_all(&line)
            })?;
            Ok((out, records))
        })?;
        self.rewrite = Some(Rewrite { temporary, started: Instant::now(), worker, since: since.into_inner() });
        // An append that failed meanwhile: the log misses changes, the next write rewrites it again.
        failed.into_inner().map_or(Ok(()), Err)
    }

    /// [`StateLog::append_meanwhile`] into the rewrite under way.
    fn append_during_rewrite(&mut self, store: &Store) -> std::io::Result<Written> {
        let Some(mut rewrite) = self.rewrite.take() else {
            return Ok(Written::Nothing);
        };
        let appended = self.append_meanwhile(store, &mut rewrite.since);
        self.rewrite = Some(rewrite);
        appended
    }

    /// While a rewrite runs: what changed goes to the current log, and is
    /// kept in `since` (a file) to follow the whole in the new one.
    fn append_meanwhile(&mut self, store: &Store, since: &mut Since) -> std::io::Result<Written> {
        let changed = store.take_changes();
        let superseded = store.take_superseded();
        let records = match changed {
            Changed::Records(records) if !records.is_empty() => records,
            Changed::Records(_) => return Ok(Written::Nothing),
            // A reset or an import cannot be appended thing by thing: a rewrite after this one carries it.
            Changed::Everything => {
                self.must_rewrite = true;
                return Ok(Written::Nothing);
            }
        };
        self.with_lines(&records, |log, lines| {
            if log.file.is_some() {
                log.append(lines)?;
            }
            since.keep(lines, records.len(), superseded + 1)
        })?;
        Ok(Written::Appended(records.len()))
    }

    /// Waits for the rewrite, appends what changed since it began, and puts
    /// the new log in place of the old.
    fn finish_rewrite(&mut self, store: &Store) -> std::io::Result<Written> {
        let Some(mut rewrite) = self.rewrite.take() else {
            return Ok(Written::Nothing);
        };
        let written = rewrite.worker.join().map_err(|_| std::io::Error::other("the rewrite stopped"))?;
        let (mut out, mut records) = written?;
        rewrite.since.copy_to(&mut out)?;
        records += rewrite.since.records;
        let mut superseded = rewrite.since.superseded;
        let changed = store.take_changes();
        superseded += store.take_superseded();
        match changed {
            Changed::Everything => self.must_rewrite = true,
            Changed::Records(meanwhile) if meanwhile.is_empty() => {}
            Changed::Records(meanwhile) => {
                self.with_lines(&meanwhile, |_, lines| out.write_all(lines))?;
                records += meanwhile.len() as u64;
                superseded += 1;
            }
        }
        let file = out.into_inner().map_err(|err| err.into_error())?;
        file.sync_all()?;
        let_go(&file, 0, None);
        let bytes = file.metadata()?.len();
        drop(file);
        std::fs::rename(&rewrite.temporary, &self.path)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself survives a power cut once the directory is synced.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        self.file = Some(std::fs::OpenOptions::new().append(true).open(&self.path)?);
        self.size = bytes;
        self.lines = records;
        self.superseded = superseded.min(records);
        Ok(Written::Rewritten { records, bytes, millis: rewrite.started.elapsed().as_millis() })
    }
}

/// Lets the page cache drop `len` bytes of `file` from `offset` (`None`: to
/// its end), once they are on disk: the log is read again only at the next
/// start, and its pages kept in the cache (gigabytes at a million letters)
/// made each append cost the kernel more as the file grew (see the README).
fn let_go(file: &File, offset: u64, len: Option<std::num::NonZeroU64>) {
    if let Err(err) = rustix::fs::fadvise(file, offset, len, rustix::fs::Advice::DontNeed) {
        tracing::debug!(%err, "the state file's pages stay in the page cache");
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::NewUser;
    use crate::slug::Slug;
    use crate::store::NewAccount;
    use crate::store::accounts;
    use crate::store::partner::Partner;
    use crate::store::partners;
    use crate::store::record::{self, Meta};
    use crate::store::user::User;

    /// A file in the temporary directory, removed with its `.tmp` sibling when
    /// the test ends, passed or failed.
    pub(crate) struct TempFile(PathBuf);

    impl std::ops::Deref for TempFile {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl AsRef<Path> for TempFile {
        fn as_ref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
            let _ = std::fs::remove_file(format!("{}.tmp", self.0.display()));
            let _ = std::fs::remove_file(format!("{}.since", self.0.display()));
        }
    }

    pub(crate) fn temp(name: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("ar24-mock-{}-{name}", uuid::Uuid::new_v4().simple())))
    }

    pub(crate) fn store() -> Store {
        let store = Store::new("http://x", 10, [Partner::new("tok".into(), "key".into(), "P".into(), false, false)]);
        store.track_changes();
        store
    }

    pub(crate) fn add(store: &Store, email: &str) -> u64 {
        let form = crate::domain::CreateUserForm {
            firstname: Some("Ada".into()),
            lastname: Some("Lovelace".into()),
            email: Some(email.into()),
            gender: Some("F".into()),
            statut: Some("particulier".into()),
            country: Some("FR".into()),
            address1: Some("1 rue".into()),
            zipcode: Some("75001".into()),
            city: Some("Paris".into()),
            ..Default::default()
        };
        let profile = NewUser::try_from(form).unwrap();
        let account = NewAccount { profile, created_by: Some("tok".into()), cgu: false, payment_method: false };
        store.create_user(account).unwrap().id
    }

    pub(crate) fn users_of(path: &Path) -> Vec<String> {
        let saved = load(path).unwrap().unwrap();
        saved.snapshot.users.iter().map(|u| u.profile.email.as_str().to_owned()).collect()
    }

    #[test]
    fn a_missing_or_empty_file_is_an_empty_start() {
        let path = temp("state.log");
        assert!(load(&path).unwrap().is_none());
        std::fs::write(&path, b"").unwrap();
        assert!(load(&path).unwrap().is_none());
    }

    #[test]
    fn the_first_write_rewrites_then_only_changes_are_appended() {
        let path = temp("state.log");
        let store = store();
        add(&store, "a@example.com");
        let mut log = StateLog::new(&path, None).unwrap();
        assert!(matches!(log.write(&store).unwrap(), Written::Rewritten { .. }));
        assert!(!PathBuf::from(format!("{}.tmp", path.display())).exists(), "the temporary file is renamed");
        assert_eq!(log.write(&store).unwrap(), Written::Nothing);
        let before = log.size();
        add(&store, "b@example.com");
        // The user, its visibility and the counters.
        assert_eq!(log.write(&store).unwrap(), Written::Appended(3));
        let grown = log.size() - before;
        assert!(grown < 2_000, "one user's worth, not the whole state: {grown} bytes");
        assert_eq!(users_of(&path), ["a@example.com", "b@example.com"]);
    }

    /// Bytes of `path` in the page cache, as util-linux's `fincore` reads
    /// them; `None` where it cannot say (no `fincore`, or a file system in
    /// memory, tmpfs, which has no disk to let pages go to).
    fn cached_bytes(path: &Path) -> Option<u64> {
        const TMPFS_MAGIC: i64 = 0x0102_1994;
        if rustix::fs::statfs(path).ok()?.f_type as i64 == TMPFS_MAGIC {
            return None;
        }
        let out = std::process::Command::new("fincore")
            .args(["--bytes", "--noheadings", "--output", "RES"])
            .arg(path)
            .output()
            .ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    }

    #[test]
    fn what_the_log_holds_on_disk_does_not_stay_in_the_page_cache_appended_or_rewritten() {
        let path = temp("cache.log");
        let store = store();
        let mut log = StateLog::new(&path, None).unwrap();
        for i in 0..4_000 {
            add(&store, &format!("user{i}@example.com"));
        }
        assert!(matches!(log.write(&store).unwrap(), Written::Rewritten { .. }));
        let Some(after_rewrite) = cached_bytes(&path) else {
            eprintln!("not checked: no fincore, or the temporary directory is in memory");
            return;
        };
        for i in 4_000..16_000 {
            add(&store, &format!("user{i}@example.com"));
            if i % 500 == 0 {
                assert!(matches!(log.write(&store).unwrap(), Written::Appended(_)));
            }
        }
        log.write(&store).unwrap();
        let size = log.size();
        assert!(size > 4_000_000, "a log of some megabytes: {size} bytes");
        let cached = cached_bytes(&path).unwrap();
        // A page at each append's end may stay: it is partly written.
        assert!(after_rewrite < 64 * 1024, "{after_rewrite} bytes of the rewritten log stayed cached");
        assert!(cached < size / 8, "{cached} of {size} bytes stayed cached");
    }

    #[test]
    fn a_torn_last_line_is_reported_and_the_lines_before_it_load() {
        let path = temp("state.log");
        let store = store();
        add(&store, "a@example.com");
        let mut log = StateLog::new(&path, None).unwrap();
        log.write(&store).unwrap();
        let whole = log.size();
        add(&store, "b@example.com");
        log.write(&store).unwrap();
        // A crash in the middle of the last append.
        let bytes = std::fs::read(&path).unwrap();
        let cut = bytes.len() - 40;
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let saved = load(&path).unwrap().unwrap();
        let (at, reason) = saved.torn.clone().expect("the torn line is reported");
        assert!(at >= whole && at < cut as u64, "{at} {reason}");
        assert!(saved.snapshot.users.iter().any(|u| u.profile.email.as_str() == "a@example.com"));
        drop_torn_tail(&path, at).unwrap();
        assert!(load(&path).unwrap().unwrap().torn.is_none(), "once dropped, the file is whole");
    }

    #[test]
    fn damage_before_the_last_line_stops_the_load_and_leaves_the_file_as_it_is() {
        let path = temp("state.log");
        let store = store();
        add(&store, "a@example.com");
        let mut log = StateLog::new(&path, None).unwrap();
        log.write(&store).unwrap();
        add(&store, "b@example.com");
        log.write(&store).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let second_line = bytes.iter().position(|b| *b == b'\n').unwrap() + 20;
        bytes[second_line] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.to_string().contains("line 2") && err.to_string().contains("CRC"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "untouched");
    }

    #[test]
    fn an_older_single_document_loads_and_a_corrupt_one_is_an_error_left_untouched() {
        let path = temp("state.json");
        let store = store();
        add(&store, "a@example.com");
        std::fs::write(&path, serde_json::to_vec(&store.snapshot()).unwrap()).unwrap();
        let saved = load(&path).unwrap().unwrap();
        assert!(!saved.is_log);
        assert_eq!(saved.snapshot.users.len(), 1);
        std::fs::write(&path, b"{\"format\": 1, \"users\": [").unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.to_string().contains("not a valid ar24-mock state"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"format\": 1, \"users\": [");
    }

    /// Reads a log in batches of 16 KB (about 50 lines), 3 of them decoded at once.
    fn read_small_batches(bytes: &[u8]) -> Result<Option<Saved>, String> {
        read_log(std::io::Cursor::new(bytes), 16 * 1024, 3).map_err(|err| match err {
            LogError::Io(err) => err.to_string(),
            LogError::Corrupt(reason) => reason,
        })
    }

    #[test]
    fn a_long_log_read_in_batches_on_several_threads_keeps_its_order_and_its_line_numbers() {
        let path = temp("state.log");
        let store = store();
        let mut log = StateLog::new(&path, None).unwrap();
        log.write(&store).unwrap();
        // Each user appended on its own, then changed: the last record of each wins.
        for i in 0..300 {
            let id = add(&store, &format!("u{i}@example.com"));
            log.write(&store).unwrap();
            store.confirm_user(id);
        }
        // An upload whose line is several batches long, then one more user.
        let bytes: Vec<u8> = (0..120_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let file = crate::protocol::params::FilePart {
            field: "file".into(),
            filename: "big.pdf".into(),
            sha1: crate::protocol::params::sha1_hex(&bytes),
            bytes: bytes.into(),
        };
        let (user, partner) = (store.user(1).unwrap(), store.partner("tok").unwrap());
        store.upload(&user, &partner, "big.pdf".into(), &file);
        let last = add(&store, "last@example.com");
        log.write(&store).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 8 * 16 * 1024, "several batches: {}", bytes.len());
        let saved = read_small_batches(&bytes).unwrap().unwrap();
        assert_eq!(saved.snapshot.users.len(), 301);
        assert!(saved.snapshot.users[..300].iter().all(|u| u.profile.confirmed), "the later record of each user wins");
        assert_eq!(saved.snapshot.users[300].id, last);
        assert_eq!(saved.snapshot.contents.get(&file.sha1).map(String::len), Some(160_000), "the long line whole");
        assert!(saved.torn.is_none());

        // A damaged line deep in the file is named by its number.
        let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
        let target = 700;
        let start: usize = lines[..target - 1].iter().map(|l| l.len()).sum();
        let mut damaged = bytes.clone();
        damaged[start + 12] ^= 0x20;
        assert_eq!(read_small_batches(&damaged).unwrap_err(), format!("line {target}: its CRC does not match"));

        // A torn last line, after many batches, is the only thing dropped.
        let cut = &bytes[..bytes.len() - 5];
        let saved = read_small_batches(cut).unwrap().unwrap();
        let (at, _) = saved.torn.unwrap();
        assert_eq!(at as usize, bytes.len() - lines.last().unwrap().len());
    }

    #[test]
    fn a_partner_s_accounts_share_one_copy_of_its_token_after_a_restart_too() {
        let store = store();
        let (a, b) = (add(&store, "a@example.com"), add(&store, "b@example.com"));
        let shared = |s: &Store| {
            let (a, b) = (s.user(a).unwrap(), s.user(b).unwrap());
            std::sync::Arc::ptr_eq(a.created_by.as_ref().unwrap(), b.created_by.as_ref().unwrap())
        };
        assert!(shared(&store));
        let path = temp("state.log");
        StateLog::new(&path, None).unwrap().write(&store).unwrap();
        let restarted = Store::new("http://x", 10, []);
        restarted.restore(load(&path).unwrap().unwrap().snapshot, []).unwrap();
        assert!(shared(&restarted));
        assert_eq!(restarted.user(a).unwrap().created_by.as_deref(), Some("tok"));
    }

    #[test]
    fn user_records_in_any_order_replay_to_the_last_record_of_each_id_in_id_order() {
        let store = store();
        let [a, b, c] = ["a", "b", "c"].map(|name| add(&store, &format!("{name}@example.com")));
        let before = store.user(a).unwrap();
        store.confirm_user(a);
        let records = [
            Record::Meta(Meta::Format(crate::store::snapshot::FORMAT)),
            record::user(store.user(c).unwrap()),
            record::user(before),
            record::user(store.user(b).unwrap()),
            Record::Accounts(accounts::Record::UserGone(c)),
            record::user(store.user(a).unwrap()),
            Record::Accounts(accounts::Record::UserGone(b)),
            record::user(store.user(b).unwrap()),
        ];
        let mut bytes = Vec::new();
        records.iter().for_each(|record| encode(&mut bytes, record).unwrap());
        let saved = read_small_batches(&bytes).unwrap().unwrap();
        let users: Vec<(u64, bool)> = saved.snapshot.users.iter().map(|u| (u.id, u.profile.confirmed)).collect();
        assert_eq!(users, [(a, true), (b, false)]);
    }

    #[test]
    fn every_character_a_text_may_hold_is_written_as_json_and_reads_back_the_same() {
        // Quotes, backslashes, every control character, accents and emoji,
        // between runs of plain text long enough to be looked at many bytes at a time.
        let mut text = String::new();
        for c in (0u8..0x20).map(char::from).chain(['"', '\\', '/', 'é', 'Ω', '€', '😀', '\u{7f}', '\u{2028}']) {
            text.push_str(&"plain text, nothing to escape ".repeat(3)[..(text.len() % 61) + 20]);
            text.push(c);
        }
        let record = Record::Partners(partners::Record::PartnerGone(text.clone()));
        let mut buffer = Vec::new();
        encode(&mut buffer, &record).unwrap();
        let (crc, json) = buffer.strip_suffix(b"\n").unwrap().split_at(8);
        let json = &json[1..];
        assert_eq!(std::str::from_utf8(crc).unwrap(), format!("{:08x}", crc32fast::hash(json)));
        assert!(!json.contains(&b'\n'), "a line holds no raw newline");
        let read: serde_json::Value = serde_json::from_slice(json).unwrap();
        assert_eq!(read, serde_json::to_value(&record).unwrap());
        assert!(matches!(decode(&buffer), Ok(Record::Partners(partners::Record::PartnerGone(back))) if back == text));
    }

    #[test]
    fn a_line_is_the_crc_of_its_json_then_the_json_and_reads_back() {
        let mut buffer = b"before\n".to_vec();
        let record = Record::Accounts(accounts::Record::UserGone(7));
        encode(&mut buffer, &record).unwrap();
        let line = std::str::from_utf8(&buffer[7..]).unwrap();
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(line, format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes())));
        assert!(matches!(decode(&buffer[7..]), Ok(Record::Accounts(accounts::Record::UserGone(7)))));
    }

    #[test]
    fn a_log_that_does_not_start_with_its_format_is_refused() {
        let path = temp("state.log");
        let mut line = Vec::new();
        encode(&mut line, &Record::Accounts(accounts::Record::UserGone(1))).unwrap();
        std::fs::write(&path, &line).unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.to_string().contains("format"), "{err}");
    }

    /// The lines of the log at `path`.
    fn lines_in(path: &Path) -> u64 {
        std::fs::read(path).unwrap().iter().filter(|b| **b == b'\n').count() as u64
    }

    #[test]
    fn a_log_of_things_added_is_appended_to_for_good_and_one_mostly_superseded_is_rewritten() {
        let path = temp("state.log");
        let store = store();
        let first = add(&store, "first@example.com");
        let mut log = StateLog::new(&path, None).unwrap();
        log.min_rewrite = 0;
        assert!(matches!(log.write(&store).unwrap(), Written::Rewritten { .. }));
        assert_eq!(log.lines(), (lines_in(&path), 0), "a log just rewritten supersedes nothing");
        // Accounts only added: each append supersedes the counters line before it, no more.
        for i in 0..40 {
            add(&store, &format!("u{i}@example.com"));
            assert_eq!(log.write(&store).unwrap(), Written::Appended(3), "the user, who sees it, the counters");
        }
        let (lines, superseded) = log.lines();
        assert_eq!(lines, lines_in(&path));
        assert_eq!(superseded, 40, "the counters lines");
        // One account changed again and again: its line and the counters' superseded by each append.
        let mut appends = 0;
        loop {
            store.confirm_user(first);
            match log.write(&store).unwrap() {
                Written::Appended(2) => appends += 1,
                Written::Rewritten { records, .. } => {
                    assert_eq!(log.lines(), (records, 0));
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        // Rewritten once more than half the lines were superseded: 40 + 2n > (lines + 2n) / 2.
        let expected = (lines - 80).div_ceil(2);
        assert!(
            appends == expected || appends == expected + 1,
            "rewritten after {appends} appends, not about {expected}"
        );
        assert_eq!(users_of(&path).len(), 41);
    }

    #[test]
    fn a_log_continued_at_start_counts_what_it_holds_superseded_from_its_state() {
        let path = temp("state.log");
        let store = store();
        let first = add(&store, "first@example.com");
        let mut log = StateLog::new(&path, None).unwrap();
        log.write(&store).unwrap();
        for _ in 0..30 {
            store.confirm_user(first);
            log.write(&store).unwrap();
        }
        let saved = load(&path).unwrap().unwrap();
        assert_eq!(saved.lines, lines_in(&path));
        let held = Held { lines: saved.lines, live: saved.snapshot.records() };
        // The format, the partner, the user, who sees it, the counters.
        assert_eq!(held.live, 5);
        let mut continued = StateLog::new(&path, Some(held)).unwrap();
        assert_eq!(continued.lines(), log.lines(), "as the writer that wrote it counted");
        // Restarted with the same store: the next write rewrites it, more than half superseded.
        continued.min_rewrite = 0;
        store.confirm_user(first);
        assert!(matches!(continued.write(&store).unwrap(), Written::Rewritten { records: 5, .. }));
        assert_eq!(lines_in(&path), 5);
    }

    #[test]
    fn the_log_is_rewritten_after_a_reset_and_then_holds_only_what_is_left() {
        let path = temp("state.log");
        let store = store();
        add(&store, "a@example.com");
        let mut log = StateLog::new(&path, None).unwrap();
        log.write(&store).unwrap();
        store.reset();
        add(&store, "c@example.com");
        assert!(matches!(log.write(&store).unwrap(), Written::Rewritten { .. }));
        assert_eq!(users_of(&path), ["c@example.com"]);
    }

    #[test]
    fn a_partner_reset_compacts_the_log_and_a_user_change_is_appended() {
        let path = temp("state.log");
        let store = store();
        let a = add(&store, "a@example.com");
        let mut log = StateLog::new(&path, None).unwrap();
        log.write(&store).unwrap();
        store.confirm_user(a);
        assert_eq!(log.write(&store).unwrap(), Written::Appended(2), "the user and the counters");
        assert_eq!(log.write(&store).unwrap(), Written::Nothing);
        // A partner that made nothing: nothing to compact.
        store.reset_partner("nobody");
        assert_eq!(log.write(&store).unwrap(), Written::Nothing);
        store.reset_partner("tok");
        assert!(matches!(log.write(&store).unwrap(), Written::Rewritten { .. }));
        assert!(users_of(&path).is_empty());
    }

    #[test]
    fn a_rewrite_writes_users_as_rows_and_what_a_partner_sees_in_runs() {
        let path = temp("state.log");
        let store = store();
        let count = crate::store::accounts::SEEN_RUN + 5;
        for i in 0..count {
            add(&store, &format!("u{i}@example.com"));
        }
        let mut log = StateLog::new(&path, None).unwrap();
        log.write(&store).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let users: Vec<&str> = text.lines().filter(|l| l.contains(r#""kind":"user""#)).collect();
        assert_eq!(users.len(), count);
        assert!(users.iter().all(|l| l.contains(r#""value":["#)), "rows: {}", users[0]);
        assert!(!users[0].contains("firstname"), "no field names: {}", users[0]);
        assert_eq!(text.matches(r#""kind":"sees_all""#).count(), 2, "two runs of ids");
        assert_eq!(text.matches(r#""kind":"seen""#).count(), 0);
        let saved = load(&path).unwrap().unwrap();
        assert_eq!(serde_json::to_value(&saved.snapshot).unwrap(), serde_json::to_value(store.snapshot()).unwrap());
    }

    #[test]
    fn a_log_that_names_each_user_field_as_older_mocks_wrote_it_still_loads() {
        let path = temp("state.log");
        let store = store();
        let id = add(&store, "a@example.com");
        let user = store.user(id).unwrap();
        let line = |json: String| format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()));
        let named = serde_json::json!({"kind": "user", "value": &*user}).to_string();
        assert!(named.contains("\"firstname\":\"Ada\""), "{named}");
        let text = [
            line(serde_json::to_string(&Record::Meta(Meta::Format(crate::store::snapshot::FORMAT))).unwrap()),
            line(named),
            line(serde_json::to_string(&Record::Accounts(accounts::Record::Seen("tok".into(), id, true))).unwrap()),
        ]
        .concat();
        std::fs::write(&path, text).unwrap();
        let saved = load(&path).unwrap().unwrap();
        assert_eq!(serde_json::to_value(&saved.snapshot.users).unwrap(), serde_json::json!([&*user]));
        assert_eq!(saved.snapshot.visible["tok"], [id]);
    }

    #[test]
    fn a_state_whose_user_ids_or_emails_repeat_is_refused_and_changes_nothing() {
        let store = store();
        let (a, b) = (add(&store, "a@example.com"), add(&store, "b@example.com"));
        let good = store.snapshot();
        let other = |s: &mut Snapshot, change: &dyn Fn(&mut User)| {
            let mut user = (*s.users[1]).clone();
            change(&mut user);
            s.users[1] = std::sync::Arc::new(user);
        };
        let mut same_id = good.clone();
        other(&mut same_id, &|u| u.id = a);
        let mut same_email = good.clone();
        other(&mut same_email, &|u| {
            u.profile = {
                let mut p = u.profile.clone();
                p.email = crate::domain::EmailAddress::parse(Some("A@Example.com")).unwrap();
                p
            }
        });
        let mut zero = good.clone();
        other(&mut zero, &|u| u.id = 0);
        let target = Store::new("http://x", 10, []);
        for (what, broken) in
            [("an id twice", same_id), ("an email twice, in another case", same_email), ("id 0", zero)]
        {
            let at_start = Store::new("http://x", 10, []);
            assert_eq!(at_start.restore_empty(broken.clone(), []).unwrap_err(), Slug::InvalidState, "{what} at start");
            assert_eq!(target.restore(broken, []).unwrap_err(), Slug::InvalidState, "{what}");
            assert!(target.user(a).is_none() && target.user(b).is_none(), "{what}: nothing loaded");
        }
        assert_eq!(target.restore(good.clone(), []).unwrap(), 2);
        assert_eq!(target.user(b).unwrap().profile.email.as_str(), "b@example.com");
        let at_start = Store::new("http://x", 10, []);
        assert_eq!(at_start.restore_empty(good, []).unwrap(), 2);
        assert_eq!(at_start.user(b).unwrap().profile.email.as_str(), "b@example.com");
    }

    #[test]
    fn a_paced_rewrite_runs_on_its_own_pauses_between_slices_and_writes_the_same_log() {
        let store = store();
        for i in 0..3_000 {
            add(&store, &format!("u{i}@example.com"));
        }
        let (paced, plain) = (temp("paced.log"), temp("plain.log"));
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counting: Unhurried = {
            let asked = std::sync::Arc::clone(&asked);
            std::sync::Arc::new(move || {
                asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                true
            })
        };
        let mut log = StateLog::new(&paced, None).unwrap();
        assert_eq!(log.write_paced(&store, &counting).unwrap(), Written::RewriteStarted);
        // A write that is in a hurry (a stopping mock) waits for it and ends it.
        let written = log.write(&store).unwrap();
        assert!(matches!(written, Written::Rewritten { records: 3_004, .. }), "{written:?}");
        assert!(asked.load(std::sync::atomic::Ordering::SeqCst) > 1, "the rewrite considered pausing");
        StateLog::new(&plain, None).unwrap().write(&store).unwrap();
        assert_eq!(std::fs::read(&paced).unwrap(), std::fs::read(&plain).unwrap());
    }

    /// A store holding a@example.com, its log at `path` written, and a rewrite of it started.
    fn rewriting(path: &Path) -> (Store, StateLog) {
        let store = store();
        add(&store, "a@example.com");
        let mut log = StateLog::new(path, None).unwrap();
        log.write(&store).unwrap();
        log.start_rewrite(&store, std::sync::Arc::new(|| true)).unwrap();
        (store, log)
    }

    #[test]
    fn while_a_rewrite_runs_changes_go_on_being_appended_to_the_current_log_and_follow_into_the_new_one() {
        let path = temp("state.log");
        let (store, mut log) = rewriting(&path);
        let since = PathBuf::from(format!("{}.since", path.display()));
        assert!(!since.exists(), "nothing appended yet, nothing kept beside the log");
        add(&store, "b@example.com");
        assert!(matches!(log.append_during_rewrite(&store).unwrap(), Written::Appended(_)));
        // A kill -9 now finds b in the current log.
        assert_eq!(users_of(&path), ["a@example.com", "b@example.com"]);
        // What follows the whole waits in a file beside the log, not in memory.
        let kept = std::fs::read_to_string(&since).unwrap();
        assert!(kept.contains("b@example.com") && !kept.contains("a@example.com"), "{kept}");
        add(&store, "c@example.com");
        assert!(matches!(log.append_during_rewrite(&store).unwrap(), Written::Appended(_)));
        add(&store, "d@example.com");
        assert!(matches!(log.finish_rewrite(&store).unwrap(), Written::Rewritten { .. }));
        assert_eq!(users_of(&path), ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]);
        assert!(!since.exists(), "the file beside the log goes with the rewrite");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(r#""kind":"format""#).count(), 1, "a new log, not the old one grown");
        assert_eq!(log.write(&store).unwrap(), Written::Nothing, "nothing left marked");
    }

    #[test]
    fn a_rewrite_abandoned_or_cut_short_leaves_nothing_beside_the_log_once_the_mock_starts_again() {
        let path = temp("state.log");
        let (store, mut log) = rewriting(&path);
        add(&store, "b@example.com");
        log.append_during_rewrite(&store).unwrap();
        let (since, temporary) =
            (PathBuf::from(format!("{}.since", path.display())), PathBuf::from(format!("{}.tmp", path.display())));
        assert!(since.exists());
        drop(log);
        assert!(!since.exists(), "a rewrite dropped unfinished takes its file with it");
        // A crash in the middle of a rewrite leaves both; the log holds what they do.
        std::fs::write(&since, "left by a crash").unwrap();
        std::fs::write(&temporary, "left by a crash").unwrap();
        let held = Held { lines: 0, live: 0 };
        let mut log = StateLog::new(&path, Some(held)).unwrap();
        assert!(!since.exists() && !temporary.exists(), "a new writer removes what a crash left");
        assert_eq!(users_of(&path), ["a@example.com", "b@example.com"]);
        add(&store, "c@example.com");
        assert!(matches!(log.write(&store).unwrap(), Written::Appended(_)));
        assert_eq!(users_of(&path), ["a@example.com", "b@example.com", "c@example.com"]);
    }

    #[test]
    fn what_changes_while_a_rewrite_gathers_the_state_is_appended_before_the_gathering_ends() {
        let path = temp("state.log");
        let store = store();
        let ada = store.user(add(&store, "a@example.com")).unwrap();
        let partner = store.partner("tok").unwrap();
        // Emails enough for the gathering to pause between batches of them.
        for _ in 0..600 {
            store.send_email(crate::store::outbox::LinkKind::Cgu, &ada, &partner, None);
        }
        let mut log = StateLog::new(&path, None).unwrap();
        log.write(&store).unwrap();
        let added = std::cell::Cell::new(false);
        let meanwhile = |store: &Store| {
            if !added.replace(true) {
                add(store, "b@example.com");
            }
        };
        log.start_rewrite_with(&store, std::sync::Arc::new(|| true), std::time::Duration::ZERO, &meanwhile).unwrap();
        // The gathering is over and the new log not written yet: b, added
        // during the gathering, is in the current log already.
        assert_eq!(users_of(&path), ["a@example.com", "b@example.com"]);
        assert!(matches!(log.finish_rewrite(&store).unwrap(), Written::Rewritten { .. }));
        assert_eq!(users_of(&path), ["a@example.com", "b@example.com"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(r#""kind":"format""#).count(), 1, "a new log, not the old one grown");
        assert_eq!(log.write(&store).unwrap(), Written::Nothing, "nothing left marked");
    }
}
