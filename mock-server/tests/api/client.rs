//! The independent `ar24-client` against the mock over real HTTP: the
//! README's example, a client whose clock is off, file parts, and a blocking
//! client beside the in-process mock.

use std::io::{Read, Write};
use std::time::Duration;

use ar24_client::{Answer, Call, Client, Clock, ControlPlane, NewPartner};

use crate::helpers::{spawn_mock, unique_email};

#[tokio::test]
async fn the_readme_example_runs_as_written() {
    let t = spawn_mock().await;
    let mock = ControlPlane::new(&t.mock.root_url());
    let partner = mock.new_partner(&NewPartner::default()).await.unwrap();
    let ar24: Client = partner.client(&t.mock.base_url());
    let email = unique_email();

    let created = ar24
        .send(&Call::post("user").params([
            ("firstname", "Jeanne"),
            ("lastname", "Martin"),
            ("email", email.as_str()),
            ("gender", "F"),
            ("statut", "particulier"),
            ("address1", "12 rue de Rivoli"),
            ("zipcode", "75004"),
            ("city", "Paris"),
            ("country", "FR"),
        ]))
        .await
        .unwrap();
    let id = created.expect_success()["id"].as_u64().unwrap();

    let asked = ar24.send(&Call::post("user/request_cgu").param("id_user", id)).await.unwrap();
    assert_eq!(asked, Answer::Success { result: None, encrypted: true });
    mock.accept_latest(&email, "cgu").await.unwrap();
    let user = ar24.get("user", [("id_user", id)]).await.unwrap();
    assert_eq!(user.expect_success()["cgu"], 1);
}

#[tokio::test]
async fn a_client_whose_clock_is_an_hour_off_is_refused_and_one_on_time_is_not() {
    let t = spawn_mock().await;
    let behind = t.api.client.clone().with_clock(Clock::Shifted(chrono::Duration::hours(-1)));
    let answer = behind.send(&Call::get("user/list")).await.unwrap();
    assert_eq!(answer.slug(), Some("expired_date"));
    let ahead = t.api.client.clone().with_clock(Clock::Shifted(chrono::Duration::hours(1)));
    assert_eq!(ahead.send(&Call::get("user/list")).await.unwrap().slug(), Some("date_in_future"));
    assert!(t.api.client.send(&Call::get("user/list")).await.unwrap().is_success());
}

#[tokio::test]
async fn file_parts_travel_in_a_multipart_body_the_mock_reads() {
    let t = spawn_mock().await;
    let email = unique_email();
    let call = Call::post("user/").params(crate::helpers::user_form(&email)).file_typed(
        "document",
        "note.txt",
        "text/plain",
        b"a file part".to_vec(),
    );
    let answer = t.api.client.exchange(&call).await.unwrap();
    assert!(answer.answer.is_success(), "{}", answer.answer.outcome());
    let journal = t.journal(&t.api.token).await;
    assert_eq!(journal.last().unwrap()["params"]["email"], email.as_str());
}

/// A test whose own thread blocks (a blocking client, a busy runtime) still
/// gets its answers: the in-process mock runs on a runtime of its own.
#[tokio::test]
async fn the_in_process_mock_answers_while_the_tests_runtime_is_blocked() {
    let t = spawn_mock().await;
    // This test's runtime has one thread, blocked from here to the answer.
    let mut stream = std::net::TcpStream::connect(t.mock.address()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(b"GET /_mock/health HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer within 5 s");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
