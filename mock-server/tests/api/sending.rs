//! Sending registered letters: attachments, simple and eIDAS letters, the
//! gates of `POST mail`, and who pays.

use ar24_client::Call;
use ar24_mock::Config;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Api, letter_to, spawn_mock, spawn_mock_with, unique_email, user_form, with};

async fn upload(api: &Api, user: u64, name: &str, bytes: &[u8]) -> Value {
    let call = Call::post("attachment").param("id_user", user).file("file", name, bytes.to_vec());
    api.send(call).await.ok().clone()
}

fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Sha1;
    format!("{:x}", Sha1::digest(bytes))
}

/// The `full_hash_sha256` a letter of `content` and `files` must have: the
/// SHA-256 of the content followed by each file's bytes, in upper-case hex.
fn fingerprint_of(content: &str, files: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    hash.update(content.as_bytes());
    files.iter().for_each(|file| hash.update(file));
    format!("{:X}", hash.finalize())
}

#[tokio::test]
async fn letters_alike_or_not_with_large_attachments_or_small_each_carry_their_own_fingerprint() {
    let t = spawn_mock().await;
    let (sender, _) = t.ready_sender(&t.api).await;
    // Over 1 MB together (hashed apart from the async threads), and a small one.
    let large: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    let small = b"%PDF-1.4 relance".to_vec();
    let large_id = upload(&t.api, sender, "large.pdf", &large).await["file_id"].as_u64().unwrap();
    let small_id = upload(&t.api, sender, "small.pdf", &small).await["file_id"].as_u64().unwrap();
    let send = |content: &'static str, ids: Vec<u64>| {
        let api = &t.api;
        async move {
            let mut form = letter_to(sender, &unique_email());
            form.retain(|(k, _)| *k != "content");
            form.push(("content", content.into()));
            for (i, id) in ids.iter().enumerate() {
                form.push((["attachment[0]", "attachment[1]"][i], id.to_string()));
            }
            api.post("mail", &form).await.ok()["full_hash_sha256"].as_str().unwrap().to_owned()
        }
    };
    // A letter's content and attachments, and the bytes its fingerprint covers after the content.
    type Case<'a> = (&'static str, Vec<u64>, Vec<&'a [u8]>);
    let cases: [Case; 6] = [
        ("Mise en demeure", vec![large_id], vec![&large]),
        ("Mise en demeure", vec![large_id], vec![&large]),
        ("Relance", vec![large_id], vec![&large]),
        ("Relance", vec![small_id], vec![&small]),
        ("Relance", vec![small_id, large_id], vec![&small, &large]),
        ("Relance", vec![small_id, large_id], vec![&small, &large]),
    ];
    for (content, ids, files) in cases {
        assert_eq!(send(content, ids.clone()).await, fingerprint_of(content, &files), "{content} {ids:?}");
    }
}

#[tokio::test]
async fn a_letter_with_an_attachment_is_sent_read_listed_and_its_recipient_notified() {
    let t = spawn_mock().await;
    let (sender, sender_email) = t.ready_sender(&t.api).await;
    let pdf = b"%PDF-1.4 mise en demeure".to_vec();
    let uploaded = upload(&t.api, sender, "mise-en-demeure.pdf", &pdf).await;
    let file_id = uploaded["file_id"].as_u64().expect("an integer file_id");
    assert_eq!(uploaded["filesize"], pdf.len());
    assert_eq!(uploaded["filename"], "mise-en-demeure.pdf");

    let listed = t.api.get("user/attachment", &[("id_user", sender.to_string())]).await;
    let item = &listed.ok()["attachments"][0];
    assert_eq!(item["id_api_attachment"], file_id);
    assert_eq!(item["hash"], sha1_hex(&pdf));
    assert_eq!(item["id_user"], sender);

    let recipient = unique_email();
    let mut form = letter_to(sender, &recipient);
    form.push(("attachment[0]", file_id.to_string()));
    form.push(("ref_dossier", "AAAA".into()));
    let sent = t.api.post("mail", &form).await;
    let mail = sent.ok();
    assert_eq!(mail["status"], "waiting", "the answer shows the letter as deposited");
    assert_eq!(mail["type"], "lre");
    assert_eq!(mail["is_eidas"], 0);
    assert_eq!(mail["id_sender"], sender);
    assert_eq!(mail["from_name"], "Martin Jeanne");
    assert_eq!(mail["from_email"], sender_email.as_str());
    assert_eq!(mail["to_name"], "Marie Dupont");
    assert_eq!(mail["ref_dossier"], "AAAA");
    assert_eq!(mail["price_ht"], 0.0);
    assert_eq!(mail["attachments"], json!([file_id]));
    assert_eq!(mail["attachments_details"][0]["hash_sha1"], sha1_hex(&pdf));
    let content = &letter_to(sender, &recipient).iter().find(|(k, _)| *k == "content").unwrap().1.clone();
    assert_eq!(mail["full_hash_sha256"], fingerprint_of(content, &[&pdf]));
    let id = mail["id"].as_u64().expect("an integer id");

    let read = t.api.get("mail", &[("id", id.to_string())]).await;
    assert_eq!(read.ok()["status"], "ev", "the recipient is notified at once");
    assert!(read.ok()["ts_ev_date"].as_str().is_some_and(|d| d.len() == 19));
    let listed = t.api.get("user/mail", &[("id_user", sender.to_string())]).await;
    assert_eq!(listed.ok().as_array().map(Vec::len), Some(1), "a bare array: {}", listed.ok());
    assert_eq!(listed.ok()[0]["id"], id);
    let of_letter = t.api.get("attachment", &[("id", id.to_string())]).await;
    assert_eq!(of_letter.ok()["attachments"][0]["id_api_attachment"], file_id);

    let to_recipient = t.emails(Some(&recipient), Some("letter")).await;
    assert_eq!(to_recipient.len(), 1);
    assert!(to_recipient[0]["body"].as_str().unwrap().contains("Martin Jeanne"), "{}", to_recipient[0]["body"]);
    let to_sender = t.emails(Some(&sender_email), Some("notification")).await;
    assert_eq!(to_sender.len(), 1, "notify_ev is on by default");
    let letters = t.plane.letters(&[("user", &sender.to_string())]).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["id"], id);
}

#[tokio::test]
async fn a_letter_is_signed_with_the_company_only_for_a_legal_entity() {
    let t = spawn_mock().await;
    let mut names = Vec::new();
    for legal_entity in ["0", "1"] {
        let email = unique_email();
        let form = [("statut", "professionnel"), ("company", "Acme SAS"), ("company_siret", "73282932000074")]
            .into_iter()
            .fold(with(user_form(&email), "confirmed", "1"), |form, (k, v)| with(form, k, v));
        let form = with(form, "is_legal_entity", legal_entity);
        let id = t.api.post("user", &form).await.ok()["id"].as_u64().unwrap();
        t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
        t.follow_link("cgu", &email).await;
        t.plane.add_payment_method(id).await.unwrap();
        let mail = t.api.post("mail", &letter_to(id, &unique_email())).await;
        names.push(mail.ok()["from_name"].clone());
    }
    assert_eq!(names, [json!("Martin Jeanne"), json!("Acme SAS")]);
}

#[tokio::test]
async fn the_sender_is_notified_only_when_notify_ev_is_on() {
    let t = spawn_mock().await;
    let email = unique_email();
    let form = with(with(user_form(&email), "confirmed", "1"), "notify_ev", "0");
    let id = t.api.post("user", &form).await.ok()["id"].as_u64().unwrap();
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    t.follow_link("cgu", &email).await;
    t.plane.add_payment_method(id).await.unwrap();
    let mail = t.api.post("mail", &letter_to(id, &unique_email())).await;
    assert_eq!(mail.ok()["req_notify_ev"], 0);
    assert!(t.emails(Some(&email), Some("notification")).await.is_empty());
}

#[tokio::test]
async fn the_gates_of_a_letter_open_in_order() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    let send = || t.api.send(Call::post("mail").params(letter_to(id, "marie@example.com")));
    send().await.assert_error("user_account_not_confirmed");
    t.plane.confirm_account(id).await.unwrap();
    assert_eq!(t.api.user(id).await.ok()["confirmed"], 1);
    send().await.assert_error("user_eula_not_accepted");
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    t.follow_link("cgu", &email).await;
    send().await.assert_error("user_no_payment");
    t.plane.add_payment_method(id).await.unwrap();
    assert_eq!(send().await.ok()["status"], "waiting");
    t.api.post("mail", &[("to_email", "x@example.com".into())]).await.assert_error("missing_user_id");
    let other = t.new_partner(json!({})).await;
    other.post("mail", &letter_to(id, "marie@example.com")).await.assert_error("user_unavailable");
}

#[tokio::test]
async fn a_sender_without_a_name_is_refused() {
    let t = spawn_mock().await;
    let (id, _) = t.ready_sender(&t.api).await;
    let mut state = t.plane.export_state().await.unwrap();
    state["users"][0]["profile"]["firstname"] = json!("");
    t.plane.import_state(&state).await.unwrap();
    t.api.post("mail", &letter_to(id, "marie@example.com")).await.assert_error("user_name_empty");
}

#[tokio::test]
async fn recipient_and_content_rules_answer_their_slugs() {
    let t = spawn_mock_with(Config { max_content: 100, ..Config::default() }).await;
    let (id, sender_email) = t.ready_sender(&t.api).await;
    let base = letter_to(id, "marie@example.com");
    let cases: [(&'static str, &str, &str); 11] = [
        ("to_email", "", "missing_email"),
        ("to_email", "marie@", "invalid_recipient"),
        ("to_email", &sender_email.to_uppercase(), "same_sender_recipients_emails"),
        ("dest_statut", "professional", "error_dest_statut"),
        ("webhook", "not a url", "invalid_webhook"),
        ("to_lastname", " ", "missing_to_lastname"),
        ("to_firstname", "", "missing_to_firstname"),
        ("id_group", "3", "group_not_exist"),
        ("content", "<script>alert(1)</script>", "forbidden_html"),
        ("content", &"é".repeat(101), "content_exceeds_limit"),
        ("eidas", "yes", "invalid_flag"),
    ];
    for (name, value, slug) in cases {
        t.api.post("mail", &with(base.clone(), name, value)).await.assert_error(slug);
    }
    let pro = with(with(base.clone(), "dest_statut", "professionnel"), "to_company", "");
    t.api.post("mail", &pro).await.assert_error("missing_to_company");
    let pro = with(pro, "to_company", "Doe Corp");
    assert_eq!(t.api.post("mail", &pro).await.ok()["to_name"], "Doe Corp Marie Dupont");
    t.api.post("mail", &with(base.clone(), "content", "")).await.assert_error("error_no_content_no_attachment");
    assert!(t.plane.letters(&[]).await.unwrap().len() == 1, "no refused letter was recorded");
    assert_eq!(t.plane.charges(&[]).await.unwrap().len(), 1, "nor charged");
    // `dest_statut` ignores letter case, as a user's `statut` does.
    assert!(t.api.post("mail", &with(base.clone(), "dest_statut", "Particulier")).await.is_success());
    // A content over the limit: the journal says by how much.
    t.api.post("mail", &with(base, "content", &"é".repeat(101))).await.assert_error("content_exceeds_limit");
    let hint = t.journal(&t.api.token).await.pop().unwrap()["hint"].as_str().unwrap().to_owned();
    assert!(hint.contains("`content` is 101 characters") && hint.contains("at most 100"), "{hint}");
}

#[tokio::test]
async fn attachments_are_checked_by_owner_and_size() {
    let t = spawn_mock_with(Config { max_attachment: 100, ..Config::default() }).await;
    let (id, _) = t.ready_sender(&t.api).await;
    let (other, _) = t.ready_sender(&t.api).await;
    let theirs = upload(&t.api, other, "theirs.txt", b"theirs").await["file_id"].as_u64().unwrap();
    let first = upload(&t.api, id, "a.txt", &[1; 60]).await["file_id"].as_u64().unwrap();
    let second = upload(&t.api, id, "b.txt", &[2; 60]).await["file_id"].as_u64().unwrap();
    let send = |ids: Vec<String>| {
        let mut form = letter_to(id, "marie@example.com");
        form.extend(ids.into_iter().map(|i| ("attachment[]", i)));
        t.api.send(Call::post("mail").params(form))
    };
    send(vec!["999999".into()]).await.assert_error("attachment_not_exists");
    send(vec!["abc".into()]).await.assert_error("attachment_not_exists");
    send(vec![theirs.to_string()]).await.assert_error("attachment_unavailable");
    let too_big = send(vec![first.to_string(), second.to_string()]).await;
    too_big.assert_error("attachment_too_big");
    assert_eq!(too_big.message(), Some("File exceeds size limit"));
    let one = send(vec![first.to_string()]).await;
    assert_eq!(one.ok()["attachments"], json!([first]));
    // Exactly the limit in all is accepted.
    let rest = upload(&t.api, id, "c.txt", &[3; 40]).await["file_id"].as_u64().unwrap();
    let exact = send(vec![first.to_string(), rest.to_string()]).await;
    assert_eq!(exact.ok()["attachments"], json!([first, rest]));
    // Content may be empty when there is an attachment.
    let mut form = with(letter_to(id, "marie@example.com"), "content", "");
    form.push(("attachment[0]", second.to_string()));
    assert_eq!(t.api.post("mail", &form).await.ok()["attachments"], json!([second]));
}

#[tokio::test]
async fn an_upload_is_refused_with_the_slug_of_what_is_wrong() {
    let t = spawn_mock_with(Config { max_attachment: 1000, ..Config::default() }).await;
    let (id, _) = t.ready_sender(&t.api).await;
    let upload_call = || Call::post("attachment").param("id_user", id);
    t.api.send(upload_call().multipart()).await.assert_error("attachment_missing_file");
    t.api.send(upload_call().file("document", "a.txt", b"x".to_vec())).await.assert_error("attachment_missing_file");
    t.api.send(upload_call().file("file", " ", b"x".to_vec())).await.assert_error("attachment_empty_name");
    let named = t.api.send(upload_call().param("file_name", "named.txt").file("file", "", b"x".to_vec())).await;
    assert_eq!(named.ok()["filename"], "named.txt", "file_name names a part without a file name");
    t.api.send(upload_call().file("file", "empty.txt", Vec::new())).await.assert_error("attachment_too_big");
    let big = t.api.send(upload_call().file("file", "big.bin", vec![0; 1001])).await;
    big.assert_error("attachment_too_big");
    assert_eq!(big.message(), Some("File is empty (0B) or too big"));
    t.api.send(upload_call().file("file", "huge.bin", vec![0; 200_000])).await.assert_error("attachment_too_big");
    let exact = t.api.send(upload_call().file("file", "exact.bin", vec![7; 1000])).await;
    assert_eq!(exact.ok()["filesize"], 1000);
    let missing = t.api.send(Call::post("attachment").file("file", "a.txt", b"x".to_vec())).await;
    missing.assert_error("missing_user_id");
    let other = t.new_partner(json!({})).await;
    other.send(upload_call().file("file", "a.txt", b"x".to_vec())).await.assert_error("user_unavailable");
    // The body limit of other routes stays small.
    let big_form = Call::post("user").params(user_form(&unique_email())).file("file", "big.bin", vec![0; 70_000]);
    t.api.send(big_form).await.assert_error("body_too_large");
}

#[tokio::test]
async fn the_journal_records_a_file_by_name_size_and_sha1_never_its_bytes() {
    let t = spawn_mock().await;
    let (id, _) = t.ready_sender(&t.api).await;
    let secret_bytes = b"confidential-contract-text".to_vec();
    upload(&t.api, id, "contract.txt", &secret_bytes).await;
    let journal = t.journal(&t.api.token).await;
    let entry = journal.iter().rev().find(|e| e["route"] == "attachment").expect("the upload is journalled");
    assert_eq!(
        entry["files"],
        json!([{"field": "file", "filename": "contract.txt", "size": secret_bytes.len(), "sha1": sha1_hex(&secret_bytes)}])
    );
    assert!(!entry.to_string().contains("confidential"), "{entry}");
}

#[tokio::test]
async fn the_same_content_uploaded_twice_is_kept_once() {
    let t = spawn_mock().await;
    let (id, _) = t.ready_sender(&t.api).await;
    let a = upload(&t.api, id, "a.pdf", b"same bytes").await["file_id"].as_u64().unwrap();
    let b = upload(&t.api, id, "b.pdf", b"same bytes").await["file_id"].as_u64().unwrap();
    assert_ne!(a, b, "two uploads, two ids");
    upload(&t.api, id, "c.pdf", b"other bytes").await;
    let state = t.plane.export_state().await.unwrap();
    assert_eq!(state["attachments"].as_array().unwrap().len(), 3);
    assert_eq!(state["contents"].as_object().unwrap().len(), 2, "{}", state["contents"]);
}

#[tokio::test]
async fn reading_a_letter_needs_its_id_and_its_sender_to_be_ours() {
    let t = spawn_mock().await;
    let (id, _) = t.ready_sender(&t.api).await;
    let mail = t.api.post("mail", &letter_to(id, "marie@example.com")).await.ok()["id"].as_u64().unwrap();
    t.api.get("mail", &[]).await.assert_error("missing_erm_id");
    t.api.get("mail", &[("id", "999999".into())]).await.assert_error("missing_erm_id");
    t.api.get("attachment", &[("id", "abc".into())]).await.assert_error("missing_erm_id");
    let other = t.new_partner(json!({})).await;
    other.get("mail", &[("id", mail.to_string())]).await.assert_error("user_unavailable");
    other.get("attachment", &[("id", mail.to_string())]).await.assert_error("user_unavailable");
    other.get("user/mail", &[("id_user", id.to_string())]).await.assert_error("user_unavailable");
    other.get("user/attachment", &[("id_user", id.to_string())]).await.assert_error("user_unavailable");
}

#[tokio::test]
async fn a_users_letters_page_and_narrow_by_id() {
    let t = spawn_mock().await;
    let (id, _) = t.ready_sender(&t.api).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(t.api.post("mail", &letter_to(id, "marie@example.com")).await.ok()["id"].as_u64().unwrap());
    }
    let page = |params: Vec<(&'static str, String)>| {
        let mut all = vec![("id_user", id.to_string())];
        all.extend(params);
        t.api.send(Call::get("user/mail").params(all))
    };
    let ids_of =
        |answer: &Value| answer.as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids_of(page(vec![]).await.ok()), ids);
    assert_eq!(ids_of(page(vec![("sort", "DESC".into()), ("max", "1".into())]).await.ok()), [ids[2]]);
    assert_eq!(
        ids_of(page(vec![("mail[0]", ids[0].to_string()), ("mail[1]", ids[2].to_string())]).await.ok()),
        [ids[0], ids[2]]
    );
    page(vec![("max", "0".into())]).await.assert_error("invalid_max");
    // An id that is not a number narrows nothing: it is refused, never read as "every letter".
    page(vec![("mail[0]", ids[0].to_string()), ("mail[1]", "abc".into())]).await.assert_error("missing_erm_id");
    let hint = t.journal(&t.api.token).await.pop().unwrap()["hint"].as_str().unwrap().to_owned();
    assert!(hint.contains("the 2nd `mail` id, \"abc\""), "{hint}");
}

#[tokio::test]
async fn each_send_is_charged_to_one_payer_in_ar24s_order() {
    let config = Config { price_simple: 3.49, price_eidas: 4.68, ..Config::default() };
    let t = spawn_mock_with(config).await;
    // Own payment method.
    let (own, _) = t.ready_sender(&t.api).await;
    let mail = t.api.post("mail", &letter_to(own, "marie@example.com")).await;
    assert_eq!(mail.ok()["price_ht"], 3.49);
    // A team member whose administrator pays.
    let (master, _) = t.ready_sender(&t.api).await;
    let member_email = unique_email();
    let member =
        t.api.post("user", &with(user_form(&member_email), "confirmed", "1")).await.ok()["id"].as_u64().unwrap();
    t.api.post("user/request_cgu", &[("id_user", member.to_string())]).await.ok();
    t.follow_link("cgu", &member_email).await;
    t.api.post("mail", &letter_to(member, "marie@example.com")).await.assert_error("user_no_payment");
    t.api.post("user/join_team", &[("id_user", member.to_string()), ("id_master", master.to_string())]).await.ok();
    t.follow_link("team", &member_email).await;
    t.api.post("mail", &letter_to(member, "marie@example.com")).await.ok();
    // A partner with global billing, for a user without any payment method.
    let billing = t.new_partner(json!({"global_billing": true, "cgu_preaccepted": true})).await;
    let billed = billing.post("user", &with(with(user_form(&unique_email()), "confirmed", "1"), "cgu", "1")).await.ok()
        ["id"]
        .as_u64()
        .unwrap();
    billing.post("mail", &letter_to(billed, "marie@example.com")).await.ok();

    let charges = t.plane.charges(&[]).await.unwrap();
    assert_eq!(charges.len(), 3, "one charge per letter: {charges:?}");
    for charge in &charges {
        assert_eq!((&charge["kind"], &charge["price_ht"]), (&json!("simple"), &json!(3.49)), "{charge}");
    }
    assert_eq!((charges[0]["user"].as_u64(), &charges[0]["payer"]), (Some(own), &json!({"kind": "user"})));
    assert_eq!(
        (charges[1]["user"].as_u64(), &charges[1]["payer"]),
        (Some(member), &json!({"kind": "team_master", "id": master}))
    );
    let partner = json!({"kind": "partner", "token": billing.token});
    assert_eq!((charges[2]["user"].as_u64(), &charges[2]["payer"]), (Some(billed), &partner));
    assert_eq!(charges[2]["token"], billing.token.as_str(), "the partner whose call it was");
    let mine = t.plane.charges(&[("user", &member.to_string())]).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["letter"], t.plane.letters(&[("user", &member.to_string())]).await.unwrap()[0]["id"]);
}

#[tokio::test]
async fn the_recipient_accepts_the_letter_from_its_email_once() {
    let t = spawn_mock().await;
    let (id, _) = t.ready_sender(&t.api).await;
    let recipient = unique_email();
    let mail = t.api.post("mail", &letter_to(id, &recipient)).await.ok()["id"].as_u64().unwrap();
    let link = t.latest_link("letter", &recipient).await;
    let page = t.plane.open_link(&link).await.unwrap();
    assert!(page.body.contains("Martin Jeanne") && page.body.contains("Accept the letter"), "{}", page.body);
    assert_eq!(t.accept(&link).await.status, 200);
    let read = t.api.get("mail", &[("id", mail.to_string())]).await;
    assert_eq!(read.ok()["status"], "ar");
    assert!(read.ok()["view_date"].as_str().is_some_and(|d| d.len() == 19));
    assert_eq!(t.accept(&link).await.status, 410, "a letter is accepted once");
    assert_eq!(t.plane.letters(&[("status", "ar")]).await.unwrap().len(), 1);
    let bad = t.plane.request(reqwest::Method::GET, "letters", &[("status", "lost")], None).await.unwrap();
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn the_mailbox_shows_the_letter_with_its_button_and_the_senders_notification_with_a_link() {
    let t = spawn_mock().await;
    let (id, _) = t.ready_sender(&t.api).await;
    let recipient = unique_email();
    let mail = t.api.post("mail", &letter_to(id, &recipient)).await.ok()["id"].as_u64().unwrap();
    let page = t.plane.mailbox().await.unwrap();
    let letter_link = t.latest_link("letter", &recipient).await;
    let letter_path = letter_link.strip_prefix(&t.mock.root_url()).unwrap();
    assert!(page.contains(&format!("action=\"{letter_path}\"")), "a button accepts the letter: {page}");
    assert!(page.contains("Accept the letter"), "{page}");
    let letter_url = format!("{}/_mock/letters/{mail}", t.mock.root_url());
    assert!(page.contains(&format!("<a href=\"{letter_url}\">See the letter</a>")), "{page}");
    let shown = t.http.get(&letter_url).send().await.unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.json::<Value>().await.unwrap()["id"], mail);
}
