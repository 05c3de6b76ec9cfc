//! A paced load: requests offered at a fixed rate over a fixed number of
//! connections, as wrk2 does, where wrk sends each request as soon as the
//! last answer came (a closed loop at whatever the machine can take, so its
//! latency is mostly the queue that load builds).
//!
//! Each connection has its own schedule (the rate shared evenly, the
//! connections' start times spread over one period). A request whose time
//! came while its connection still waited for the last answer is sent as
//! soon as that answer arrives, and its latency counts from the time it was
//! due, not from when it went out: a slow answer is charged to every request
//! it held back (no coordinated omission). A request whose connection was
//! idle counts from when it went out, so the generator's own timer (tokio's
//! is millisecond-grained) is not charged to the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a paced load measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paced {
    /// Requests a second offered.
    pub offered: f64,
    /// Answers a second received.
    pub rps: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// The slowest answer.
    pub max_ms: f64,
    /// Answers that were not `200` with an encrypted (not `{`) body, and broken connections.
    pub errors: u64,
}

/// The rate the sending tables offer: the 20 000 sends a second.
pub const RATE: f64 = 20_000.0;

/// The connections it is offered over, as wrk's loads.
pub const CONNECTIONS: usize = 64;

/// What [`Paced::met`] checks, as the tables word it.
pub const TARGET: &str = "all answered, p99 < 5 ms";

impl Paced {
    /// What the tables show: received rate, p50 / p99, the slowest, errors.
    pub fn summary(&self) -> String {
        format!(
            "{:.0} a second answered; p50 / p99 {:.2} / {:.2} ms (slowest {:.1} ms); {} errors",
            self.rps, self.p50_ms, self.p99_ms, self.max_ms, self.errors
        )
    }

    /// Every request answered, without error, at the offered rate (2 % slack
    /// for the run's ends), with p99 under 5 ms.
    pub fn met(&self) -> bool {
        self.errors == 0 && self.rps >= 0.98 * self.offered && self.p99_ms < 5.0
    }

    /// The figure's name in the tables.
    pub fn figure(&self, seconds: u64) -> String {
        format!(
            "the same, paced: {:.0} sends a second offered over {CONNECTIONS} connections for {seconds} s, each timed from when it was due",
            self.offered
        )
    }
}

/// Offers `request` (a whole HTTP/1.1 request, kept alive) to 127.0.0.1:`port`
/// at `rate` a second over `connections` connections for `seconds`, on a
/// runtime of its own with two threads (as wrk's two).
pub fn paced(port: u16, request: &[u8], rate: f64, connections: usize, seconds: f64) -> Paced {
    let request: Arc<[u8]> = Arc::from(request);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a runtime for the paced load");
                runtime.block_on(run(SocketAddr::from(([127, 0, 0, 1], port)), request, rate, connections, seconds))
            })
            .join()
            .expect("the paced load ran")
    })
}

async fn run(addr: SocketAddr, request: Arc<[u8]>, rate: f64, connections: usize, seconds: f64) -> Paced {
    let period = Duration::from_secs_f64(connections as f64 / rate);
    // Every connection is open before the first request is due.
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        streams.push(connect(addr).await.expect("the server accepts a connection"));
    }
    let first = Instant::now() + Duration::from_millis(50);
    let end = first + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(i, stream)| {
            let start = first + period.mul_f64(i as f64 / connections as f64);
            tokio::spawn(connection(addr, stream, Arc::clone(&request), start, period, end))
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (own, own_errors) = task.await.expect("a connection's task ran");
        latencies.extend(own);
        errors += own_errors;
    }
    let elapsed = (Instant::now() - first).as_secs_f64();
    latencies.sort_unstable();
    Paced {
        offered: rate,
        rps: latencies.len() as f64 / elapsed,
        p50_ms: percentile_ms(&latencies, 0.50),
        p99_ms: percentile_ms(&latencies, 0.99),
        max_ms: latencies.last().map_or(f64::NAN, |us| f64::from(*us) / 1000.0),
        errors,
    }
}

async fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// One connection's schedule: the latencies of its answers (µs) and its errors.
async fn connection(
    addr: SocketAddr,
    mut stream: TcpStream,
    request: Arc<[u8]>,
    start: Instant,
    period: Duration,
    end: Instant,
) -> (Vec<u32>, u64) {
    let (mut latencies, mut errors) = (Vec::new(), 0);
    let mut buffer = Vec::with_capacity(8192);
    let mut due = start;
    // Nothing is sent after the run's end, however far behind (as wrk2): what
    // was held back shows in the latencies of what was answered, and in the rate.
    while due < end && Instant::now() < end {
        let from = if Instant::now() < due {
            tokio::time::sleep_until(due.into()).await;
            Instant::now()
        } else {
            due
        };
        match exchange(&mut stream, &request, &mut buffer).await {
            Ok(ok) => {
                latencies.push(u32::try_from(from.elapsed().as_micros()).unwrap_or(u32::MAX));
                errors += u64::from(!ok);
            }
            Err(_) => {
                errors += 1;
                match connect(addr).await {
                    Ok(again) => stream = again,
                    Err(_) => break,
                }
            }
        }
        due += period;
    }
    (latencies, errors)
}

/// Sends the request and reads one whole answer: whether it is a success.
async fn exchange(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> std::io::Result<bool> {
    stream.write_all(request).await?;
    buffer.clear();
    loop {
        if let Some(framed) = frame(buffer) {
            let answer = framed.map_err(std::io::Error::other)?;
            if buffer.len() >= answer.length {
                return Ok(answer.success);
            }
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// An HTTP/1.1 answer whose head has arrived.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    /// Head and body, in bytes.
    length: usize,
    /// `200` with a body that is not AR24's plain JSON error envelope
    /// (its answers are encrypted text; only errors start with `{`).
    success: bool,
}

/// The answer at the start of `bytes`, once its head and the first byte of
/// its body are there; `None` until then.
fn frame(bytes: &[u8]) -> Option<Result<Answer, String>> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = match std::str::from_utf8(&bytes[..head_end]) {
        Ok(head) => head,
        Err(_) => return Some(Err("an answer's head is not text".into())),
    };
    let status = head.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok());
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
    });
    let (Some(status), Some(length)) = (status, length) else {
        return Some(Err(format!("an answer without a status or a content-length: {head}")));
    };
    if length > 0 && bytes.len() == head_end {
        return None;
    }
    let success = status == 200 && bytes.get(head_end) != Some(&b'{');
    Some(Ok(Answer { length: head_end + length, success }))
}

/// The `share` percentile of sorted latencies in µs, in ms.
fn percentile_ms(sorted: &[u32], share: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn an_answer_is_framed_by_its_content_length_and_judged_by_status_and_body() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 5\r\n\r\nnG2Ig";
        assert_eq!(frame(ok), Some(Ok(Answer { length: ok.len(), success: true })));
        assert_eq!(frame(&ok[..20]), None, "the head is not all there");
        assert_eq!(frame(&ok[..ok.len() - 5]), None, "the body has not begun: its first byte decides");
        let error = b"HTTP/1.1 200 OK\r\ncontent-length: 18\r\n\r\n{\"status\":\"ERROR\"}";
        assert_eq!(frame(error), Some(Ok(Answer { length: error.len(), success: false })));
        let refused = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(frame(refused), Some(Ok(Answer { length: refused.len(), success: false })));
        assert!(frame(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5").unwrap().is_err());
    }

    #[test]
    fn percentiles_are_ranks_of_the_sorted_latencies() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&sorted, 0.50), 50.0);
        assert_eq!(percentile_ms(&sorted, 0.99), 99.0);
        assert_eq!(percentile_ms(&sorted[..1], 0.99), 1.0);
        assert!(percentile_ms(&[], 0.5).is_nan());
    }

    /// A server on 127.0.0.1 that answers every request after `delay`, except
    /// the one numbered `stall_at` (counted over all connections), which waits `stall`.
    fn server(delay: Duration, stall_at: usize, stall: Duration) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        listener.set_nonblocking(true).expect("non-blocking");
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("a tokio listener");
                let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
                loop {
                    let (mut socket, _) = listener.accept().await.expect("a connection");
                    let count = Arc::clone(&count);
                    tokio::spawn(async move {
                        let mut buffer = Vec::new();
                        let mut chunk = [0u8; 1024];
                        loop {
                            while let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                                buffer.drain(..at + 4);
                                let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                tokio::time::sleep(if n == stall_at { stall } else { delay }).await;
                                let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nAbCd";
                                if socket.write_all(answer).await.is_err() {
                                    return;
                                }
                            }
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                            }
                        }
                    });
                }
            });
        });
        port
    }

    const GET: &[u8] = b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";

    #[test]
    fn requests_go_out_at_the_offered_rate_and_an_answer_held_back_is_charged_to_every_request_it_delayed() {
        // 400 a second over 4 connections: one request every 10 ms on each; one answer takes 300 ms.
        let port = server(Duration::ZERO, 100, Duration::from_millis(300));
        let load = paced(port, GET, 400.0, 4, 2.0);
        assert_eq!(load.errors, 0);
        assert!((340.0..=420.0).contains(&load.rps), "about the offered rate: {load:?}");
        assert!(load.max_ms >= 300.0, "the stalled answer: {load:?}");
        // The stalled connection's next ~30 requests were due while it waited: each counts from
        // its due time (300 ms down to 0), so more than 1 % of all ~800 took over 100 ms. Timed
        // from when they went out, only the stalled one would have, and the p99 would be ~0.
        assert!(load.p99_ms >= 100.0, "the requests held back count: {load:?}");
        assert!(load.p50_ms < 50.0, "the others are quick: {load:?}");
    }

    #[test]
    fn error_envelopes_and_a_closed_server_count_as_errors() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        std::thread::spawn(move || {
            for socket in listener.incoming().take(2) {
                let mut socket = socket.expect("a connection");
                let mut chunk = [0u8; 1024];
                let _ = std::io::Read::read(&mut socket, &mut chunk);
                let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
                let _ = std::io::Write::write_all(&mut socket, answer);
                // Then the connection closes: the next request on it fails.
            }
        });
        let load = paced(port, GET, 20.0, 1, 0.2);
        assert!(load.errors >= 2, "the envelope and the closed connection: {load:?}");
    }
}
