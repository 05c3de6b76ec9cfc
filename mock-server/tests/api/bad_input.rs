//! Bad input gets AR24's envelope with a slug: never a panic, never a 5xx,
//! never a change of state.

use serde_json::Value;

use crate::helpers::{spawn_mock, unique_email, user_form};

async fn user_count(t: &crate::helpers::TestMock) -> usize {
    t.api.get("user/list", &[("max", "1000".into())]).await.ok()["users"].as_array().unwrap().len()
}

#[tokio::test]
async fn broken_bodies_answer_malformed_body_and_change_nothing() {
    let t = spawn_mock().await;
    t.api.create_user(&unique_email()).await;
    let url = format!("{}user", t.api.base_url);
    let date = ar24_client::now_paris();
    let bodies: [(&str, Vec<u8>); 3] = [
        (
            "multipart/form-data; boundary=XYZ",
            b"--XYZ\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nabc".to_vec(),
        ),
        ("multipart/form-data", b"no boundary".to_vec()),
        ("application/json", br#"{"firstname":"Jean"}"#.to_vec()),
    ];
    for (content_type, body) in bodies {
        let response = t
            .http
            .post(&url)
            .header("content-type", content_type)
            .header("signature", t.api.keys.sign(&date))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{content_type}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["slug"], "malformed_body", "{content_type}");
    }
    assert_eq!(user_count(&t).await, 1);
}

#[tokio::test]
async fn a_body_over_the_limit_answers_body_too_large() {
    let t = spawn_mock().await;
    let mut form = user_form(&unique_email());
    form.push(("address2", "x".repeat(ar24_mock::config::DEFAULT_MAX_BODY + 1)));
    let answer = t.api.post("user", &form).await;
    answer.assert_error("body_too_large");
    assert_eq!(user_count(&t).await, 0);
}

/// Sends `head` then `body` in 16 KB pieces a few milliseconds apart, as a
/// slow client does; answers what the mock said, or why it could not be read.
async fn send_in_pieces(t: &crate::helpers::TestMock, head: String, body: &[u8]) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(t.mock.address()).await.unwrap();
    stream.write_all(head.as_bytes()).await.map_err(|err| format!("writing the head: {err}"))?;
    for piece in body.chunks(16 * 1024) {
        stream.write_all(piece).await.map_err(|err| format!("writing the body: {err}"))?;
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(|err| format!("reading the answer: {err}"))?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_client_still_sending_a_refused_body_reads_the_refusal() {
    let t = spawn_mock().await;
    let body = vec![b'x'; 300_000];
    // Over the limit both by its length and as it arrives (no length declared: chunked).
    let declared = format!(
        "POST /api/user HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let answer = send_in_pieces(&t, declared, &body).await.expect("the whole body sent and the answer read");
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("\"slug\":\"body_too_large\""), "{answer}");
    let mut chunked = Vec::new();
    for piece in body.chunks(10_000) {
        chunked.extend(format!("{:x}\r\n", piece.len()).bytes());
        chunked.extend(piece);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    let streamed = "POST /api/user HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n";
    let answer = send_in_pieces(&t, streamed.into(), &chunked).await.expect("the whole body sent and the answer read");
    assert!(answer.contains("\"slug\":\"body_too_large\""), "{answer}");
    assert_eq!(user_count(&t).await, 0);
    // The control plane's bodies alike.
    let control = format!(
        "POST /_mock/faults HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let answer = send_in_pieces(&t, control, &body).await.expect("the whole body sent and the answer read");
    assert!(answer.starts_with("HTTP/1.1 413") && answer.contains("\"slug\":\"body_too_large\""), "{answer}");
}

#[tokio::test]
async fn a_client_waiting_for_100_continue_is_refused_before_it_sends() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = spawn_mock().await;
    let mut stream = tokio::net::TcpStream::connect(t.mock.address()).await.unwrap();
    let head = "POST /api/user HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nContent-Length: 300000\r\nExpect: 100-continue\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no answer within 5 s without the body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.contains("100 Continue") && answer.contains("\"slug\":\"body_too_large\""), "{answer}");
}

#[tokio::test]
async fn non_utf8_and_odd_encodings_do_not_break_the_parser() {
    let t = spawn_mock().await;
    let date = ar24_client::now_paris();
    let body = format!("token={}&date={}&id_user=%FF%FE&x=%zz", t.api.token, date.replace(' ', "+"));
    let response = t
        .http
        .get(format!("{}user?{body}", t.api.base_url))
        .header("signature", t.api.keys.sign(&date))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["slug"], "missing_user_id");
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_the_envelope() {
    let t = spawn_mock().await;
    let unknown = t.api.get("user/does_not_exist", &[]).await;
    assert_eq!(unknown.http, 404);
    assert_eq!(unknown.slug(), Some("unknown_route"));
    let outside = t.http.get(format!("{}/elsewhere", t.mock.root_url())).send().await.unwrap();
    assert_eq!(outside.status(), 404);
    assert_eq!(outside.json::<Value>().await.unwrap()["slug"], "unknown_route");
    let wrong = t.http.delete(format!("{}user", t.api.base_url)).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.json::<Value>().await.unwrap()["slug"], "method_not_allowed");
    let control_wrong = t.http.delete(t.control("health")).send().await.unwrap();
    assert_eq!(control_wrong.status(), 405);
    let control_unknown = t.http.get(t.control("nothing")).send().await.unwrap();
    assert_eq!(control_unknown.status(), 404);
    assert_eq!(control_unknown.json::<Value>().await.unwrap()["slug"], "unknown_route");
}

#[tokio::test]
async fn control_plane_bad_input_is_a_4xx_with_a_slug() {
    let t = spawn_mock().await;
    let broken = t
        .http
        .post(t.control("partners"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    assert_eq!(broken.json::<Value>().await.unwrap()["slug"], "invalid_json");
    let wrong_type = t.http.post(t.control("users")).body(r#"{"payment_method": "yes"}"#).send().await.unwrap();
    assert_eq!(wrong_type.status(), 400);
    let bad_id = t.http.post(t.control("users/abc/payment_method")).send().await.unwrap();
    assert_eq!(bad_id.status(), 404);
    let huge_id = t.http.post(t.control("users/99999999999999999999999/payment_method")).send().await.unwrap();
    assert_eq!(huge_id.status(), 404);
}

/// The journal's last entry for this partner.
async fn last_call(t: &crate::helpers::TestMock) -> Value {
    t.journal(&t.api.token).await.pop().expect("a journalled call")
}

#[tokio::test]
async fn past_a_thousand_parameters_the_rest_are_ignored_as_php_ignores_them() {
    let t = spawn_mock().await;
    // token and date come first; 1 200 more: 202 past PHP's max_input_vars.
    let many: Vec<(&str, String)> = (0..1200).map(|_| ("x", "1".to_owned())).collect();
    assert!(t.api.get("user/list", &many).await.is_success());
    let hint = last_call(&t).await["hint"].as_str().unwrap_or_default().to_owned();
    assert!(hint.contains("202 parameter(s) past the first 1000"), "{hint}");

    // A parameter past the thousandth is not read: here the first name.
    let filler: Vec<(&str, String)> = (0..1000).map(|_| ("x", "1".to_owned())).collect();
    let late = [filler.clone(), user_form(&unique_email())].concat();
    t.api.post("user", &late).await.assert_error("missing_firstname");
    // Read when it comes before.
    let early = [user_form(&unique_email()), filler].concat();
    assert!(t.api.post("user", &early).await.is_success());
    assert_eq!(user_count(&t).await, 1);
}

#[tokio::test]
async fn text_fields_beside_a_file_never_hide_it() {
    // What `requests` sends for an open file passed as `data`: a text field per
    // line, here named like the file part, then the file itself.
    let t = spawn_mock().await;
    let user = t.api.create_user(&unique_email()).await;
    let pdf = b"%PDF-1.4 140 KB of lines".to_vec();
    let lines: Vec<(String, String)> = (0..1500).map(|n| ("file".to_owned(), format!("line {n}"))).collect();
    let call = ar24_client::Call::post("attachment").param("id_user", user).params(lines).file(
        "file",
        "scan.pdf",
        pdf.clone(),
    );
    let uploaded = t.api.send(call).await;
    assert_eq!(uploaded.ok()["filesize"], pdf.len(), "the file part is the upload");
    assert_eq!(uploaded.ok()["filename"], "scan.pdf");
    let entry = last_call(&t).await;
    assert_eq!(entry["files"][0]["size"], pdf.len());
    let hint = entry["hint"].as_str().unwrap_or_default();
    // token, date, id_user and 1 500 lines: 503 past the thousandth.
    assert!(hint.contains("503 parameter(s)"), "{hint}");
}

#[tokio::test]
async fn a_parameter_too_long_is_refused_and_journalled_with_its_token_and_which() {
    let t = spawn_mock().await;
    let long = "a".repeat(ar24_mock::protocol::params::MAX_PARAM_LEN + 1);
    t.api.post("user", &[("firstname", long.clone())]).await.assert_error("parameter_too_long");
    let entry = last_call(&t).await;
    assert_eq!(entry["token"], t.api.token.as_str(), "a refused call is still this partner's");
    let hint = entry["hint"].as_str().unwrap();
    assert!(hint.contains("`firstname` is 10001 bytes long") && hint.contains("at most 10000"), "{hint}");
    // A parameter's name is bounded as much as its value; at the limit it is read.
    t.api.get("user/list", &[(long.as_str(), "1".into())]).await.assert_error("parameter_too_long");
    let at_limit = "b".repeat(ar24_mock::protocol::params::MAX_PARAM_LEN);
    assert!(t.api.get("user/list", &[(at_limit.as_str(), "1".into())]).await.is_success());
    assert!(t.api.get("user/list", &[("note", at_limit.clone())]).await.is_success());
    assert_eq!(user_count(&t).await, 0);
}

#[tokio::test]
async fn a_json_body_is_refused_with_a_hint_that_ar24_takes_form_fields() {
    let t = spawn_mock().await;
    let date = ar24_client::now_paris();
    let query = serde_urlencoded::to_string([("token", t.api.token.as_str()), ("date", date.as_str())]).unwrap();
    let response = t
        .http
        .post(format!("{}user?{query}", t.api.base_url))
        .header("content-type", "application/json")
        .header("signature", t.api.keys.sign(&date))
        .body(r#"{"firstname":"Jean"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["slug"], "malformed_body");
    let entry = last_call(&t).await;
    assert_eq!(entry["token"], t.api.token.as_str(), "the token came in the query string");
    let hint = entry["hint"].as_str().unwrap();
    assert!(hint.contains("the body is JSON") && hint.contains("form fields"), "{hint}");
}

#[tokio::test]
async fn a_get_reads_its_query_only_never_a_body() {
    let t = spawn_mock().await;
    let id = t.api.create_user(&unique_email()).await;
    let date = ar24_client::now_paris();
    let response = t
        .http
        .get(format!("{}user", t.api.base_url))
        .query(&[("token", t.api.token.as_str()), ("date", date.as_str())])
        .header("signature", t.api.keys.sign(&date))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("id_user={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["slug"], "missing_user_id");
}

#[tokio::test]
async fn a_call_with_a_wrong_method_is_journalled_with_its_parameters() {
    let t = spawn_mock().await;
    for method in [reqwest::Method::PUT, reqwest::Method::PATCH] {
        let response = t
            .http
            .request(method.clone(), format!("{}user", t.api.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={}&firstname=Wrong", t.api.token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
    }
    let journal = t.journal(&t.api.token).await;
    let methods: Vec<&str> = journal.iter().map(|e| e["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["PUT", "PATCH"], "both calls are the partner's, read from their bodies");
    assert!(journal.iter().all(|e| e["params"]["firstname"] == "Wrong"), "{journal:?}");
}

#[tokio::test]
async fn an_empty_body_of_another_content_type_is_no_parameters_not_a_broken_body() {
    let t = spawn_mock().await;
    let date = ar24_client::now_paris();
    let response = t
        .http
        .post(format!("{}user/request_cgu", t.api.base_url))
        .query(&[("token", t.api.token.as_str()), ("date", date.as_str())])
        .header("signature", t.api.keys.sign(&date))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["slug"], "missing_user_id");
}
