//! `user/join_team`: invite a user into the team of an administrator who pays
//! (seed "Facturation des consommations via l'API", point 2).

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;

use super::route;
use crate::app_state::AppState;
use crate::domain::{UserRef, parse_id};
use crate::error::Result;
use crate::front::auth::Caller;
use crate::front::envelope::Ar24Ok;
use crate::front::extract::Ar24Params;
use crate::slug::Slug;
use crate::store::outbox::LinkKind;

pub(crate) fn router() -> Router<AppState> {
    route(Router::new(), "/user/join_team", post(join_team))
}

#[derive(Debug, Deserialize)]
struct TeamForm {
    id_user: Option<String>,
    id_master: Option<String>,
}

/// POST `user/join_team` with `id_user` and `id_master`; the administrator must
/// have a payment method of their own (`user_no_payment` otherwise, [ASSUMED] slug).
async fn join_team(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<TeamForm>,
) -> Result<Ar24Ok<()>> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let master_id = parse_id(form.id_master.as_deref(), Slug::MissingMasterId)?;
    if id == master_id {
        return Err(Slug::MasterIsUser.into());
    }
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    let master = state.store.user_for(&caller.partner, &UserRef::Id(master_id))?;
    if !master.payment_method {
        return Err(Slug::UserNoPayment.into());
    }
    if user.team_master == Some(master_id) {
        return Err(Slug::AlreadyInTeam.into());
    }
    state.store.send_email(LinkKind::Team, &user, &caller.partner, Some(&master));
    Ok(caller.done())
}
