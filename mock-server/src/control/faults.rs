//! `/_mock/faults`: outages and errors to rehearse against (see `store/faults.rs`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::SmallBody;
use crate::app_state::AppState;
use crate::error::{ControlError, ReasonedError};
use crate::slug::Slug;
use crate::store::faults::{FaultRequest, FaultRule};

/// `POST /_mock/faults`: a new rule (201), or 400 `invalid_fault` / `invalid_json`.
pub(crate) async fn add_fault(
    State(state): State<AppState>,
    SmallBody(body): SmallBody,
) -> Result<(StatusCode, Json<FaultRule>), ReasonedError> {
    let request: FaultRequest =
        serde_json::from_slice(&body).map_err(|_| ControlError(StatusCode::BAD_REQUEST, Slug::InvalidJson))?;
    if let Some(route) = request.route.as_deref() {
        let path = route.trim().trim_matches('/');
        if !path.is_empty() && !crate::routes::PATHS.contains(&path) {
            let reason = format!(
                "no AR24 route is named {route:?}: a rule's route is one of {} (below /api/)",
                crate::routes::PATHS.join(", ")
            );
            return Err(ControlError::with_reason(StatusCode::BAD_REQUEST, Slug::InvalidFault, reason));
        }
    }
    let rule = state.store.faults.add(request).map_err(|slug| ControlError(StatusCode::BAD_REQUEST, slug))?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `GET /_mock/faults`: the rules in force, oldest first.
pub(crate) async fn list_faults(State(state): State<AppState>) -> Json<Vec<FaultRule>> {
    Json(state.store.faults.list())
}

/// `DELETE /_mock/faults`: removes every rule.
pub(crate) async fn clear_faults(State(state): State<AppState>) -> Json<Value> {
    state.store.faults.clear(None);
    Json(json!({"status": "ok"}))
}
