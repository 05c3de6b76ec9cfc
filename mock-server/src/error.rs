//! The one error type of the API, and the one way errors reach the wire.
//!
//! AR24 answers every error with HTTP 200 and plain (unencrypted) JSON:
//! `{"status":"ERROR","message":"...","slug":"..."}` (ar24-protocol.md,
//! "Response encryption"). The control plane uses the same body with a real
//! HTTP status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::slug::Slug;

/// An error answered by the AR24 API.
#[derive(thiserror::Error, Debug)]
pub enum Ar24Error {
    /// An error AR24 names by a slug.
    #[error("{0}")]
    Slug(Slug),
    /// An error named by a slug, with what in particular was wrong: the
    /// journal's hint and the warning line, never the wire.
    #[error("{0}: {1}")]
    Explained(Slug, String),
    /// AR24 is down for maintenance: `{"status":"maintenance"}`.
    #[error("maintenance")]
    Maintenance,
    /// A fault of the mock itself: logged, answered as `internal_error`.
    #[error("internal error: {0}")]
    Internal(String),
}

/// `Result` of the API handlers.
pub type Result<T, E = Ar24Error> = std::result::Result<T, E>;

impl From<Slug> for Ar24Error {
    fn from(slug: Slug) -> Self {
        Ar24Error::Slug(slug)
    }
}

/// Set on error and maintenance responses so the journal and the log layer can read what was answered.
#[derive(Debug, Clone)]
pub struct Answered {
    /// `ERROR` or `maintenance`.
    pub status: &'static str,
    /// The slug in the body, for an error.
    pub slug: Option<Slug>,
    /// For an internal error: what went wrong, for the log only.
    pub detail: Option<String>,
    /// What in particular was wrong, when the route said (the journal's hint).
    pub hint: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody {
    status: &'static str,
    message: &'static str,
    slug: &'static str,
}

/// The error envelope with this HTTP status.
pub fn error_response(status: StatusCode, slug: Slug) -> Response {
    let body = ErrorBody { status: "ERROR", message: slug.message(), slug: slug.as_str() };
    let mut response = (status, Json(body)).into_response();
    response.extensions_mut().insert(Answered { status: "ERROR", slug: Some(slug), detail: None, hint: None });
    response
}

/// Any path the mock does not serve: HTTP 404 with the envelope.
pub(crate) async fn unknown_route() -> Response {
    error_response(StatusCode::NOT_FOUND, Slug::UnknownRoute)
}

/// A known path with a method it does not take: HTTP 405 with the envelope.
pub(crate) async fn wrong_method() -> Response {
    error_response(StatusCode::METHOD_NOT_ALLOWED, Slug::MethodNotAllowed)
}

impl IntoResponse for Ar24Error {
    fn into_response(self) -> Response {
        let status_of = |slug: Slug| match slug {
            Slug::UnknownRoute => StatusCode::NOT_FOUND,
            Slug::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::OK,
        };
        match self {
            Ar24Error::Slug(slug) => error_response(status_of(slug), slug),
            Ar24Error::Explained(slug, why) => {
                let mut response = error_response(status_of(slug), slug);
                let answered = Answered { status: "ERROR", slug: Some(slug), detail: None, hint: Some(why) };
                response.extensions_mut().insert(answered);
                response
            }
            Ar24Error::Maintenance => {
                let mut response = (StatusCode::OK, Json(serde_json::json!({"status": "maintenance"}))).into_response();
                response.extensions_mut().insert(Answered {
                    status: "maintenance",
                    slug: None,
                    detail: None,
                    hint: None,
                });
                response
            }
            Ar24Error::Internal(detail) => {
                let mut response = error_response(StatusCode::OK, Slug::InternalError);
                let answered =
                    Answered { status: "ERROR", slug: Some(Slug::InternalError), detail: Some(detail), hint: None };
                response.extensions_mut().insert(answered);
                response
            }
        }
    }
}

/// An error of the control plane (`/_mock/*`): the envelope with an HTTP status.
#[derive(Debug, Clone)]
pub struct ControlError(pub StatusCode, pub Slug);

impl ControlError {
    /// The envelope with an HTTP status, and a `reason` saying what in particular was wrong.
    pub fn with_reason(status: StatusCode, slug: Slug, reason: String) -> ReasonedError {
        ReasonedError { status, slug, reason: Some(reason) }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        error_response(self.0, self.1)
    }
}

/// A control-plane error whose envelope may also carry a `reason`: what in
/// particular was wrong. A handler that gives reasons for some errors returns
/// this type; its other errors (`?` on a [`ControlError`]) carry none.
#[derive(Debug, Clone)]
pub struct ReasonedError {
    status: StatusCode,
    slug: Slug,
    reason: Option<String>,
}

impl From<ControlError> for ReasonedError {
    fn from(ControlError(status, slug): ControlError) -> Self {
        Self { status, slug, reason: None }
    }
}

impl IntoResponse for ReasonedError {
    fn into_response(self) -> Response {
        let Some(reason) = self.reason else { return error_response(self.status, self.slug) };
        let body = serde_json::json!({
            "status": "ERROR",
            "message": self.slug.message(),
            "slug": self.slug.as_str(),
            "reason": reason,
        });
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(Answered { status: "ERROR", slug: Some(self.slug), detail: None, hint: None });
        response
    }
}
