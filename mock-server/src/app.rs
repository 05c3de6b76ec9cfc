//! The one place where routes, fallbacks and layers are assembled.

use std::any::Any;

use axum::Router;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::app_state::AppState;
use crate::error::{Ar24Error, unknown_route, wrong_method};
use crate::{control, downloads, front, routes};

/// The whole mock as one router: the AR24 API under `/api`, the control plane
/// under `/_mock`, and the AR24 error envelope for anything else.
///
/// The binary, [`crate::MockServer`] and every test serve this router.
pub fn app(state: AppState) -> Router {
    // The journal layer is outside the panic catcher, so even a panic is journalled.
    let api = routes::router()
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(middleware::from_fn_with_state(state.clone(), front::front_door));
    let control = control::router().layer(CatchPanicLayer::custom(panic_answer));
    let mock = Router::new()
        .nest("/api", api)
        .nest("/_mock", control)
        // The console answers at `/_mock/` as well as `/_mock`.
        .route("/_mock/", axum::routing::get(control::console::console))
        .nest("/get", downloads::router().layer(CatchPanicLayer::custom(panic_answer)))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method);
    // The lock (`--control-token`) decides for every path below `/_mock` in one
    // place. Without a token there is nothing to decide, and no call pays for
    // going through it (a layer is a few percent of a send).
    let mock = match state.config.control_token {
        Some(_) => mock.layer(middleware::from_fn_with_state(state.clone(), control::lock::guard)),
        None => mock,
    };
    mock.layer(TraceLayer::new_for_http()).with_state(state)
}

/// The last resort: a panic is answered `internal_error` (HTTP 200), never a bare 500.
fn panic_answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a handler panicked".into());
    Ar24Error::Internal(detail).into_response()
}
