//! `user` create, `user` info (and its `user/info` alias) and `user/list`
//! (ar24-protocol.md, "Routes"; seed "Créer un compte expéditeur via l'API").

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::route;
use crate::domain::user_ref::UserRefForm;
use crate::domain::{CreateUserForm, NewUser, UserRef};
use crate::error::Result;
use crate::protocol::auth::Caller;
use crate::protocol::envelope::Ar24Ok;
use crate::protocol::params::Ar24Params;
use crate::slug::Slug;
use crate::state::AppState;
use crate::store::user::UserAnswer;
use crate::store::{NewAccount, Order};

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

#[derive(Debug, Deserialize)]
struct ListForm {
    max: Option<String>,
    start: Option<String>,
    sort: Option<String>,
}

/// The answer of `user/list`.
#[derive(Debug, Serialize)]
struct UserList {
    users: Vec<UserAnswer>,
}

/// Largest page ([ASSUMED]).
const MAX_PAGE: usize = 1000;

/// GET `user/list`: the users this partner sees, `max` (10) from `start` (0), by id `ASC`/`DESC`
/// (ar24-protocol.md "Routes").
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<ListForm>,
) -> Result<Ar24Ok<UserList>> {
    let number = |raw: Option<String>, default: usize, slug: Slug| -> Result<usize, Slug> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(text) => text.parse::<usize>().map_err(|_| slug),
        }
    };
    let max = number(form.max, 10, Slug::InvalidMax)?;
    if max == 0 || max > MAX_PAGE {
        return Err(Slug::InvalidMax.into());
    }
    let start = number(form.start, 0, Slug::InvalidStart)?;
    let order = match form.sort.as_deref().map(str::trim) {
        None | Some("") => Order::Asc,
        Some(s) if s.eq_ignore_ascii_case("ASC") => Order::Asc,
        Some(s) if s.eq_ignore_ascii_case("DESC") => Order::Desc,
        Some(_) => return Err(Slug::InvalidSort.into()),
    };
    let users = state.store.list_for(&caller.partner, max, start, order);
    Ok(caller.ok(UserList { users }))
}
