//! `GET /_mock/mailbox`: the outbox as a page a person reads in a browser,
//! newest first, with a button per link.

use axum::extract::State;
use axum::response::Html;

use crate::state::AppState;
use crate::store::outbox::LinkKind;

/// Text made safe for HTML.
pub(crate) fn escape(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

/// A complete page around `body` (already HTML).
pub(crate) fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · AR24 mock</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:76rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         article{{border:1px solid #ccc;border-radius:6px;padding:0.8rem 1rem;margin:1rem 0}}\
         .meta{{color:#666;font-size:0.9rem}}.done{{color:#176b2c}}.error{{color:#a11}}\
         button{{font-size:1rem;padding:0.4rem 1rem;cursor:pointer}}pre{{white-space:pre-wrap}}\
         nav a{{margin-right:0.2rem}}nav a[aria-current]{{font-weight:bold;text-decoration:none;color:#222}}\
         table{{border-collapse:collapse;width:100%;font-size:0.9rem}}th,td{{border-bottom:1px solid #ddd;padding:0.3rem;text-align:left;vertical-align:top}}\
         .hint{{color:#8a4b00}}form.inline{{display:inline}}form.inline button{{font-size:0.8rem;padding:0.1rem 0.4rem}}</style></head>\
         <body><h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title)
    ))
}

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
        let asks = link.as_ref().map_or_else(|| email.kind.request(&partner, None), |l| state.store.request_of(l));
        let action = match link.and_then(|l| l.used_at) {
            // A sender's notification asks nothing: it links to the letter.
            _ if email.kind == LinkKind::Notification => {
                format!("<p><a href=\"{}\">{}</a></p>", escape(&email.link), escape(email.kind.action()))
            }
            Some(at) => format!("<p class=\"done\">✔ {} ({})</p>", escape(email.kind.outcome()), escape(&at)),
            None => format!(
                "<form method=\"post\" action=\"/_mock/links/{}\"><button type=\"submit\">{}</button></form>",
                escape(link_id),
                escape(email.kind.action())
            ),
        };
        body.push_str(&format!(
            "<article data-kind=\"{kind}\" data-to=\"{to}\"><h2>{subject}</h2>\
             <p class=\"meta\">To <strong>{to}</strong> · {sent} · from {partner} ({token})</p>\
             <p>{asks}</p>{action}<details><summary>Email text</summary><pre>{text}</pre></details></article>\n",
            kind = email.kind.as_str(),
            to = escape(&email.to),
            subject = escape(&email.subject),
            sent = escape(&email.sent_at),
            partner = escape(&partner),
            token = escape(&email.partner),
            asks = escape(&asks),
            text = escape(&email.body),
        ));
    }
    body
}
