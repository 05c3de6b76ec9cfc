//! `/_mock/letters`, `/_mock/charges` and `/_mock/webhooks`: the registered
//! letters sent, what the recipient does with them, every paid action with who
//! paid, and every webhook delivery.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::query;
use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;
use crate::store::LetterFilter;
use crate::store::charges::Charge;
use crate::store::letter::{LetterStatus, MailObject};
use crate::store::lifecycle::{Event, Refused};
use crate::store::webhook::Delivery;

#[derive(Debug, Deserialize)]
struct Filter {
    token: Option<String>,
    user: Option<String>,
    status: Option<String>,
}

fn given(raw: Option<String>) -> Option<String> {
    raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn user_filter(raw: Option<String>) -> Result<Option<u64>, ControlError> {
    given(raw)
        .map(|u| u.parse::<u64>().map_err(|_| ControlError(StatusCode::BAD_REQUEST, Slug::InvalidFilter)))
        .transpose()
}

/// `GET /_mock/letters?token=&user=&status=`: AR24 mail objects, oldest first.
pub(crate) async fn list_letters(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<MailObject>>, ControlError> {
    let filter: Filter = query(raw.as_deref(), Slug::InvalidFilter)?;
    let status = given(filter.status)
        .map(|s| LetterStatus::parse(&s).ok_or(ControlError(StatusCode::BAD_REQUEST, Slug::InvalidFilter)))
        .transpose()?;
    let filter = LetterFilter { token: given(filter.token), user: user_filter(filter.user)?, status };
    Ok(Json(state.store.mail().letters(&filter).iter().map(|l| state.store.mail().view(l)).collect()))
}

/// `GET /_mock/letters/{id}`: one letter (the link of a sender's notification).
pub(crate) async fn get_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<MailObject>, ControlError> {
    let not_found = || ControlError(StatusCode::NOT_FOUND, Slug::LetterNotFound);
    let letter = id.parse::<u64>().ok().and_then(|id| state.store.mail().letter(id)).ok_or_else(not_found)?;
    Ok(Json(state.store.mail().view(&letter)))
}

/// `GET /_mock/charges?token=&user=`: every paid action, oldest first.
pub(crate) async fn list_charges(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<Charge>>, ControlError> {
    let filter: Filter = query(raw.as_deref(), Slug::InvalidFilter)?;
    let token = given(filter.token);
    Ok(Json(state.store.mail().charges_for(token.as_deref(), user_filter(filter.user)?)))
}

/// `POST /_mock/letters/{id}/accept|refuse|bounce`: what the recipient (or
/// their mail server) does, as if from the notification email. A letter in a
/// state that cannot change answers 409 `letter_settled` with the reason.
fn act_on_letter(state: &AppState, id: &str, event: Event) -> Response {
    let not_found = ControlError(StatusCode::NOT_FOUND, Slug::LetterNotFound);
    let Ok(id) = id.parse::<u64>() else { return not_found.into_response() };
    let now = state.store.clock.now();
    let done = match event {
        // From the console or a test, the recipient is who the sender named.
        Event::Refuse => match state.store.mail().letter(id) {
            Some(letter) => state.store.refuse(id, &letter.to.name(), now),
            None => Err(Refused::NotFound),
        },
        event => state.store.transition(id, event, now),
    };
    match done {
        Ok(letter) => Json(state.store.mail().view(&letter)).into_response(),
        Err(Refused::NotFound) => not_found.into_response(),
        Err(refused @ Refused::Settled(_)) => {
            ControlError::with_reason(StatusCode::CONFLICT, Slug::LetterSettled, refused.reason()).into_response()
        }
    }
}

/// A person clicking in the console (asking for a page) goes back to the letters; a script gets JSON.
fn answer_for(headers: &HeaderMap, response: Response) -> Response {
    if super::wants_page(headers) { Redirect::to("/_mock/?view=letters").into_response() } else { response }
}

/// `POST /_mock/letters/{id}/accept`.
pub(crate) async fn accept_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer_for(&headers, act_on_letter(&state, &id, Event::Accept))
}

/// `POST /_mock/letters/{id}/refuse`.
pub(crate) async fn refuse_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer_for(&headers, act_on_letter(&state, &id, Event::Refuse))
}

/// `POST /_mock/letters/{id}/bounce`.
pub(crate) async fn bounce_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    answer_for(&headers, act_on_letter(&state, &id, Event::Bounce))
}

#[derive(Debug, Deserialize)]
struct WebhookFilter {
    letter: Option<String>,
}

/// `GET /_mock/webhooks?letter=`: every delivery with its attempts, oldest first.
pub(crate) async fn list_webhooks(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<Delivery>>, ControlError> {
    let filter: WebhookFilter = query(raw.as_deref(), Slug::InvalidFilter)?;
    Ok(Json(state.store.mail().webhook_deliveries(user_filter(filter.letter)?)))
}

/// `POST /_mock/webhooks/{id}/replay`: sends a delivery again now (from the
/// console's button, back to the letters).
pub(crate) async fn replay_webhook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let not_found = ControlError(StatusCode::NOT_FOUND, Slug::DeliveryNotFound);
    let replayed = id.parse::<u64>().ok().and_then(|id| state.store.replay_delivery(id));
    let response = replayed.map_or_else(|| not_found.into_response(), |delivery| Json(delivery).into_response());
    answer_for(&headers, response)
}
