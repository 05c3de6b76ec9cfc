//! Extractors for the parameters the front door read: typed ([`Ar24Params`])
//! or as sent ([`Sent`]: list parameters and file parts).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::Ar24Error;
use crate::protocol::params::Params;
use crate::slug::Slug;

fn params_of(parts: &Parts) -> Result<Arc<Params>, Ar24Error> {
    parts
        .extensions
        .get::<Arc<Params>>()
        .cloned()
        .ok_or_else(|| Ar24Error::Internal("parameters were not read before the handler".into()))
}

/// Typed parameters: `T`'s fields are read by name from the call's parameters.
#[derive(Debug)]
pub struct Ar24Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Ar24Params<T> {
    type Rejection = Ar24Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Read the same way whatever the body's encoding was.
        params_of(parts)?.typed().map(Ar24Params).map_err(|_| Slug::MalformedBody.into())
    }
}

/// The parameters as sent: for list parameters (`attachment[N]`) and files.
#[derive(Debug)]
pub struct Sent(pub Arc<Params>);

impl<S: Send + Sync> FromRequestParts<S> for Sent {
    type Rejection = Ar24Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        params_of(parts).map(Sent)
    }
}
