//! The AR24 API under `/api/`: one file per route group, and the front door
//! every call passes (parameters read once, the call journalled).

mod access;
mod cgu;
mod payment;
mod team;
mod user;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::app::{unknown_route, wrong_method};
use crate::error::{Answered, Ar24Error};
use crate::protocol::params::{self, Params};
use crate::slug::Slug;
use crate::state::AppState;
use crate::store::faults::Fault;
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

/// Reads the parameters once, runs the route, and journals the call before
/// the answer leaves.
pub(crate) async fn front_door(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request.uri().path().trim_start_matches('/').to_owned();
    let (params, read) = match params::read(request, state.config.max_body).await {
        Ok((request, params)) => (Arc::new(params), Ok(request)),
        Err(slug) => (Arc::new(Params::default()), Err(slug)),
    };
    // Faults come before anything else, as a real outage would.
    let fault = state.store.faults.take(&route, params.get("token"));
    let response = match (fault, read) {
        (Some(Fault::Maintenance), _) => Ar24Error::Maintenance.into_response(),
        (Some(Fault::Error(slug)), _) => Ar24Error::Slug(slug).into_response(),
        (Some(Fault::Drop), _) => dropped_connection(),
        (_, Err(slug)) => Ar24Error::Slug(slug).into_response(),
        (delay, Ok(mut request)) => {
            if let Some(Fault::Delay(pause)) = delay {
                tokio::time::sleep(pause).await;
            }
            request.extensions_mut().insert(Arc::clone(&params));
            next.run(request).await
        }
    };
    let answered = response.extensions().get::<Answered>();
    if let Some(Answered { slug: Some(slug), detail: Some(detail), .. }) = answered {
        tracing::error!(%slug, %detail, %route, "the mock failed to answer a call");
    }
    state.store.record_request(JournalEntry {
        seq: 0,
        time: chrono::Utc::now(),
        method,
        route,
        token: params.get("token").map(str::to_owned),
        http_status: response.status().as_u16(),
        status: if fault == Some(Fault::Drop) { "dropped" } else { answered.map_or("SUCCESS", |a| a.status) },
        slug: answered.and_then(|a| a.slug).map(Slug::as_str),
        fault: fault.map(Fault::name),
        params,
    });
    response
}

/// A response whose body fails before its first byte: the server closes the
/// connection and the client sees it dropped, with no answer.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<bytes::Bytes, _>(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "injected fault: drop"))
    });
    Response::new(axum::body::Body::from_stream(failing))
}
