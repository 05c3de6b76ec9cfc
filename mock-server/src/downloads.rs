//! AR24's download URLs, under the mock's public URL (ar24-sending.md §1.10):
//! `/get/proof/{code}-{id}?token=`, `/get/content/{id}?token=`,
//! `/get/zip/{id}?token=` (each guarded by the letter's own 16-character
//! token) and `/get/att/{sha1}` (an attachment's bytes). Anything else at
//! these addresses is 404 `download_not_found`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app_state::AppState;
use crate::documents::{self, PROOFS};
use crate::error::ControlError;
use crate::slug::Slug;
use crate::store::letter::Letter;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/proof/{which}", get(proof))
        .route("/content/{id}", get(content))
        .route("/zip/{id}", get(zip))
        .route("/att/{sha1}", get(attachment))
}

#[derive(Debug, Default, Deserialize)]
struct Token {
    token: Option<String>,
}

fn not_found() -> Response {
    ControlError(StatusCode::NOT_FOUND, Slug::DownloadNotFound).into_response()
}

/// The letter `id`, if `token` is its download token.
fn guarded(state: &AppState, id: &str, token: &Token) -> Option<Arc<Letter>> {
    let letter = state.store.mail().letter(id.parse().ok()?)?;
    (token.token.as_deref() == Some(letter.download_token.as_str())).then_some(letter)
}

fn file(content_type: &'static str, name: String, bytes: Vec<u8>) -> Response {
    let disposition = format!("inline; filename=\"{}\"", name.replace(['"', '\\', '\r', '\n'], "_"));
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

/// `GET /get/proof/{code}-{id}?token=`: the proof PDF of a status the letter reached.
async fn proof(State(state): State<AppState>, Path(which): Path<String>, Query(token): Query<Token>) -> Response {
    let Some((code, id)) = which.split_once('-') else { return not_found() };
    let Some((_, status)) = PROOFS.iter().find(|(c, _)| *c == code) else { return not_found() };
    let Some(letter) = guarded(&state, id, &token) else { return not_found() };
    let attachments = state.store.mail().letter_attachments(&letter);
    match documents::proof(&letter, &attachments, *status) {
        Some(pdf) => file("application/pdf", format!("preuve-{code}-{}.pdf", letter.id), pdf),
        None => not_found(),
    }
}

/// `GET /get/content/{id}?token=`: the letter's content as a PDF.
async fn content(State(state): State<AppState>, Path(id): Path<String>, Query(token): Query<Token>) -> Response {
    let Some(letter) = guarded(&state, &id, &token) else { return not_found() };
    let attachments = state.store.mail().letter_attachments(&letter);
    file("application/pdf", format!("lettre-{}.pdf", letter.id), documents::content(&letter, &attachments))
}

/// `GET /get/zip/{id}?token=`: content, attachments and proofs so far, zipped.
async fn zip(State(state): State<AppState>, Path(id): Path<String>, Query(token): Query<Token>) -> Response {
    let Some(letter) = guarded(&state, &id, &token) else { return not_found() };
    let attachments: Vec<_> = state
        .store
        .mail()
        .letter_attachments(&letter)
        .into_iter()
        .filter_map(|a| state.store.mail().content(&a.sha1).map(|bytes| (a, bytes)))
        .collect();
    match documents::zip(&letter, &attachments) {
        Ok(archive) => file("application/zip", format!("lettre-{}.zip", letter.id), archive),
        Err(err) => crate::error::Ar24Error::Internal(format!("cannot write a ZIP: {err}")).into_response(),
    }
}

/// `GET /get/att/{sha1}`: an attachment's bytes, as uploaded.
async fn attachment(State(state): State<AppState>, Path(sha1): Path<String>) -> Response {
    let sha1 = sha1.to_ascii_lowercase();
    match (state.store.mail().content(&sha1), state.store.mail().attachment_named(&sha1)) {
        (Some(bytes), Some(name)) => file("application/octet-stream", name, bytes.to_vec()),
        _ => not_found(),
    }
}
