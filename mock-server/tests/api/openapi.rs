//! The OpenAPI description and the routes served agree both ways.

use std::collections::BTreeSet;

use regex::Regex;

use crate::helpers::spawn_mock;

const OPENAPI: &str = include_str!("../../../openapi.yaml");

/// (METHOD, path) pairs of the description's `paths`.
fn described() -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    let mut in_paths = false;
    let mut path = String::new();
    for line in OPENAPI.lines() {
        if line == "paths:" {
            in_paths = true;
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /") {
            path = format!("/{}", p.trim_end_matches(':'));
        } else if let Some(rest) = line.strip_prefix("    ") {
            let method = rest.split(':').next().unwrap_or_default();
            if ["get", "post", "patch", "put", "delete"].contains(&method) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// (METHOD, path) pairs registered in the routers' source: `route(.., "/path", get(..).post(..))`.
fn served() -> BTreeSet<(String, String)> {
    let registration = Regex::new(
        r#""(/[^"]*)",\s*((?:get|post|patch|put|delete)\([\w:]+\)(?:\s*\.(?:get|post|patch|put|delete)\([\w:]+\))*)"#,
    )
    .unwrap();
    let method = Regex::new(r"(get|post|patch|put|delete)\(").unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut sources: Vec<(String, &str)> = std::fs::read_dir(format!("{dir}/routes"))
        .unwrap()
        .map(|e| (std::fs::read_to_string(e.unwrap().path()).unwrap(), "/api"))
        .collect();
    sources.push((std::fs::read_to_string(format!("{dir}/control/mod.rs")).unwrap(), "/_mock"));
    let mut ops = BTreeSet::new();
    for (source, prefix) in &sources {
        for found in registration.captures_iter(source) {
            let path = format!("{prefix}{}", &found[1]);
            for m in method.captures_iter(&found[2]) {
                ops.insert((m[1].to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[test]
fn every_served_route_is_described_and_every_described_route_is_served() {
    let described = described();
    let served = served();
    assert!(served.len() >= 20, "the scan found the routes: {served:?}");
    assert_eq!(described, served, "openapi.yaml and the routers disagree");
}

#[tokio::test]
async fn every_described_operation_answers_and_the_description_is_served() {
    let t = spawn_mock().await;
    for (method, path) in described() {
        let url = format!("{}{}", t.mock.root_url(), path.replace("{token}", "x").replace("{id}", "1"));
        let response = t.http.request(method.parse().unwrap(), &url).send().await.unwrap();
        let status = response.status().as_u16();
        if response.headers().get("content-type").is_some_and(|v| v == "text/event-stream") {
            assert_eq!(status, 200, "{method} {path}");
            continue; // an event stream never ends
        }
        let slug = response.json::<serde_json::Value>().await.ok().and_then(|b| b["slug"].as_str().map(str::to_owned));
        // A placeholder may name nothing (404 with its own slug); the route itself must exist.
        assert_ne!(status, 405, "{method} {path}");
        assert!(status != 404 || path.contains('{'), "{method} {path}");
        let slug = slug.unwrap_or_default();
        assert!(slug != "unknown_route" && slug != "method_not_allowed", "{method} {path}: {slug}");
    }
    let served = t.http.get(t.control("openapi.yaml")).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "application/yaml");
    assert_eq!(served.text().await.unwrap(), OPENAPI);
}
