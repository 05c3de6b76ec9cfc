//! The suite's webhook receiver: records every form AR24 posts and answers
//! HTTP 200 (500 at its failing URL). One per run, shared by the scenarios,
//! each of which looks for the calls about its own letter (`id_mail`).

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
        format!("{}{}answer=500", self.url, if self.url.contains('?') { '&' } else { '?' })
    }

    /// The calls about letter `id`, oldest first.
    pub fn calls_about(&self, id: u64) -> Vec<Call> {
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        let id = id.to_string();
        calls.iter().filter(|call| call.iter().any(|(k, v)| k == "id_mail" && *v == id)).cloned().collect()
    }
}

async fn record(State(calls): State<Arc<Mutex<Vec<Call>>>>, uri: axum::http::Uri, body: String) -> StatusCode {
    let fields: Call = serde_urlencoded::from_str(&body).unwrap_or_default();
    calls.lock().unwrap_or_else(PoisonError::into_inner).push(fields);
    let failing = uri.query().is_some_and(|q| q.split('&').any(|pair| pair == "answer=500"));
    if failing { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
}

/// The value of `name` in `call`.
pub fn field<'a>(call: &'a Call, name: &str) -> Option<&'a str> {
    call.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
