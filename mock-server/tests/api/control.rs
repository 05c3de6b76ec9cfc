//! The control plane: health, resets, partners, website accounts, outbox,
//! mailbox, links, journal.

use serde_json::{Value, json};

use crate::helpers::{spawn_mock, unique_email};

#[tokio::test]
async fn health_answers_ok() {
    let t = spawn_mock().await;
    let response = t.http.get(t.control("health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"status": "ok"}));
}

#[tokio::test]
async fn partners_are_created_read_and_switched() {
    let t = spawn_mock().await;
    let created: Value = t.http.post(t.control("partners")).send().await.unwrap().json().await.unwrap();
    assert_eq!(created["token"].as_str().unwrap().len(), 32, "a generated token");
    assert_eq!(created["private_key"].as_str().unwrap().len(), 32, "a generated key");
    assert_eq!(created["global_billing"], false);

    let named = t
        .http
        .post(t.control("partners"))
        .json(&json!({"token": "acme-token", "private_key": "acme-key", "name": "Acme", "cgu_preaccepted": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(named.status(), 201);
    let read: Value = t.http.get(t.control("partners/acme-token")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        read,
        json!({"token": "acme-token", "private_key": "acme-key", "name": "Acme", "cgu_preaccepted": true, "global_billing": false, "webhook": null})
    );

    let patched: Value = t
        .http
        .patch(t.control("partners/acme-token"))
        .json(&json!({"global_billing": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["global_billing"], true);
    assert_eq!(patched["cgu_preaccepted"], true, "untouched settings stay");

    let taken = t.http.post(t.control("partners")).json(&json!({"token": "acme-token"})).send().await.unwrap();
    assert_eq!(taken.status(), 409);
    assert_eq!(taken.json::<Value>().await.unwrap()["slug"], "partner_already_exists");
    assert_eq!(t.http.get(t.control("partners/nobody")).send().await.unwrap().status(), 404);
    assert_eq!(t.http.patch(t.control("partners/nobody")).json(&json!({})).send().await.unwrap().status(), 404);
    let unicode: Value = t
        .http
        .post(t.control("partners"))
        .json(&json!({"token": "jeton-xéèà-ünïcode"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unicode["name"], "Partner jeton-xé", "a generated name cuts characters, not bytes");
    let unknown_field = t.http.post(t.control("partners")).json(&json!({"tokn": "typo"})).send().await.unwrap();
    assert_eq!(unknown_field.status(), 400);
    assert_eq!(unknown_field.json::<Value>().await.unwrap()["slug"], "invalid_json");
}

#[tokio::test]
async fn website_accounts_are_validated_like_the_api_and_unique() {
    let t = spawn_mock().await;
    let email = unique_email();
    t.website_user(&email, false).await;
    let again = t.http.post(t.control("users")).json(&json!({"firstname": "A", "lastname": "B", "email": email, "gender": "M", "statut": "particulier", "address1": "x", "zipcode": "1", "city": "c", "country": "FR"})).send().await.unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(again.json::<Value>().await.unwrap()["slug"], "user_already_exist");
    let invalid = t.http.post(t.control("users")).json(&json!({"email": unique_email()})).send().await.unwrap();
    assert_eq!(invalid.status(), 400);
    assert_eq!(invalid.json::<Value>().await.unwrap()["slug"], "missing_firstname");
}

#[tokio::test]
async fn the_outbox_filters_by_recipient_and_kind() {
    let t = spawn_mock().await;
    let alice = unique_email();
    let bob = unique_email();
    let alice_id = t.api.create_user(&alice).await;
    let bob_id = t.api.create_user(&bob).await;
    t.api.post("user/request_cgu", &[("id_user", alice_id.to_string())]).await.ok();
    t.api.post("user/payment_request", &[("id_user", alice_id.to_string())]).await.ok();
    t.api.post("user/request_cgu", &[("id_user", bob_id.to_string())]).await.ok();

    let all = t.emails(None, None).await;
    // Each subject says what the email asks.
    for email in &all {
        let subject = email["subject"].as_str().unwrap();
        let asks = match email["kind"].as_str().unwrap() {
            "cgu" => "terms of use",
            "payment" => "payment method",
            "team" => "join a team",
            "access" => "access your account",
            other => panic!("unexpected kind {other}"),
        };
        assert!(subject.starts_with("AR24: ") && subject.contains(asks), "{subject}");
        // The body ends with what to do, then the link: "Accept the terms: http://...".
        let (body, link) = (email["body"].as_str().unwrap(), email["link"].as_str().unwrap());
        let line = body.lines().find(|l| l.ends_with(link)).unwrap_or_else(|| panic!("the link in {body}"));
        let label = line.strip_suffix(link).and_then(|l| l.strip_suffix(": ")).unwrap_or_default();
        let does = match email["kind"].as_str().unwrap() {
            "cgu" => "Accept the terms",
            "payment" => "Add a payment method",
            other => panic!("unexpected kind {other}"),
        };
        assert_eq!(label, does, "what to do, before the link: {line:?}");
    }
    assert_eq!(all.len(), 3);
    assert!(all[0]["id"].as_u64() < all[1]["id"].as_u64(), "oldest first");
    for field in ["id", "to", "kind", "subject", "body", "link", "sent_at", "partner"] {
        assert!(all[0].get(field).is_some(), "email field {field}");
    }
    assert_eq!(t.emails(Some(&alice), None).await.len(), 2);
    assert_eq!(t.emails(Some(&alice.to_uppercase()), Some("payment")).await.len(), 1);
    assert_eq!(t.emails(None, Some("cgu")).await.len(), 2);
    let bad = t.http.get(t.control("emails")).query(&[("kind", "spam")]).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_mailbox_page_lists_emails_newest_first_with_a_working_button() {
    let t = spawn_mock().await;
    let first = unique_email();
    let second = unique_email();
    let first_id = t.api.create_user(&first).await;
    let second_id = t.api.create_user(&second).await;
    t.api.post("user/request_cgu", &[("id_user", first_id.to_string())]).await.ok();
    t.api.post("user/request_cgu", &[("id_user", second_id.to_string())]).await.ok();
    let page = t.http.get(t.control("mailbox")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    let (at_first, at_second) = (html.find(&first).unwrap(), html.find(&second).unwrap());
    assert!(at_second < at_first, "newest first");
    let link = t.latest_link("cgu", &second).await;
    let path = link.strip_prefix(&t.mock.root_url()).unwrap();
    assert!(html.contains(&format!("action=\"{path}\"")), "a button posting to the link");

    // A browser's form post (no JSON asked) gets an HTML confirmation.
    let clicked = t.http.post(&link).send().await.unwrap();
    assert_eq!(clicked.status(), 200);
    assert!(clicked.text().await.unwrap().contains("terms of use are accepted"));
    assert_eq!(t.api.user(second_id).await.ok()["cgu"], 1);
    let after = t.http.get(t.control("mailbox")).send().await.unwrap().text().await.unwrap();
    assert!(after.contains("terms of use are accepted"), "the page shows the state after acceptance");
}

#[tokio::test]
async fn an_unknown_link_answers_404_and_changes_nothing() {
    let t = spawn_mock().await;
    let missing = t.accept(&t.control("links/0123456789abcdef")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["slug"], "link_not_found");
    assert_eq!(t.http.get(t.control("links/nope")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn reset_forgets_users_emails_and_journal_but_keeps_partners() {
    let t = spawn_mock().await;
    let other = t.new_partner(json!({"token": "kept"})).await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    let link = t.latest_link("cgu", &email).await;

    let response = t.http.post(t.control("reset")).send().await.unwrap();
    assert_eq!(response.status(), 200);

    assert!(t.emails(None, None).await.is_empty());
    assert!(t.journal(&t.api.token).await.is_empty());
    assert_eq!(t.accept(&link).await.status, 404);
    t.api.user(id).await.assert_error("user_not_exist");
    assert!(other.create_user(&email).await > id, "partners survive and ids are never reused");
}

#[tokio::test]
async fn the_journal_is_filtered_by_token_and_bounded() {
    let t = crate::helpers::spawn_mock_with(ar24_mock::Config { journal_limit: 3, ..Default::default() }).await;
    for max in 1..=5 {
        t.api.get("user/list", &[("max", max.to_string())]).await.ok();
    }
    let journal = t.journal(&t.api.token).await;
    let maxes: Vec<&str> = journal.iter().map(|e| e["params"]["max"].as_str().unwrap()).collect();
    assert_eq!(maxes, ["3", "4", "5"], "oldest dropped first");
    assert!(t.journal("someone-else").await.is_empty());
}

#[tokio::test]
async fn the_link_page_and_the_mailbox_name_the_partner_who_asked() {
    let t = spawn_mock().await;
    let acme = t.new_partner(json!({"name": "Acme Assurances"})).await;
    let email = unique_email();
    let id = acme.create_user(&email).await;
    acme.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
    let link = t.latest_link("cgu", &email).await;
    let page = t.plane.open_link(&link).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Acme Assurances"), "{}", page.body);
    assert!(t.plane.mailbox().await.unwrap().contains("Acme Assurances"));
}

#[tokio::test]
async fn resetting_a_partner_forgets_its_links_and_emails_even_to_accounts_it_did_not_create() {
    let t = spawn_mock().await;
    let email = unique_email();
    t.website_user(&email, false).await;
    t.api.post("user/request_access", &[("email", email.clone())]).await.ok();
    let link = t.latest_link("access", &email).await;
    assert_eq!(t.emails(Some(&email), None).await.len(), 1);
    t.plane.reset_partner(&t.api.token).await.unwrap();
    assert_eq!(t.accept(&link).await.status, 404, "the partner's pending link is gone");
    assert!(t.emails(Some(&email), None).await.is_empty(), "and so is the partner's email to that account");
}

#[tokio::test]
async fn the_console_names_the_partners_that_see_each_account() {
    let t = spawn_mock().await;
    let other = t.new_partner(json!({"name": "Globex Assurances"})).await;
    let email = unique_email();
    t.api.create_user(&email).await;
    other.post("user/request_access", &[("email", email.clone())]).await.ok();
    t.follow_link("access", &email).await;
    let users = format!("{}/_mock/?view=users&partial=1", t.mock.root_url());
    let shown = t.http.get(users).send().await.unwrap().text().await.unwrap();
    assert!(shown.contains("Default partner, Globex Assurances"), "{shown}");
}

#[tokio::test]
async fn the_console_lists_the_newest_accounts_first() {
    let t = spawn_mock().await;
    let emails: Vec<String> = (0..3).map(|_| unique_email()).collect();
    for email in &emails {
        t.api.create_user(email).await;
    }
    let users = format!("{}/_mock/?view=users&partial=1", t.mock.root_url());
    let shown = t.http.get(users).send().await.unwrap().text().await.unwrap();
    let at: Vec<usize> =
        emails.iter().map(|e| shown.find(e.as_str()).unwrap_or_else(|| panic!("{e} listed: {shown}"))).collect();
    assert!(at[2] < at[1] && at[1] < at[0], "newest first: {at:?}");
}

#[tokio::test]
async fn a_link_whose_effect_cannot_happen_is_refused_and_stays_unused() {
    let (t, _, letter) = crate::state::mock_with_a_letter().await;
    let link = t.latest_link("letter", "marie@example.com").await;
    t.plane.act_on_letter(letter, "accept").await.unwrap();
    assert_eq!(t.accept(&link).await.status, 410, "the letter is settled already");
    let shown = t.http.get(&link).header("accept", "application/json").send().await.unwrap();
    let shown: Value = shown.json().await.unwrap();
    assert_eq!(shown["used_at"], Value::Null, "nothing changed: {shown}");
}

#[tokio::test]
async fn journal_entries_are_numbered_in_order() {
    let t = spawn_mock().await;
    for _ in 0..3 {
        t.api.get("user/list", &[]).await.ok();
    }
    let seqs: Vec<u64> = t.journal(&t.api.token).await.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs.len(), 3);
    assert!(seqs.windows(2).all(|pair| pair[1] == pair[0] + 1), "{seqs:?}");
}

#[tokio::test]
async fn the_console_renders_each_view_and_its_events_announce_a_change() {
    let t = spawn_mock().await;
    for view in ["requests", "mailbox", "users", "letters", "faults"] {
        let page = t.http.get(format!("{}/_mock/?view={view}", t.mock.root_url())).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("data-view=\"{view}\"")) && html.contains("EventSource"), "{view}");
    }
    let partial = t.http.get(format!("{}/_mock/?view=users&partial=1", t.mock.root_url())).send().await.unwrap();
    let partial = partial.text().await.unwrap();
    assert!(partial.starts_with("<h2>Users</h2>") && !partial.contains("<html"), "{partial}");

    let mut events = t.http.get(t.control("events")).send().await.unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let first = events.chunk().await.unwrap().expect("the current state, at once");
    assert!(String::from_utf8_lossy(&first).contains("event: change"));
    t.api.create_user(&unique_email()).await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(2), events.chunk()).await;
    let next = next.expect("a change is announced within a second or so").unwrap().unwrap();
    assert!(String::from_utf8_lossy(&next).contains("event: change"), "{next:?}");
    let shown =
        t.http.get(format!("{}/_mock/?view=users", t.mock.root_url())).send().await.unwrap().text().await.unwrap();
    assert!(shown.contains("Jeanne Martin"), "the new account is listed");
}
