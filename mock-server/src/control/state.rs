//! `GET` and `PUT /_mock/state`: the whole state as JSON, to save fixtures and
//! seed them (the same document as the state file).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::error::ControlError;
use crate::slug::Slug;
use crate::state::AppState;
use crate::store::snapshot::Snapshot;

/// `GET`: users, partners, teams, emails and links now.
pub(crate) async fn export_state(State(state): State<AppState>) -> Json<Snapshot> {
    Json(state.store.snapshot())
}

/// `PUT`: replaces the state; 400 `invalid_json` / `invalid_state` change nothing.
pub(crate) async fn import_state(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ControlError> {
    let snapshot: Snapshot =
        serde_json::from_slice(&body).map_err(|_| ControlError(StatusCode::BAD_REQUEST, Slug::InvalidJson))?;
    let users = state.restore(snapshot).map_err(|slug| ControlError(StatusCode::BAD_REQUEST, slug))?;
    Ok(Json(json!({"status": "ok", "users": users})))
}
