//! The state file in a running mock (`--state-file`): read at start (a
//! record cut short by a crash dropped), restored into the store, written by
//! a thread of its own every interval, and written a last time at shutdown.
//! The file's format, its batches and its crash rules are `persist.rs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::persist::{self, APPEND_EVERY, Saved, StateLog, Unhurried, Written};
use crate::store::Store;
use crate::store::partner::Partner;

/// How far the state file has followed the store, for `GET /_mock/health`:
/// a test waits on it instead of sleeping past the interval.
#[derive(Debug, Default)]
pub struct Progress {
    enabled: AtomicBool,
    /// The store's change counter when the last write that completed began:
    /// every change counted up to it is in the file.
    written: AtomicU64,
}

impl Progress {
    /// `Some(changes the file holds)` when a state file is written.
    pub fn written(&self) -> Option<u64> {
        self.enabled.load(Ordering::SeqCst).then(|| self.written.load(Ordering::SeqCst))
    }
}

/// A state file read at start.
#[derive(Debug)]
pub struct Loaded {
    path: PathBuf,
    saved: Option<Saved>,
    started: Instant,
    read: Duration,
}

impl Loaded {
    /// How many users it holds (to make room for them before restoring).
    pub fn users(&self) -> usize {
        self.saved.as_ref().map_or(0, |s| s.snapshot.users.len())
    }

    /// Whether it holds no state yet (a new file).
    pub fn is_empty(&self) -> bool {
        self.saved.is_none()
    }
}

/// Reads the state file at `path` (none yet is an empty start) and drops a
/// last record cut short by a crash, with a warning. An error is a sentence
/// for the terminal: the mock does not start, and the file is left as it is.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let started = Instant::now();
    let saved = persist::load(path).map_err(|err| err.to_string())?;
    let read = started.elapsed();
    if let Some(Saved { torn: Some((at, reason)), .. }) = &saved {
        tracing::warn!(
            "the state file {} ends with a record cut short ({reason}): it is dropped, everything before it is kept",
            path.display()
        );
        persist::drop_torn_tail(path, *at)
            .map_err(|err| format!("cannot drop the cut-short record of the state file {}: {err}", path.display()))?;
    }
    Ok(Loaded { path: path.to_owned(), saved, started, read })
}

/// Changes counted (about eight a letter sent) after which the writer appends
/// without waiting for the interval, looking every [`LOOK_BUSY`] while
/// changes come: under a heavy load it writes a little that often instead of
/// a second's worth at once, which took a core for a tenth of a second and
/// held the API's calls back meanwhile. The interval stays the most a crash
/// may lose. Smaller than the 2 000 changes looked at every 20 ms it replaces:
/// each batch of lines is a burst of a core's time, and the API's tail
/// follows its size (measured in the README, "The state file's appends in
/// smaller batches").
const EARLY: u64 = 400;

/// How often the writer looks at how much changed while changes come; while
/// nothing does, every [`APPEND_EVERY`], so an idle mock wakes it seldom.
const LOOK_BUSY: Duration = Duration::from_millis(4);

/// The state file being written.
#[derive(Debug)]
pub struct Writer {
    log: Arc<Mutex<StateLog>>,
    store: Arc<Store>,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Restores what `loaded` holds into `store` (keeping the `configured`
/// partner), then starts writing the file every `interval` on a thread of
/// its own, telling `progress` how far it got.
pub fn restore_and_write(
    store: &Arc<Store>,
    progress: &Arc<Progress>,
    configured: Partner,
    loaded: Loaded,
    interval: Duration,
) -> Result<Writer, String> {
    let path = loaded.path;
    let continues = loaded
        .saved
        .as_ref()
        .filter(|saved| saved.is_log)
        .map(|saved| persist::Held { lines: saved.lines, live: saved.snapshot.records() });
    if let Some(saved) = loaded.saved {
        let users = store.restore_empty(saved.snapshot, [configured]).map_err(|slug| {
            format!("the state file {} is not a valid state: {} (it is left as it is)", path.display(), slug.message())
        })?;
        let total = loaded.started.elapsed();
        tracing::info!(
            "state file loaded: {users} users in {} ms ({} ms to read it, {} ms to check and restore it)",
            total.as_millis(),
            loaded.read.as_millis(),
            (total - loaded.read).as_millis()
        );
    }
    store.track_changes();
    // What the restore changed, the log holds already (or, when it does not
    // continue, rewrites whole at its first write).
    store.take_changes();
    let log = StateLog::new(&path, continues)
        .map_err(|err| format!("cannot open the state file {} to append: {err}", path.display()))?;
    progress.enabled.store(true, Ordering::SeqCst);
    let mut writer = Writer {
        log: Arc::new(Mutex::new(log)),
        store: Arc::clone(store),
        progress: Arc::clone(progress),
        stop: Arc::new(AtomicBool::new(false)),
        thread: None,
    };
    writer.thread = Some(writer.spawn(interval).map_err(|err| format!("cannot start the state file's writer: {err}"))?);
    Ok(writer)
}

impl Writer {
    /// A thread that writes every `interval` (sooner after [`EARLY`] changes)
    /// until stopped, looking every [`LOOK_BUSY`] while changes come. It keeps the
    /// normal priority: it takes the changes under the store's locks, and a
    /// thread of low priority that held one would keep the API's calls
    /// waiting while the others ran (a whole rewrite is written by a thread
    /// of the lowest priority, which holds none; see `persist.rs`).
    fn spawn(&self, interval: Duration) -> std::io::Result<std::thread::JoinHandle<()>> {
        let (log, store, progress, stop) =
            (Arc::clone(&self.log), Arc::clone(&self.store), Arc::clone(&self.progress), Arc::clone(&self.stop));
        // Changes are counted from the last ones taken (at the restore, then at each
        // write's start), not from when the thread first runs or a write ends: those
        // made meanwhile count towards the next early write.
        let mut last = store.version();
        std::thread::Builder::new().name("state-file".into()).spawn(move || {
            // Not stopping: the writer may pace a rewrite.
            let unhurried: Unhurried = Arc::new(move || !stop.load(Ordering::SeqCst));
            let stopped = || !unhurried();
            let (mut seen, mut due) = (last, Instant::now() + interval);
            while !stopped() {
                // A look, then a write if due: never two writes without a look
                // between them, or a slow sync would have them follow each other.
                let now = store.version();
                std::thread::sleep(interval.min(if now == seen { APPEND_EVERY } else { LOOK_BUSY }));
                seen = now;
                let version = store.version();
                if !stopped() && (version.saturating_sub(last) >= EARLY || Instant::now() >= due) {
                    last = version;
                    write(&store, &log, &progress, &unhurried);
                    due = Instant::now() + interval;
                }
            }
        })
    }

    /// Stops the thread and writes what is left, at full speed (a rewrite
    /// under way is finished).
    pub async fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let thread = self.thread.take();
        let (store, log, progress) = (self.store, self.log, self.progress);
        let last = tokio::task::spawn_blocking(move || {
            if let Some(thread) = thread {
                let _ = thread.join();
            }
            write(&store, &log, &progress, &persist::in_a_hurry());
        })
        .await;
        if last.is_err() {
            tracing::error!("the last write of the state file stopped");
        }
    }
}

/// Writes what changed; a failure is logged, the file stays whole and the
/// next write rewrites it.
fn write(store: &Store, log: &Mutex<StateLog>, progress: &Progress, unhurried: &Unhurried) {
    let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
    let version = store.version();
    match log.write_paced(store, unhurried) {
        Ok(written) => {
            if let Written::Rewritten { records, bytes, millis } = written {
                tracing::info!("state file rewritten: {records} records, {bytes} bytes in {millis} ms");
            }
            // Until a rewrite under way or due ends, what it carries is not in the file.
            if !log.behind() {
                progress.written.store(version, Ordering::SeqCst);
            }
        }
        Err(err) => tracing::error!(%err, "cannot write the state file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::tests::{add, store, temp, users_of};

    #[tokio::test]
    async fn a_heavy_load_is_written_as_it_comes_not_an_interval_later() {
        let path = temp("state.log");
        let first = store();
        add(&first, "first@example.com");
        StateLog::new(&path, None).unwrap().write(&first).unwrap();
        let (store, progress) = (Arc::new(store()), Arc::new(Progress::default()));
        let partner = Partner::new("tok".into(), "key".into(), "P".into(), false, false);
        let hour = Duration::from_secs(3600);
        let writer = restore_and_write(&store, &progress, partner, load(&path).unwrap(), hour).unwrap();
        let start = store.version();
        // Twice the changes that call for an early write, counting the users
        // made by the time the first half was.
        let (mut added, mut added_by_half) = (0, 0);
        while store.version() - start < 2 * EARLY {
            add(&store, &format!("user{added}@example.com"));
            added += 1;
            if store.version() - start <= EARLY {
                added_by_half = added;
            }
        }
        // An hour's interval: only an early write can put them in the file now.
        let waited = Instant::now();
        while progress.written().unwrap() < start + EARLY && waited.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(APPEND_EVERY);
        }
        assert!(progress.written().unwrap() >= start + EARLY, "the changes waited for the interval");
        assert!(users_of(&path).len() > added_by_half, "the file holds the users of the first {EARLY} changes");
        writer.stop().await;
    }
}
