//! An AR24 client as a partner writes one: it signs every call, decrypts
//! success bodies, and reads the error envelope and the maintenance answer.

use ar24_mock::{PartnerKeys, now_paris};
use serde_json::Value;

use crate::record::Recorder;

/// What AR24 answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `{"status":"SUCCESS", "result"?: ...}`.
    Success {
        /// The `result`, if any.
        result: Option<Value>,
        /// Whether the body came encrypted (as AR24 sends it).
        encrypted: bool,
    },
    /// `{"status":"ERROR","message","slug"}`.
    Error {
        /// The slug.
        slug: String,
        /// The message.
        message: String,
    },
    /// `{"status":"maintenance"}`.
    Maintenance,
    /// Anything else: not an AR24 answer.
    Unreadable {
        /// HTTP status.
        http: u16,
        /// The body, as text.
        body: String,
    },
}

impl Answer {
    /// The slug of an error, `SUCCESS` for a success, or what else it was.
    pub fn outcome(&self) -> String {
        match self {
            Answer::Success { .. } => "SUCCESS".into(),
            Answer::Error { slug, .. } => slug.clone(),
            Answer::Maintenance => "maintenance".into(),
            Answer::Unreadable { http, body } => format!("unreadable answer (HTTP {http}): {body}"),
        }
    }

    /// The result of a success.
    pub fn result(&self) -> Option<&Value> {
        match self {
            Answer::Success { result, .. } => result.as_ref(),
            _ => None,
        }
    }
}

/// How to sign a call; tests of authentication break it on purpose.
#[derive(Debug, Clone, Default)]
pub struct Signing {
    /// Send this `date` instead of now (Paris time).
    pub date: Option<String>,
    /// Send this `signature` instead of the right one.
    pub signature: Option<String>,
    /// Send this token instead of ours.
    pub token: Option<String>,
    /// Leave the token out.
    pub omit_token: bool,
    /// Leave the date out.
    pub omit_date: bool,
    /// Leave the signature header out.
    pub omit_signature: bool,
}

/// A partner's AR24 client.
#[derive(Clone)]
pub struct Ar24Client {
    base_url: String,
    token: String,
    keys: PartnerKeys,
    http: reqwest::Client,
    /// Where calls are recorded for drift reports, and who this client is there.
    recorder: Option<(Recorder, String)>,
}

impl std::fmt::Debug for Ar24Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never appears in output.
        f.debug_struct("Ar24Client").field("base_url", &self.base_url).field("token", &self.token).finish()
    }
}

/// A failure to reach AR24 at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach {url}: {source}")]
pub struct TransportError {
    url: String,
    #[source]
    source: reqwest::Error,
}

impl Ar24Client {
    /// A client for the API at `base_url` (ending in `/api/`).
    pub fn new(base_url: &str, token: &str, private_key: &str) -> Self {
        let base_url = if base_url.ends_with('/') { base_url.to_owned() } else { format!("{base_url}/") };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("an HTTP client with a timeout can be built");
        Self { base_url, token: token.to_owned(), keys: PartnerKeys::new(private_key), http, recorder: None }
    }

    /// The same client, recording its calls into `recorder` as `by`.
    pub fn recording(mut self, recorder: Recorder, by: &str) -> Self {
        self.recorder = Some((recorder, by.to_owned()));
        self
    }

    /// The same client, recording nothing (for polling, whose number of calls varies).
    pub fn unrecorded(&self) -> Self {
        Self { recorder: None, ..self.clone() }
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The `signature` header for `date`.
    pub fn sign(&self, date: &str) -> String {
        self.keys.sign(date)
    }

    /// A signed GET.
    pub async fn get(&self, route: &str, params: &[(&str, String)]) -> Result<Answer, TransportError> {
        self.call(reqwest::Method::GET, route, params, &Signing::default()).await
    }

    /// A signed POST (urlencoded form).
    pub async fn post(&self, route: &str, params: &[(&str, String)]) -> Result<Answer, TransportError> {
        self.call(reqwest::Method::POST, route, params, &Signing::default()).await
    }

    /// A call signed as `signing` says: GET parameters in the query, POST in a urlencoded body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        route: &str,
        params: &[(&str, String)],
        signing: &Signing,
    ) -> Result<Answer, TransportError> {
        let date = signing.date.clone().unwrap_or_else(now_paris);
        let mut all: Vec<(&str, String)> = Vec::new();
        if !signing.omit_token {
            all.push(("token", signing.token.clone().unwrap_or_else(|| self.token.clone())));
        }
        if !signing.omit_date {
            all.push(("date", date.clone()));
        }
        all.extend(params.iter().cloned());
        let url = format!("{}{route}", self.base_url);
        let method_name = method.to_string();
        let mut request = if method == reqwest::Method::GET {
            self.http.get(&url).query(&all)
        } else {
            let body = serde_urlencoded::to_string(&all).unwrap_or_default();
            self.http.request(method, &url).header("content-type", "application/x-www-form-urlencoded").body(body)
        };
        if !signing.omit_signature {
            let signature = signing.signature.clone().unwrap_or_else(|| self.keys.sign(&date));
            request = request.header("signature", signature);
        }
        let response = request.send().await.map_err(|source| TransportError { url: url.clone(), source })?;
        let http = response.status().as_u16();
        let body = response.text().await.map_err(|source| TransportError { url, source })?;
        let answer = self.read(http, &body, &date);
        if let Some((recorder, by)) = &self.recorder {
            recorder.record(by, &method_name, route, &all, &answer);
        }
        Ok(answer)
    }

    /// Reads an answer as AR24 clients do: JSON first, else decrypt with the date sent.
    pub fn read(&self, http: u16, body: &str, date: &str) -> Answer {
        if let Ok(json) = serde_json::from_str::<Value>(body) {
            return envelope(json, false).unwrap_or_else(|| Answer::Unreadable { http, body: body.to_owned() });
        }
        self.keys
            .decrypt_response(date, body)
            .and_then(|plain| serde_json::from_slice::<Value>(&plain).ok())
            .and_then(|json| envelope(json, true))
            .unwrap_or_else(|| Answer::Unreadable { http, body: body.to_owned() })
    }
}

fn envelope(json: Value, encrypted: bool) -> Option<Answer> {
    match json.get("status")?.as_str()? {
        "SUCCESS" => Some(Answer::Success { result: json.get("result").cloned(), encrypted }),
        "ERROR" => Some(Answer::Error {
            slug: json.get("slug")?.as_str()?.to_owned(),
            message: json.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
        }),
        "maintenance" => Some(Answer::Maintenance),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "7X9gx9E3Qx4EiUdB63nc";
    const DATE: &str = "2021-05-26 14:00:00";

    fn client() -> Ar24Client {
        Ar24Client::new("http://127.0.0.1:1/api", "t", KEY)
    }

    #[test]
    fn reads_an_encrypted_success() {
        let body = PartnerKeys::new(KEY).encrypt_response(DATE, br#"{"status":"SUCCESS","result":{"id":3}}"#);
        let answer = client().read(200, &body, DATE);
        assert_eq!(answer, Answer::Success { result: Some(serde_json::json!({"id": 3})), encrypted: true });
    }

    #[test]
    fn reads_the_error_envelope_and_maintenance() {
        let error = client().read(200, r#"{"status":"ERROR","message":"m","slug":"token_invalid"}"#, DATE);
        assert_eq!(error.outcome(), "token_invalid");
        assert_eq!(client().read(200, r#"{"status":"maintenance"}"#, DATE), Answer::Maintenance);
    }

    #[test]
    fn anything_else_is_unreadable_not_a_panic() {
        for body in ["", "<html>down</html>", "bm90IGEgdmFsaWQgYm9keQ==", r#"{"status":"weird"}"#] {
            assert!(matches!(client().read(502, body, DATE), Answer::Unreadable { http: 502, .. }), "{body}");
        }
    }

    #[test]
    fn the_official_response_vector_decrypts_with_this_client_keys() {
        let keys = PartnerKeys::new(KEY);
        let plain = keys.decrypt_response(DATE, "WwBOU6s8DaMWmYdctBJwfuoujFgVygBUjhsbdf8eWqQ=").unwrap();
        assert_eq!(plain, br#"{status: "SUCCESS"}"#);
        assert_eq!(keys.sign(DATE), "bDop0cbjKpkySlpvnNGvBMg7PuYFFgPPqTTS2RAHoY0=");
    }

    #[test]
    fn a_base_url_without_trailing_slash_gets_one() {
        assert_eq!(client().base_url(), "http://127.0.0.1:1/api/");
    }
}
