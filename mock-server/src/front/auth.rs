//! Authentication of every AR24 call (ar24-protocol.md, "Authentication"):
//! the `token` and `date` parameters and the `signature` header.
//!
//! Checked in this order, the first failure answered ([ASSUMED] order):
//! `token_missing`, `token_invalid`, `empty_date`, `invalid_date`,
//! `expired_date` / `date_in_future`, `empty_signature`, `invalid_signature`.
//! In `plain` mode only the token is checked.
//!
//! This is the one place that decides: a failure is an [`AuthFailure`] that
//! carries what explaining it needs (which check failed, the date as parsed,
//! the server's time it was checked against, the partner whose key would
//! have matched), and `hints.rs` only turns it into words.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::envelope::Ar24Ok;
use crate::app_state::AppState;
use crate::config::AuthMode;
use crate::error::Ar24Error;
use crate::protocol::crypto::SignatureReading;
use crate::protocol::date;
use crate::protocol::params::Params;
use crate::slug::Slug;
use crate::store::Store;
use crate::store::partner::Partner;

/// Headers a token is sometimes sent in by mistake (AR24 reads only the parameter).
const TOKEN_HEADERS: [&str; 3] = ["token", "authorization", "x-token"];

/// The authenticated partner of a call.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who is calling.
    pub partner: Arc<Partner>,
    /// In strict mode, the `date` exactly as sent: it keys the response encryption.
    sealed_with: Option<String>,
}

impl Caller {
    /// A success answer carrying `result`, encrypted as this call requires.
    pub fn ok<T: Serialize>(&self, result: T) -> Ar24Ok<T> {
        Ar24Ok::new(Some(result), self.seal())
    }

    /// A success answer without a `result` (`{"status":"SUCCESS"}`).
    pub fn done(&self) -> Ar24Ok<()> {
        Ar24Ok::new(None, self.seal())
    }

    fn seal(&self) -> Option<(Arc<Partner>, String)> {
        self.sealed_with.clone().map(|date| (Arc::clone(&self.partner), date))
    }
}

/// Why a call was not authenticated, and what explaining it needs.
#[derive(Debug, Clone)]
pub struct AuthFailure {
    /// The server's time the date was checked against.
    pub now: DateTime<Utc>,
    /// Seconds a date may be away from `now`.
    pub window: u64,
    /// The check that failed.
    pub why: Why,
}

/// The check that failed, with what it found.
#[derive(Debug, Clone)]
pub enum Why {
    /// No `token` parameter; these token headers came instead.
    NoToken {
        /// Lowercase names.
        token_headers: Vec<&'static str>,
    },
    /// No partner has the token.
    UnknownToken {
        /// A partner whose token differs only by blanks (`false`) or letter case (`true`), by name.
        near: Option<(String, bool)>,
    },
    /// No `date` parameter.
    NoDate,
    /// A `date` not in AR24's format.
    BadDate {
        /// As sent.
        sent: String,
    },
    /// A `date` outside the window: `expired_date` before it, `date_in_future` after.
    OutOfWindow {
        /// As sent.
        sent: String,
        /// As parsed.
        at: DateTime<Utc>,
    },
    /// No `signature` header.
    NoSignature {
        /// A `signature` came as a parameter instead.
        as_parameter: bool,
    },
    /// A signature that does not verify.
    BadSignature {
        /// The `date` as sent.
        date: String,
        /// Another partner whose key it was made with, by name.
        other_partner: Option<String>,
        /// What it is, read with the caller's key (when no other partner's key explains it).
        reading: Option<SignatureReading>,
    },
}

impl AuthFailure {
    /// The slug answered.
    pub fn slug(&self) -> Slug {
        match &self.why {
            Why::NoToken { .. } => Slug::TokenMissing,
            Why::UnknownToken { .. } => Slug::TokenInvalid,
            Why::NoDate => Slug::EmptyDate,
            Why::BadDate { .. } => Slug::InvalidDate,
            Why::OutOfWindow { at, .. } if *at < self.now => Slug::ExpiredDate,
            Why::OutOfWindow { .. } => Slug::DateInFuture,
            Why::NoSignature { .. } => Slug::EmptySignature,
            Why::BadSignature { .. } => Slug::InvalidSignature,
        }
    }
}

/// The answer to an unauthenticated call: AR24's bare slug on the wire, the
/// failure kept on the response for the front door's hint.
impl IntoResponse for AuthFailure {
    fn into_response(self) -> Response {
        let mut response = Ar24Error::Slug(self.slug()).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The rejection of [`Caller`]: a failed check, or parameters never read.
#[derive(Debug)]
pub enum Rejection {
    /// A check failed.
    Failed(Box<AuthFailure>),
    /// The front door did not run (a bug).
    Internal(Ar24Error),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Failed(failure) => failure.into_response(),
            Rejection::Internal(err) => err.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let params = parts.extensions.get::<Arc<Params>>().ok_or_else(|| {
            Rejection::Internal(Ar24Error::Internal("parameters were not read before authentication".into()))
        })?;
        let sent = Credentials::of(params, &parts.headers);
        let now = Utc::now();
        decide(&sent, state.store.as_ref(), state.config.auth, now, state.config.date_window)
            .map_err(|failure| Rejection::Failed(Box::new(failure)))
    }
}

/// What a call sent to authenticate itself.
#[derive(Debug, Default)]
pub struct Credentials<'a> {
    pub(super) token: Option<&'a str>,
    pub(super) date: Option<&'a str>,
    /// The `signature` header, read once (bytes that are not UTF-8 replaced).
    pub(super) signature: Option<String>,
    pub(super) signature_as_parameter: bool,
    pub(super) token_headers: Vec<&'static str>,
}

impl<'a> Credentials<'a> {
    /// What `params` and `headers` hold.
    pub fn of(params: &'a Params, headers: &HeaderMap) -> Self {
        Self {
            token: params.get("token"),
            date: params.get("date"),
            signature: headers.get("signature").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            signature_as_parameter: params.get("signature").is_some(),
            token_headers: TOKEN_HEADERS.into_iter().filter(|h| headers.contains_key(*h)).collect(),
        }
    }
}

/// The partners a call may be from.
pub trait Known {
    /// The partner with this token.
    fn get(&self, token: &str) -> Option<Arc<Partner>>;
    /// Every partner (asked only when a check fails).
    fn all(&self) -> Vec<Arc<Partner>>;
}

impl Known for Store {
    fn get(&self, token: &str) -> Option<Arc<Partner>> {
        self.partner(token)
    }
    fn all(&self) -> Vec<Arc<Partner>> {
        self.partners().list()
    }
}

/// Authenticates `sent` at `now`: the caller, or the first check that failed.
pub fn decide(
    sent: &Credentials<'_>,
    known: &impl Known,
    mode: AuthMode,
    now: DateTime<Utc>,
    window: u64,
) -> Result<Caller, AuthFailure> {
    let fail = |why| AuthFailure { now, window, why };
    let token = sent.token.map(str::trim).unwrap_or_default();
    if token.is_empty() {
        return Err(fail(Why::NoToken { token_headers: sent.token_headers.clone() }));
    }
    let Some(partner) = known.get(token) else {
        return Err(fail(Why::UnknownToken { near: near_token(token, known) }));
    };
    if mode == AuthMode::Plain {
        return Ok(Caller { partner, sealed_with: None });
    }
    let sent_date = sent.date.unwrap_or_default();
    match date::check(sent_date, now, window) {
        Ok(_) => {}
        Err(date::Refused::Empty) => return Err(fail(Why::NoDate)),
        Err(date::Refused::Invalid) => return Err(fail(Why::BadDate { sent: sent_date.to_owned() })),
        Err(date::Refused::Outside(at)) => return Err(fail(Why::OutOfWindow { sent: sent_date.to_owned(), at })),
    }
    let signature = sent.signature.as_deref().map(str::trim).unwrap_or_default();
    if signature.is_empty() {
        return Err(fail(Why::NoSignature { as_parameter: sent.signature_as_parameter }));
    }
    if !partner.keys.verify(sent_date, signature) {
        let other_partner = known
            .all()
            .into_iter()
            .find(|p| p.token != partner.token && p.keys.verify(sent_date, signature))
            .map(|p| p.name.clone());
        let reading = other_partner.is_none().then(|| partner.keys.read_signature(sent_date, signature));
        return Err(fail(Why::BadSignature { date: sent_date.to_owned(), other_partner, reading }));
    }
    Ok(Caller { partner, sealed_with: Some(sent_date.to_owned()) })
}

/// A partner whose token differs from `sent` only by blanks or letter case.
fn near_token(sent: &str, known: &impl Known) -> Option<(String, bool)> {
    let partner = known.all().into_iter().find(|p| p.token.trim().eq_ignore_ascii_case(sent))?;
    let by_case = partner.token.trim() != sent;
    Some((partner.name.clone(), by_case))
}
