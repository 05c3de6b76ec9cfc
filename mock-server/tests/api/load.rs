//! Load without loss: many partners' flows at once (creations racing on shared
//! addresses, acceptances, team joins, resets of other partners' data), then
//! every invariant checked.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ar24_mock::Config;
use serde_json::{Value, json};

use crate::helpers::{Api, TestMock, spawn_mock_with, unique_email, user_form};

const WORKERS: usize = 6;
const SHARED: usize = 10;

/// Counts the API calls a partner makes, to check the journal has every one.
struct Counted {
    client: Api,
    calls: AtomicUsize,
}

impl Counted {
    async fn post(&self, route: &str, params: &[(&str, String)]) -> crate::helpers::Answer {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.client.post(route, params).await
    }

    async fn get(&self, route: &str, params: &[(&str, String)]) -> crate::helpers::Answer {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.client.get(route, params).await
    }
}

/// One partner's flow: race on the shared addresses, then CGU, payment and a team.
async fn flow(t: Arc<TestMock>, me: Arc<Counted>, run: String, shared_wins: Arc<AtomicUsize>) -> Vec<String> {
    let mut links = Vec::new();
    for k in 0..SHARED {
        let answer = me.post("user", &user_form(&format!("shared-{k}-{run}@example.fr"))).await;
        if answer.is_success() {
            shared_wins.fetch_add(1, Ordering::SeqCst);
        } else {
            answer.assert_error("user_already_exist");
        }
    }
    let master_email = unique_email();
    let master = me.post("user", &user_form(&master_email)).await.ok()["id"].as_u64().unwrap();
    let member_email = unique_email();
    let member = me.post("user", &user_form(&member_email)).await.ok()["id"].as_u64().unwrap();
    me.post("user/request_cgu", &[("id_user", member.to_string())]).await.ok();
    links.push(t.latest_link("cgu", &member_email).await);
    let pay = me.post("user/payment_request", &[("id_user", master.to_string()), ("get_link", "1".into())]).await;
    let pay_link = pay.ok()["link"].as_str().unwrap().to_owned();
    assert_eq!(t.accept(&pay_link).await.status, 200);
    me.post("user/join_team", &[("id_user", member.to_string()), ("id_master", master.to_string())]).await.ok();
    links.push(t.latest_link("team", &member_email).await);
    me.get("user", &[("id_user", member.to_string())]).await.ok();
    links
}

/// Another partner's churn: it creates users and has its data reset, again and again.
async fn churn(t: Arc<TestMock>, partner: Api) {
    for _ in 0..15 {
        partner.post("user", &user_form(&unique_email())).await.ok();
        let reset = t.http.post(t.control(&format!("partners/{}/reset", partner.token))).send().await.unwrap();
        assert_eq!(reset.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_partners_at_once_lose_nothing_and_break_no_invariant() {
    let t = Arc::new(spawn_mock_with(Config { journal_limit: 1_000_000, ..Config::default() }).await);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        workers.push(Arc::new(Counted { client: t.new_partner(json!({})).await, calls: AtomicUsize::new(0) }));
    }
    let shared_wins = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for me in &workers {
        tasks.push(tokio::spawn(flow(Arc::clone(&t), Arc::clone(me), run.clone(), Arc::clone(&shared_wins))));
    }
    let mut noise = Vec::new();
    for _ in 0..2 {
        noise.push(tokio::spawn(churn(Arc::clone(&t), t.new_partner(json!({})).await)));
    }
    let mut links = Vec::new();
    for task in tasks {
        links.extend(task.await.unwrap());
    }
    for task in noise {
        task.await.unwrap();
    }

    // Each shared address got exactly one account, whoever won the race.
    assert_eq!(shared_wins.load(Ordering::SeqCst), SHARED);

    // Every link is accepted exactly once, even when clicked twice at the same time.
    for link in &links {
        let (a, b) = tokio::join!(t.accept(link), t.accept(link));
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 410], "{link}");
    }

    let state: Value = t.http.get(t.control("state")).send().await.unwrap().json().await.unwrap();
    let users = state["users"].as_array().unwrap();
    // Each address at most one account.
    let mut addresses = HashSet::new();
    for user in users {
        let email = user["profile"]["email"].as_str().unwrap().to_lowercase();
        assert!(addresses.insert(email.clone()), "two accounts for {email}");
    }
    // No member counted as able to pay unless their administrator can.
    for user in users.iter().filter(|u| !u["team_master"].is_null()) {
        let master = users.iter().find(|m| m["id"] == user["team_master"]);
        assert!(master.is_some_and(|m| m["payment_method"] == true), "a team whose master cannot pay: {user}");
    }
    for me in &workers {
        let listed = me.get("user/list", &[("max", "1000".into())]).await;
        for user in listed.ok()["users"].as_array().unwrap() {
            let stored = users.iter().find(|u| u["id"] == user["id"]).unwrap();
            let master_pays = users.iter().any(|m| m["id"] == stored["team_master"] && m["payment_method"] == true);
            let expected = stored["payment_method"] == true || master_pays;
            assert_eq!(user["is_payment_possible"], expected, "{user}");
        }
    }
    // The journal has every call each partner made, no more, no less.
    for me in &workers {
        let journal = t.journal(&me.client.token).await;
        assert_eq!(journal.len(), me.calls.load(Ordering::SeqCst), "journal of {}", me.client.token);
    }
}
