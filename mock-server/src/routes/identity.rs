//! The sender's identity for eIDAS letters (ar24-sending.md §1.8–§1.9, §5):
//! `user/identity` and its older name `user/verify` order the OTP key (paid),
//! `user/auth_otp` trades one TOTP code for a hash valid one hour.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};

use super::route;
use crate::app_state::AppState;
use crate::domain::user_ref::IdUserForm;
use crate::domain::{UserRef, parse_id};
use crate::error::Result;
use crate::front::auth::Caller;
use crate::front::envelope::Ar24Ok;
use crate::front::extract::Ar24Params;
use crate::protocol::date::format_paris;
use crate::slug::Slug;
use crate::store::user::User;

pub(crate) fn router() -> Router<AppState> {
    let router = route(Router::new(), "/user/identity", post(identity));
    let router = route(router, "/user/verify", post(verify));
    route(router, "/user/auth_otp", post(auth_otp))
}

/// The empty result of an identity order ([ASSUMED]: `{}`).
#[derive(Debug, Serialize)]
struct Ordered {}

/// Charges the order to the user's payer (`user_no_payment` without one) and
/// issues the OTP key; the identity counts as verified at once ([ASSUMED], sandbox).
fn order(state: &AppState, caller: &Caller, user: &User) -> Result<Ar24Ok<Ordered>> {
    let payer = state.store.payer_for(user, Some(&caller.partner)).ok_or(Slug::UserNoPayment)?;
    state.store.order_identity(user, &caller.partner, payer, state.config.price_identity).ok_or(Slug::UserNotExist)?;
    Ok(caller.ok(Ordered {}))
}

/// POST `user/identity` with `id_user`: `missing_user_id`, `user_not_exist` /
/// `user_unavailable`, `user_no_payment`.
async fn identity(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<IdUserForm>,
) -> Result<Ar24Ok<Ordered>> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    order(&state, &caller, &user)
}

#[derive(Debug, Deserialize)]
struct VerifyForm {
    id_user_to_verify: Option<String>,
    id_user: Option<String>,
}

/// POST `user/verify` with `id_user_to_verify` and `id_user` (the sender
/// itself, or its team administrator, who pays): like `user/identity`; an
/// `id_user` that is neither is `user_unavailable` ([ASSUMED]).
async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<VerifyForm>,
) -> Result<Ar24Ok<Ordered>> {
    let id = parse_id(form.id_user_to_verify.as_deref(), Slug::MissingUserId)?;
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    let payer_id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    if payer_id != user.id && user.team_master != Some(payer_id) {
        return Err(Slug::UserUnavailable.into());
    }
    order(&state, &caller, &user)
}

#[derive(Debug, Deserialize)]
struct AuthOtpForm {
    id_user: Option<String>,
    otp: Option<String>,
}

/// The answer of `user/auth_otp`.
#[derive(Debug, Serialize)]
struct OtpSession {
    hash: String,
    expiration_date: String,
}

/// POST `user/auth_otp` with `id_user` and `otp`: `missing_user_id`,
/// `user_not_exist` / `user_unavailable`, then `authentication_otp_invalid`
/// for a missing, wrong or reused code, or a user without an OTP key ([ASSUMED]).
async fn auth_otp(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<AuthOtpForm>,
) -> Result<Ar24Ok<OtpSession>> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    if !state.store.check_otp(&user, form.otp.as_deref().unwrap_or_default()) {
        return Err(Slug::AuthenticationOtpInvalid.into());
    }
    let (hash, expires) = state.store.open_otp_session(&user, &caller.partner);
    Ok(caller.ok(OtpSession { hash, expiration_date: format_paris(expires) }))
}
