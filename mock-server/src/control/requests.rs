//! `GET /_mock/requests`: the request journal, oldest first, without secrets.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Deserialize;

use super::query;
use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;
use crate::store::journal::JournalEntry;

#[derive(Debug, Deserialize)]
struct JournalFilter {
    token: Option<String>,
}

/// `?token=T` keeps one partner's calls.
pub(crate) async fn list_requests(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<JournalEntry>>, ControlError> {
    let filter: JournalFilter = query(raw.as_deref(), Slug::InvalidFilter)?;
    Ok(Json(state.store.requests(filter.token.as_deref().filter(|t| !t.is_empty()))))
}
