//! `user/payment_request`: ask a user to add a payment method, by email or by
//! a link the partner hands over itself (seed "Facturation des consommations
//! via l'API", point 1).

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};

use super::route;
use crate::app_state::AppState;
use crate::domain::{UserRef, flag, parse_id};
use crate::error::Result;
use crate::front::auth::Caller;
use crate::front::extract::Ar24Params;
use crate::slug::Slug;
use crate::store::outbox::LinkKind;

pub(crate) fn router() -> Router<AppState> {
    route(Router::new(), "/user/payment_request", post(payment_request))
}

#[derive(Debug, Deserialize)]
struct PaymentForm {
    id_user: Option<String>,
    get_link: Option<String>,
}

/// The answer with `get_link` ([ASSUMED] key `link`).
#[derive(Debug, Serialize)]
struct PaymentLink {
    link: String,
}

/// POST `user/payment_request` with `id_user` and optional `get_link`: with
/// `get_link=1` no email is sent and the link is answered instead.
async fn payment_request(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<PaymentForm>,
) -> Result<Response> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let get_link = flag::parse(form.get_link.as_deref())?.unwrap_or(false);
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    if user.payment_method {
        return Err(Slug::PaymentAlreadyActive.into());
    }
    if get_link {
        let link = state.store.issue_link(LinkKind::Payment, &user, &caller.partner, None);
        Ok(caller.ok(PaymentLink { link: state.store.outbox().url(&link) }).into_response())
    } else {
        state.store.send_email(LinkKind::Payment, &user, &caller.partner, None);
        Ok(caller.done().into_response())
    }
}
