//! Injected faults: maintenance, error, delay and dropped connections, by
//! route, partner and count, applied before authentication and journalled.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{spawn_mock, unique_email};

async fn add(t: &crate::helpers::TestMock, rule: Value) -> ar24_client::Reply {
    t.plane.request(reqwest::Method::POST, "faults", &[], Some(&rule)).await.unwrap()
}

#[tokio::test]
async fn maintenance_answers_ar24s_maintenance_reply_the_given_number_of_times() {
    let t = spawn_mock().await;
    assert_eq!(add(&t, json!({"kind": "maintenance", "route": "user/list", "times": 2})).await.status, 201);
    for _ in 0..2 {
        let answer = t.api.get("user/list", &[]).await;
        assert_eq!(answer.body, json!({"status": "maintenance"}));
        assert_eq!(answer.http, 200);
    }
    assert!(t.api.get("user/list", &[]).await.is_success(), "used up");
    assert!(
        t.api.post("user", &crate::helpers::user_form(&unique_email())).await.is_success(),
        "other routes unaffected"
    );
    let journal = t.journal(&t.api.token).await;
    let faults: Vec<&Value> = journal.iter().filter(|e| e["fault"] == "maintenance").collect();
    assert_eq!(faults.len(), 2, "each fault served is journalled");
    assert_eq!(faults[0]["status"], "maintenance");
}

#[tokio::test]
async fn faults_apply_before_authentication_and_can_target_one_partner() {
    let t = spawn_mock().await;
    let other = t.new_partner(json!({})).await;
    add(&t, json!({"kind": "error", "slug": "user_no_payment", "token": other.token})).await;
    t.api.get("user/list", &[]).await.ok();
    let unsigned = crate::helpers::Signing { signature_in: crate::helpers::SignatureIn::Nowhere, ..Default::default() };
    let answer = other.call(reqwest::Method::GET, "user/list", &[], unsigned).await;
    answer.assert_error("user_no_payment");
    let listed = t.plane.faults().await.unwrap();
    assert_eq!(listed.len(), 1, "until removed: {listed:?}");
    assert_eq!(listed[0]["served"], 1);
    t.plane.clear_faults().await.unwrap();
    assert!(other.get("user/list", &[]).await.is_success());
}

#[tokio::test]
async fn each_fault_rule_has_its_own_increasing_id() {
    let t = spawn_mock().await;
    for route in ["user", "user/list", "user/request_cgu"] {
        assert_eq!(add(&t, json!({"kind": "maintenance", "route": route})).await.status, 201);
    }
    let ids: Vec<u64> = t.plane.faults().await.unwrap().iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
}

#[tokio::test]
async fn a_delay_holds_the_answer_then_answers_normally() {
    let t = spawn_mock().await;
    add(&t, json!({"kind": "delay", "delay_ms": 300, "times": 1})).await;
    let started = Instant::now();
    assert!(t.api.get("user/list", &[]).await.is_success());
    assert!(started.elapsed() >= Duration::from_millis(300));
    let journal = t.journal(&t.api.token).await;
    assert_eq!(journal[0]["fault"], "delay");
    assert_eq!(journal[0]["status"], "SUCCESS");
}

#[tokio::test]
async fn a_drop_closes_the_connection_without_an_answer() {
    let t = spawn_mock().await;
    add(&t, json!({"kind": "drop", "route": "user", "times": 1})).await;
    let sent = t.http.get(format!("{}user?token={}", t.api.base_url, t.api.token)).send().await;
    let outcome = match sent {
        Err(err) => format!("no answer: {err}"),
        Ok(response) => match response.text().await {
            Err(err) => format!("broken answer: {err}"),
            Ok(body) => panic!("a dropped connection answered {body:?}"),
        },
    };
    assert!(!outcome.is_empty());
    let journal = t.journal(&t.api.token).await;
    assert_eq!(journal[0]["status"], "dropped");
    assert!(t.api.get("user/list", &[]).await.is_success(), "the next call is served");
}

#[tokio::test]
async fn a_rule_that_cannot_apply_is_refused_with_a_slug() {
    let t = spawn_mock().await;
    for bad in [
        json!({"kind": "error"}),
        json!({"kind": "error", "slug": "made_up"}),
        json!({"kind": "delay"}),
        json!({"kind": "delay", "delay_ms": 999_999}),
        json!({"kind": "explode"}),
        json!({"kind": "drop", "times": 0}),
    ] {
        let response = add(&t, bad.clone()).await;
        assert_eq!(response.status, 400, "{bad}");
        let slug = response.json()["slug"].clone();
        assert!(slug == "invalid_fault" || slug == "invalid_json", "{bad}: {slug}");
    }
    // A route the API does not serve would never fire: refused, naming the routes.
    for route in ["user/lists", "/api/user/list", "mails"] {
        let response = add(&t, json!({"kind": "maintenance", "route": route})).await;
        assert_eq!((response.status, response.json()["slug"].clone()), (400, json!("invalid_fault")), "{route}");
        let reason = response.json()["reason"].as_str().unwrap_or_default().to_owned();
        assert!(reason.contains(&format!("{route:?}")) && reason.contains("user/list"), "{reason}");
    }
    assert_eq!(add(&t, json!({"kind": "maintenance", "route": "/user/list/"})).await.status, 201);
    let listed = t.plane.faults().await.unwrap();
    assert_eq!(listed.len(), 1, "only the rule for a served route");
}
