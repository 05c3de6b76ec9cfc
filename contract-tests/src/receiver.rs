//! The suite's webhook receiver: records every form AR24 posts and answers
//! HTTP 200 (500 at its failing URL; slowly about one status at its slow
//! URL, and not at all at its silent URL). Each call is recorded as it is
//! answered. One per run, shared by the scenarios, each of which looks for
//! the calls about its own letter (`id_mail`).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::State;
use axum::http::StatusCode;

/// One call: its form fields.
pub type Call = Vec<(String, String)>;

/// A running receiver.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// The URL to give AR24.
    pub url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Receiver {
    /// Listens on `listen` (port 0: one the OS picks); AR24 is given
    /// `public_url`, or the receiver's own address when there is none.
    pub async fn start(listen: SocketAddr, public_url: Option<String>) -> std::io::Result<Self> {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let url = public_url.unwrap_or(format!("http://{}/ar24-webhook", listener.local_addr()?));
        let app = axum::Router::new().fallback(record).with_state(Arc::clone(&calls));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { url, calls })
    }

    /// A URL whose calls are recorded too, but answered 500.
    pub fn failing_url(&self) -> String {
        self.url_asking("answer=500")
    }

    /// A URL whose calls about `new_state` are answered (and recorded) only
    /// after [`SLOW_ANSWER`]; others at once.
    pub fn slow_url(&self, new_state: &str) -> String {
        self.url_asking(&format!("slow={new_state}"))
    }

    /// A URL whose calls about `new_state` get no answer for a minute, longer
    /// than AR24 waits; others are answered at once.
    pub fn silent_url(&self, new_state: &str) -> String {
        self.url_asking(&format!("silent={new_state}"))
    }

    fn url_asking(&self, pair: &str) -> String {
        format!("{}{}{pair}", self.url, if self.url.contains('?') { '&' } else { '?' })
    }

    /// The calls about letter `id`, in the order they were answered.
    pub fn calls_about(&self, id: u64) -> Vec<Call> {
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let id = id.to_string();
        calls.iter().filter(|call| call.iter().any(|(k, v)| k == "id_mail" && *v == id)).cloned().collect()
    }
}

/// How long the slow URL takes to answer.
pub const SLOW_ANSWER: std::time::Duration = std::time::Duration::from_millis(200);

async fn record(State(calls): State<Arc<Mutex<Vec<Call>>>>, uri: axum::http::Uri, body: String) -> StatusCode {
    let fields: Call = serde_urlencoded::from_str(&body).unwrap_or_default();
    let query: Call = serde_urlencoded::from_str(uri.query().unwrap_or_default()).unwrap_or_default();
    let about = |name: &str| field(&query, name).is_some_and(|state| field(&fields, "new_state") == Some(state));
    if about("slow") {
        tokio::time::sleep(SLOW_ANSWER).await;
    }
    if about("silent") {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
    calls.lock().unwrap_or_else(PoisonError::into_inner).push(fields);
    if field(&query, "answer") == Some("500") { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
}

/// The value of `name` in `call`.
pub fn field<'a>(call: &'a Call, name: &str) -> Option<&'a str> {
    call.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
