//! `GET /_mock/`: the live console a developer keeps open. One page per view
//! (requests, mailbox, users, letters, faults), plain links and forms that
//! work without JavaScript; with it, the page listens to `GET /_mock/events`
//! (server-sent events) and redraws its view within a second of a change,
//! without a reload and without a front-end build.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use futures_util::stream::Stream;
use serde::Deserialize;

use super::html::{escape, page};
use super::mailbox::mailbox_section;
use crate::app_state::AppState;
use crate::store::letter::LetterStatus;

/// The console's views, in the order of its menu.
const VIEWS: [(&str, &str); 5] = [
    ("requests", "Requests"),
    ("mailbox", "Mailbox"),
    ("users", "Users"),
    ("letters", "Letters"),
    ("faults", "Faults"),
];

/// How many rows a view shows at most.
const ROWS: usize = 200;

/// `?view=` and, for the script, `?partial=1` (the view alone).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConsoleQuery {
    view: Option<String>,
    partial: Option<String>,
}

/// `GET /_mock/`: the console.
pub(crate) async fn console(State(state): State<AppState>, Query(query): Query<ConsoleQuery>) -> Response {
    let view = VIEWS.iter().find(|(v, _)| Some(*v) == query.view.as_deref()).map_or("requests", |(v, _)| *v);
    let section = match view {
        "mailbox" => mailbox_section(&state),
        "users" => users(&state),
        "letters" => letters(&state),
        "faults" => faults(&state),
        _ => requests(&state),
    };
    if query.partial.is_some() {
        return Html(section).into_response();
    }
    let menu: String = VIEWS
        .iter()
        .map(|(v, label)| {
            let current = if *v == view { " aria-current=\"page\"" } else { "" };
            format!("<a href=\"/_mock/?view={v}\"{current}>{label}</a>")
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let body = format!(
        "<nav>{menu} · <a href=\"/_mock/openapi.yaml\">OpenAPI</a></nav>\
         <p class=\"meta\" id=\"live\">Updates itself as calls come in. <a href=\"/_mock/?view={view}\">Refresh</a></p>\
         <main data-view=\"{view}\">{section}</main>{LIVE}"
    );
    page("AR24 mock console", &body).into_response()
}

/// Redraws the view on each change the server announces.
const LIVE: &str = "<script>\n\
const live = new EventSource('/_mock/events');\n\
live.addEventListener('change', async () => {\n\
  const url = new URL(location.href); url.searchParams.set('partial', '1');\n\
  const answer = await fetch(url); if (answer.ok) document.querySelector('main').innerHTML = await answer.text();\n\
});\n\
live.onopen = () => document.getElementById('live').dataset.connected = 'yes';\n\
</script>";

/// `GET /_mock/events`: a `change` event whenever what the console shows changes (checked every 250 ms).
pub(crate) async fn events(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold((state, None), |(state, last)| async move {
        loop {
            let now = state.store.version();
            if last != Some(now) {
                let event = Event::default().event("change").data(now.to_string());
                return Some((Ok(event), (state, Some(now))));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn table(headers: &[&str], rows: Vec<String>, empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p>{}</p>", escape(empty));
    }
    let head: String = headers.iter().map(|h| format!("<th>{}</th>", escape(h))).collect();
    format!("<table><thead><tr>{head}</tr></thead><tbody>{}</tbody></table>", rows.concat())
}

fn cells(values: &[String]) -> String {
    format!("<tr>{}</tr>", values.iter().map(|v| format!("<td>{v}</td>")).collect::<String>())
}

/// The journal, failed calls (with their hints) first, newest first.
fn requests(state: &AppState) -> String {
    let mut entries = state.store.requests(None);
    entries.reverse();
    let row = |e: &crate::store::journal::JournalEntry| {
        let partner = match e.token.as_deref() {
            Some(token) => state.store.partner(token).map_or_else(|| "unknown token".to_owned(), |p| p.name.clone()),
            None => String::new(),
        };
        cells(&[
            e.seq.to_string(),
            escape(&crate::protocol::date::format_paris(e.time)),
            format!("{} /api/{}", escape(&e.method), escape(&e.route)),
            escape(&partner),
            escape(e.slug.unwrap_or(e.status)),
            e.hint.as_deref().map(|h| format!("<span class=\"hint\">{}</span>", escape(h))).unwrap_or_default(),
        ])
    };
    let failed: Vec<String> = entries.iter().filter(|e| e.status != "SUCCESS").take(ROWS).map(row).collect();
    let all: Vec<String> = entries.iter().take(ROWS).map(row).collect();
    let headers = ["#", "time (Paris)", "call", "partner", "answer", "why"];
    format!(
        "<h2>Failed calls</h2>{}<h2>Every call</h2>{}",
        table(&headers, failed, "No failed call."),
        table(&headers, all, "No call yet: point your AR24 client at /api/.")
    )
}

fn flag(on: bool) -> String {
    (if on { "✔" } else { "·" }).to_owned()
}

/// Accounts, newest first, with what gates their letters and who sees them.
fn users(state: &AppState) -> String {
    let rows = state
        .store
        .latest_accounts(ROWS)
        .into_iter()
        .map(|(user, seen_by)| {
            let p = &user.profile;
            cells(&[
                user.id.to_string(),
                escape(p.email.as_str()),
                escape(&format!("{} {}", p.firstname, p.lastname)),
                flag(p.confirmed),
                flag(user.cgu),
                flag(user.payment_method),
                user.team_master.map(|m| format!("team of #{m}")).unwrap_or_default(),
                flag(user.identity_verified),
                escape(&seen_by.join(", ")),
            ])
        })
        .collect();
    let headers = ["id", "email", "name", "confirmed", "CGU", "payment method", "team", "identity", "seen by"];
    format!("<h2>Users</h2>{}", table(&headers, rows, "No account yet."))
}

/// Letters, newest first, with their status, proofs and webhook deliveries.
fn letters(state: &AppState) -> String {
    let letters = state.store.mail().newest_letters(ROWS);
    let rows = letters
        .iter()
        .map(|letter| {
            let shown = state.store.mail().view(letter);
            let view = shown.view();
            let proofs: Vec<String> = [
                ("ev", &view.proof_ev_url),
                ("ar", &view.proof_ar_url),
                ("rf", &view.proof_rf_url),
                ("ng", &view.proof_ng_url),
                ("bc", &view.proof_bc_url),
            ]
            .iter()
            .filter_map(|(code, url)| url.as_ref().map(|u| format!("<a href=\"{}\">{code}</a>", escape(&u.text()))))
            .chain(view.zip.iter().map(|u| format!("<a href=\"{}\">zip</a>", escape(&u.text()))))
            .collect();
            let hooks: Vec<String> = state
                .store.mail().webhook_deliveries(Some(letter.id))
                .iter()
                .map(|d| {
                    let state_of = format!("{:?}", d.state).to_lowercase();
                    let attempts: String = d
                        .attempts
                        .iter()
                        .map(|a| {
                            let outcome = match (a.status, &a.error) {
                                (Some(status), _) => format!("HTTP {status}"),
                                (None, Some(error)) => error.clone(),
                                (None, None) => "no answer".into(),
                            };
                            format!("<li>{} · {} · {} ms</li>", escape(&a.at.to_string()), escape(&outcome), a.duration_ms)
                        })
                        .collect();
                    let next = d.next_due.map(|at| format!("<p class=\"meta\">next attempt {}</p>", escape(&at.to_string())));
                    format!(
                        "<details><summary>{} {} ({} attempt(s))</summary><p class=\"meta\">{}</p><ol>{attempts}</ol>{}\
                         <form method=\"post\" action=\"/_mock/webhooks/{}/replay\" class=\"inline\"><button>replay</button></form></details>",
                        escape(&d.payload_state()),
                        state_of,
                        d.attempts.len(),
                        escape(&d.url),
                        next.unwrap_or_default(),
                        d.id
                    )
                })
                .collect();
            let actions = match letter.settled() {
                Some(_) => "<span class=\"meta\">nothing more to do</span>".to_owned(),
                None if letter.status == LetterStatus::Ev => ["accept", "refuse", "bounce"]
                    .iter()
                    .map(|a| format!("<form method=\"post\" action=\"/_mock/letters/{}/{a}\" class=\"inline\"><button>{a}</button></form>", letter.id))
                    .collect::<String>(),
                None => String::new(),
            };
            cells(&[
                letter.id.to_string(),
                escape(&letter.from.name),
                escape(letter.to.email.as_str()),
                format!("{} <span class=\"meta\">{}</span>", escape(letter.status.as_str()), escape(letter.status.describe())),
                escape(&letter.date.to_string()),
                proofs.join(" "),
                hooks.join("<br>"),
                actions,
            ])
        })
        .collect();
    let clock = format!(
        "<p class=\"meta\">Business clock: {} (ahead of real time by {} s).</p>",
        escape(&state.store.clock.now_paris()),
        state.store.clock.offset()
    );
    let headers = ["id", "from", "to", "status", "sent", "proofs", "webhooks", "recipient"];
    format!("<h2>Letters</h2>{clock}{}", table(&headers, rows, "No letter yet."))
}

/// The fault rules in force.
fn faults(state: &AppState) -> String {
    let rows = state
        .store
        .faults
        .list()
        .into_iter()
        .map(|rule| {
            let json = serde_json::to_value(&rule).unwrap_or_default();
            let text =
                |key: &str| json.get(key).map(|v| v.to_string().trim_matches('"').to_owned()).unwrap_or_default();
            cells(&[
                rule.id.to_string(),
                escape(&text("kind")),
                escape(&text("route")),
                escape(&text("token")),
                rule.served.to_string(),
                escape(&text("remaining")),
            ])
        })
        .collect();
    let headers = ["id", "kind", "route", "token", "served", "remaining"];
    format!("<h2>Fault rules</h2>{}", table(&headers, rows, "No fault rule: every call is answered normally."))
}
