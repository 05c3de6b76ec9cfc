//! `GET /_mock/mailbox`: the outbox as a page a person reads in a browser,
//! newest first, with a button per link.

use axum::extract::State;
use axum::response::Html;

use super::html::{escape, page};
use crate::app_state::AppState;
use crate::store::outbox::LinkKind;

/// The outbox, newest first: what each email asks, a button for its link, and
/// once accepted, the outcome.
pub(crate) async fn mailbox(State(state): State<AppState>) -> Html<String> {
    page("Mailbox", &mailbox_section(&state))
}

/// The mailbox's content, for its page and the console.
pub(crate) fn mailbox_section(state: &AppState) -> String {
    let mut emails = state.store.outbox().emails(None, None);
    emails.reverse();
    let mut body = format!(
        "<p class=\"meta\">{} email(s), newest first. <a href=\"/_mock/mailbox\">Refresh</a></p>\n",
        emails.len()
    );
    if emails.is_empty() {
        body.push_str(
            "<p>No email yet: AR24 sends one for request_cgu, request_access, join_team and payment_request, \
             and for each registered letter sent.</p>",
        );
    }
    for email in &emails {
        let link_id = email.link.rsplit('/').next().unwrap_or_default();
        let link = state.store.outbox().link(link_id);
        let partner = state.store.partners().name(&email.partner);
        // A letter's email follows the letter: once it is settled, whichever way, it asks nothing.
        let settled = link.as_ref().and_then(|l| l.letter_id).and_then(|id| state.store.mail().letter(id)?.settled());
        let action = match (link.and_then(|l| l.used_at), settled) {
            // A sender's notification asks nothing: it links to the letter.
            _ if email.kind == LinkKind::Notification => {
                format!("<p><a href=\"{}\">{}</a></p>", escape(&email.link), escape(email.kind.action()))
            }
            (_, Some(settled)) => format!("<p class=\"done\">{}</p>", escape(&settled)),
            (Some(at), None) => format!("<p class=\"done\">✔ {} ({})</p>", escape(email.kind.outcome()), escape(&at)),
            (None, None) => {
                let button = format!(
                    "<form method=\"post\" action=\"/_mock/links/{}\"><button type=\"submit\">{}</button></form>",
                    escape(link_id),
                    escape(email.kind.action())
                );
                // A letter's page also lets the recipient identify and refuse it.
                let refuse = match email.kind {
                    LinkKind::Letter | LinkKind::Reminder => format!(
                        "<p><a href=\"/_mock/links/{}\">Open the letter (to refuse it)</a></p>",
                        escape(link_id)
                    ),
                    _ => String::new(),
                };
                button + &refuse
            }
        };
        body.push_str(&format!(
            "<article data-kind=\"{kind}\" data-to=\"{to}\"><h2>{subject}</h2>\
             <p class=\"meta\">To <strong>{to}</strong> · {sent} · from {partner} ({token})</p>\
             <p>{asks}</p>{action}<details><summary>Email text</summary><pre>{text}</pre></details></article>\n",
            kind = email.kind.as_str(),
            to = escape(&email.to),
            subject = escape(email.subject()),
            sent = escape(&email.sent_at.to_string()),
            partner = escape(&partner),
            token = escape(&email.partner),
            asks = escape(&email.request),
            text = escape(&email.body()),
        ));
    }
    body
}
