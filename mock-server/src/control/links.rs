//! `GET` and `POST /_mock/links/{id}`: the page an AR24 email links to, and
//! the click that accepts what it asks. A link works once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::html::{escape, page};
use super::{SmallBody, wants_json};
use crate::app_state::AppState;
use crate::error::ControlError;
use crate::slug::Slug;
use crate::store::LinkError;
use crate::store::letter::LetterStatus;
use crate::store::outbox::{Link, LinkKind};

/// What a link asks and where it stands, as JSON: `pending`, `used`, or for
/// a letter's link, `settled` once the letter waits for nothing (`why` says how).
#[derive(Debug, Serialize)]
struct LinkState {
    id: String,
    kind: LinkKind,
    to: String,
    user_id: u64,
    partner: String,
    asks: String,
    state: &'static str,
    used_at: Option<String>,
    url: String,
    letter: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<String>,
}

fn describe(state: &AppState, link: Link) -> LinkState {
    let asks = state.store.request_of(&link);
    let settled = link.letter_id.and_then(|id| state.store.mail().letter(id)?.settled());
    let url = state.store.outbox().url(&link);
    LinkState {
        state: match (&settled, &link.used_at) {
            (Some(_), _) => "settled",
            (None, Some(_)) => "used",
            (None, None) => "pending",
        },
        why: settled,
        asks,
        id: link.id.simple().to_string(),
        kind: link.kind,
        to: link.to.to_string(),
        user_id: link.user_id,
        partner: link.partner.to_string(),
        used_at: link.used_at,
        url,
        letter: link.letter_id,
    }
}

fn failure(json: bool, error: LinkError) -> Response {
    let (status, slug) = match error {
        LinkError::NotFound => (StatusCode::NOT_FOUND, Slug::LinkNotFound),
        LinkError::Used => (StatusCode::GONE, Slug::LinkAlreadyUsed),
        LinkError::Obsolete => (StatusCode::GONE, Slug::LinkObsolete),
    };
    if json {
        ControlError(status, slug).into_response()
    } else {
        let body = format!(
            "<p class=\"error\">{}</p><p><a href=\"/_mock/mailbox\">Back to the mailbox</a></p>",
            escape(slug.message())
        );
        (status, page("Link unavailable", &body)).into_response()
    }
}

/// `GET`: what the email asks, and a button to accept it.
pub(crate) async fn show_link(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let json = wants_json(&headers);
    let Some(link) = state.store.outbox().link(&id) else {
        return failure(json, LinkError::NotFound);
    };
    let link = describe(&state, link);
    if json {
        return Json(link).into_response();
    }
    let action = match (&link.why, &link.used_at) {
        (Some(settled), _) => format!("<p class=\"done\">{}</p>", escape(settled)),
        (None, Some(at)) => format!("<p class=\"done\">Already accepted on {}.</p>", escape(at)),
        (None, None) => format!(
            "<form method=\"post\" action=\"/_mock/links/{}\"><button type=\"submit\">{}</button></form>",
            escape(&link.id),
            escape(link.kind.action())
        ),
    };
    let letter = letter_part(&state, &link);
    let body = format!("<p>To: {}</p><p>{}</p>{letter}{action}", escape(&link.to), escape(&link.asks));
    page(link.kind.action(), &body).into_response()
}

/// For a letter's link: the letter's status and, while it awaits an answer,
/// the way to refuse it (the recipient identifies first).
fn letter_part(state: &AppState, link: &LinkState) -> String {
    let Some(letter) = link.letter.and_then(|id| state.store.mail().letter(id)) else { return String::new() };
    let mut html = format!(
        "<p class=\"meta\">Registered letter no. {} from {}, sent {}. Status: {}.</p>",
        letter.id,
        escape(&letter.from.name),
        escape(&letter.date.to_string()),
        escape(letter.status.describe())
    );
    if link.used_at.is_none() && letter.status == LetterStatus::Ev {
        html.push_str(&format!(
            "<form method=\"post\" action=\"/_mock/links/{}/refuse\"><p>To refuse it, identify yourself:</p>\
             <label>First name <input name=\"firstname\" required></label> \
             <label>Last name <input name=\"lastname\" required></label> \
             <button type=\"submit\">Refuse the letter</button></form>",
            escape(&link.id)
        ));
    }
    html
}

/// The recipient's identity, to refuse a letter.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Identity {
    firstname: Option<String>,
    lastname: Option<String>,
}

/// `POST /_mock/links/{id}/refuse` (form `firstname`, `lastname`): the
/// recipient identifies and refuses the letter. Without a name: 400 `identity_missing`.
pub(crate) async fn refuse_letter(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    SmallBody(body): SmallBody,
) -> Response {
    let json = wants_json(&headers);
    // An unreadable form names nobody.
    let identity: Identity = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let named = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if !(named(&identity.firstname) && named(&identity.lastname)) {
        return ControlError(StatusCode::BAD_REQUEST, Slug::IdentityMissing).into_response();
    }
    let by = format!(
        "{} {}",
        identity.firstname.as_deref().unwrap_or_default().trim(),
        identity.lastname.as_deref().unwrap_or_default().trim()
    );
    match state.store.refuse_by_link(&id, &by) {
        Err(error) => failure(json, error),
        Ok(link) if json => clicked("refused", &link, "The letter is refused."),
        Ok(link) => {
            let body = format!(
                "<p class=\"done\">The letter is refused.</p><p>For {}.</p><p><a href=\"/_mock/mailbox\">Back to the mailbox</a></p>",
                escape(&link.to)
            );
            Html(page("Refused", &body).0).into_response()
        }
    }
}

/// The JSON answer to a click, the same shape for accepting and refusing:
/// `{"status", "kind", "user_id", "letter", "outcome"}`.
fn clicked(status: &str, link: &Link, outcome: &str) -> Response {
    let answer = serde_json::json!({
        "status": status, "kind": link.kind, "user_id": link.user_id, "letter": link.letter_id, "outcome": outcome,
    });
    Json(answer).into_response()
}

/// `POST`: accepts (CGU accepted, access granted, team joined, payment method added).
pub(crate) async fn accept_link(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let json = wants_json(&headers);
    match state.store.accept_link(&id) {
        Err(error) => failure(json, error),
        Ok(link) if json => clicked("accepted", &link, link.kind.outcome()),
        Ok(link) => {
            let body = format!(
                "<p class=\"done\">{}</p><p>For {}.</p><p><a href=\"/_mock/mailbox\">Back to the mailbox</a></p>",
                escape(link.kind.outcome()),
                escape(&link.to)
            );
            Html(page("Accepted", &body).0).into_response()
        }
    }
}
