//! `user/request_access`: ask the holder of an existing account to attach it
//! to the partner's API (seed "Rattacher un compte AR24 existant").

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::Deserialize;

use super::route;
use crate::app_state::AppState;
use crate::domain::EmailAddress;
use crate::error::Result;
use crate::front::auth::Caller;
use crate::front::envelope::Ar24Ok;
use crate::front::extract::Ar24Params;
use crate::slug::Slug;
use crate::store::outbox::LinkKind;

pub(crate) fn router() -> Router<AppState> {
    route(Router::new(), "/user/request_access", post(request_access))
}

#[derive(Debug, Deserialize)]
struct AccessForm {
    email: Option<String>,
}

/// POST `user/request_access` with `email` ([ASSUMED]: the partner cannot know
/// the id of a user it cannot see). SUCCESS means the account exists, as the seed
/// says; `user_not_exist` means the partner should create it.
async fn request_access(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<AccessForm>,
) -> Result<Ar24Ok<()>> {
    let email = EmailAddress::parse(form.email.as_deref())?;
    let user = state.store.user_by_email(&email).ok_or(Slug::UserNotExist)?;
    if state.store.accounts().is_visible(&caller.partner.token, user.id) {
        return Err(Slug::AccessAlreadyGranted.into());
    }
    state.store.send_email(LinkKind::Access, &user, &caller.partner, None);
    Ok(caller.done())
}
