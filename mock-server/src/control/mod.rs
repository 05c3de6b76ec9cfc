//! The control plane under `/_mock/`: plain JSON, no AR24 authentication.
//! It lets tests and people see and steer what AR24 would do out of band.

mod clock;
pub(crate) mod console;
mod emails;
mod faults;
mod health;
mod html;
mod letters;
mod links;
pub(crate) mod lock;
mod mailbox;
mod openapi;
mod partners;
mod requests;
mod reset;
mod snapshot;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;

use crate::app_state::AppState;
use crate::error::{ControlError, unknown_route, wrong_method};
use crate::front::body::Received;
use crate::slug::Slug;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(console::console))
        .route("/events", get(console::events))
        .route("/health", get(health::health))
        .route("/login", post(lock::login))
        .route("/reset", post(reset::reset))
        .route("/partners", post(partners::create_partner))
        .route("/partners/{token}", get(partners::get_partner).patch(partners::update_partner))
        .route("/partners/{token}/reset", post(reset::reset_partner))
        .route("/users", post(users::create_website_user))
        .route("/users/{id}/payment_method", post(users::add_payment_method))
        .route("/users/{id}/confirm", post(users::confirm))
        .route("/users/{id}/otp", get(users::otp))
        .route("/letters", get(letters::list_letters))
        .route("/letters/{id}", get(letters::get_letter))
        .route("/letters/{id}/accept", post(letters::accept_letter))
        .route("/letters/{id}/refuse", post(letters::refuse_letter))
        .route("/letters/{id}/bounce", post(letters::bounce_letter))
        .route("/webhooks", get(letters::list_webhooks))
        .route("/webhooks/{id}/replay", post(letters::replay_webhook))
        .route("/clock", get(clock::read_clock).post(clock::advance_clock))
        .route("/charges", get(letters::list_charges))
        .route("/emails", get(emails::list_emails))
        .route("/mailbox", get(mailbox::mailbox))
        .route("/links/{id}", get(links::show_link).post(links::accept_link))
        .route("/links/{id}/refuse", post(links::refuse_letter))
        .route("/requests", get(requests::list_requests))
        .route("/openapi.yaml", get(openapi::openapi))
        .route("/faults", get(faults::list_faults).post(faults::add_fault).delete(faults::clear_faults))
        .route("/state", get(snapshot::export_state).put(snapshot::import_state))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
}

/// The body of a control-plane request, within `limit` bytes: a larger one
/// (declared or sent) is HTTP 413 `body_too_large`, with the envelope.
pub(crate) async fn read_body(
    body: axum::body::Body,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, ControlError> {
    match crate::front::body::receive(body, headers, limit).await {
        Received::Whole(bytes) => Ok(bytes),
        Received::TooLarge { .. } => Err(ControlError(StatusCode::PAYLOAD_TOO_LARGE, Slug::BodyTooLarge)),
        Received::CutOff => Err(ControlError(StatusCode::BAD_REQUEST, Slug::InvalidJson)),
    }
}

/// A body of at most `--max-body` bytes (413 `body_too_large` beyond).
#[derive(Debug)]
pub(crate) struct SmallBody(pub Bytes);

impl FromRequest<AppState> for SmallBody {
    type Rejection = ControlError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        read_body(body, &parts.headers, state.config.max_body).await.map(Self)
    }
}

/// A JSON body of at most `--max-body` bytes; an empty body is `T::default()`.
/// Anything unreadable is HTTP 400 `invalid_json`; too large, 413 `body_too_large`.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + Default> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ControlError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let SmallBody(bytes) = SmallBody::from_request(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        serde_json::from_slice(&bytes).map(Self).map_err(|_| ControlError(StatusCode::BAD_REQUEST, Slug::InvalidJson))
    }
}

/// Whether the caller asked for JSON rather than a page.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    accepts(headers, "application/json")
}

/// Whether the request asks for a page (a browser following a form or a link).
pub(crate) fn wants_page(headers: &HeaderMap) -> bool {
    accepts(headers, "text/html")
}

fn accepts(headers: &HeaderMap, mime: &str) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains(mime))
}

/// A query string read into `T`; unreadable is HTTP 400 with `slug`.
pub(crate) fn query<T: DeserializeOwned>(raw: Option<&str>, slug: Slug) -> Result<T, ControlError> {
    serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(|_| ControlError(StatusCode::BAD_REQUEST, slug))
}
