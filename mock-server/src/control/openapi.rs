//! `GET /_mock/openapi.yaml`: the OpenAPI 3.1 description of every route the
//! mock serves (the repository's `openapi.yaml`, built in).

use axum::http::header;
use axum::response::IntoResponse;

/// The description, as shipped in the repository.
pub(crate) const OPENAPI: &str = include_str!("../../../openapi.yaml");

/// The description, as YAML.
pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI)
}
