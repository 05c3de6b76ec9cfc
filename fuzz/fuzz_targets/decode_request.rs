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

const CONTENT_TYPES: [&str; 6] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=X",
    "multipart/form-data; boundary=",
    "",
    "application/json",
    "text/plain; charset=utf-8",
];

const ROUTES: [&str; 16] = [
    "/api/user",
    "/api/user/",
    "/api/user/info",
    "/api/user/list",
    "/api/user/request_cgu",
    "/api/user/request_access",
    "/api/user/join_team",
    "/api/user/payment_request",
    "/api/attachment",
    "/api/user/attachment",
    "/api/mail",
    "/api/user/mail",
    "/api/user/auth_otp",
    "/api/user/identity",
    "/api/user/verify",
    "/api/nowhere",
];

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
    let (head, body) = data.split_at(data.len().min(3));
    let pick = |i: usize| head.get(i).copied().unwrap_or(0) as usize;
    let method = if pick(2) % 2 == 0 { "POST" } else { "GET" };
    let query = if method == "GET" { format!("?{}", String::from_utf8_lossy(body)) } else { String::new() };
    let uri = format!("{}{}", ROUTES[pick(1) % ROUTES.len()], query).replace([' ', '#'], "%20");
    let Ok(request) = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", CONTENT_TYPES[pick(0) % CONTENT_TYPES.len()])
        .body(Body::from(body.to_vec()))
    else {
        return; // not an HTTP request a client could send
    };
    let response = runtime.block_on(router.clone().oneshot(request)).expect("the app always answers");
    assert!(response.status().as_u16() < 500, "a 5xx answer: {}", response.status());
    let _ = runtime.block_on(axum::body::to_bytes(response.into_body(), usize::MAX));
});
