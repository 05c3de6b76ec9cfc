//! Authentication of every AR24 call (ar24-protocol.md, "Authentication"):
//! the `token` and `date` parameters and the `signature` header.
//!
//! Checked in this order, the first failure answered ([ASSUMED] order):
//! `token_missing`, `token_invalid`, `empty_date`, `invalid_date`,
//! `expired_date` / `date_in_future`, `empty_signature`, `invalid_signature`.
//! In `plain` mode only the token is checked.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;

use super::envelope::Ar24Ok;
use crate::config::AuthMode;
use crate::error::Ar24Error;
use crate::protocol::date;
use crate::protocol::params::Params;
use crate::slug::Slug;
use crate::state::AppState;
use crate::store::partner::Partner;

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

impl FromRequestParts<AppState> for Caller {
    type Rejection = Ar24Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let params = parts
            .extensions
            .get::<Arc<Params>>()
            .ok_or_else(|| Ar24Error::Internal("parameters were not read before authentication".into()))?;
        let signature = parts.headers.get("signature").map(|v| v.to_str().unwrap_or("\u{0}"));
        authenticate(state, params, signature).map_err(Into::into)
    }
}

fn authenticate(state: &AppState, params: &Params, signature: Option<&str>) -> Result<Caller, Slug> {
    let token = params.get("token").map(str::trim).unwrap_or_default();
    if token.is_empty() {
        return Err(Slug::TokenMissing);
    }
    let partner = state.store.partner(token).ok_or(Slug::TokenInvalid)?;
    if state.config.auth == AuthMode::Plain {
        return Ok(Caller { partner, sealed_with: None });
    }
    let sent_date = params.get("date").unwrap_or_default();
    date::check(sent_date, chrono::Utc::now(), state.config.date_window)?;
    let signature = signature.map(str::trim).unwrap_or_default();
    if signature.is_empty() {
        return Err(Slug::EmptySignature);
    }
    if !partner.keys.verify(sent_date, signature) {
        return Err(Slug::InvalidSignature);
    }
    Ok(Caller { partner, sealed_with: Some(sent_date.to_owned()) })
}
