//! `user/request_cgu`: mail a user a link to accept AR24's terms
//! (seed "Créer un compte expéditeur", ar24-protocol.md "Routes").

use axum::Router;
use axum::extract::State;
use axum::routing::post;

use super::route;
use crate::app_state::AppState;
use crate::domain::user_ref::IdUserForm;
use crate::domain::{UserRef, parse_id};
use crate::error::Result;
use crate::front::auth::Caller;
use crate::front::envelope::Ar24Ok;
use crate::front::extract::Ar24Params;
use crate::slug::Slug;
use crate::store::outbox::LinkKind;

pub(crate) fn router() -> Router<AppState> {
    route(Router::new(), "/user/request_cgu", post(request_cgu))
}

/// POST `user/request_cgu` with `id_user` ([ASSUMED] method and parameter).
async fn request_cgu(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<IdUserForm>,
) -> Result<Ar24Ok<()>> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    if user.cgu {
        return Err(Slug::CguAlreadyAccepted.into());
    }
    state.store.send_email(LinkKind::Cgu, &user, &caller.partner, None);
    Ok(caller.done())
}
