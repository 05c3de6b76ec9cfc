//! `POST /_mock/reset` and `POST /_mock/partners/{token}/reset`: start a test from a clean slate.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;

/// Forgets all users, emails, links, teams and the journal; keeps the partners.
pub(crate) async fn reset(State(state): State<AppState>) -> Json<Value> {
    state.store.reset();
    Json(json!({"status": "ok"}))
}

/// Forgets only what one partner made, safe while other partners' tests run.
pub(crate) async fn reset_partner(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, ControlError> {
    if state.store.partner(&token).is_none() {
        return Err(ControlError(StatusCode::NOT_FOUND, Slug::PartnerNotFound));
    }
    state.store.reset_partner(&token);
    Ok(Json(json!({"status": "ok"})))
}
