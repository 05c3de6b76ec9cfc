//! `/_mock/partners`: create, read and switch the settings AR24 keeps per token
//! (CGU pre-accepted, global billing).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::JsonBody;
use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;
use crate::store::partner::{NewPartner, PartnerPatch, PartnerView};

/// `POST /_mock/partners`: a new partner; missing token and key are generated.
pub(crate) async fn create_partner(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewPartner>,
) -> Result<(StatusCode, Json<PartnerView>), ControlError> {
    let partner = state.store.add_partner(new).map_err(|slug| ControlError(StatusCode::CONFLICT, slug))?;
    Ok((StatusCode::CREATED, Json(partner.view())))
}

/// `GET /_mock/partners/{token}`.
pub(crate) async fn get_partner(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<PartnerView>, ControlError> {
    let partner = state.store.partner(&token).ok_or(ControlError(StatusCode::NOT_FOUND, Slug::PartnerNotFound))?;
    Ok(Json(partner.view()))
}

/// `PATCH /_mock/partners/{token}`: switch `cgu_preaccepted` / `global_billing`, rename.
pub(crate) async fn update_partner(
    State(state): State<AppState>,
    Path(token): Path<String>,
    JsonBody(patch): JsonBody<PartnerPatch>,
) -> Result<Json<PartnerView>, ControlError> {
    let partner =
        state.store.update_partner(&token, &patch).ok_or(ControlError(StatusCode::NOT_FOUND, Slug::PartnerNotFound))?;
    Ok(Json(partner.view()))
}
