//! The success envelope `{"status":"SUCCESS","result":...}`, which AR24 sends
//! as bare base64 AES-256-CBC ciphertext (ar24-protocol.md, "Response encryption").

use std::sync::Arc;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Ar24Error;
use crate::store::partner::Partner;

/// A success answer. Handlers build it through `Caller::ok` / `Caller::done`
/// and never touch the crypto.
#[derive(Debug)]
pub struct Ar24Ok<T> {
    result: Option<T>,
    /// The partner and the `date` the body is encrypted for; `None` in plain mode.
    seal: Option<(Arc<Partner>, String)>,
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a T>,
}

/// Room made for an answer's JSON before it is written: most fit (a mail
/// object is about 1.3 KB), so it is not grown and copied four times over.
const ANSWER_ROOM: usize = 2048;

impl<T> Ar24Ok<T> {
    pub(crate) fn new(result: Option<T>, seal: Option<(Arc<Partner>, String)>) -> Self {
        Self { result, seal }
    }
}

impl<T: Serialize> IntoResponse for Ar24Ok<T> {
    fn into_response(self) -> Response {
        let envelope = Envelope { status: "SUCCESS", result: self.result.as_ref() };
        let mut json = Vec::with_capacity(ANSWER_ROOM);
        let json = match serde_json::to_writer(&mut json, &envelope) {
            Ok(()) => json,
            Err(err) => return Ar24Error::Internal(format!("cannot serialize an answer: {err}")).into_response(),
        };
        match self.seal {
            None => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], json).into_response(),
            // [ASSUMED] content type of an encrypted body.
            Some((partner, date)) => (
                [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))],
                partner.keys.encrypt_response(&date, &json),
            )
                .into_response(),
        }
    }
}
