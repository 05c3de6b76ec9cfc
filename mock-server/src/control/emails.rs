//! `GET /_mock/emails`: the outbox as JSON, oldest first.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::query;
use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;
use crate::store::outbox::{Email, LinkKind};

#[derive(Debug, Deserialize)]
struct EmailFilter {
    to: Option<String>,
    kind: Option<String>,
}

/// `?to=EMAIL` (any case) and `?kind=` (a [`LinkKind`]) narrow the list.
pub(crate) async fn list_emails(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<Email>>, ControlError> {
    let bad_filter = || ControlError(StatusCode::BAD_REQUEST, Slug::InvalidFilter);
    let filter: EmailFilter = query(raw.as_deref(), Slug::InvalidFilter)?;
    let kind = match filter.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(text) => Some(LinkKind::parse(text).ok_or_else(bad_filter)?),
    };
    let to = filter.to.as_deref().filter(|t| !t.trim().is_empty());
    Ok(Json(state.store.outbox().emails(to, kind)))
}
