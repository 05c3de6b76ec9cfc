//! Partners are isolated: a token sees only the users it created and those who
//! granted it access.

use serde_json::{Value, json};

use crate::helpers::{spawn_mock, unique_email, user_form};

#[tokio::test]
async fn a_partner_cannot_see_or_act_on_another_partners_users() {
    let t = spawn_mock().await;
    let other = t.new_partner(json!({"name": "Other"})).await;
    let email = unique_email();
    let id = other.create_user(&email).await;

    t.api.user(id).await.assert_error("user_unavailable");
    t.api.get("user", &[("email", email.clone())]).await.assert_error("user_unavailable");
    t.api.post("user/request_cgu", &[("id_user", id.to_string())]).await.assert_error("user_unavailable");
    t.api.post("user/payment_request", &[("id_user", id.to_string())]).await.assert_error("user_unavailable");
    t.api.post("user", &user_form(&email)).await.assert_error("user_already_exist");
    let listed = t.api.get("user/list", &[("max", "1000".into())]).await;
    assert!(listed.ok()["users"].as_array().unwrap().iter().all(|u| u["id"] != id));
    assert_eq!(other.user(id).await.ok()["id"], id);
}

#[tokio::test]
async fn resetting_one_partner_leaves_the_others_untouched() {
    let t = spawn_mock().await;
    let other = t.new_partner(json!({})).await;
    let mine = t.api.create_user(&unique_email()).await;
    let theirs_email = unique_email();
    let theirs = other.create_user(&theirs_email).await;
    other.post("user/request_cgu", &[("id_user", theirs.to_string())]).await.ok();

    let reset = t.http.post(t.control(&format!("partners/{}/reset", other.token))).send().await.unwrap();
    assert_eq!(reset.status(), 200);

    assert!(t.journal(&other.token).await.is_empty());
    assert!(t.emails(Some(&theirs_email), None).await.is_empty());
    other.user(theirs).await.assert_error("user_not_exist");
    assert_eq!(t.api.user(mine).await.ok()["id"], mine);
    assert!(!t.journal(&t.api.token).await.is_empty());
    // The partner itself survives its reset.
    assert!(other.create_user(&theirs_email).await > theirs);
}

#[tokio::test]
async fn a_reset_partner_s_accounts_leave_the_teams_and_lists_of_the_others() {
    let t = spawn_mock().await;
    let other = t.new_partner(json!({})).await;
    // The other partner's account pays, and we were granted it.
    let master_email = unique_email();
    let master = other.create_user(&master_email).await;
    t.plane.add_payment_method(master).await.unwrap();
    t.api.post("user/request_access", &[("email", master_email.clone())]).await.ok();
    t.follow_link("access", &master_email).await;
    // Our account joins its team and can pay through it.
    let member_email = unique_email();
    let member = t.api.create_user(&member_email).await;
    let stranger = t.api.create_user(&unique_email()).await;
    t.api.post("user/join_team", &[("id_user", member.to_string()), ("id_master", master.to_string())]).await.ok();
    t.follow_link("team", &member_email).await;
    assert_eq!(t.api.user(member).await.ok()["is_payment_possible"], true);

    let reset = t.http.post(t.control(&format!("partners/{}/reset", other.token))).send().await.unwrap();
    assert_eq!(reset.status(), 200);

    assert_eq!(t.api.user(member).await.ok()["is_payment_possible"], false, "its administrator is gone");
    t.api.user(master).await.assert_error("user_not_exist");
    let listed = t.api.get("user/list", &[("max", "1000".into())]).await;
    let ids: Vec<u64> = listed.ok()["users"].as_array().unwrap().iter().map(|u| u["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [member, stranger], "ours stay, the other partner's are gone");
    let state = t.plane.export_state().await.unwrap();
    assert_eq!(state["visible"][t.api.token.as_str()], json!([member, stranger]), "no trace left to page over");
    let kept = state["users"].as_array().unwrap().iter().find(|u| u["id"] == member).unwrap();
    assert_eq!(kept["team_master"], Value::Null, "the member left the gone administrator's team");
    // And the state holds together: it imports back.
    t.plane.import_state(&state).await.unwrap();
}

#[tokio::test]
async fn resetting_one_partner_keeps_the_letters_uploads_and_charges_of_the_others() {
    let (t, sender, letter) = crate::state::mock_with_a_letter().await;
    let charged = t.plane.charges(&[]).await.unwrap();
    assert!(!charged.is_empty(), "the letter was charged");
    let other = t.new_partner(json!({})).await;
    other.create_user(&unique_email()).await;

    t.plane.reset_partner(&other.token).await.unwrap();

    assert_eq!(t.plane.charges(&[]).await.unwrap(), charged, "our charges are kept");
    assert_eq!(t.api.get("mail", &[("id", letter.to_string())]).await.ok()["id"], letter);
    let uploads = t.api.get("user/attachment", &[("id_user", sender.to_string())]).await;
    assert_eq!(uploads.ok()["attachments"].as_array().unwrap().len(), 1, "our upload is kept");
}

#[tokio::test]
async fn resetting_a_partner_forgets_its_uploads_letters_and_charges_also_for_accounts_it_did_not_create() {
    let (t, sender, ours) = crate::state::mock_with_a_letter().await;
    let email = t.api.user(sender).await.ok()["email"].as_str().unwrap().to_owned();
    let other = t.new_partner(json!({})).await;
    other.post("user/request_access", &[("email", email.clone())]).await.ok();
    t.follow_link("access", &email).await;
    let upload =
        ar24_client::Call::post("attachment").param("id_user", sender).file("file", "b.pdf", b"%PDF b".to_vec());
    let file = other.send(upload).await.ok()["file_id"].as_u64().unwrap();
    let mut form = crate::helpers::letter_to(sender, &unique_email());
    form.push(("attachment[0]", file.to_string()));
    let theirs = other.post("mail", &form).await.ok()["id"].as_u64().unwrap();
    let their_charges = t.plane.charges(&[("token", &other.token)]).await.unwrap();
    assert_eq!(their_charges.len(), 1, "{their_charges:?}");
    assert_eq!(their_charges[0]["letter"], theirs);
    let our_charges = t.plane.charges(&[("token", &t.api.token)]).await.unwrap();
    assert_eq!(our_charges.len(), 1, "{our_charges:?}");
    assert_eq!(our_charges[0]["token"], t.api.token.as_str());

    t.plane.reset_partner(&other.token).await.unwrap();

    let listed = other.get("user/list", &[]).await;
    assert_eq!(listed.ok()["users"], json!([]), "the access it was granted is forgotten too");
    let state = t.plane.export_state().await.unwrap();
    let ids = |kind: &str| state[kind].as_array().unwrap().iter().map(|x| x["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids("letters"), [json!(ours)], "their letter is gone, ours stays");
    assert_eq!(ids("attachments").len(), 1, "their upload is gone, ours stays");
    assert!(state["attachments"][0]["partner"] == t.api.token.as_str());
    let tokens: Vec<&Value> = state["charges"].as_array().unwrap().iter().map(|c| &c["token"]).collect();
    assert_eq!(tokens, [&json!(t.api.token)], "their charge is gone, ours stays");
    // What the sender's pages are read from forgets them too.
    let letters = t.api.get("user/mail", &[("id_user", sender.to_string())]).await;
    let listed: Vec<&Value> = letters.ok().as_array().unwrap().iter().map(|l| &l["id"]).collect();
    assert_eq!(listed, [&json!(ours)], "{}", letters.ok());
    let uploads = t.api.get("user/attachment", &[("id_user", sender.to_string())]).await;
    assert_eq!(uploads.ok()["attachments"].as_array().unwrap().len(), 1, "{}", uploads.ok());
    assert_eq!(t.plane.charges(&[("user", &sender.to_string())]).await.unwrap().len(), 1, "our charge only");
}
