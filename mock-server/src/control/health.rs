//! `GET /_mock/health`: the container health check.

use axum::Json;
use serde_json::{Value, json};

/// `{"status":"ok"}` whenever the mock serves.
pub(crate) async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
