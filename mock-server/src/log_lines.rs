//! Where the binary's log lines go: gathered in memory and written by a thread
//! of their own, in batches.
//!
//! A call appends its line to a buffer and goes on: it never waits for a slow
//! terminal or a busy disk, unless [`LIMIT`] bytes are already waiting (then it
//! waits for room: no line is ever dropped). The writing thread writes what is
//! waiting, then rests for [`GATHER`] while the next batch gathers, and is woken
//! again by the first line of a batch only: a line after a quiet moment (a
//! warning at the start) appears at once, and under a heavy load that is one
//! wake-up and one write every few milliseconds, where a queue that wakes its
//! reader for each line had that thread switched in and out thousands of
//! times a second, a tenth of the mock's processor time on two cores (README,
//! "Log lines in batches").
//! Idle, the thread sleeps until a line comes. What is waiting is written when
//! the [`Flushed`] guard is dropped.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer rests after a write while the next batch gathers: how
/// late a line may appear under load.
pub const GATHER: Duration = Duration::from_millis(5);

/// Bytes waiting past which a call waits for the writer (about ten thousand lines).
pub const LIMIT: usize = 1 << 20;

#[derive(Default)]
struct Waiting {
    bytes: Vec<u8>,
    stopping: bool,
}

#[derive(Default)]
struct Shared {
    waiting: Mutex<Waiting>,
    /// Signalled by the first line of a batch, and at the stop.
    line_came: Condvar,
    /// Signalled each time the writer has taken a batch.
    room: Condvar,
    limit: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What `tracing_subscriber` writes each line through. Cheap to clone.
#[derive(Clone)]
pub struct Lines(Arc<Shared>);

/// Writes what is waiting and stops the writing thread, when dropped.
pub struct Flushed {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Lines written to `out` in batches, by a thread of their own.
pub fn batched(out: impl Write + Send + 'static) -> (Lines, Flushed) {
    batched_with_limit(out, LIMIT)
}

fn batched_with_limit(mut out: impl Write + Send + 'static, limit: usize) -> (Lines, Flushed) {
    let shared = Arc::new(Shared { limit, ..Shared::default() });
    let theirs = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("log-lines".into())
        .spawn(move || {
            let mut batch = Vec::new();
            loop {
                let mut waiting = theirs.lock();
                while waiting.bytes.is_empty() && !waiting.stopping {
                    waiting = theirs.line_came.wait(waiting).unwrap_or_else(PoisonError::into_inner);
                }
                if waiting.bytes.is_empty() {
                    return; // stopping, and nothing left
                }
                let stopping = waiting.stopping;
                std::mem::swap(&mut waiting.bytes, &mut batch);
                drop(waiting);
                theirs.room.notify_all();
                // A log that cannot be written is not worth stopping the mock for.
                let _ = out.write_all(&batch).and_then(|()| out.flush());
                batch.clear();
                if !stopping {
                    // Lines that come meanwhile gather into the next batch.
                    std::thread::sleep(GATHER);
                }
            }
        })
        .expect("the log's writing thread starts");
    (Lines(Arc::clone(&shared)), Flushed { shared, thread: Some(thread) })
}

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let shared = &*self.0;
        let mut waiting = shared.lock();
        while waiting.bytes.len() >= shared.limit && !waiting.stopping {
            waiting = shared.room.wait(waiting).unwrap_or_else(PoisonError::into_inner);
        }
        let first = waiting.bytes.is_empty();
        waiting.bytes.extend_from_slice(bytes);
        drop(waiting);
        if first {
            shared.line_came.notify_one();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Lines {
    type Writer = Lines;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Drop for Flushed {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.line_came.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The time at the start of each line, as `tracing_subscriber`'s default
/// writes it (`2026-12-04T12:06:07.123456Z`, UTC to the microsecond), the
/// text up to the second kept per thread and given again: a line a call
/// under load, and writing the date field by field was about a seventieth
/// of a send's instructions.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineTime;

impl tracing_subscriber::fmt::time::FormatTime for LineTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write_line_time(std::time::SystemTime::now(), w)
    }
}

fn write_line_time<W: std::fmt::Write>(at: std::time::SystemTime, w: &mut W) -> std::fmt::Result {
    use std::cell::Cell;
    thread_local! {
        static LAST: Cell<Option<(u64, [u8; 20])>> = const { Cell::new(None) };
    }
    // Before 1970 or after the year 9999: written whole.
    let whole = |w: &mut W| {
        let at = chrono::DateTime::<chrono::Utc>::from(at);
        write!(w, "{}", at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    };
    let Ok(since) = at.duration_since(std::time::UNIX_EPOCH) else {
        return whole(w);
    };
    let second = since.as_secs();
    let text = match LAST.get() {
        Some((last, text)) if last == second => text,
        _ => {
            let mut text = [0u8; 20];
            let date = chrono::DateTime::<chrono::Utc>::from(at).format("%Y-%m-%dT%H:%M:%S.").to_string();
            if date.len() != text.len() {
                return whole(w);
            }
            text.copy_from_slice(date.as_bytes());
            LAST.set(Some((second, text)));
            text
        }
    };
    let mut micros = [b'0'; 7];
    let mut left = since.subsec_micros();
    for digit in micros[..6].iter_mut().rev() {
        *digit = b'0' + (left % 10) as u8;
        left /= 10;
    }
    micros[6] = b'Z';
    w.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)?;
    w.write_str(std::str::from_utf8(&micros).map_err(|_| std::fmt::Error)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that keeps what it is given, each write apart, slowly if asked.
    #[derive(Clone, Default)]
    struct Sink {
        writes: Arc<Mutex<Vec<Vec<u8>>>>,
        pause: Duration,
    }

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            std::thread::sleep(self.pause);
            self.writes.lock().unwrap().push(bytes.to_vec());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.writes.lock().unwrap().concat()).unwrap()
        }
    }

    #[test]
    fn every_line_of_every_thread_comes_out_whole_and_in_its_order_and_batched() {
        let sink = Sink::default();
        let (lines, flushed) = batched(sink.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut lines = lines.clone();
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        lines.write_all(format!("thread {t} line {i}\n").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        drop(flushed);
        let text = sink.text();
        assert_eq!(text.lines().count(), 20_000, "no line lost");
        for t in 0..4 {
            let numbers: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("thread {t} line ")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(numbers, (0..5_000).collect::<Vec<_>>(), "thread {t}'s lines whole and in order");
        }
        let writes = sink.writes.lock().unwrap().len();
        assert!(writes < 2_000, "20 000 lines written in {writes} writes: not batched");
    }

    #[test]
    fn a_line_is_written_soon_without_a_stop() {
        let sink = Sink::default();
        let (mut lines, _flushed) = batched(sink.clone());
        lines.write_all(b"one line\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while sink.text().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(sink.text(), "one line\n");
    }

    #[test]
    fn a_full_buffer_makes_the_call_wait_and_drops_nothing() {
        // 100 bytes of room and a sink that takes 20 ms a write: callers must wait.
        let sink = Sink { pause: Duration::from_millis(20), ..Sink::default() };
        let (mut lines, flushed) = batched_with_limit(sink.clone(), 100);
        let line = [b'x'; 59];
        let started = std::time::Instant::now();
        for _ in 0..10 {
            lines.write_all(&line).unwrap();
            lines.write_all(b"\n").unwrap();
        }
        assert!(started.elapsed() >= Duration::from_millis(40), "the calls waited for the slow sink");
        drop(flushed);
        assert_eq!(sink.text(), format!("{}\n", "x".repeat(59)).repeat(10));
    }

    #[test]
    fn a_line_s_time_is_utc_to_the_microsecond_as_tracing_writes_it_the_same_second_again_too() {
        use std::time::{Duration, SystemTime, UNIX_EPOCH};
        let written = |at: SystemTime| {
            let mut text = String::new();
            write_line_time(at, &mut text).unwrap();
            text
        };
        let expected = |at: SystemTime| {
            chrono::DateTime::<chrono::Utc>::from(at).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        };
        let second = UNIX_EPOCH + Duration::from_secs(1_796_472_367);
        for at in [
            second,
            second + Duration::from_micros(7),
            second + Duration::from_nanos(999_999_999),
            second + Duration::from_secs(1),
            second + Duration::from_secs(86_400 * 400) + Duration::from_micros(123_456),
            second,
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_secs(253_402_300_800), // the year 10000
            UNIX_EPOCH - Duration::from_secs(1),
        ] {
            assert_eq!(written(at), expected(at));
        }
        assert_eq!(written(second + Duration::from_micros(7)), "2026-12-05T12:06:07.000007Z");
        // The shape of tracing_subscriber's own default, written now.
        let mut theirs = String::new();
        let mut writer = tracing_subscriber::fmt::format::Writer::new(&mut theirs);
        tracing_subscriber::fmt::time::FormatTime::format_time(&tracing_subscriber::fmt::time::SystemTime, &mut writer)
            .unwrap();
        let ours = written(SystemTime::now());
        let shape = |text: &str| text.chars().map(|c| if c.is_ascii_digit() { '9' } else { c }).collect::<String>();
        assert_eq!(shape(&ours), shape(&theirs));
    }
}
