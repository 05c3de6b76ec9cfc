//! The fuzz target's inputs replayed over HTTP: its seeds, and whatever a
//! local fuzzing run left (`fuzz/corpus/decode_request`, and any crash in
//! `fuzz/artifacts/decode_request`), read as the fuzz target reads them. Each
//! gets AR24's envelope with a status under 500, and the mock goes on answering.

use std::path::{Path, PathBuf};

use ar24_mock::{AuthMode, Config};

use crate::helpers::spawn_mock_with;

#[path = "../../../fuzz/fuzz_targets/input.rs"]
mod input;

/// The files in `dir`, none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_fuzz_input_gets_an_answer_under_500() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let seeds = files(&fuzz.join("seeds/decode_request"));
    assert!(seeds.len() >= 4, "the fuzz target's seeds are read: {seeds:?}");
    let found = [fuzz.join("corpus/decode_request"), fuzz.join("artifacts/decode_request")].map(|dir| files(&dir));
    let t = spawn_mock_with(Config { auth: AuthMode::Plain, ..Config::default() }).await;
    let root = t.mock.root_url();
    let root = root.trim_end_matches('/');
    for path in seeds.iter().chain(found.iter().flatten()) {
        let input = input::input(&std::fs::read(path).unwrap());
        let method = reqwest::Method::from_bytes(input.method.as_bytes()).unwrap();
        let answer = t
            .http
            .request(method, format!("{root}{}", input.path_and_query))
            .header("content-type", input.content_type)
            .body(input.body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: no answer ({e})", path.display()));
        assert!(answer.status().as_u16() < 500, "{}: answered {}", path.display(), answer.status());
        let body =
            answer.bytes().await.unwrap_or_else(|e| panic!("{}: the answer's body is cut ({e})", path.display()));
        let envelope: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{}: not AR24's JSON envelope ({e}): {body:?}", path.display()));
        assert!(
            ["SUCCESS", "ERROR"].contains(&envelope["status"].as_str().unwrap_or("")),
            "{}: {envelope}",
            path.display()
        );
    }
    // The mock goes on answering.
    let token = &t.mock.config().token;
    let user: serde_json::Value = t
        .http
        .get(format!("{root}/api/user?token={token}&email=nobody%40example.fr"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .expect("plain JSON in plain mode");
    assert_eq!(user["slug"], "user_not_exist", "{user}");
}
