//! `--control-token`: the control plane locked. Every `/_mock/` route but the
//! health check and the pages the emails link to (a recipient has no token)
//! then needs the token, as `Authorization: Bearer TOKEN`; a browser is asked
//! for it once (`/_mock/login`) and keeps a cookie derived from it. Without a
//! token, or with another, a script gets HTTP 401 with the envelope and a
//! person the page that asks for it. The AR24 API and the downloads are never
//! locked: AR24 authenticates those itself.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::SmallBody;
use super::html::{escape, page};
use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;

/// The cookie a browser keeps once it gave the token: its SHA-256, never the token.
const COOKIE: &str = "ar24_mock_control";

/// What stays open: the health check, the login page, and the links' pages.
fn is_open(path: &str) -> bool {
    matches!(path, "/_mock/health" | "/_mock/login") || path.starts_with("/_mock/links/")
}

fn digest(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// What the request presents: the bearer token, else the cookie, each as the token's digest.
fn presented(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|token| digest(token.trim()));
    bearer.or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('=').map(str::to_owned))
    })
}

/// Lets a request below `/_mock` through when the control plane is open, the
/// route is, or the request presents the token.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = state.config.control_token.as_deref() else { return next.run(request).await };
    let path = request.uri().path();
    if !path.starts_with("/_mock") || is_open(path) {
        return next.run(request).await;
    }
    let given = presented(request.headers());
    if is_token(given.as_deref(), token) {
        return next.run(request).await;
    }
    let slug = if given.is_some() { Slug::ControlTokenInvalid } else { Slug::ControlTokenRequired };
    if super::wants_json(request.headers()) || !super::wants_page(request.headers()) {
        return ControlError(StatusCode::UNAUTHORIZED, slug).into_response();
    }
    let back = request.uri().path_and_query().map_or("/_mock/", |p| p.as_str()).to_owned();
    login_page(&back, given.is_some())
}

/// Whether `given` (a digest) is the digest of `token`: digests of equal length,
/// compared whole, so the time taken says nothing of the token.
fn is_token(given: Option<&str>, token: &str) -> bool {
    given.is_some_and(|given| constant_time_eq(given.as_bytes(), digest(token).as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The page that asks a person for the token, then goes back to `back`.
fn login_page(back: &str, wrong: bool) -> Response {
    let error = if wrong { "<p class=\"error\">That is not this mock's control token.</p>" } else { "" };
    let body = format!(
        "{error}<p>This mock's control plane is locked (<code>--control-token</code>). \
         Give its token once; this browser keeps it for the session.</p>\
         <form method=\"post\" action=\"/_mock/login\"><input type=\"hidden\" name=\"next\" value=\"{}\">\
         <label>Control token <input type=\"password\" name=\"token\" required autofocus></label> \
         <button type=\"submit\">Open the console</button></form>",
        escape(back)
    );
    (StatusCode::UNAUTHORIZED, page("Control plane locked", &body)).into_response()
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Login {
    token: Option<String>,
    next: Option<String>,
}

/// `POST /_mock/login` (form `token`, `next`): the right token sets the cookie
/// and goes back to `next` (a page of the control plane); a wrong one asks again.
pub(crate) async fn login(State(state): State<AppState>, SmallBody(body): SmallBody) -> Response {
    let form: Login = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let next =
        form.next.filter(|n| n.starts_with("/_mock") && !n.starts_with("/_mock/login")).unwrap_or("/_mock/".into());
    let Some(token) = state.config.control_token.as_deref() else { return Redirect::to(&next).into_response() };
    let given = form.token.as_deref().map(|t| digest(t.trim()));
    if !is_token(given.as_deref(), token) {
        return login_page(&next, true);
    }
    let cookie = format!("{COOKIE}={}; Path=/_mock; HttpOnly; SameSite=Strict", digest(token));
    let mut response = Redirect::to(&next).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_login_and_the_links_pages_stay_open_and_nothing_else() {
        for open in ["/_mock/health", "/_mock/login", "/_mock/links/abc", "/_mock/links/abc/refuse"] {
            assert!(is_open(open), "{open}");
        }
        for locked in ["/_mock", "/_mock/", "/_mock/requests", "/_mock/mailbox", "/_mock/healthz", "/_mock/linksx"] {
            assert!(!is_open(locked), "{locked}");
        }
    }

    #[test]
    fn the_token_is_read_from_the_bearer_header_or_the_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer s3cret"));
        assert_eq!(presented(&headers), Some(digest("s3cret")));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("a=1; {COOKIE}={}", digest("x"))).unwrap());
        assert_eq!(presented(&headers), Some(digest("x")));
        assert_eq!(presented(&HeaderMap::new()), None);
        assert!(
            constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"ab", b"abc")
        );
    }
}
