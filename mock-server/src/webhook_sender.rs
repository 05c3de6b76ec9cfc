//! Webhook attempts on the wire: one form POST, with AR24's timeout for its
//! attempt number, answered by the attempt to record. When attempts are
//! made is the runner's (`ticker.rs`); a receiver that hangs holds one
//! permit until its timeout, nothing else.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use crate::protocol::date::ParisTime;
use crate::store::webhook::{Attempt, Due, timeout};

/// Attempts under way at once, at most.
const CONCURRENT: usize = 16;

/// The webhook sender.
#[derive(Debug)]
pub struct Webhooks {
    http: reqwest::Client,
    permits: Arc<Semaphore>,
}

impl Webhooks {
    /// A sender with its own HTTP client, posting to `http://` and `https://`
    /// receivers; for `https://`, the public roots are trusted, and the
    /// certificates in the PEM file `trusted` too (a local receiver's own).
    pub fn new(trusted: Option<&Path>) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder().user_agent("AR24 webhook (ar24-mock)");
        if let Some(path) = trusted {
            let pem =
                std::fs::read(path).map_err(|err| format!("cannot read --webhook-ca {}: {err}", path.display()))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| format!("--webhook-ca {} holds no PEM certificate", path.display()))?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|err| format!("cannot make the webhook client: {err}"))?;
        Ok(Self { http, permits: Arc::new(Semaphore::new(CONCURRENT)) })
    }

    /// Makes one attempt: posts the delivery's fields and tells what came of
    /// it, stamped with the business time it fell due.
    pub async fn attempt(&self, due: &Due) -> Attempt {
        let _permit = self.permits.acquire().await;
        let started = Instant::now();
        let sent = self.http.post(&due.url).form(&due.payload).timeout(timeout(due.number)).send().await;
        let (status, error) = match sent {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(err) if err.is_timeout() => (None, Some(format!("no answer within {:?}", timeout(due.number)))),
            Err(err) => (None, Some(describe(&err))),
        };
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Some(error) = &error {
            tracing::warn!(url = %due.url, attempt = due.number, %error, "webhook attempt failed");
        }
        Attempt { number: due.number, at: ParisTime(due.when), status, error, duration_ms }
    }
}

/// The error in words, with its cause (reqwest's own text is terse).
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
