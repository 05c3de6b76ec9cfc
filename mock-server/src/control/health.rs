//! `GET /_mock/health`: the container health check, and how far the state
//! file has followed the store.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app_state::AppState;

/// `{"status":"ok"}` whenever the mock serves; with a state file, also
/// `"state_file": {"changes": N, "written": M}`: the changes made so far and
/// how many of them the file holds (all of them once `written >= changes`,
/// as read in an earlier answer).
pub(crate) async fn health(State(state): State<AppState>) -> Json<Value> {
    let changes = state.store.version();
    match state.state_file.written() {
        Some(written) => Json(json!({"status": "ok", "state_file": {"changes": changes, "written": written}})),
        None => Json(json!({"status": "ok"})),
    }
}
