//! `/_mock/users`: what account holders do on AR24's website, outside any API
//! (sign up, confirm their address, add a payment method), and the OTP secret
//! AR24 would send them on paper.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::JsonBody;
use crate::app_state::AppState;
use crate::domain::{CreateUserForm, NewUser};
use crate::error::{ControlError, ReasonedError};
use crate::slug::Slug;
use crate::store::NewAccount;

/// Body of `POST /_mock/users`: the `user` create fields, plus what the person did on the website.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WebsiteSignup {
    #[serde(flatten)]
    form: CreateUserForm,
    #[serde(default)]
    payment_method: bool,
    #[serde(default, rename = "cgu")]
    accepted_cgu: bool,
}

/// `POST /_mock/users`: an account that signed up on the website, attached to no partner.
pub(crate) async fn create_website_user(
    State(state): State<AppState>,
    JsonBody(signup): JsonBody<WebsiteSignup>,
) -> Result<(StatusCode, Json<Value>), ControlError> {
    let profile = NewUser::try_from(signup.form).map_err(|slug| ControlError(StatusCode::BAD_REQUEST, slug))?;
    let account =
        NewAccount { profile, created_by: None, cgu: signup.accepted_cgu, payment_method: signup.payment_method };
    let user = state.store.create_user(account).map_err(|slug| ControlError(StatusCode::CONFLICT, slug))?;
    Ok((StatusCode::CREATED, Json(json!({"id": user.id, "email": user.profile.email.as_str()}))))
}

/// `POST /_mock/users/{id}/payment_method`: the account holder adds a payment method.
pub(crate) async fn add_payment_method(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Response> {
    let user = found(&id, |id| state.store.add_payment_method(id)).map_err(IntoResponse::into_response)?;
    Ok(Json(json!({"id": user.id, "email": user.profile.email.as_str(), "payment_active": user.payment_method})))
}

/// What `act` answers for the user `raw` names; 404 `user_not_exist` saying
/// which id is unknown (AR24's own message speaks of an address).
fn found<T>(raw: &str, act: impl FnOnce(u64) -> Option<T>) -> Result<T, ReasonedError> {
    let unknown = || {
        let reason = format!("No user has the id {raw:?}.");
        ControlError::with_reason(StatusCode::NOT_FOUND, Slug::UserNotExist, reason)
    };
    raw.parse().ok().and_then(act).ok_or_else(unknown)
}

/// `POST /_mock/users/{id}/confirm`: the account holder confirms their address.
pub(crate) async fn confirm(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, Response> {
    let user = found(&id, |id| state.store.confirm_user(id)).map_err(IntoResponse::into_response)?;
    Ok(Json(json!({"id": user.id, "email": user.profile.email.as_str(), "confirmed": 1})))
}

/// `GET /_mock/users/{id}/otp`: the user's TOTP secret (base32) and its code now.
pub(crate) async fn otp(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, Response> {
    let id = found(&id, |id| state.store.user(id)).map_err(IntoResponse::into_response)?.id;
    let no_secret = || ControlError(StatusCode::NOT_FOUND, Slug::NoOtpSecret).into_response();
    let (secret, code) = state.store.otp_of(id).ok_or_else(no_secret)?;
    Ok(Json(json!({
        "id": id,
        "secret": secret,
        "code": code,
        "algorithm": "SHA1",
        "digits": 6,
        "period": 30,
    })))
}
