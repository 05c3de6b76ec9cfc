//! `POST /_mock/reset` and `POST /_mock/partners/{token}/reset`: start a test from a clean slate.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;

/// Forgets all users, emails, links, teams and the journal; keeps the partners.
/// With a seed, back to the seed (partners made since kept).
pub(crate) async fn reset(State(state): State<AppState>) -> Result<Json<Value>, ControlError> {
    match &state.seed {
        Some(seed) => state.store.reset_to(seed, [state.default_partner()]).map_err(seed_refused)?,
        None => state.store.reset(),
    }
    Ok(Json(json!({"status": "ok"})))
}

/// The seed's state no longer fits beside what is kept (an address taken since, say).
fn seed_refused(slug: Slug) -> ControlError {
    ControlError(StatusCode::CONFLICT, slug)
}

/// Forgets only what one partner made, safe while other partners' tests run.
pub(crate) async fn reset_partner(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, ControlError> {
    if state.store.partner(&token).is_none() {
        return Err(ControlError(StatusCode::NOT_FOUND, Slug::PartnerNotFound));
    }
    match &state.seed {
        Some(seed) => state.store.reset_partner_to(&token, seed, [state.default_partner()]).map_err(seed_refused)?,
        None => state.store.reset_partner(&token),
    }
    Ok(Json(json!({"status": "ok"})))
}
