//! The AR24 API under `/api/`: one file per route group, and the front door
//! every call passes (parameters read once, the call journalled).

mod access;
mod cgu;
mod payment;
mod team;
mod user;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::app::{unknown_route, wrong_method};
use crate::error::{Answered, Ar24Error};
use crate::protocol::date::now_paris;
use crate::protocol::params::{self, Params};
use crate::state::AppState;
use crate::store::journal::JournalEntry;

/// Every AR24 route, with the envelope for unknown paths and wrong methods.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(user::router())
        .merge(cgu::router())
        .merge(access::router())
        .merge(team::router())
        .merge(payment::router())
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
}

/// Registers `path` with and without its trailing slash: AR24 clients use both
/// (`user` and `user/`).
fn route(router: Router<AppState>, path: &str, methods: MethodRouter<AppState>) -> Router<AppState> {
    router.route(path, methods.clone()).route(&format!("{path}/"), methods)
}

/// Parameters whose values never reach the journal.
const SECRET_PARAMS: [&str; 1] = ["password"];

/// Reads the parameters once, runs the route, and journals the call before
/// the answer leaves.
pub(crate) async fn front_door(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request.uri().path().trim_start_matches('/').to_owned();
    let (params, response) = match params::read(request, state.config.max_body).await {
        Ok((mut request, params)) => {
            request.extensions_mut().insert(params.clone());
            (params, next.run(request).await)
        }
        Err(slug) => (Params::default(), Ar24Error::Slug(slug).into_response()),
    };
    let answered = response.extensions().get::<Answered>();
    if let Some(Answered { slug, detail: Some(detail) }) = answered {
        tracing::error!(%slug, %detail, %route, "the mock failed to answer a call");
    }
    state.store.record_request(JournalEntry {
        seq: 0,
        time: now_paris(),
        method,
        route,
        token: params.get("token").map(str::to_owned),
        params: params
            .pairs()
            .iter()
            .map(|(k, v)| {
                let value = if SECRET_PARAMS.contains(&k.as_str()) { "********".to_owned() } else { v.clone() };
                (k.clone(), value)
            })
            .collect::<BTreeMap<_, _>>(),
        http_status: response.status().as_u16(),
        status: if answered.is_some() { "ERROR" } else { "SUCCESS" }.to_owned(),
        slug: answered.map(|a| a.slug.as_str().to_owned()),
    });
    response
}
