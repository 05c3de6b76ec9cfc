//! How the fuzz target reads its bytes as a request: the first three bytes
//! pick the content type, the route and the method, the rest is the body (and
//! the query of a GET). Shared with the test that replays the seeds and any
//! local corpus over HTTP (`mock-server/tests/api/fuzz_inputs.rs`), so an input
//! the fuzzer found means the same request in both.

/// The content types an input can pick, including broken ones.
pub const CONTENT_TYPES: [&str; 6] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=X",
    "multipart/form-data; boundary=",
    "",
    "application/json",
    "text/plain; charset=utf-8",
];

/// The API's routes, with a trailing slash and an unknown one.
pub const ROUTES: [&str; 16] = [
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

/// One request, as the bytes describe it.
pub struct Input {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The route, with the body as its query for a `GET`.
    pub path_and_query: String,
    /// The `content-type` header.
    pub content_type: &'static str,
    /// The body, as it came.
    pub body: Vec<u8>,
}

/// Reads `data` as a request.
pub fn input(data: &[u8]) -> Input {
    let (head, body) = data.split_at(data.len().min(3));
    let pick = |i: usize| head.get(i).copied().unwrap_or(0) as usize;
    let method = if pick(2) % 2 == 0 { "POST" } else { "GET" };
    let query = if method == "GET" { format!("?{}", String::from_utf8_lossy(body)) } else { String::new() };
    let path_and_query = format!("{}{}", ROUTES[pick(1) % ROUTES.len()], query).replace([' ', '#'], "%20");
    Input { method, path_and_query, content_type: CONTENT_TYPES[pick(0) % CONTENT_TYPES.len()], body: body.to_vec() }
}
