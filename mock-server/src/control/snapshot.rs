//! `GET` and `PUT /_mock/state`: the whole state as JSON, to save fixtures and
//! seed them (the same document as the state file).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::read_body;
use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;
use crate::store::snapshot::Snapshot;

/// `GET`: the whole state now, streamed as it is written (no second copy of it as text).
pub(crate) async fn export_state(State(state): State<AppState>) -> Response {
    let snapshot = state.store.snapshot();
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let writer = std::io::BufWriter::with_capacity(64 * 1024, ChannelWriter(sender.clone()));
        if let Err(err) = serde_json::to_writer(writer, &snapshot) {
            // The client sees the body cut short rather than a truncated document passing for whole.
            let _ = sender.blocking_send(Err(std::io::Error::other(err)));
        }
    });
    let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    ([(header::CONTENT_TYPE, "application/json")], Body::from_stream(chunks)).into_response()
}

/// Writes into the response body's channel, waiting while the client reads.
struct ChannelWriter(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(bytes)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `PUT`: replaces the state; 400 `invalid_json` / `invalid_state` and 413
/// `body_too_large` (over `--max-state-body`) change nothing.
pub(crate) async fn import_state(State(state): State<AppState>, request: Request) -> Result<Json<Value>, ControlError> {
    let (parts, body) = request.into_parts();
    let body = read_body(body, &parts.headers, state.config.max_state_body).await?;
    let snapshot: Snapshot =
        serde_json::from_slice(&body).map_err(|_| ControlError(StatusCode::BAD_REQUEST, Slug::InvalidJson))?;
    drop(body);
    let users = state.restore(snapshot).map_err(|slug| ControlError(StatusCode::BAD_REQUEST, slug))?;
    Ok(Json(json!({"status": "ok", "users": users})))
}
