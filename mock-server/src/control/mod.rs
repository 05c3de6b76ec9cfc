//! The control plane under `/_mock/`: plain JSON, no AR24 authentication.
//! It lets tests and people see and steer what AR24 would do out of band.

mod emails;
mod faults;
mod health;
mod links;
mod mailbox;
mod openapi;
mod partners;
mod requests;
mod reset;
mod state;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;

use crate::app::{unknown_route, wrong_method};
use crate::error::ControlError;
use crate::slug::Slug;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/reset", post(reset::reset))
        .route("/partners", post(partners::create_partner))
        .route("/partners/{token}", get(partners::get_partner).patch(partners::update_partner))
        .route("/partners/{token}/reset", post(reset::reset_partner))
        .route("/users", post(users::create_website_user))
        .route("/users/{id}/payment_method", post(users::add_payment_method))
        .route("/emails", get(emails::list_emails))
        .route("/mailbox", get(mailbox::mailbox))
        .route("/links/{id}", get(links::show_link).post(links::accept_link))
        .route("/requests", get(requests::list_requests))
        .route("/openapi.yaml", get(openapi::openapi))
        .route("/faults", get(faults::list_faults).post(faults::add_fault).delete(faults::clear_faults))
        .route("/state", get(state::export_state).put(state::import_state))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
}

/// A JSON body; an empty body is `T::default()`. Anything unreadable is
/// HTTP 400 `invalid_json`.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ControlError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bad = || ControlError(StatusCode::BAD_REQUEST, Slug::InvalidJson);
        let bytes = Bytes::from_request(request, state).await.map_err(|_| bad())?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        serde_json::from_slice(&bytes).map(Self).map_err(|_| bad())
    }
}

/// Whether the caller asked for JSON rather than a page.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("application/json"))
}

/// A query string read into `T`; unreadable is HTTP 400 with `slug`.
pub(crate) fn query<T: DeserializeOwned>(raw: Option<&str>, slug: Slug) -> Result<T, ControlError> {
    serde_urlencoded::from_str(raw.unwrap_or_default()).map_err(|_| ControlError(StatusCode::BAD_REQUEST, slug))
}
