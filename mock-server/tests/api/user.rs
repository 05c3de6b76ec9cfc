//! `user` create, `user` info / `user/info`, `user/list`.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use crate::helpers::{spawn_mock, unique_email, user_form, with, without};

#[tokio::test]
async fn creating_a_user_answers_the_user_object_with_every_field() {
    let t = spawn_mock().await;
    let email = unique_email();
    let form = with(with(user_form(&email), "custom_ref", "CRM-42"), "notify_ev", "0");
    let user = t.api.post("user", &form).await.ok().clone();
    let keys: HashSet<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ar24_mock::USER_FIELDS.into_iter().collect::<HashSet<_>>());
    assert!(user["id"].as_u64().unwrap() > 0);
    assert_eq!(user["name"], "Jeanne Martin");
    assert_eq!(user["email"], email.as_str());
    assert_eq!(user["gender"], "F");
    assert_eq!(user["statut"], "particulier");
    assert_eq!(user["country"], "FR");
    assert_eq!(user["custom_ref"], "CRM-42");
    assert_eq!(user["notify_ev"], 0);
    assert_eq!(user["notify_ar"], 1);
    assert_eq!(user["cgu"], 0);
    assert_eq!(user["payment_active"], false);
    assert_eq!(user["is_payment_possible"], false);
    assert!(ar24_mock::protocol::date::parse_paris(user["creation"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn ids_are_integers_that_increase() {
    let t = spawn_mock().await;
    let first = t.api.create_user(&unique_email()).await;
    let second = t.api.create_user(&unique_email()).await;
    assert!(second > first);
}

#[tokio::test]
async fn each_missing_required_field_answers_its_slug() {
    let t = spawn_mock().await;
    let cases = [
        ("firstname", "missing_firstname"),
        ("lastname", "missing_lastname"),
        ("email", "missing_email"),
        ("gender", "error_gender"),
        ("statut", "error_statut"),
        ("address1", "missing_address"),
        ("zipcode", "missing_zipcode"),
        ("city", "missing_city"),
        ("country", "missing_country"),
    ];
    for (field, slug) in cases {
        let form = without(user_form(&unique_email()), field);
        t.api.post("user", &form).await.assert_error(slug);
        let blank = with(user_form(&unique_email()), field, "  ");
        t.api.post("user", &blank).await.assert_error(slug);
    }
}

#[tokio::test]
async fn each_invalid_value_answers_its_slug() {
    let t = spawn_mock().await;
    let cases = [
        ("email", "not-an-address", "email_wrong_format"),
        ("email", "jean@localhost", "email_wrong_format"),
        ("gender", "X", "error_gender"),
        ("statut", "entreprise", "error_statut"),
        ("country", "ZZ", "error_country"),
        ("country", "FRA", "error_country"),
        ("confirmed", "yes", "invalid_flag"),
        ("billing_email", "nope", "email_wrong_format"),
    ];
    for (field, value, slug) in cases {
        let form = with(user_form(&unique_email()), field, value);
        t.api.post("user", &form).await.assert_error(slug);
    }
}

#[tokio::test]
async fn siret_is_required_for_french_professionals_and_vat_for_other_eu_ones() {
    let t = spawn_mock().await;
    let pro = |country: &str| with(with(user_form(&unique_email()), "statut", "professionnel"), "country", country);
    t.api.post("user", &pro("FR")).await.assert_error("missing_company_siret");
    t.api.post("user", &with(pro("FR"), "statut", "administration")).await.assert_error("missing_company_siret");
    assert!(t.api.post("user", &with(pro("FR"), "company_siret", "73282932000074")).await.is_success());
    t.api.post("user", &pro("DE")).await.assert_error("missing_company_tva");
    t.api.post("user", &pro("IT")).await.assert_error("missing_company_tva");
    assert!(t.api.post("user", &with(pro("DE"), "company_tva", "DE123456789")).await.is_success());
    assert!(t.api.post("user", &pro("CH")).await.is_success(), "outside the EU neither is required");
    assert!(t.api.post("user", &with(pro("FR"), "statut", "association")).await.is_success());
}

#[tokio::test]
async fn a_taken_email_answers_user_already_exist_whatever_its_case() {
    let t = spawn_mock().await;
    let email = unique_email();
    t.api.create_user(&email).await;
    t.api.post("user", &user_form(&email)).await.assert_error("user_already_exist");
    t.api.post("user", &user_form(&email.to_uppercase())).await.assert_error("user_already_exist");
}

#[tokio::test]
async fn cgu_at_creation_is_ignored_unless_the_partner_has_it_enabled() {
    let t = spawn_mock().await;
    let plain = t.api.post("user", &with(user_form(&unique_email()), "cgu", "1")).await;
    assert_eq!(plain.ok()["cgu"], 0);
    let enabled = t.new_partner(json!({"cgu_preaccepted": true})).await;
    let honoured = enabled.post("user", &with(user_form(&unique_email()), "cgu", "1")).await;
    assert_eq!(honoured.ok()["cgu"], 1);
    let not_asked = enabled.post("user", &user_form(&unique_email())).await;
    assert_eq!(not_asked.ok()["cgu"], 0);
}

#[tokio::test]
async fn sixty_four_simultaneous_creates_of_one_email_make_exactly_one_account() {
    let t = Arc::new(spawn_mock().await);
    let email = unique_email();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let t = Arc::clone(&t);
        let email = email.clone();
        tasks.push(tokio::spawn(async move { t.api.post("user", &user_form(&email)).await }));
    }
    let mut successes = 0;
    let mut duplicates = 0;
    for task in tasks {
        let answer = task.await.unwrap();
        if answer.is_success() {
            successes += 1;
        } else {
            answer.assert_error("user_already_exist");
            duplicates += 1;
        }
    }
    assert_eq!((successes, duplicates), (1, 63));
    let listed = t.api.get("user/list", &[("max", "1000".into())]).await;
    let same: Vec<_> =
        listed.ok()["users"].as_array().unwrap().iter().filter(|u| u["email"] == email.as_str()).collect();
    assert_eq!(same.len(), 1);
}

#[tokio::test]
async fn user_info_by_id_by_email_and_through_the_info_alias() {
    let t = spawn_mock().await;
    let email = unique_email();
    let id = t.api.create_user(&email).await;
    assert_eq!(t.api.user(id).await.ok()["email"], email.as_str());
    let by_email = t.api.get("user", &[("email", email.to_uppercase())]).await;
    assert_eq!(by_email.ok()["id"], id);
    let alias = t.api.get("user/info", &[("id_user", id.to_string())]).await;
    assert_eq!(alias.ok()["id"], id);
}

#[tokio::test]
async fn user_info_errors() {
    let t = spawn_mock().await;
    t.api.get("user", &[]).await.assert_error("missing_user_id");
    t.api.get("user", &[("id_user", "abc".into())]).await.assert_error("missing_user_id");
    t.api.get("user", &[("id_user", "-3".into())]).await.assert_error("missing_user_id");
    t.api.get("user", &[("id_user", "987654".into())]).await.assert_error("user_not_exist");
    t.api.get("user", &[("email", unique_email())]).await.assert_error("user_not_exist");
    t.api.get("user", &[("email", "nope".into())]).await.assert_error("email_wrong_format");
}

async fn listed_ids(t: &crate::helpers::TestMock, params: &[(&str, String)]) -> Vec<u64> {
    let answer = t.api.get("user/list", params).await;
    answer.ok()["users"].as_array().unwrap().iter().map(|u| u["id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn user_list_pages_with_max_start_and_sort() {
    let t = spawn_mock().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(t.api.create_user(&unique_email()).await);
    }
    assert_eq!(listed_ids(&t, &[]).await, ids[..10], "default: 10, ascending");
    assert_eq!(listed_ids(&t, &[("max", "3".into()), ("start", "2".into())]).await, ids[2..5]);
    let mut descending = ids.clone();
    descending.reverse();
    assert_eq!(listed_ids(&t, &[("sort", "DESC".into()), ("max", "4".into())]).await, descending[..4]);
    assert_eq!(listed_ids(&t, &[("start", "12".into())]).await, Vec::<u64>::new());
    let all = t.api.get("user/list", &[("max", "50".into())]).await;
    assert_eq!(all.ok()["users"].as_array().unwrap().len(), 12);
    assert_eq!(all.ok()["users"][0]["id"], ids[0], "list entries are whole user objects");
    assert!(all.ok()["users"][0]["is_payment_possible"].is_boolean());
}

#[tokio::test]
async fn user_list_rejects_bad_paging() {
    let t = spawn_mock().await;
    t.api.get("user/list", &[("max", "ten".into())]).await.assert_error("invalid_max");
    t.api.get("user/list", &[("max", "0".into())]).await.assert_error("invalid_max");
    t.api.get("user/list", &[("max", "1001".into())]).await.assert_error("invalid_max");
    t.api.get("user/list", &[("start", "-1".into())]).await.assert_error("invalid_start");
    t.api.get("user/list", &[("sort", "random".into())]).await.assert_error("invalid_sort");
}
