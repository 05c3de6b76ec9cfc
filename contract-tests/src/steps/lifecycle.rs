//! A letter's life: the recipient notified, accepting or refusing it, the
//! deadline passing; the proofs AR24 issues; our webhook hearing of it.

use ar24_contract_tests::Answer;
use ar24_contract_tests::out_of_band::{instruct, poll_until};
use ar24_contract_tests::receiver::field;
use cucumber::{then, when};
use serde_json::{Value, json};

use super::User;
use super::sending::{letter, letter_id, send_letter, set};
use crate::world::{Ar24World, receiver, settle_timeout};

/// The letter as AR24 answers it now.
async fn current(w: &Ar24World) -> Result<Value, String> {
    let id = letter_id(w);
    match w.us.unrecorded().get("mail", &[("id", id.to_string())]).await {
        Ok(Answer::Success { result: Some(mail), .. }) => Ok(mail),
        Ok(other) => Err(other.outcome()),
        Err(e) => Err(e.to_string()),
    }
}

/// Waits until the letter's status is `status`; fails with the last answer seen.
async fn wait_for_status(w: &Ar24World, status: &str) {
    let (timeout, every) = settle_timeout(w.target());
    let what = format!("letter {} reaching {status:?}", letter_id(w));
    let seen = poll_until(timeout, every, &what, || {
        let w = &*w;
        async move {
            let mail = current(w).await?;
            if mail["status"] == status { Ok(()) } else { Err(format!("status {}", mail["status"])) }
        }
    })
    .await;
    seen.unwrap_or_else(|e| panic!("{e}"));
}

#[when(expr = "{user} sends a registered letter to {user} asking AR24 to call our webhook")]
async fn when_send_with_webhook(w: &mut Ar24World, from: User, to: User) {
    let url = receiver().await.url.clone();
    send_with_webhook(w, &from.0, &to.0, url).await;
}

#[when(expr = "{user} sends a registered letter to {user} asking AR24 to call our webhook, which answers 500")]
async fn when_send_with_failing_webhook(w: &mut Ar24World, from: User, to: User) {
    let url = receiver().await.failing_url();
    send_with_webhook(w, &from.0, &to.0, url).await;
}

#[when(expr = "{user} sends a registered letter to {user} asking AR24 to call our webhook, which never answers")]
async fn when_send_with_silent_webhook(w: &mut Ar24World, from: User, to: User) {
    let url = receiver().await.silent_url("ev");
    send_with_webhook(w, &from.0, &to.0, url).await;
}

/// `from` sends `to` a letter whose webhook is `url`.
async fn send_with_webhook(w: &mut Ar24World, from: &str, to: &str, url: String) {
    let form = set(letter(w, from, to), "webhook", &url);
    send_letter(w, form).await;
}

#[then(expr = "the letter reaches {string}")]
async fn then_reaches(w: &mut Ar24World, status: String) {
    wait_for_status(w, &status).await;
}

/// The proof field of a proof named in AR24's words.
fn proof_field(which: &str) -> &'static str {
    match which {
        "sending" => "proof_ev_url",
        "receipt" => "proof_ar_url",
        "refusal" => "proof_rf_url",
        "negligence" => "proof_ng_url",
        "bounce" => "proof_bc_url",
        other => panic!("no proof is called {other:?}: sending, receipt, refusal, negligence or bounce"),
    }
}

#[then(expr = "its proof of {word} downloads as a PDF")]
async fn then_proof_pdf(w: &mut Ar24World, which: String) {
    let mail = current(w).await.unwrap_or_else(|e| panic!("reading the letter: {e}"));
    let field = proof_field(&which);
    let url = mail[field].as_str().unwrap_or_else(|| panic!("{field} is a URL once reached: {mail}"));
    let response = reqwest::get(url).await.unwrap_or_else(|e| panic!("downloading {url}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "{field} {url}");
    let bytes = response.bytes().await.unwrap_or_default();
    assert!(bytes.starts_with(b"%PDF-"), "{field} is a PDF: {:?}", &bytes[..bytes.len().min(40)]);
}

/// On a mock, `name` acts from the latest letter email; on the sandbox the
/// operator is asked to. Then the letter must reach `status`.
async fn recipient_acts(w: &mut Ar24World, name: &str, refuse: bool, status: &str) {
    let email = w.user_entry(name).email.clone();
    if w.target().is_mock() {
        let control = w.control();
        let link = control.latest_link(&email, "letter").await.unwrap_or_else(|e| panic!("{e}"));
        let reply = if refuse {
            control.refuse_letter_link(&link, name, "Destinataire").await
        } else {
            control.click_link(&link).await
        };
        let reply = reply.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reply.status, 200, "{name} acting on {link}: {}", reply.body);
    } else {
        let operator = w.target().operator.as_ref().expect("out-of-band scenarios are skipped without an operator");
        let what = if refuse {
            format!("open the registered letter AR24 sent to {email}, identify as {name} Destinataire and refuse it")
        } else {
            format!("open the registered letter AR24 sent to {email} and accept it")
        };
        instruct(operator, &what);
    }
    wait_for_status(w, status).await;
}

#[when(expr = "{user} accepts the letter from the email")]
async fn when_accepts(w: &mut Ar24World, name: User) {
    recipient_acts(w, &name.0, false, "ar").await;
}

#[when(expr = "{user} identifies and refuses the letter from the email")]
async fn when_refuses(w: &mut Ar24World, name: User) {
    recipient_acts(w, &name.0, true, "rf").await;
}

#[when(expr = "{int} days pass without an answer")]
async fn when_days_pass(w: &mut Ar24World, days: u32) {
    let control = w.control();
    control.advance_clock(&json!(format!("{days}d"))).await.unwrap_or_else(|e| panic!("{e}"));
    control.advance_clock(&json!(1)).await.unwrap_or_else(|e| panic!("{e}"));
}

#[when(expr = "{int} hours pass without an answer")]
async fn when_hours_pass(w: &mut Ar24World, hours: u32) {
    w.control().advance_clock(&json!(format!("{hours}h"))).await.unwrap_or_else(|e| panic!("{e}"));
}

#[when(expr = "{int} minutes pass without an answer")]
async fn when_minutes_pass(w: &mut Ar24World, minutes: u32) {
    w.control().advance_clock(&json!(format!("{minutes}m"))).await.unwrap_or_else(|e| panic!("{e}"));
}

#[when(expr = "{int} seconds pass without an answer")]
async fn when_seconds_pass(w: &mut Ar24World, seconds: u32) {
    w.control().advance_clock(&json!(seconds)).await.unwrap_or_else(|e| panic!("{e}"));
}

#[then(expr = "the letter is still {string}")]
#[then(expr = "the letter is now {string}")]
async fn then_still(w: &mut Ar24World, status: String) {
    let mail = current(w).await.unwrap_or_else(|e| panic!("reading the letter: {e}"));
    assert_eq!(mail["status"], status.as_str(), "{mail}");
}

#[then("it was neglected 15 days to the second after its recipient was notified")]
async fn then_neglected_on_time(w: &mut Ar24World) {
    let mail = current(w).await.unwrap_or_else(|e| panic!("reading the letter: {e}"));
    let date = |field: &str| {
        let text = mail[field].as_str().unwrap_or_else(|| panic!("a {field}: {mail}"));
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .unwrap_or_else(|e| panic!("{field} {text}: {e}"))
    };
    assert_eq!(date("negligence_date") - date("ts_ev_date"), chrono::TimeDelta::days(15), "{mail}");
}

/// AR24: "nous effectuerons un nouvel envoi de la requête toutes les 15
/// minutes jusqu'à un maximum de 48 tentatives" (the first call, then 48).
#[then(expr = "our webhook has heard that the letter is {string} {int} time(s)")]
async fn then_webhook_times(w: &mut Ar24World, status: String, times: usize) {
    let id = letter_id(w);
    let receiver = receiver().await;
    let (timeout, every) = settle_timeout(w.target());
    let heard = || {
        let calls = receiver.calls_about(id);
        calls.iter().filter(|call| field(call, "new_state") == Some(status.as_str())).count()
    };
    let what = format!("{times} webhook calls for letter {id} with new_state {status:?}");
    let check = || {
        let count = heard();
        std::future::ready(if count == times { Ok(()) } else { Err(format!("{count} calls")) })
    };
    poll_until(timeout, every, &what, check).await.unwrap_or_else(|e| panic!("{e}"));
}

#[then(expr = "our webhook hears that the letter is {string}")]
async fn then_webhook(w: &mut Ar24World, status: String) {
    let id = letter_id(w);
    let receiver = receiver().await;
    let (timeout, every) = settle_timeout(w.target());
    let what = format!("a webhook call for letter {id} with new_state {status:?}");
    // The call dates the event under the name the mail object gives that date.
    let date_name = match status.as_str() {
        "ev" => "ts_ev_date",
        "ar" => "view_date",
        "rf" => "refused_date",
        "ng" => "negligence_date",
        other => panic!("no webhook is expected for {other:?}"),
    };
    let dated = |call: &ar24_contract_tests::receiver::Call| {
        field(call, date_name).is_some_and(|d| chrono::NaiveDateTime::parse_from_str(d, "%Y-%m-%d %H:%M:%S").is_ok())
    };
    let heard = poll_until(timeout, every, &what, || {
        let calls = receiver.calls_about(id);
        let status = status.clone();
        async move {
            let call = calls.iter().find(|c| field(c, "new_state") == Some(status.as_str()));
            match call {
                Some(call) if !field(call, "proof_url").is_some_and(|u| u.starts_with("http")) => {
                    Err(format!("a call without a proof URL: {call:?}"))
                }
                Some(call) if !dated(call) => Err(format!("a call without its {date_name}: {call:?}")),
                Some(_) => Ok(()),
                None => Err(format!("calls so far: {calls:?}")),
            }
        }
    })
    .await;
    heard.unwrap_or_else(|e| panic!("{e}"));
}

/// The mock's record of the letter's webhook deliveries.
async fn deliveries(w: &Ar24World) -> Vec<Value> {
    let id = letter_id(w);
    w.control().webhooks(Some(id)).await.unwrap_or_else(|e| panic!("the mock's webhooks for letter {id}: {e}"))
}

#[when("the mock sends the letter's webhook again")]
async fn when_replay(w: &mut Ar24World) {
    let delivery = deliveries(w).await.first().and_then(|d| d["id"].as_u64());
    let delivery = delivery.unwrap_or_else(|| panic!("letter {} has a webhook delivery", letter_id(w)));
    w.control().replay_webhook(delivery).await.unwrap_or_else(|e| panic!("replaying delivery {delivery}: {e}"));
}

#[then(expr = "the mock records {int} attempt(s) of the letter's webhook, each answered {int}")]
async fn then_attempts_recorded(w: &mut Ar24World, count: usize, status: u16) {
    // A first attempt after a send is made in the background: our receiver
    // counts the call before it answers, and the mock records the attempt once
    // the answer is back. Moving the clock by nothing returns once everything
    // due now has happened, attempts under way included (the mock's own way
    // for a test to assert what a call caused without waiting).
    w.control().advance_clock(&json!(0)).await.unwrap_or_else(|e| panic!("{e}"));
    let deliveries = deliveries(w).await;
    let attempts: Vec<&Value> =
        deliveries.iter().flat_map(|d| d["attempts"].as_array().into_iter().flatten()).collect();
    assert_eq!(attempts.len(), count, "attempts recorded: {deliveries:?}");
    assert!(attempts.iter().all(|a| a["status"] == status), "each answered {status}: {attempts:?}");
    let numbers: Vec<u64> = attempts.iter().filter_map(|a| a["number"].as_u64()).collect();
    let expected: Vec<u64> = (1..=count as u64).collect();
    assert_eq!(numbers, expected, "the attempts are numbered from 1, the first call: {attempts:?}");
}

/// Our webhook answers calls about the notification slowly: each acceptance
/// falls due while AR24 may still be calling about the notification.
#[when(expr = "{user} sends {int} registered letters to {user} asking AR24 to call our webhook, each accepted at once")]
async fn when_send_many_accepted(w: &mut Ar24World, from: User, count: usize, to: User) {
    let url = receiver().await.slow_url("ev");
    for _ in 0..count {
        send_with_webhook(w, &from.0, &to.0, url.clone()).await;
        let id = w.last().result().and_then(|r| r["id"].as_u64());
        let id = id.unwrap_or_else(|| panic!("sending a letter: {}", w.last().outcome()));
        w.control().act_on_letter(id, "accept").await.unwrap_or_else(|e| panic!("accepting letter {id}: {e}"));
    }
}

/// AR24 calls the webhook at each change of a letter; the first call about
/// a change comes after the first call about the change before it was answered.
#[then(expr = "our webhook hears of each letter {string} and then {string}")]
async fn then_webhook_order(w: &mut Ar24World, first: String, then: String) {
    let receiver = receiver().await;
    let (timeout, every) = settle_timeout(w.target());
    let letters = w.letters_sent.clone();
    let heard = |id: u64| -> Vec<String> {
        let calls = receiver.calls_about(id);
        calls.iter().filter_map(|c| field(c, "new_state")).map(str::to_owned).collect()
    };
    let what = format!("two webhook calls for each of letters {letters:?}");
    let all_heard = || {
        let missing: Vec<(u64, Vec<String>)> =
            letters.iter().map(|id| (*id, heard(*id))).filter(|(_, calls)| calls.len() < 2).collect();
        std::future::ready(if missing.is_empty() { Ok(()) } else { Err(format!("heard so far: {missing:?}")) })
    };
    poll_until(timeout, every, &what, all_heard).await.unwrap_or_else(|e| panic!("{e}"));
    for id in letters {
        assert_eq!(heard(id), [first.as_str(), then.as_str()], "letter {id}'s calls, in the order they came");
    }
}

/// AR24 waits 2.5 seconds for the first call's answer ([ASSUMED] like its
/// first retries), then counts the call as failed.
#[then("the mock records the first attempt of the letter's webhook as unanswered after 2.5 seconds")]
async fn then_first_attempt_timed_out(w: &mut Ar24World) {
    let (timeout, every) = settle_timeout(w.target());
    let what = format!("the first webhook attempt for letter {} recorded", letter_id(w));
    let first_attempt =
        |deliveries: &[Value]| deliveries.first().and_then(|d| d["attempts"].as_array()?.first().cloned());
    let recorded = poll_until(timeout, every, &what, || async {
        let deliveries = deliveries(w).await;
        first_attempt(&deliveries).map(drop).ok_or_else(|| format!("deliveries so far: {deliveries:?}"))
    })
    .await;
    recorded.unwrap_or_else(|e| panic!("{e}"));
    let attempt = first_attempt(&deliveries(w).await).expect("recorded, as seen just above");
    assert!(attempt["status"].is_null(), "no answer came: {attempt}");
    let waited = attempt["duration_ms"].as_u64().unwrap_or_else(|| panic!("a duration_ms: {attempt}"));
    assert!(waited >= 2_400, "waited its 2.5 s before giving up, not {waited} ms: {attempt}");
    // Given up at 2.5 s, not when the receiver would answer (60 s) nor at a later
    // attempt's timeout of 11 s; the grace is for a loaded machine, where the
    // timer's wake-up has been seen 1.6 s late.
    assert!(waited < GIVEN_UP_WITHIN_MS, "given up after about 2.5 s, not {waited} ms: {attempt}");
}

/// The most a first attempt to a silent receiver may be recorded as taking:
/// AR24's 2.5 s, and 5 s of grace for a loaded machine.
const GIVEN_UP_WITHIN_MS: u64 = 7_500;
