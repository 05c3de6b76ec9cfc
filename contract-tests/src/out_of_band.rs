//! What a person does outside the API (clicking an emailed link, adding a
//! payment method): against a mock the suite does it through the mailbox over
//! HTTP, as a browser would; against the sandbox a declared operator does it
//! and the suite polls the API until the change shows.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::target::{Credentials, Operator};

/// The mock's control plane, as the suite needs it.
#[derive(Debug, Clone)]
pub struct ControlPlane {
    root: String,
    http: reqwest::Client,
}

impl ControlPlane {
    /// The control plane at `root` (`http://host:port/_mock/`).
    pub fn new(root: &str) -> Self {
        Self { root: root.to_owned(), http: reqwest::Client::new() }
    }

    /// A fresh partner with these settings.
    pub async fn new_partner(&self, global_billing: bool, cgu_preaccepted: bool) -> Result<Credentials, String> {
        let body =
            json!({"global_billing": global_billing, "cgu_preaccepted": cgu_preaccepted, "name": "Contract suite"});
        let response = self
            .http
            .post(format!("{}partners", self.root))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("cannot reach the mock's control plane: {e}"))?;
        if response.status() != 201 {
            return Err(format!("the mock refused a new partner: HTTP {}", response.status()));
        }
        let partner: Value = response.json().await.map_err(|e| e.to_string())?;
        let text = |key: &str| partner[key].as_str().map(str::to_owned).ok_or(format!("partner without {key}"));
        Ok(Credentials { token: text("token")?, private_key: text("private_key")? })
    }

    /// The link of the latest email of `kind` (`cgu`, `access`, `team`, `payment`) sent to `to`.
    pub async fn latest_link(&self, to: &str, kind: &str) -> Result<String, String> {
        let response = self
            .http
            .get(format!("{}emails", self.root))
            .query(&[("to", to), ("kind", kind)])
            .send()
            .await
            .map_err(|e| format!("cannot read the mailbox: {e}"))?;
        let emails: Vec<Value> = response.json().await.map_err(|e| e.to_string())?;
        emails
            .last()
            .and_then(|email| email["link"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("no {kind} email was sent to {to}"))
    }

    /// Clicks the button of `link`, as its reader would.
    pub async fn accept(&self, link: &str) -> Result<(), String> {
        let response = self
            .http
            .post(link)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("cannot open {link}: {e}"))?;
        match response.status().as_u16() {
            200 => Ok(()),
            status => Err(format!("{link} answered HTTP {status}: {}", response.text().await.unwrap_or_default())),
        }
    }
}

/// Tells the operator what to do, on stderr so it shows through any report.
pub fn instruct(operator: &Operator, what: &str) {
    eprintln!(
        "\n>>> {name}, please act now: {what}\n>>> (waiting up to {secs} s for AR24 to show it)\n",
        name = operator.name,
        secs = operator.timeout.as_secs()
    );
}

/// Calls `check` every `every` until it answers `true`, or fails after `timeout`.
pub async fn poll_until<F, Fut>(timeout: Duration, every: Duration, what: &str, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(format!("{what}: not seen within {} s", timeout.as_secs()));
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
            calls.fetch_add(1, Ordering::SeqCst) >= 2
        })
        .await;
        assert_eq!(result, Ok(()));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn polling_gives_up_after_the_timeout_with_a_message() {
        let result =
            poll_until(Duration::from_millis(20), Duration::from_millis(5), "Alice accepts", || async { false }).await;
        assert!(result.unwrap_err().starts_with("Alice accepts: not seen within"));
    }
}
