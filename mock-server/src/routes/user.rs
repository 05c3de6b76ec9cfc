//! `user` create, `user` info (and its `user/info` alias) and `user/list`
//! (ar24-protocol.md, "Routes"; seed "Créer un compte expéditeur via l'API").

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use super::route;
use crate::app_state::AppState;
use crate::domain::page::{Page, PageForm};
use crate::domain::user_ref::UserRefForm;
use crate::domain::{CreateUserForm, NewUser, UserRef};
use crate::error::Result;
use crate::front::auth::Caller;
use crate::front::envelope::Ar24Ok;
use crate::front::extract::Ar24Params;
use crate::store::NewAccount;
use crate::store::user::UserAnswer;

pub(crate) fn router() -> Router<AppState> {
    let router = route(Router::new(), "/user", get(get_user).post(create_user));
    let router = route(router, "/user/info", get(get_user));
    route(router, "/user/list", get(list_users))
}

/// POST `user`: creates an account (seed "Créer un compte expéditeur", ar24-protocol.md "Routes").
/// `cgu=1` is honoured only for partners AR24 enabled it for.
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<CreateUserForm>,
) -> Result<Ar24Ok<UserAnswer>> {
    let profile = NewUser::try_from(form)?;
    let cgu = profile.cgu_requested && caller.partner.cgu_preaccepted;
    let account = NewAccount { profile, created_by: Some(caller.partner.token.clone()), cgu, payment_method: false };
    let user = state.store.create_user(account)?;
    Ok(caller.ok(state.store.view(&user, &caller.partner)))
}

/// GET `user` / `user/info`: one user by `id_user` or `email` (ar24-protocol.md "Routes";
/// the billing seed calls it `/user/info`).
async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<UserRefForm>,
) -> Result<Ar24Ok<UserAnswer>> {
    let by = UserRef::try_from(form)?;
    let user = state.store.user_for(&caller.partner, &by)?;
    Ok(caller.ok(state.store.view(&user, &caller.partner)))
}

/// The answer of `user/list`.
#[derive(Debug, Serialize)]
struct UserList {
    users: Vec<UserAnswer>,
}

/// GET `user/list`: the users this partner sees, `max` (10) from `start` (0), by id `ASC`/`DESC`
/// (ar24-protocol.md "Routes").
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<PageForm>,
) -> Result<Ar24Ok<UserList>> {
    let page = Page::try_from(&form)?;
    let users = state.store.list_for(&caller.partner, page.max, page.start, page.order);
    Ok(caller.ok(UserList { users }))
}
