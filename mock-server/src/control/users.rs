//! `/_mock/users`: what account holders do on AR24's website, outside any API
//! (sign up, confirm their address, add a payment method), and the OTP secret
//! AR24 would send them on paper.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::JsonBody;
use crate::app_state::AppState;
use crate::domain::{CreateUserForm, NewUser};
use crate::error::ControlError;
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
) -> Result<Json<Value>, ControlError> {
    let not_found = ControlError(StatusCode::NOT_FOUND, Slug::UserNotExist);
    let id: u64 = id.parse().map_err(|_| ControlError(StatusCode::NOT_FOUND, Slug::UserNotExist))?;
    let user = state.store.add_payment_method(id).ok_or(not_found)?;
    Ok(Json(json!({"id": user.id, "email": user.profile.email.as_str(), "payment_active": user.payment_method})))
}

fn user_id(raw: &str) -> Result<u64, ControlError> {
    raw.parse().map_err(|_| ControlError(StatusCode::NOT_FOUND, Slug::UserNotExist))
}

/// `POST /_mock/users/{id}/confirm`: the account holder confirms their address.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ControlError> {
    let user =
        state.store.confirm_user(user_id(&id)?).ok_or(ControlError(StatusCode::NOT_FOUND, Slug::UserNotExist))?;
    Ok(Json(json!({"id": user.id, "email": user.profile.email.as_str(), "confirmed": 1})))
}

/// `GET /_mock/users/{id}/otp`: the user's TOTP secret (base32) and its code now.
pub(crate) async fn otp(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ControlError> {
    let id = user_id(&id)?;
    state.store.user(id).ok_or(ControlError(StatusCode::NOT_FOUND, Slug::UserNotExist))?;
    let (secret, code) = state.store.otp_of(id).ok_or(ControlError(StatusCode::NOT_FOUND, Slug::NoOtpSecret))?;
    Ok(Json(json!({
        "id": id,
        "secret": secret,
        "code": code,
        "algorithm": "SHA1",
        "digits": 6,
        "period": 30,
    })))
}
