//! The AR24 API under `/api/`: one file per route group. Every call passes
//! the front door (`front`) first.

mod access;
mod attachment;
mod cgu;
mod identity;
mod mail;
mod payment;
mod team;
mod user;

use axum::Router;
use axum::routing::MethodRouter;

use crate::app_state::AppState;
use crate::error::{unknown_route, wrong_method};

/// Every path the API serves, below `/api/` (each also with a trailing slash):
/// what a fault rule's `route` may name.
pub(crate) const PATHS: [&str; 14] = [
    "user",
    "user/info",
    "user/list",
    "user/request_cgu",
    "user/request_access",
    "user/join_team",
    "user/payment_request",
    "attachment",
    "user/attachment",
    "mail",
    "user/mail",
    "user/identity",
    "user/verify",
    "user/auth_otp",
];

/// Every AR24 route, with the envelope for unknown paths and wrong methods.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(user::router())
        .merge(cgu::router())
        .merge(access::router())
        .merge(team::router())
        .merge(payment::router())
        .merge(attachment::router())
        .merge(mail::router())
        .merge(identity::router())
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
}

/// Registers `path` with and without its trailing slash: AR24 clients use both
/// (`user` and `user/`).
fn route(router: Router<AppState>, path: &str, methods: MethodRouter<AppState>) -> Router<AppState> {
    router.route(path, methods.clone()).route(&format!("{path}/"), methods)
}
