//! What a person does outside the API (clicking an emailed link, adding a
//! payment method): against a mock the suite does it through the mailbox over
//! HTTP, as a browser would; against the sandbox a declared operator does it
//! and the suite polls the API until the change shows.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::target::Operator;

/// Tells the operator what to do, on stderr so it shows through any report.
pub fn instruct(operator: &Operator, what: &str) {
    eprintln!(
        "\n>>> {name}, please act now: {what}\n>>> (waiting up to {secs} s for AR24 to show it)\n",
        name = operator.name,
        secs = operator.timeout.as_secs()
    );
}

/// Calls `check` every `every` until it answers `Ok`, or fails after
/// `timeout` with the last thing `check` saw (its `Err`), so that an operator
/// who did act can tell what AR24 showed instead.
pub async fn poll_until<F, Fut>(timeout: Duration, every: Duration, what: &str, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    loop {
        let last = match check().await {
            Ok(()) => return Ok(()),
            Err(seen) => seen,
        };
        if started.elapsed() >= timeout {
            return Err(format!("{what}: not seen within {} s; the last answer was: {last}", timeout.as_secs()));
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn polling_stops_as_soon_as_the_state_shows() {
        let calls = AtomicU32::new(0);
        let result = poll_until(Duration::from_secs(5), Duration::from_millis(1), "x", || async {
            if calls.fetch_add(1, Ordering::SeqCst) >= 2 { Ok(()) } else { Err("not yet".into()) }
        })
        .await;
        assert_eq!(result, Ok(()));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn polling_gives_up_after_the_timeout_with_a_message() {
        let result = poll_until(Duration::from_millis(20), Duration::from_millis(5), "Alice accepts", || async {
            Err("cgu = 0".to_owned())
        })
        .await;
        let message = result.unwrap_err();
        assert!(message.starts_with("Alice accepts: not seen within"), "{message}");
        assert!(message.ends_with("the last answer was: cgu = 0"), "{message}");
    }
}
