//! Sending registered letters: uploading attachments, sending simple and
//! eIDAS letters, reading and listing them.

use ar24_contract_tests::contract::{flag, mail_object_problems};
use ar24_contract_tests::{Answer, Call};
use cucumber::{given, then, when};
use serde_json::Value;

use super::{Field, User};
use crate::world::{Ar24World, FileBytes};

/// The bytes of the file `name` in this scenario: distinct per scenario and name.
fn file_bytes(w: &Ar24World, name: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {name} for scenario {}\n%%EOF\n", w.tag).into_bytes()
}

/// A letter from `from` to `to` (a private person, who need not have an
/// AR24 account), as AR24's parameters.
pub(super) fn letter(w: &mut Ar24World, from: &str, to: &str) -> Vec<(String, String)> {
    let recipient = w.user_entry(to).email.clone();
    [
        ("id_user", w.user(from).id().to_string()),
        ("to_email", recipient),
        ("dest_statut", "particulier".into()),
        ("to_firstname", to.to_owned()),
        ("to_lastname", "Destinataire".into()),
        ("content", format!("<p>Lettre recommandée de {from} à {to}.</p>")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub(super) fn set(mut form: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    form.retain(|(k, _)| k != name);
    form.push((name.to_owned(), value.to_owned()));
    form
}

/// Sends `form` to `POST mail`; remembers the letter's id on success.
pub(super) async fn send_letter(w: &mut Ar24World, form: Vec<(String, String)>) {
    w.sent.clone_from(&form);
    let answer = w.send(Call::post("mail").params(form)).await;
    if let Some(id) = answer.result().and_then(|r| r["id"].as_u64()) {
        w.letter = Some(id);
        w.letters_sent.push(id);
    }
}

/// The letter sent earlier in the scenario.
pub(super) fn letter_id(w: &Ar24World) -> u64 {
    w.letter.expect("a letter was sent earlier in the scenario")
}

/// The result of the last answer, which must be a success.
fn result(w: &Ar24World) -> &Value {
    let answer = w.last();
    answer.result().unwrap_or_else(|| panic!("AR24 answered {}", answer.outcome()))
}

#[given(expr = "the user {user} was created with a confirmed address")]
async fn given_confirmed(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let form = set(w.user_form(&name), "confirmed", "1");
    w.create_user(&name, &form).await;
    assert!(matches!(w.last(), Answer::Success { .. }), "creating {name}: {}", w.last().outcome());
}

#[given(expr = "the user {user} was created ready to send, with the CGU pre-accepted")]
async fn given_ready(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let form = set(set(w.user_form(&name), "confirmed", "1"), "cgu", "1");
    w.create_user(&name, &form).await;
    assert!(matches!(w.last(), Answer::Success { .. }), "creating {name}: {}", w.last().outcome());
    assert!(w.flag_of(&name, "cgu").await, "{name} was created with cgu=1 on a token that pre-accepts the CGU");
}

/// Uploads `bytes` as `file` for `name`; remembers the file's id on success.
async fn upload(w: &mut Ar24World, name: &str, file: &str, bytes: Vec<u8>) -> Option<u64> {
    let call = Call::post("attachment").param("id_user", w.user(name).id()).file("file", file, bytes.clone());
    let answer = w.send(call).await;
    let id = answer.result().and_then(|r| r["file_id"].as_u64());
    if let Some(id) = id {
        w.files.insert(file.to_owned(), (id, bytes.into()));
    }
    id
}

/// The bytes of `file`, padded to `size` bytes.
fn sized_bytes(w: &Ar24World, file: &str, size: usize) -> Vec<u8> {
    let mut bytes = file_bytes(w, file);
    bytes.resize(size.max(bytes.len()), b' ');
    bytes
}

#[given(expr = "we uploaded the file {string} for {user}")]
#[when(expr = "we upload the file {string} for {user}")]
async fn when_upload(w: &mut Ar24World, file: String, name: User) {
    let bytes = file_bytes(w, &file);
    upload(w, &name.0, &file, bytes).await;
}

#[given(expr = "we uploaded the file {string} of {int} bytes for {user}")]
async fn given_upload_sized(w: &mut Ar24World, file: String, size: usize, name: User) {
    let bytes = sized_bytes(w, &file, size);
    if upload(w, &name.0, &file, bytes).await.is_none() {
        panic!("uploading {file} ({size} bytes): {}", w.last().outcome());
    }
}

#[when(expr = "we upload the file {string} of {int} bytes for {user}")]
async fn when_upload_sized(w: &mut Ar24World, file: String, size: usize, name: User) {
    let bytes = sized_bytes(w, &file, size);
    upload(w, &name.0, &file, bytes).await;
}

#[when(expr = "we upload the empty file {string} for {user}")]
async fn when_upload_empty(w: &mut Ar24World, file: String, name: User) {
    upload(w, &name.0, &file, Vec::new()).await;
}

/// `sort` as AR24 spells it: `ASC` or `DESC`, by id.
fn sort_param(order: &str) -> String {
    match order {
        "oldest" => "ASC".into(),
        "newest" => "DESC".into(),
        other => panic!("an order is \"oldest\" or \"newest\" first, not {other:?}"),
    }
}

#[then(expr = "{user}'s attachments, {word} first, are {string} then {string}")]
async fn then_attachments_in_order(w: &mut Ar24World, name: User, order: String, first: String, second: String) {
    let User(name) = name;
    let id_of = |file: &str| w.files.get(file).map(|(id, _)| *id).unwrap_or_else(|| panic!("{file} was uploaded"));
    let expected = vec![id_of(&first), id_of(&second)];
    let params = [("id_user", w.user(&name).id().to_string()), ("sort", sort_param(&order))];
    w.get("user/attachment", &params).await;
    let items = result(w)["attachments"].as_array().cloned().unwrap_or_else(|| panic!("a list: {}", result(w)));
    let listed: Vec<u64> =
        items.iter().filter_map(|a| a["id_api_attachment"].as_u64()).filter(|id| expected.contains(id)).collect();
    assert_eq!(listed, expected, "{order} first, {first} then {second}: {items:?}");
}

#[when(expr = "we upload for {user} without a file")]
async fn when_upload_nothing(w: &mut Ar24World, name: User) {
    let User(name) = name;
    w.send(Call::post("attachment").param("id_user", w.user(&name).id()).multipart()).await;
}

#[when(expr = "another partner uploads the file {string} for {user}")]
async fn when_other_uploads(w: &mut Ar24World, file: String, name: User) {
    let User(name) = name;
    let other = w.second_partner().await;
    let call = Call::post("attachment").param("id_user", w.user(&name).id()).file("file", &file, file_bytes(w, &file));
    let answer = other.send(&call).await;
    w.answered(answer);
}

#[then(expr = "the answer gives the id of the file {string}")]
async fn then_file_id(w: &mut Ar24World, file: String) {
    let uploaded = result(w);
    let id = uploaded["file_id"].as_u64().filter(|id| *id > 0);
    assert!(id.is_some(), "file_id is a positive integer: {uploaded}");
    if let Some(size) = uploaded.get("filesize") {
        assert_eq!(size.as_u64(), Some(file_bytes(w, &file).len() as u64), "filesize is the file's size");
    }
}

#[then(expr = "{user}'s attachments include {string}")]
async fn then_user_attachments(w: &mut Ar24World, name: User, file: String) {
    let User(name) = name;
    let (id, _) = w.files.get(&file).cloned().unwrap_or_else(|| panic!("{file} was uploaded"));
    w.get("user/attachment", &[("id_user", w.user(&name).id().to_string())]).await;
    let items = result(w)["attachments"].as_array().cloned().unwrap_or_else(|| panic!("a list: {}", result(w)));
    let item = items.iter().find(|a| a["id_api_attachment"].as_u64() == Some(id));
    let item = item.unwrap_or_else(|| panic!("{file} (id {id}) is listed: {items:?}"));
    assert_eq!(item["filename"], file.as_str(), "listed under its name");
}

#[when(expr = "{user} sends a registered letter to {user}")]
async fn when_send(w: &mut Ar24World, from: User, to: User) {
    let form = letter(w, &from.0, &to.0);
    send_letter(w, form).await;
}

#[when(expr = "{user} sends a registered letter to {user} with the attachment {string}")]
async fn when_send_with(w: &mut Ar24World, from: User, to: User, file: String) {
    let (id, _) = w.files.get(&file).cloned().unwrap_or_else(|| panic!("{file} was uploaded"));
    let form = set(letter(w, &from.0, &to.0), "attachment[0]", &id.to_string());
    send_letter(w, form).await;
}

/// AR24 numbers a letter's attachments `attachment[0]`, `attachment[1]`…
#[when(expr = "{user} sends a registered letter to {user} with the attachments {string}")]
async fn when_send_with_several(w: &mut Ar24World, from: User, to: User, files: String) {
    let mut form = letter(w, &from.0, &to.0);
    for (at, file) in files.split(", ").enumerate() {
        let (id, _) = w.files.get(file).cloned().unwrap_or_else(|| panic!("{file} was uploaded"));
        form = set(form, &format!("attachment[{at}]"), &id.to_string());
    }
    send_letter(w, form).await;
}

#[when(expr = "{user} sends a registered letter to {user} with \"{field}\" set to {string}")]
async fn when_send_set(w: &mut Ar24World, from: User, to: User, field: Field, value: String) {
    let form = set(letter(w, &from.0, &to.0), &field.0, &value);
    send_letter(w, form).await;
}

#[when(expr = "{user} sends a registered letter to their own address")]
async fn when_send_to_self(w: &mut Ar24World, from: User) {
    let own = w.user(&from.0).email.clone();
    let form = set(letter(w, &from.0, "Someone"), "to_email", &own);
    send_letter(w, form).await;
}

/// An eIDAS letter from `from` to `to`, authenticated by `proof` (`otp` or `auth_otp_hash`) set to `value`.
async fn send_eidas(w: &mut Ar24World, from: &str, to: &str, proof: &str, value: &str) {
    let form = set(set(letter(w, from, to), "eidas", "1"), proof, value);
    send_letter(w, form).await;
}

#[when(expr = "{user} sends an eIDAS letter to {user} without authenticating")]
async fn when_send_eidas_bare(w: &mut Ar24World, from: User, to: User) {
    let form = set(letter(w, &from.0, &to.0), "eidas", "1");
    send_letter(w, form).await;
}

#[then("the letter's fingerprint is the SHA-256 of its content followed by its attachments")]
async fn then_fingerprint(w: &mut Ar24World) {
    use sha2::{Digest, Sha256};
    let sent = |name: &str| w.sent.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let mut hash = Sha256::new();
    hash.update(sent("content").unwrap_or_default().as_bytes());
    for index in 0.. {
        let Some(id) = sent(&format!("attachment[{index}]")) else { break };
        let bytes = w.files.values().find(|(uploaded, _)| uploaded.to_string() == id).map(|(_, bytes)| bytes.clone());
        hash.update(bytes.unwrap_or_else(|| panic!("attachment {id} was uploaded in this scenario")));
    }
    let expected = format!("{:x}", hash.finalize());
    let mail = result(w);
    let fingerprint = mail["full_hash_sha256"].as_str().unwrap_or_else(|| panic!("a full_hash_sha256: {mail}"));
    assert_eq!(
        fingerprint.to_ascii_lowercase(),
        expected,
        "the SHA-256 of the content, then of each attachment's bytes"
    );
}

#[then(expr = "the answer is a registered letter from {user} to {user}")]
async fn then_letter(w: &mut Ar24World, from: User, to: User) {
    let (sender, recipient) = (w.user(&from.0).clone(), w.address_of(&to.0));
    let mail = result(w);
    let problems = mail_object_problems(mail);
    assert!(problems.is_empty(), "the mail object does not match AR24's: {}", problems.join("; "));
    assert_eq!(mail["id_sender"].as_u64(), sender.id, "sent by {}", from.0);
    assert!(mail["from_email"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(&sender.email)), "{mail}");
    assert!(mail["to_email"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(&recipient)), "{mail}");
}

#[then(expr = "the letter is {string}")]
async fn then_status(w: &mut Ar24World, status: String) {
    assert_eq!(result(w)["status"], status.as_str(), "{}", result(w));
}

#[then("the letter is an eIDAS letter")]
async fn then_eidas(w: &mut Ar24World) {
    let is_eidas = flag(result(w).get("is_eidas")).unwrap_or_else(|why| panic!("is_eidas {why}"));
    assert!(is_eidas, "{}", result(w));
}

#[then(expr = "the letter carries the attachment {string}")]
async fn then_carries(w: &mut Ar24World, file: String) {
    let (id, _) = w.files.get(&file).cloned().unwrap_or_else(|| panic!("{file} was uploaded"));
    let ids: Vec<u64> = result(w)["attachments"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
    assert_eq!(ids, [id], "{}", result(w));
}

#[when("we read the letter")]
async fn when_read(w: &mut Ar24World) {
    let id = letter_id(w);
    w.get("mail", &[("id", id.to_string())]).await;
}

#[when(expr = "we read the letter with id {string}")]
async fn when_read_id(w: &mut Ar24World, id: String) {
    w.get("mail", &[("id", id)]).await;
}

#[when("another partner reads the letter")]
async fn when_other_reads(w: &mut Ar24World) {
    let id = letter_id(w);
    let other = w.second_partner().await;
    let answer = other.get("mail", &[("id", id.to_string())]).await;
    w.answered(answer);
}

#[then(expr = "{user}'s letters include it")]
async fn then_listed(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let id = letter_id(w);
    w.get("user/mail", &[("id_user", w.user(&name).id().to_string())]).await;
    let letters = result(w).as_array().unwrap_or_else(|| panic!("a bare array of letters: {}", result(w)));
    assert!(letters.iter().any(|l| l["id"].as_u64() == Some(id)), "letter {id} is listed: {letters:?}");
    for letter in letters {
        let problems = mail_object_problems(letter);
        assert!(problems.is_empty(), "a listed letter does not match AR24's: {}", problems.join("; "));
    }
}

/// Asks for `name`'s letters `order` (`oldest` or `newest`) first, all of them
/// or (`by_id`) the scenario's letters named by `mail[]`, and checks that the
/// scenario's letters come in the order they were sent, or the reverse.
async fn check_letters_order(w: &mut Ar24World, name: &str, order: &str, by_id: bool) {
    let sort = sort_param(order);
    let mut expected = w.letters_sent.clone();
    assert!(expected.len() >= 2, "the scenario sent at least two letters");
    let mut params = vec![("id_user", w.user(name).id().to_string()), ("sort", sort.clone())];
    if by_id {
        params.extend(expected.iter().map(|id| ("mail[]", id.to_string())));
    }
    if order == "newest" {
        expected.reverse();
    }
    w.get("user/mail", &params).await;
    let letters = result(w).as_array().cloned().unwrap_or_else(|| panic!("a bare array of letters: {}", result(w)));
    let listed: Vec<u64> = letters.iter().filter_map(|l| l["id"].as_u64()).filter(|id| expected.contains(id)).collect();
    assert_eq!(listed, expected, "{name}'s letters with sort={sort}");
}

#[then(expr = "{user}'s letters, oldest first, come in the order they were sent")]
async fn then_letters_oldest_first(w: &mut Ar24World, name: User) {
    check_letters_order(w, &name.0, "oldest", false).await;
}

#[then(expr = "{user}'s letters, newest first, come in the reverse order they were sent")]
async fn then_letters_newest_first(w: &mut Ar24World, name: User) {
    check_letters_order(w, &name.0, "newest", false).await;
}

#[then(expr = "{user}'s letters asked for by id come {word} first")]
async fn then_letters_by_id(w: &mut Ar24World, name: User, order: String) {
    check_letters_order(w, &name.0, &order, true).await;
}

#[then(expr = "the letter's attachments include {string}")]
async fn then_letter_attachments(w: &mut Ar24World, file: String) {
    let (id, _) = w.files.get(&file).cloned().unwrap_or_else(|| panic!("{file} was uploaded"));
    let letter = letter_id(w);
    w.get("attachment", &[("id", letter.to_string())]).await;
    let items = result(w)["attachments"].as_array().cloned().unwrap_or_else(|| panic!("a list: {}", result(w)));
    assert!(items.iter().any(|a| a["id_api_attachment"].as_u64() == Some(id)), "{file} in {items:?}");
}

/// The bytes uploaded as `file`, and its entry in the letter's `attachments_details` (read again).
async fn attachment_details(w: &mut Ar24World, file: &str) -> (FileBytes, Value) {
    let (_, uploaded) = w.files.get(file).cloned().unwrap_or_else(|| panic!("{file} was uploaded"));
    let letter = letter_id(w);
    w.get("mail", &[("id", letter.to_string())]).await;
    let details = result(w)["attachments_details"].as_array().cloned().unwrap_or_default();
    let item = details.iter().find(|a| a["name"] == file).cloned();
    (uploaded, item.unwrap_or_else(|| panic!("{file} in the letter's attachments_details: {details:?}")))
}

#[then(expr = "the letter's attachment {string} downloads as it was uploaded, under its name")]
async fn then_attachment_downloads(w: &mut Ar24World, file: String) {
    let (uploaded, item) = attachment_details(w, &file).await;
    let url = item["download_url"].as_str().unwrap_or_else(|| panic!("a download_url: {item}"));
    let response = reqwest::get(url).await.unwrap_or_else(|e| panic!("downloading {url}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "{url}");
    let disposition = response.headers().get("content-disposition").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = response.bytes().await.unwrap_or_default();
    assert!(bytes[..] == uploaded[..], "{url} gives the {} bytes uploaded, not {} others", uploaded.len(), bytes.len());
    let disposition = disposition.unwrap_or_default();
    assert!(disposition.contains(&file), "{url} is named {file}: Content-Disposition {disposition:?}");
}

/// AR24's example writes 8 515 845 bytes as `8.5 Mb`: decimal units, one
/// decimal, the largest unit that keeps the number at 1 or more.
#[then(expr = "the letter gives the size of {string} in bytes and as people read it")]
async fn then_attachment_sizes(w: &mut Ar24World, file: String) {
    let (uploaded, item) = attachment_details(w, &file).await;
    assert_eq!(item["file_size"].as_u64(), Some(uploaded.len() as u64), "file_size in bytes: {item}");
    let human = item["human_file_size"].as_str().unwrap_or_else(|| panic!("a human_file_size: {item}"));
    let (number, unit) = human.split_once(' ').unwrap_or_else(|| panic!("{human:?} is a number and a unit"));
    let number: f64 = number.parse().unwrap_or_else(|_| panic!("{human:?} starts with a number"));
    let scale = match unit {
        "b" => 1.0,
        "Kb" => 1e3,
        "Mb" => 1e6,
        "Gb" => 1e9,
        other => panic!("{human:?}: {other:?} is not a unit AR24 writes"),
    };
    let exact = uploaded.len() as f64 / scale;
    assert!((1.0..1000.0).contains(&number), "{human:?} is in the largest unit that keeps it at 1 or more");
    assert!((number - exact).abs() <= 0.05, "{human:?} is {} bytes to a tenth of its unit", uploaded.len());
}

#[when(expr = "we order {user}'s identity check, paid by {user}")]
async fn when_verify(w: &mut Ar24World, checked: User, payer: User) {
    let params =
        [("id_user_to_verify", w.user(&checked.0).id().to_string()), ("id_user", w.user(&payer.0).id().to_string())];
    w.post("user/verify", &params).await;
}

#[when("the mock's state is saved and loaded again")]
async fn when_state_reloaded(w: &mut Ar24World) {
    let state = w.control().export_state().await.unwrap_or_else(|e| panic!("exporting the state: {e}"));
    w.control().import_state(&state).await.unwrap_or_else(|e| panic!("loading it again: {e}"));
}

#[then(expr = "the mock lists the letter among {user}'s")]
async fn then_mock_lists(w: &mut Ar24World, name: User) {
    let id = letter_id(w);
    let user = w.user(&name.0).id().to_string();
    let letters = w.control().letters(&[("user", &user)]).await.unwrap_or_else(|e| panic!("the mock's letters: {e}"));
    let letter = letters.iter().find(|l| l["id"].as_u64() == Some(id));
    let status = letter.and_then(|l| l["status"].as_str()).unwrap_or_else(|| panic!("letter {id} among {letters:?}"));
    // Found again when the partner and the status are named too.
    let token = w.us.client().token().to_owned();
    let filter = [("user", user.as_str()), ("token", token.as_str()), ("status", status)];
    let again = w.control().letters(&filter).await.unwrap_or_else(|e| panic!("the mock's letters: {e}"));
    assert!(again.iter().any(|l| l["id"].as_u64() == Some(id)), "letter {id} with {filter:?}: {again:?}");
}

#[given(expr = "another partner's user {user} has sent a registered letter to {user} with the attachment {string}")]
#[when(expr = "another partner's user {user} sends a registered letter to {user} with the attachment {string}")]
async fn given_others_letter(w: &mut Ar24World, sender: User, to: User, file: String) {
    let other = w.another_sending_partner().await;
    let form = set(set(w.user_form(&sender.0), "confirmed", "1"), "cgu", "1");
    w.create_user_as(&other, &sender.0, &form).await;
    let user = w.user(&sender.0).id();
    let upload = Call::post("attachment").param("id_user", user).file("file", &file, file_bytes(w, &file));
    let answer = w.answered(other.send(&upload).await).clone();
    let upload = answer.result().and_then(|r| r["file_id"].as_u64());
    let upload = upload.unwrap_or_else(|| panic!("the other partner uploading {file}: {}", answer.outcome()));
    let form = set(letter(w, &sender.0, &to.0), "attachment[0]", &upload.to_string());
    let params: Vec<(&str, String)> = form.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let answer = w.answered(other.post("mail", &params).await).clone();
    let id = answer.result().and_then(|r| r["id"].as_u64());
    let id = id.unwrap_or_else(|| panic!("the other partner sending a letter: {}", answer.outcome()));
    w.others_letter = Some((other, user, id));
}

#[when("the mock forgets everything of ours")]
async fn when_forget_ours(w: &mut Ar24World) {
    let token = w.us.client().token().to_owned();
    w.control().reset_partner(&token).await.unwrap_or_else(|e| panic!("resetting our partner: {e}"));
}

#[then("the mock holds no letter or charge of ours")]
async fn then_nothing_of_ours(w: &mut Ar24World) {
    let token = w.us.client().token().to_owned();
    let filter = [("token", token.as_str())];
    let letters = w.control().letters(&filter).await.unwrap_or_else(|e| panic!("the mock's letters: {e}"));
    assert!(letters.is_empty(), "our letters are forgotten: {letters:?}");
    let charges = w.control().charges(&filter).await.unwrap_or_else(|e| panic!("the mock's charges: {e}"));
    assert!(charges.is_empty(), "our charges are forgotten: {charges:?}");
}

#[then("the other partner's letter, its attachment and its charge are still there")]
async fn then_others_kept(w: &mut Ar24World) {
    let (other, user, id) = w.others_letter.clone().expect("another partner's letter was sent");
    let token = other.client().token().to_owned();
    let letters = w.control().letters(&[("token", &token)]).await.unwrap_or_else(|e| panic!("the mock's letters: {e}"));
    assert!(letters.iter().any(|l| l["id"].as_u64() == Some(id)), "letter {id} among {letters:?}");
    let charges = w.control().charges(&[("token", &token)]).await.unwrap_or_else(|e| panic!("the mock's charges: {e}"));
    assert!(charges.iter().any(|c| c["letter"].as_u64() == Some(id)), "letter {id}'s charge among {charges:?}");
    let mail = w.answered(other.get("mail", &[("id", id.to_string())]).await).clone();
    let mail =
        mail.result().cloned().unwrap_or_else(|| panic!("the other partner reads letter {id}: {}", mail.outcome()));
    let uploads = w.answered(other.get("user/attachment", &[("id_user", user.to_string())]).await).clone();
    let listed = uploads.result().and_then(|r| r["attachments"].as_array()).map_or(0, Vec::len);
    assert_eq!(listed, 1, "the other partner's upload is still listed: {}", uploads.outcome());
    let url =
        mail["attachments_details"][0]["download_url"].as_str().unwrap_or_else(|| panic!("a download_url: {mail}"));
    let response = reqwest::get(url).await.unwrap_or_else(|e| panic!("downloading {url}: {e}"));
    assert_eq!(response.status().as_u16(), 200, "the other partner's attachment still downloads: {url}");
}

#[when("the mock forgets everything of the other partner's")]
async fn when_forget_others(w: &mut Ar24World) {
    let (other, ..) = w.others_letter.clone().expect("another partner's letter was sent");
    let token = other.client().token().to_owned();
    w.control().reset_partner(&token).await.unwrap_or_else(|e| panic!("resetting the other partner: {e}"));
}

#[when("the whole mock is reset")]
async fn when_reset_all(w: &mut Ar24World) {
    w.control().reset().await.unwrap_or_else(|e| panic!("resetting the mock: {e}"));
}

#[then("the mock holds no letter at all")]
async fn then_no_letter(w: &mut Ar24World) {
    let letters = w.control().letters(&[]).await.unwrap_or_else(|e| panic!("the mock's letters: {e}"));
    assert!(letters.is_empty(), "every letter is forgotten: {letters:?}");
}

/// The state document as the mock exports it, changed by `change`, loaded back.
async fn reload_state_with(w: &Ar24World, change: impl FnOnce(&mut Value)) {
    let mut state = w.control().export_state().await.unwrap_or_else(|e| panic!("exporting the state: {e}"));
    change(&mut state);
    w.control().import_state(&state).await.unwrap_or_else(|e| panic!("loading it again: {e}"));
}

/// A fixture written by hand may leave out the counters of uploads, letters,
/// charges and webhook deliveries (format 2 added them).
#[when("the mock's state is loaded again from a document without its mail counters")]
async fn when_state_without_counters(w: &mut Ar24World) {
    reload_state_with(w, |state| {
        let document = state.as_object_mut().expect("the state is a JSON object");
        for counter in ["next_attachment_id", "next_letter_id", "next_charge_id", "next_delivery_id"] {
            assert!(document.remove(counter).is_some(), "the exported state has {counter}");
        }
    })
    .await;
}

#[when(expr = "the mock's state is loaded again with {user}'s first name empty")]
async fn when_state_without_firstname(w: &mut Ar24World, name: User) {
    let id = w.user(&name.0).id();
    reload_state_with(w, |state| {
        let users = state["users"].as_array_mut().expect("the state lists its users");
        let user = users.iter_mut().find(|u| u["id"].as_u64() == Some(id)).expect("the user is in the state");
        let profile = &mut user["profile"];
        assert!(profile.get("firstname").is_some(), "a user's profile in the state has a firstname: {profile}");
        profile["firstname"] = Value::from("");
    })
    .await;
}

#[then("the letter's id was never given before")]
async fn then_new_id(w: &mut Ar24World) {
    let id = letter_id(w);
    let (_, earlier) = w.letters_sent.split_last().expect("a letter was sent");
    let earlier = earlier.iter().copied();
    let others = w.others_letter.as_ref().map(|(.., other)| *other);
    let highest = earlier.chain(others).max().expect("letters were sent before it");
    assert!(id > highest, "letter {id} comes after every letter sent before it (up to {highest})");
    let first = w.letters_sent[0];
    w.get("mail", &[("id", first.to_string())]).await;
    assert_eq!(result(w)["id"].as_u64(), Some(first), "the first letter is still there: {}", result(w));
}

#[then(expr = "the mock gives each partner only its own charges for {user}")]
async fn then_charges_per_partner(w: &mut Ar24World, name: User) {
    let (other, ..) = w.others_letter.clone().expect("another partner's letter was sent");
    let user = w.user(&name.0).id().to_string();
    for token in [w.us.client().token().to_owned(), other.client().token().to_owned()] {
        let filter = [("token", token.as_str()), ("user", user.as_str())];
        let charges = w.control().charges(&filter).await.unwrap_or_else(|e| panic!("the mock's charges: {e}"));
        assert!(!charges.is_empty(), "{}'s charges through {token}: {charges:?}", name.0);
        let foreign: Vec<_> = charges.iter().filter(|c| c["token"] != token.as_str()).collect();
        assert!(foreign.is_empty(), "only {token}'s charges: {foreign:?}");
    }
}

/// AR24's attachment lists give `api_id`, which names the API token that
/// uploaded the file ([ASSUMED]): two partners' uploads for one user differ,
/// and neither shows the token itself.
#[then(expr = "each partner's upload for {user} names its partner without giving its token")]
async fn then_api_ids(w: &mut Ar24World, name: User) {
    let (other, ..) = w.others_letter.clone().expect("another partner's letter was sent");
    w.get("user/attachment", &[("id_user", w.user(&name.0).id().to_string())]).await;
    let items = result(w)["attachments"].as_array().cloned().unwrap_or_else(|| panic!("a list: {}", result(w)));
    let ids: Vec<&str> = items.iter().map(|a| a["api_id"].as_str().unwrap_or_default()).collect();
    assert_eq!(ids.len(), 2, "one upload by each partner: {items:?}");
    assert!(ids.iter().all(|id| !id.is_empty()), "each upload has an api_id: {items:?}");
    assert_ne!(ids[0], ids[1], "two partners' uploads have two api_ids: {items:?}");
    for token in [w.us.client().token(), other.client().token()] {
        assert!(ids.iter().all(|id| !id.contains(token)), "no api_id shows the token {token}: {ids:?}");
    }
}

#[when("the mock makes the notification of the letter bounce")]
async fn when_bounce(w: &mut Ar24World) {
    let id = letter_id(w);
    w.control().act_on_letter(id, "bounce").await.unwrap_or_else(|e| panic!("bouncing letter {id}: {e}"));
}

#[given(expr = "{user}'s identity was verified")]
async fn given_identity(w: &mut Ar24World, name: User) {
    let User(name) = name;
    w.post("user/identity", &[("id_user", w.user(&name).id().to_string())]).await;
    assert!(matches!(w.last(), Answer::Success { .. }), "ordering {name}'s identity: {}", w.last().outcome());
    let account = w.account(&name).await;
    let verified = flag(account.get("is_identity_verified")).unwrap_or_else(|why| panic!("is_identity_verified {why}"));
    assert!(verified, "{name}'s identity is verified");
}

/// The code `name`'s authenticator shows now (read from the mock, since AR24 posts the key).
async fn code_of(w: &Ar24World, name: &str) -> String {
    let otp = w.control().otp(w.user(name).id()).await.unwrap_or_else(|e| panic!("{e}"));
    otp["code"].as_str().unwrap_or_else(|| panic!("a code: {otp}")).to_owned()
}

/// The code an authenticator app shows now for `secret` (base32), as RFC 6238
/// computes it and AR24 configures it: HMAC-SHA-1, 30-second steps, 6 digits.
fn authenticator_code(secret: &str, unix: u64) -> String {
    use hmac::{Hmac, Mac};
    let key = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret.trim_end_matches('='))
        .unwrap_or_else(|| panic!("the secret is base32: {secret}"));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(&(unix / 30).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let number =
        u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    format!("{:06}", number % 1_000_000)
}

/// The code `name`'s authenticator shows now, computed by the suite from the key
/// (which the mock hands over, as AR24 posts it on paper).
async fn own_code(w: &Ar24World, name: &str) -> String {
    let otp = w.control().otp(w.user(name).id()).await.unwrap_or_else(|e| panic!("{e}"));
    let secret = otp["secret"].as_str().unwrap_or_else(|| panic!("a secret: {otp}"));
    let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    authenticator_code(secret, unix)
}

#[when(expr = "{user} sends an eIDAS letter to {user} with the code their authenticator shows")]
async fn when_send_eidas_own_code(w: &mut Ar24World, from: User, to: User) {
    let code = own_code(w, &from.0).await;
    w.otp_code = Some(code.clone());
    send_eidas(w, &from.0, &to.0, "otp", &code).await;
}

#[when(expr = "{user} sends an eIDAS letter to {user} with that same code")]
async fn when_send_eidas_same_code(w: &mut Ar24World, from: User, to: User) {
    let code = w.otp_code.clone().expect("a code used earlier in the scenario");
    send_eidas(w, &from.0, &to.0, "otp", &code).await;
}

#[when(expr = "{user} sends an eIDAS letter to {user} with a code their authenticator does not show")]
async fn when_send_eidas_wrong_code(w: &mut Ar24World, from: User, to: User) {
    let shown = own_code(w, &from.0).await;
    let wrong = format!("{:06}", (shown.parse::<u32>().unwrap_or(0) + 500_000) % 1_000_000);
    send_eidas(w, &from.0, &to.0, "otp", &wrong).await;
}

#[when(expr = "{user} sends an eIDAS letter to {user} with the code of the moment")]
async fn when_send_eidas_code(w: &mut Ar24World, from: User, to: User) {
    let code = code_of(w, &from.0).await;
    send_eidas(w, &from.0, &to.0, "otp", &code).await;
}

#[when(expr = "{user} authenticates for an hour with the code of the moment")]
async fn when_auth_otp(w: &mut Ar24World, name: User) {
    let User(name) = name;
    let code = code_of(w, &name).await;
    w.post("user/auth_otp", &[("id_user", w.user(&name).id().to_string()), ("otp", code)]).await;
    let session = result(w);
    let hash = session["hash"].as_str().filter(|h| !h.is_empty());
    let hash = hash.unwrap_or_else(|| panic!("a hash: {session}")).to_owned();
    let expires = session["expiration_date"].as_str().unwrap_or_default();
    assert!(ar24_contract_tests::contract::is_date(expires), "expiration_date is a date: {session}");
    w.otp_hash = Some(hash);
}

#[when(expr = "{user} sends an eIDAS letter to {user} with that authentication")]
async fn when_send_eidas_hash(w: &mut Ar24World, from: User, to: User) {
    let hash = w.otp_hash.clone().expect("an authentication earlier in the scenario");
    send_eidas(w, &from.0, &to.0, "auth_otp_hash", &hash).await;
}

#[when(expr = "{user} sends an eIDAS letter to {user} with the authentication {string}")]
async fn when_send_eidas_bad_hash(w: &mut Ar24World, from: User, to: User, hash: String) {
    send_eidas(w, &from.0, &to.0, "auth_otp_hash", &hash).await;
}

#[cfg(test)]
mod tests {
    use super::authenticator_code;

    #[test]
    fn authenticator_codes_follow_rfc_6238s_sha1_vectors() {
        // RFC 6238, appendix B: the ASCII key "12345678901234567890", 8 digits there; the last 6 here.
        let secret = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, b"12345678901234567890");
        assert_eq!(authenticator_code(&secret, 59), "287082");
        assert_eq!(authenticator_code(&secret, 1_111_111_109), "081804");
        assert_eq!(authenticator_code(&secret, 2_000_000_000), "279037");
    }
}
