//! Fuzzes the request decoding path of the AR24 API: any content type, any
//! route, any body, through the whole app (parameters, authentication in plain
//! mode, validation, handlers). It fails on a panic or a 5xx answer.

#![no_main]

use std::sync::OnceLock;

use ar24_mock::{AppState, AuthMode, Config, app};
use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

mod input;

fn setup() -> &'static (tokio::runtime::Runtime, axum::Router) {
    static APP: OnceLock<(tokio::runtime::Runtime, axum::Router)> = OnceLock::new();
    APP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let config = Config { auth: AuthMode::Plain, ..Config::default() };
        let state = AppState::new(config, "http://127.0.0.1:1").expect("a state: no file to read");
        (runtime, app(state))
    })
}

fuzz_target!(|data: &[u8]| {
    let (runtime, router) = setup();
    let input = input::input(data);
    let Ok(request) = Request::builder()
        .method(input.method)
        .uri(input.path_and_query)
        .header("content-type", input.content_type)
        .body(Body::from(input.body))
    else {
        return; // not an HTTP request a client could send
    };
    let response = runtime.block_on(router.clone().oneshot(request)).expect("the app always answers");
    assert!(response.status().as_u16() < 500, "a 5xx answer: {}", response.status());
    let _ = runtime.block_on(axum::body::to_bytes(response.into_body(), usize::MAX));
});
