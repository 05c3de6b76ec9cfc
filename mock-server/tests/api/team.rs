//! `user/join_team`: the member uses the team administrator's payment method
//! once the invitation is accepted.

use crate::helpers::{spawn_mock, unique_email};

#[tokio::test]
async fn a_member_can_pay_through_a_master_who_has_a_payment_method() {
    let t = spawn_mock().await;
    let master_email = unique_email();
    let master = t.api.create_user(&master_email).await;
    t.api.post("user/payment_request", &[("id_user", master.to_string())]).await.ok();
    t.follow_link("payment", &master_email).await;
    let member_email = unique_email();
    let member = t.api.create_user(&member_email).await;

    let invite =
        t.api.post("user/join_team", &[("id_user", member.to_string()), ("id_master", master.to_string())]).await;
    assert!(invite.is_success(), "{}", invite.body);
    let emails = t.emails(Some(&member_email), Some("team")).await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0]["body"].as_str().unwrap().contains(&master_email), "the invitation names the administrator");
    assert_eq!(t.api.user(member).await.ok()["is_payment_possible"], false, "not before acceptance");

    t.follow_link("team", &member_email).await;
    let user = t.api.user(member).await;
    assert_eq!(user.ok()["is_payment_possible"], true);
    assert_eq!(user.ok()["payment_active"], false, "the member has no method of their own");

    t.api
        .post("user/join_team", &[("id_user", member.to_string()), ("id_master", master.to_string())])
        .await
        .assert_error("already_in_team");
}

#[tokio::test]
async fn a_master_without_a_payment_method_cannot_invite() {
    let t = spawn_mock().await;
    let master = t.api.create_user(&unique_email()).await;
    let member = t.api.create_user(&unique_email()).await;
    let answer =
        t.api.post("user/join_team", &[("id_user", member.to_string()), ("id_master", master.to_string())]).await;
    answer.assert_error("user_no_payment");
    assert!(t.emails(None, Some("team")).await.is_empty());
}

#[tokio::test]
async fn join_team_errors() {
    let t = spawn_mock().await;
    let member = t.api.create_user(&unique_email()).await;
    let foreign_master = t.website_user(&unique_email(), true).await;
    let p = |user: &str, master: &str| vec![("id_user", user.to_owned()), ("id_master", master.to_owned())];
    t.api.post("user/join_team", &[("id_master", "1".into())]).await.assert_error("missing_user_id");
    t.api.post("user/join_team", &[("id_user", member.to_string())]).await.assert_error("missing_master_id");
    t.api.post("user/join_team", &p(&member.to_string(), "abc")).await.assert_error("missing_master_id");
    t.api.post("user/join_team", &p(&member.to_string(), &member.to_string())).await.assert_error("master_is_user");
    t.api.post("user/join_team", &p("99999", &member.to_string())).await.assert_error("user_not_exist");
    t.api.post("user/join_team", &p(&member.to_string(), "99999")).await.assert_error("user_not_exist");
    t.api
        .post("user/join_team", &p(&member.to_string(), &foreign_master.to_string()))
        .await
        .assert_error("user_unavailable");
}
