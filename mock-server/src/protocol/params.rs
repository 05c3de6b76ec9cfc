//! AR24's parameters, wherever they travel: the query string for GET, the
//! query string plus a urlencoded or multipart body for POST
//! (ar24-protocol.md, "Transport").
//!
//! The API layer reads them once, before routing to a handler, and leaves them
//! in the request's extensions; [`Ar24Params`] and the `Caller` extractor read
//! them from there.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::{Method, header, request::Parts};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::Ar24Error;
use crate::slug::Slug;

/// The parameters of one call, in the order they came; a repeated name's last value wins, as in PHP.
///
/// Read once per call and shared (`Arc`) by authentication, the handler and the journal.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    /// The same pairs, form-encoded once, for typed extraction.
    encoded: String,
}

impl Params {
    fn new(pairs: Vec<(String, String)>) -> Self {
        let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        Self { pairs, encoded }
    }

    /// The value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every name and value, in arrival order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// Most parameters one call may carry (`too_many_parameters` beyond).
pub const MAX_PARAMS: usize = 200;
/// Longest parameter name or value, in bytes (`parameter_too_long` beyond).
pub const MAX_PARAM_LEN: usize = 10_000;

/// Reads the parameters of `request`, leaving it without a body.
///
/// `max_body` bounds the body; a larger one is `body_too_large`. A body that
/// is neither form encoding, or a broken multipart body, is `malformed_body`.
/// More than [`MAX_PARAMS`] parameters, or one longer than [`MAX_PARAM_LEN`],
/// is refused with its own slug.
pub async fn read(request: Request, max_body: usize) -> Result<(Request, Params), Slug> {
    let (parts, body) = request.into_parts();
    let mut pairs = parse_urlencoded(parts.uri.query().unwrap_or_default().as_bytes())?;
    if parts.method == Method::POST || parts.method == Method::PUT || parts.method == Method::PATCH {
        let bytes = axum::body::to_bytes(body, max_body).await.map_err(|err| {
            let too_large = err.into_inner().is::<http_body_util::LengthLimitError>();
            if too_large { Slug::BodyTooLarge } else { Slug::MalformedBody }
        })?;
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        pairs.extend(parse_body(content_type, bytes).await?);
    }
    if pairs.len() > MAX_PARAMS {
        return Err(Slug::TooManyParameters);
    }
    if pairs.iter().any(|(k, v)| k.len() > MAX_PARAM_LEN || v.len() > MAX_PARAM_LEN) {
        return Err(Slug::ParameterTooLong);
    }
    Ok((Request::from_parts(parts, Body::empty()), Params::new(pairs)))
}

fn parse_urlencoded(bytes: &[u8]) -> Result<Vec<(String, String)>, Slug> {
    serde_urlencoded::from_bytes(bytes).map_err(|_| Slug::MalformedBody)
}

async fn parse_body(content_type: &str, bytes: Bytes) -> Result<Vec<(String, String)>, Slug> {
    let mime = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match mime.as_str() {
        "multipart/form-data" => parse_multipart(content_type, bytes).await,
        // Clients that send no content type mean a form, as PHP reads it.
        "application/x-www-form-urlencoded" | "" => parse_urlencoded(&bytes),
        _ if bytes.is_empty() => Ok(Vec::new()),
        _ => Err(Slug::MalformedBody),
    }
}

async fn parse_multipart(content_type: &str, bytes: Bytes) -> Result<Vec<(String, String)>, Slug> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| Slug::MalformedBody)?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut pairs = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| Slug::MalformedBody)? {
        let Some(name) = field.name().map(str::to_owned) else { continue };
        let value = field.text().await.map_err(|_| Slug::MalformedBody)?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Typed parameters: `T`'s fields are read by name from the call's parameters.
#[derive(Debug)]
pub struct Ar24Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Ar24Params<T> {
    type Rejection = Ar24Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let params = parts
            .extensions
            .get::<Arc<Params>>()
            .ok_or_else(|| Ar24Error::Internal("parameters were not read before the handler".into()))?;
        // The form decoder reads every field type the same way, whatever the body's encoding was.
        serde_urlencoded::from_str(&params.encoded).map(Ar24Params).map_err(|_| Slug::MalformedBody.into())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn read_now(method: Method, content_type: &str, body: Vec<u8>) -> Result<Params, Slug> {
        let request = Request::builder()
            .method(method)
            .uri("/user?token=t")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(read(request, 4096)).map(|(_, params)| params)
    }

    proptest! {
        #[test]
        fn any_body_under_any_content_type_is_read_or_refused_with_a_slug(
            content_type in prop_oneof![
                Just("application/x-www-form-urlencoded".to_owned()),
                Just("multipart/form-data; boundary=X".to_owned()),
                Just("multipart/form-data".to_owned()),
                Just(String::new()),
                "[ -~]{0,40}",
            ],
            body in prop::collection::vec(any::<u8>(), 0..6000),
        ) {
            match read_now(Method::POST, &content_type, body) {
                Ok(params) => prop_assert_eq!(params.get("token"), Some("t")),
                Err(slug) => prop_assert!(matches!(slug,
                    Slug::MalformedBody | Slug::BodyTooLarge | Slug::TooManyParameters | Slug::ParameterTooLong)),
            }
        }

        #[test]
        fn urlencoded_pairs_come_back_as_sent(pairs in prop::collection::vec(("[a-z_]{1,12}", any::<String>()), 0..20)) {
            let body = serde_urlencoded::to_string(&pairs).unwrap();
            let params = read_now(Method::POST, "application/x-www-form-urlencoded", body.into_bytes());
            match params {
                Ok(params) => {
                    let sent: Vec<(String, String)> = std::iter::once(("token".to_owned(), "t".to_owned())).chain(pairs).collect();
                    prop_assert_eq!(params.pairs(), sent.as_slice());
                }
                Err(slug) => prop_assert!(matches!(slug, Slug::BodyTooLarge | Slug::ParameterTooLong), "{slug:?}"),
            }
        }
    }
}
