//! Recording what AR24 answers, for drift reports: per scenario, each call's
//! route, parameter names, outcome and the *shape* of its `result` (keys and
//! JSON types, recursively). Values never appear: strings become typed
//! placeholders (`<email>`, `<date>`, `<url>`, `<string>`), numbers `<integer>`
//! or `<number>`, so two runs of the same suite give identical snapshots.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use ar24_client::{Answer, Call, Client, SignatureIn, TransportError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The snapshot format this suite writes.
pub const FORMAT: u32 = 1;

/// One API call as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Which partner made it: `us` or `another partner`.
    pub by: String,
    /// `GET` or `POST`.
    pub method: String,
    /// The route below the API base, e.g. `user/list`.
    pub route: String,
    /// The parameter names sent, sorted.
    pub params: Vec<String>,
    /// `SUCCESS`, `ERROR`, `maintenance`, or `unreadable`.
    pub status: String,
    /// The slug of an error.
    pub slug: Option<String>,
    /// The shape of `result`, if any.
    pub result: Option<Value>,
}

/// One scenario as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioRecord {
    /// Why it did not run on this target, if it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Its calls, in order.
    #[serde(default)]
    pub calls: Vec<CallRecord>,
}

/// A whole run: scenarios by `Feature / Scenario (line)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`FORMAT`].
    pub format: u32,
    /// Every scenario, sorted by key.
    pub scenarios: BTreeMap<String, ScenarioRecord>,
}

/// The shape of a JSON value: the same structure, with typed placeholders for values.
pub fn shape(value: &Value) -> Value {
    match value {
        Value::Null => Value::from("<null>"),
        Value::Bool(_) => Value::from("<boolean>"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Value::from("<integer>"),
        Value::Number(_) => Value::from("<number>"),
        Value::String(text) => Value::from(placeholder(text)),
        // A list's shape is its first element's: lists vary in length from run to run.
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::Object(fields) => Value::Object(fields.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
    }
}

fn placeholder(text: &str) -> &'static str {
    let bytes = text.as_bytes();
    let is_date = bytes.len() == 19
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b' ',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        });
    if is_date {
        "<date>"
    } else if text.starts_with("http://") || text.starts_with("https://") {
        "<url>"
    } else if text.contains('@') && text.contains('.') && !text.contains(' ') {
        "<email>"
    } else {
        "<string>"
    }
}

/// Where a scenario's calls are collected. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<CallRecord>>>);

impl Recorder {
    /// Records one call: the parameter names that went on the wire, not their values.
    pub fn record(&self, by: &str, call: &Call, answer: &Answer) {
        let signing = call.signing();
        let sent = [
            (!signing.omit_token).then_some("token"),
            (!signing.omit_date).then_some("date"),
            (signing.signature_in == SignatureIn::Parameter).then_some("signature"),
        ];
        let mut names: Vec<String> = sent
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .chain(call.parameters().iter().map(|(k, _)| k.clone()))
            .chain(call.files().iter().map(|f| f.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        let (status, slug, result) = match answer {
            Answer::Success { result, .. } => ("SUCCESS", None, result.as_ref().map(shape)),
            Answer::Error { slug, .. } => ("ERROR", Some(slug.clone()), None),
            Answer::Maintenance => ("maintenance", None, None),
            Answer::Unreadable { .. } => ("unreadable", None, None),
        };
        let call = CallRecord {
            by: by.to_owned(),
            method: call.method().as_str().to_owned(),
            route: call.route().trim_end_matches('/').to_owned(),
            params: names,
            status: status.to_owned(),
            slug,
            result,
        };
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(call);
    }

    /// The calls recorded so far.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A partner's AR24 client whose calls are recorded for drift reports.
#[derive(Debug, Clone)]
pub struct RecordingClient {
    client: Client,
    recorder: Option<(Recorder, String)>,
}

impl RecordingClient {
    /// `client`, recording nothing yet.
    pub fn new(client: Client) -> Self {
        Self { client, recorder: None }
    }

    /// The same client, recording its calls into `recorder` as `by`.
    pub fn recording(mut self, recorder: Recorder, by: &str) -> Self {
        self.recorder = Some((recorder, by.to_owned()));
        self
    }

    /// The same client, recording nothing (for polling, whose number of calls varies).
    pub fn unrecorded(&self) -> Self {
        Self { client: self.client.clone(), recorder: None }
    }

    /// The AR24 client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends `call`, recording it.
    pub async fn send(&self, call: &Call) -> Result<Answer, TransportError> {
        let answer = self.client.send(call).await?;
        if let Some((recorder, by)) = &self.recorder {
            recorder.record(by, call, &answer);
        }
        Ok(answer)
    }

    /// A signed GET.
    pub async fn get(&self, route: &str, params: &[(&str, String)]) -> Result<Answer, TransportError> {
        self.send(&Call::get(route).params(params.iter().cloned())).await
    }

    /// A signed, urlencoded POST.
    pub async fn post(&self, route: &str, params: &[(&str, String)]) -> Result<Answer, TransportError> {
        self.send(&Call::post(route).params(params.iter().cloned())).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn shapes_keep_structure_and_hide_values() {
        let user = json!({
            "id": 42, "email": "a.b@example.fr", "creation": "2026-11-22 12:00:00", "link": "https://x/y",
            "name": "Jeanne Martin", "cgu": 1, "ratio": 0.5, "paid": false, "company": null,
            "users": [{"id": 1}, {"id": 2, "extra": true}], "empty": []
        });
        assert_eq!(
            shape(&user),
            json!({
                "id": "<integer>", "email": "<email>", "creation": "<date>", "link": "<url>", "name": "<string>",
                "cgu": "<integer>", "ratio": "<number>", "paid": "<boolean>", "company": "<null>",
                "users": [{"id": "<integer>"}], "empty": []
            })
        );
    }

    #[test]
    fn two_users_with_different_values_have_the_same_shape() {
        let a = json!({"id": 1, "email": "x@a.fr", "creation": "2021-01-01 00:00:00"});
        let b = json!({"id": 99_999, "email": "someone.else@b.com", "creation": "2026-11-22 23:59:59"});
        assert_eq!(shape(&a), shape(&b));
    }
}
