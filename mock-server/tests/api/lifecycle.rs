//! A letter's life after sending: the recipient accepts, refuses, lets it
//! lapse, or the notification bounces; the business clock; proofs and
//! downloads. (Webhooks are in `webhooks.rs`.)

use std::io::Read;

use ar24_mock::Config;
use serde_json::{Value, json};

use crate::helpers::{TestMock, letter_to, spawn_mock, spawn_mock_with, unique_email};

/// A letter sent by a ready sender; answers its id and recipient.
pub(crate) async fn sent_letter(t: &TestMock, extra: &[(&'static str, String)]) -> (u64, String) {
    let (sender, _) = t.ready_sender(&t.api).await;
    let recipient = unique_email();
    let mut form = letter_to(sender, &recipient);
    form.extend(extra.iter().cloned());
    let id = t.api.post("mail", &form).await.ok()["id"].as_u64().unwrap();
    (id, recipient)
}

pub(crate) async fn read(t: &TestMock, id: u64) -> Value {
    t.api.get("mail", &[("id", id.to_string())]).await.ok().clone()
}

async fn act(t: &TestMock, id: u64, action: &str) -> (u16, Value) {
    let reply = t.plane.request(reqwest::Method::POST, &format!("letters/{id}/{action}"), &[], None).await.unwrap();
    (reply.status, reply.json())
}

pub(crate) async fn advance(t: &TestMock, by: Value) -> Value {
    let reply = t.plane.request(reqwest::Method::POST, "clock", &[], Some(&json!({"advance": by}))).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

pub(crate) fn paris(date: &Value) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(date.as_str().expect("a date"), "%Y-%m-%d %H:%M:%S").expect("AR24's format")
}

#[tokio::test]
async fn the_recipient_accepts_and_a_settled_letter_never_changes() {
    let t = spawn_mock().await;
    let (id, _) = sent_letter(&t, &[]).await;
    let letter = read(&t, id).await;
    assert_eq!(letter["status"], "ev");
    assert!(letter["proof_ev_url"].as_str().is_some_and(|u| u.contains(&format!("/get/proof/ev-{id}?token="))));
    assert!(letter["proof_ar_url"].is_null(), "no receipt proof before acceptance");
    let (status, accepted) = act(&t, id, "accept").await;
    assert_eq!((status, &accepted["status"]), (200, &json!("ar")));
    let letter = read(&t, id).await;
    assert_eq!(letter["status"], "ar");
    assert!(paris(&letter["view_date"]) >= paris(&letter["ts_ev_date"]));
    assert!(letter["proof_ar_url"].as_str().is_some());
    for action in ["accept", "refuse", "bounce"] {
        let (status, body) = act(&t, id, action).await;
        assert_eq!((status, &body["slug"]), (409, &json!("letter_settled")), "{action}: {body}");
        assert!(body["reason"].as_str().unwrap().contains("accepted"), "it says why: {body}");
    }
    assert_eq!(read(&t, id).await, letter, "nothing changed");
    let (status, body) = act(&t, 999_999, "accept").await;
    assert_eq!((status, &body["slug"]), (404, &json!("letter_not_found")));
}

#[tokio::test]
async fn the_recipient_refuses_from_the_letters_page_after_giving_their_name() {
    let t = spawn_mock().await;
    let (id, recipient) = sent_letter(&t, &[]).await;
    let link = t.latest_link("letter", &recipient).await;
    let page = t.plane.open_link(&link).await.unwrap().body;
    assert!(page.contains(&format!("Registered letter no. {id}")) && page.contains("Refuse the letter"), "{page}");
    let refuse = format!("{link}/refuse");
    let anonymous = t.http.post(&refuse).form(&[("firstname", "Marie")]).send().await.unwrap();
    assert_eq!(anonymous.status(), 400);
    assert_eq!(anonymous.json::<Value>().await.unwrap()["slug"], "identity_missing");
    assert_eq!(read(&t, id).await["status"], "ev", "still awaiting an answer");
    let refused = t.http.post(&refuse).form(&[("firstname", "Marie"), ("lastname", "Dupont")]).send().await.unwrap();
    assert_eq!(refused.status(), 200);
    let letter = read(&t, id).await;
    assert_eq!(letter["status"], "rf");
    assert!(letter["refused_date"].is_string() && letter["proof_rf_url"].is_string());
    assert_eq!(t.accept(&link).await.status, 410, "the link was used");
}

#[tokio::test]
async fn a_bounce_settles_the_letter_and_tells_the_sender() {
    let t = spawn_mock().await;
    let (sender, sender_email) = t.ready_sender(&t.api).await;
    let id = t.api.post("mail", &letter_to(sender, &unique_email())).await.ok()["id"].as_u64().unwrap();
    assert_eq!(act(&t, id, "bounce").await.0, 200);
    let letter = read(&t, id).await;
    assert_eq!(letter["status"], "bc");
    assert!(letter["bounced_date"].is_string() && letter["proof_bc_url"].is_string());
    let news = t.emails(Some(&sender_email), Some("notification")).await;
    assert!(news.last().unwrap()["body"].as_str().unwrap().contains("bounced"), "{news:?}");
}

#[tokio::test]
async fn negligence_comes_fifteen_days_after_the_notification_to_the_second() {
    let t = spawn_mock().await;
    let (id, recipient) = sent_letter(&t, &[]).await;
    let notified = paris(&read(&t, id).await["ts_ev_date"]);
    advance(&t, json!(15 * 86_400 - 2)).await;
    assert_eq!(read(&t, id).await["status"], "ev", "15 days minus a second (or two) later");
    advance(&t, json!(3)).await;
    let letter = read(&t, id).await;
    assert_eq!(letter["status"], "ng", "15 days plus a second later");
    assert_eq!(paris(&letter["negligence_date"]) - notified, chrono::TimeDelta::days(15), "dated when it fell due");
    assert!(letter["proof_ng_url"].is_string());
    let reminders = t.emails(Some(&recipient), Some("reminder")).await;
    assert_eq!(reminders.len(), 7, "every 2 days until the 14th: {reminders:?}");
    assert_eq!(
        t.latest_link("reminder", &recipient).await,
        t.latest_link("letter", &recipient).await,
        "the reminders carry the notification's one link"
    );
    advance(&t, json!("10d")).await;
    assert_eq!(t.emails(Some(&recipient), Some("reminder")).await.len(), 7, "none after negligence");
    let link = t.latest_link("reminder", &recipient).await;
    assert_eq!(t.accept(&link).await.status, 410, "a neglected letter cannot be accepted");
}

#[tokio::test]
async fn reminders_and_the_negligence_notice_are_dated_when_they_fell_due_not_when_the_clock_moved() {
    let t = spawn_mock().await;
    let (id, recipient) = sent_letter(&t, &[]).await;
    let notified = paris(&read(&t, id).await["ts_ev_date"]);
    advance(&t, json!("20d")).await;
    let reminders = t.emails(Some(&recipient), Some("reminder")).await;
    let sent: Vec<chrono::TimeDelta> = reminders.iter().map(|e| paris(&e["sent_at"]) - notified).collect();
    let every_two_days: Vec<chrono::TimeDelta> = (1..=7).map(|k| chrono::TimeDelta::days(2 * k)).collect();
    assert_eq!(sent, every_two_days, "each reminder dated on its day: {reminders:?}");
    let letter = read(&t, id).await;
    let sender = letter["from_email"].as_str().unwrap();
    let news = t.emails(Some(sender), Some("notification")).await;
    let neglected = news.last().expect("the sender is told of the negligence");
    assert_eq!(neglected["sent_at"], letter["negligence_date"], "{neglected}");
    assert_eq!(paris(&neglected["sent_at"]) - notified, chrono::TimeDelta::days(15));
}

#[tokio::test]
async fn when_a_reminder_would_fall_with_negligence_the_letter_is_neglected_without_it() {
    let config = Config { remind_every: 2 * 86_400, negligence_after: 4 * 86_400, ..Config::default() };
    let t = spawn_mock_with(config).await;
    let (id, recipient) = sent_letter(&t, &[]).await;
    let moved = advance(&t, json!("5d")).await;
    assert_eq!(
        moved["fired"],
        json!({"notifications": 0, "reminders": 1, "negligences": 1, "webhook_attempts": 0}),
        "a reminder and the negligence: {moved}"
    );
    assert_eq!(read(&t, id).await["status"], "ng");
    let reminders = t.emails(Some(&recipient), Some("reminder")).await;
    assert_eq!(reminders.len(), 1, "on the 2nd day only, not on the 4th: {reminders:?}");
}

#[tokio::test]
async fn the_clock_moves_forward_only_and_dates_follow_it() {
    let t = spawn_mock().await;
    let before = t.plane.request(reqwest::Method::GET, "clock", &[], None).await.unwrap().json();
    assert_eq!(before["offset_seconds"], 0);
    let after = advance(&t, json!("1d")).await;
    assert_eq!(after["offset_seconds"], 86_400);
    assert!(paris(&after["now"]) - paris(&before["now"]) >= chrono::TimeDelta::days(1));
    // Each refusal says what in particular is wrong.
    let refusals = [
        (json!(-5), "forward only"),
        (json!("tomorrow"), "does not start with a number"),
        (json!(null), "no `advance`"),
        (json!("-1d"), "forward only"),
        (json!("1y"), "\"365d\""),
        (json!("0.5s"), "whole number of seconds"),
    ];
    for (bad, why) in refusals {
        let reply = t.plane.request(reqwest::Method::POST, "clock", &[], Some(&json!({"advance": bad}))).await.unwrap();
        assert_eq!((reply.status, reply.json()["slug"].clone()), (400, json!("invalid_advance")), "{bad}");
        let reason = reply.json()["reason"].as_str().unwrap_or_default().to_owned();
        assert!(reason.contains(why), "{bad}: {reason}");
    }
    assert_eq!(
        advance(&t, json!("1.5h")).await["offset_seconds"],
        86_400 + 5400,
        "fractions of a unit, in whole seconds"
    );
    assert_eq!(advance(&t, json!("2 days")).await["offset_seconds"], 3 * 86_400 + 5400, "units as words");
    // Authentication follows the real clock: signed calls still work a day ahead.
    let (id, _) = sent_letter(&t, &[]).await;
    let letter = read(&t, id).await;
    assert!(paris(&letter["date"]) - paris(&before["now"]) >= chrono::TimeDelta::days(1), "{}", letter["date"]);
}

#[tokio::test]
async fn a_delayed_notification_waits_for_the_business_clock() {
    let t = spawn_mock_with(Config { notify_delay: 3600, ..Config::default() }).await;
    let (id, recipient) = sent_letter(&t, &[]).await;
    assert_eq!(read(&t, id).await["status"], "waiting");
    assert!(t.emails(Some(&recipient), None).await.is_empty());
    assert_eq!(act(&t, id, "accept").await.0, 409, "not notified yet");
    advance(&t, json!("1h")).await;
    assert_eq!(read(&t, id).await["status"], "ev");
    assert_eq!(t.emails(Some(&recipient), Some("letter")).await.len(), 1);
}

async fn download(t: &TestMock, url: &str) -> (u16, String, Vec<u8>) {
    let response = t.http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn proofs_content_zip_and_attachments_download_with_the_letters_token() {
    let t = spawn_mock().await;
    let (sender, _) = t.ready_sender(&t.api).await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let call =
        ar24_client::Call::post("attachment").param("id_user", sender).file("file", "facture.bin", bytes.clone());
    let file = t.api.send(call).await.ok()["file_id"].as_u64().unwrap();
    let mut form = letter_to(sender, &unique_email());
    form.push(("attachment[0]", file.to_string()));
    let id = t.api.post("mail", &form).await.ok()["id"].as_u64().unwrap();
    act(&t, id, "accept").await;
    let letter = read(&t, id).await;

    for field in ["proof_ev_url", "proof_ar_url", "pdf_content"] {
        let (status, kind, body) = download(&t, letter[field].as_str().unwrap()).await;
        assert_eq!((status, kind.as_str()), (200, "application/pdf"), "{field}");
        assert!(body.starts_with(b"%PDF-"), "{field} is a PDF");
        assert!(lopdf::Document::load_mem(&body).is_ok(), "{field} reads as a PDF");
    }
    let (status, _, att) = download(&t, letter["attachments_details"][0]["download_url"].as_str().unwrap()).await;
    assert_eq!((status, att), (200, bytes.clone()), "the attachment, byte for byte");

    let (status, kind, archive) = download(&t, letter["zip"].as_str().unwrap()).await;
    assert_eq!((status, kind.as_str()), (200, "application/zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).expect("a ZIP");
    let mut names: Vec<String> = zip.file_names().map(str::to_owned).collect();
    names.sort();
    let expected = [
        format!("lettre-{id}.pdf"),
        "pieces-jointes/1-facture.bin".to_owned(),
        format!("preuve-ar-{id}.pdf"),
        format!("preuve-ev-{id}.pdf"),
    ];
    assert_eq!(names, expected);
    let mut unpacked = Vec::new();
    zip.by_name("pieces-jointes/1-facture.bin").unwrap().read_to_end(&mut unpacked).unwrap();
    assert_eq!(unpacked, bytes);
    // Each entry dated as the letter is: the deposit, and each proof's own date (Paris time).
    let mut dated = |name: &str, field: &str| {
        let at = zip.by_name(name).unwrap().last_modified().expect("a date");
        let text = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            at.year(),
            at.month(),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        );
        // ZIP keeps even seconds.
        let seconds = (paris(&json!(text)) - paris(&letter[field])).num_seconds();
        assert!((-1..=0).contains(&seconds), "{name} dated {text}, the letter's {field} {}", letter[field]);
    };
    dated(&format!("lettre-{id}.pdf"), "date");
    dated(&format!("preuve-ar-{id}.pdf"), "view_date");

    // Guarded by the letter's own token; a proof not yet reached does not exist.
    let ev = letter["proof_ev_url"].as_str().unwrap();
    let wrong = format!("{}{}", &ev[..ev.len() - 16], "0000000000000000");
    let (status, _, body) = download(&t, &wrong).await;
    assert_eq!(status, 404);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["slug"], "download_not_found");
    let not_yet = ev.replace(&format!("ev-{id}"), &format!("ng-{id}"));
    assert_eq!(download(&t, &not_yet).await.0, 404, "no negligence proof for an accepted letter");
    assert_eq!(download(&t, &format!("{}/get/att/{}", t.mock.root_url(), "0".repeat(40))).await.0, 404);
}

/// The text of a PDF, as poppler's `pdftotext` reads it.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("ar24-pdf-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&dir, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8", dir.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed: .ci/run installs it");
    let _ = std::fs::remove_file(&dir);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
#[ignore = "needs poppler's pdftotext; .ci/run installs it and runs the ignored tests"]
async fn every_proof_states_the_facts_in_french() {
    let t = spawn_mock().await;
    let mut letters = Vec::new();
    for action in ["accept", "refuse", "bounce", "neglect"] {
        let (id, _) = sent_letter(&t, &[("ref_dossier", action.into())]).await;
        letters.push((id, action));
    }
    for (id, action) in &letters {
        if *action != "neglect" {
            act(&t, *id, action).await;
        }
    }
    advance(&t, json!("15d")).await;
    let titles = [
        ("ev", "Preuve de dépôt et d'envoi"),
        ("ar", "Preuve de réception"),
        ("rf", "Preuve de refus"),
        ("bc", "Preuve de non-distribution"),
        ("ng", "Preuve de négligence"),
    ];
    for (id, _) in letters {
        let letter = read(&t, id).await;
        for (code, title) in titles {
            let Some(url) = letter[format!("proof_{code}_url")].as_str() else { continue };
            let text = pdf_text(&download(&t, url).await.2);
            assert!(text.contains(title), "{code}: {text}");
            assert!(text.contains(&format!("Lettre recommandée électronique n° {id}")), "{text}");
            assert!(text.contains("Martin Jeanne") && text.contains(letter["from_email"].as_str().unwrap()), "{text}");
            assert!(text.contains("Marie Dupont") && text.contains(letter["to_email"].as_str().unwrap()), "{text}");
            assert!(text.contains(letter["full_hash_sha256"].as_str().unwrap()), "the content's SHA-256: {text}");
            assert!(text.contains(letter["ts_ev_date"].as_str().unwrap()) && text.contains("heure de Paris"), "{text}");
        }
        let content = pdf_text(&download(&t, letter["pdf_content"].as_str().unwrap()).await.2);
        assert!(content.contains("Veuillez régler la facture n° 42."), "{content}");
    }
}

/// The first page of a PDF rendered by poppler's `pdftoppm` as 8-bit gray pixels,
/// kept under `target/proofs/` for a person to look at; poppler must not complain.
fn rendered_page(pdf: &[u8], name: &str) -> Vec<u8> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/proofs");
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("{name}.pdf"));
    std::fs::write(&input, pdf).unwrap();
    let output = std::process::Command::new("pdftoppm")
        .args(["-gray", "-r", "60", "-f", "1", "-l", "1", "-singlefile", input.to_str().unwrap()])
        .arg(dir.join(name))
        .output()
        .expect("pdftoppm (poppler-utils) is installed: .ci/run installs it");
    assert!(output.status.success() && output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    let pgm = std::fs::read(dir.join(format!("{name}.pgm"))).unwrap();
    // P5, width, height, 255, then one byte a pixel.
    let mut fields = 0;
    let start = pgm.iter().position(|b| {
        fields += usize::from(b.is_ascii_whitespace());
        fields == 4
    });
    pgm[start.unwrap() + 1..].to_vec()
}

#[tokio::test]
#[ignore = "needs poppler's pdftotext and pdftoppm; .ci/run installs them and runs the ignored tests"]
async fn a_proof_prints_every_name_as_given_with_its_references_and_who_refused() {
    let t = spawn_mock().await;
    let extra = [
        ("to_firstname", "Zoë 🦊".to_owned()),
        ("to_lastname", "Ñandú-Łódź محمد".to_owned()),
        ("custom_name_sender", "Cabinet Ωmega Жуков".to_owned()),
        ("ref_dossier", "D-2026-001".to_owned()),
        ("ref_client", "C-42".to_owned()),
        ("ref_facturation", "F-7".to_owned()),
    ];
    let (id, to) = sent_letter(&t, &extra).await;
    let link = t.latest_link("letter", &to).await;
    t.plane.refuse_letter_link(&link, "Αλέξης", "Παπαδόπουλος").await.unwrap();
    let letter = read(&t, id).await;
    let proof = download(&t, letter["proof_rf_url"].as_str().unwrap()).await.2;
    let text = pdf_text(&proof);
    for given in ["Cabinet Ωmega Жуков", "Zoë", "Ñandú-Łódź", "محمد", "D-2026-001", "C-42", "F-7"] {
        assert!(text.contains(given), "{given:?} is printed as given: {text}");
    }
    assert!(text.contains("identifié comme Αλέξης Παπαδόπουλος"), "the refusal names who refused: {text}");
    assert!(text.contains("Zoë \u{FFFD}") && text.contains("remplacés par"), "the fox is replaced, and said: {text}");
    for heading in ["Expéditeur", "Destinataire", "Déroulement", "Références", "Empreinte SHA-256", "Pièces jointes"]
    {
        assert!(text.contains(heading), "{heading}: {text}");
    }
    // The page renders cleanly, with ink on it (text, boxes), and not all of it black.
    let pixels = rendered_page(&proof, "refusal");
    let inked = pixels.iter().filter(|p| **p < 128).count() as f64 / pixels.len() as f64;
    assert!((0.01..0.3).contains(&inked), "{:.3} of the page is inked", inked);
    // The content PDF prints the same names.
    let content = pdf_text(&download(&t, letter["pdf_content"].as_str().unwrap()).await.2);
    assert!(content.contains("Ñandú-Łódź") && content.contains("Cabinet Ωmega Жуков"), "{content}");
}

/// The mailbox's card (`article`) of the newest email of `kind` to `to`, as text without tags.
async fn mailbox_card(t: &TestMock, kind: &str, to: &str) -> String {
    let page = t.http.get(t.control("mailbox")).send().await.unwrap().text().await.unwrap();
    let start = page.find(&format!("<article data-kind=\"{kind}\" data-to=\"{to}\">")).expect("the email's card");
    let card = &page[start..start + page[start..].find("</article>").unwrap()];
    card.to_owned()
}

#[tokio::test]
async fn a_settled_letters_emails_and_links_say_what_happened_and_offer_nothing() {
    let t = spawn_mock().await;
    let (refused, refused_to) = sent_letter(&t, &[]).await;
    let (neglected, neglected_to) = sent_letter(&t, &[]).await;
    let link = t.latest_link("letter", &refused_to).await;
    let refusal = t.http.post(format!("{link}/refuse")).header("accept", "application/json");
    let refusal = refusal.form(&[("firstname", "Paul"), ("lastname", "Durand")]).send().await.unwrap();
    let answer: Value = refusal.json().await.unwrap();
    // Accepting and refusing answer the same shape.
    let accepted: Value = t.accept(&t.latest_link("cgu", &unique_email_with_cgu(&t).await).await).await.json();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&answer), keys(&accepted), "{answer} / {accepted}");
    assert_eq!((answer["status"].clone(), answer["letter"].clone()), (json!("refused"), json!(refused)));
    advance(&t, json!("15d")).await;
    assert_eq!(read(&t, neglected).await["status"], "ng");

    // The mailbox: the refused letter's email says refused, never accepted, and has no button.
    let card = mailbox_card(&t, "letter", &refused_to).await;
    assert!(card.contains("<h2>AR24: you have received a registered electronic letter</h2>"), "{card}");
    assert!(card.contains("refused by the recipient") && !card.contains("accepted"), "{card}");
    assert!(!card.contains("<button"), "{card}");
    // The neglected one, and its reminders, say neglected and offer nothing.
    for kind in ["letter", "reminder"] {
        let card = mailbox_card(&t, kind, &neglected_to).await;
        assert!(card.contains("neglected") && !card.contains("<button"), "{kind}: {card}");
    }
    // The sender's notifications say what each one is about.
    let notifications = t.emails(None, Some("notification")).await;
    let says = |needle: &str| notifications.iter().any(|e| e["body"].as_str().unwrap().contains(needle));
    assert!(says("is now refused by the recipient") && says("is now neglected"), "{notifications:?}");
    let page = t.http.get(t.control("mailbox")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("is now refused by the recipient"), "the mailbox summary follows the email");

    // The link: JSON says settled and why; the page offers no button.
    let link = t.latest_link("reminder", &neglected_to).await;
    let shown: Value =
        t.http.get(&link).header("accept", "application/json").send().await.unwrap().json().await.unwrap();
    assert_eq!(shown["state"], "settled", "{shown}");
    assert!(shown["why"].as_str().unwrap().contains("neglected"), "{shown}");
    let html = t.http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("nothing more to do") && !html.contains("<button"), "{html}");
    let click = t.http.post(&link).header("accept", "application/json").send().await.unwrap();
    assert_eq!(click.status(), 410, "and a click changes nothing");
}

/// A user who was asked to accept the CGU: their address.
async fn unique_email_with_cgu(t: &TestMock) -> String {
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    email
}
