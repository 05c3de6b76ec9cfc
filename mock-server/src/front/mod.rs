//! The front door of the AR24 API: what every call goes through before and
//! after its route. The body is received within the route's own limit ([`body`]), its
//! parameters and files read once (`protocol::params`), injected faults
//! applied, and the call journalled before the answer leaves. Authentication
//! ([`auth::Caller`]), typed parameters ([`extract`]) and the encrypted success
//! envelope ([`envelope`]) are the extractors and answers routes use.

pub mod auth;
pub mod body;
pub mod envelope;
pub mod extract;
pub mod hints;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app_state::AppState;
use crate::config::Config;
use crate::error::{Answered, Ar24Error};
use crate::front::body::Received;
use crate::protocol::params::{self, Params, Refused};
use crate::slug::Slug;
use crate::store::faults::Fault;
use crate::store::journal::JournalEntry;

/// Room for the multipart framing and text parameters around an uploaded file.
const MULTIPART_MARGIN: usize = 64 * 1024;

/// The largest body a route takes, and the slug of a larger one. The upload
/// route takes files up to `--max-attachment`; `mail` a content of
/// `--max-content` characters (up to 4 bytes each, urlencoded: 12 bytes);
/// every other route the small `--max-body`.
pub fn body_limit(route: &str, config: &Config) -> (usize, Slug) {
    match route.trim_end_matches('/') {
        "attachment" => (config.max_attachment.saturating_add(MULTIPART_MARGIN), Slug::AttachmentTooBig),
        "mail" => (config.max_body.saturating_add(config.max_content.saturating_mul(12)), Slug::BodyTooLarge),
        _ => (config.max_body, Slug::BodyTooLarge),
    }
}

/// Receives the body within the route's limit and reads its parameters.
async fn read(request: Request, config: &Config) -> Result<(Request, Params), Refused> {
    let (parts, body) = request.into_parts();
    let route = parts.uri.path().trim_start_matches('/');
    let query = parts.uri.query().unwrap_or_default();
    let params = if matches!(parts.method, Method::POST | Method::PUT | Method::PATCH) {
        let (limit, too_large) = body_limit(route, config);
        // What the query says (the token above all), should the body be refused.
        let refused = |slug: Slug, why: String| {
            let query = serde_urlencoded::from_str(query).unwrap_or_default();
            Refused::new(slug, why, query)
        };
        let over = |size: String| format!("the body is {size}, over the {limit} bytes this route takes");
        let bytes = match body::receive(body, &parts.headers, limit).await {
            Received::Whole(bytes) => bytes,
            Received::TooLarge { declared: Some(length) } => {
                return Err(refused(too_large, over(format!("{length} bytes (its Content-Length)"))));
            }
            Received::TooLarge { declared: None } => return Err(refused(too_large, over("larger".into()))),
            Received::CutOff => return Err(refused(Slug::MalformedBody, "the body was cut off before its end".into())),
        };
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        params::read(query, Some((content_type, bytes))).await?
    } else {
        params::read(query, None).await?
    };
    Ok((Request::from_parts(parts, axum::body::Body::empty()), params))
}

/// Reads the parameters once, runs the route, and journals the call before
/// the answer leaves.
pub(crate) async fn front_door(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().to_string();
    let route = request.uri().path().trim_start_matches('/').to_owned();
    let (params, read) = match read(request, &state.config).await {
        Ok((request, params)) => (Arc::new(params), Ok(request)),
        Err(refused) => (Arc::new(refused.read), Err(Ar24Error::Explained(refused.slug, refused.why))),
    };
    // Faults come before anything else, as a real outage would.
    let fault = state.store.faults.take(&route, params.get("token"));
    let response = match (fault, read) {
        (Some(Fault::Maintenance), _) => Ar24Error::Maintenance.into_response(),
        (Some(Fault::Error(slug)), _) => Ar24Error::Slug(slug).into_response(),
        (Some(Fault::Drop), _) => dropped_connection(),
        (_, Err(refused)) => refused.into_response(),
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
    let status = if fault == Some(Fault::Drop) { "dropped" } else { answered.map_or("SUCCESS", |a| a.status) };
    let slug = answered.and_then(|a| a.slug);
    let hint = match (fault, slug) {
        (Some(fault), _) => Some(format!("an injected fault answered ({}): see /_mock/faults", fault.name())),
        (None, Some(slug)) => Some(match answered.and_then(|a| a.hint.clone()) {
            Some(why) => format!("{why} ({})", slug.as_str()),
            None => hints::explain(slug, response.extensions().get::<auth::AuthFailure>()),
        }),
        (None, None) => None,
    };
    let hint = match params.dropped() {
        0 => hint,
        dropped => {
            let note = hints::dropped_parameters(dropped);
            Some(hint.map_or(note.clone(), |hint| format!("{hint}; {note}")))
        }
    };
    let token = params.get("token");
    let outcome = slug.map_or(status, Slug::as_str);
    if tracing::enabled!(target: "ar24_mock::api", tracing::Level::INFO) {
        let partner = token.and_then(|t| state.store.partner(t));
        let partner = partner.as_ref().map_or("unknown partner", |p| p.name.as_str());
        let took = started.elapsed().as_millis();
        tracing::info!(target: "ar24_mock::api", "{method} /api/{route} · {partner} · {outcome} · {took} ms");
    }
    if let Some(hint) = &hint {
        tracing::warn!(target: "ar24_mock::api", "{method} /api/{route} answered {outcome}: {hint}");
    }
    state.store.record_request(JournalEntry {
        seq: 0,
        time: chrono::Utc::now(),
        method,
        route,
        token: token.map(str::to_owned),
        http_status: response.status().as_u16(),
        status,
        slug: slug.map(Slug::as_str),
        fault: fault.map(Fault::name),
        hint,
        files: params.files().iter().map(|f| f.record()).collect(),
        // The journal keeps a file's name, size and SHA-1, never a byte of it.
        params: Params::without_files(params),
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
