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
        // Written by `sonic_rs`, which escapes strings many bytes at a time (`serde_json`,
        // a byte at a time, was a twelfth of a send's instructions): the same bytes as
        // `serde_json` writes (a test below).
        let json = match sonic_rs::to_writer(&mut json, &envelope) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_s_json_is_the_bytes_serde_json_writes() {
        let mut text = String::new();
        for c in (0u8..0x20).map(char::from).chain(['"', '\\', '/', 'é', 'Ω', '€', '😀', '\u{7f}', '\u{2028}']) {
            text.push_str(&"a plain run of text "[..(text.len() % 17) + 3]);
            text.push(c);
        }
        let result = serde_json::json!({
            "text": text,
            "prices": [0, 20, 3.49, 0.1, 12.345, 1e-7, 1.5e300, -2.5],
            "ids": [u64::MAX, i64::MIN, 0],
            "nested": {"empty": "", "none": null, "yes": true, "list": []},
            "date": "2026-03-29 02:30:00",
        });
        let response = Ar24Ok::new(Some(result.clone()), None).into_response();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let expected = serde_json::to_vec(&Envelope { status: "SUCCESS", result: Some(&result) }).unwrap();
        assert_eq!(String::from_utf8_lossy(&body), String::from_utf8_lossy(&expected));
    }
}
