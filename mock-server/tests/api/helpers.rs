//! A test mock, reached through the independent `ar24-client` (signing,
//! decryption, control plane), so tests read like a partner's own code.

use std::collections::HashMap;

use ar24_client::{Call, Client, ControlPlane, Exchange, Keys, Reply};
pub use ar24_client::{SignatureIn, Signing};
use ar24_mock::{Config, MockServer};
use reqwest::Method;
use serde_json::{Value, json};

/// Waits until `done` answers true, asking every 20 ms; after 10 s the test
/// fails with what it waited for (`what` is asked then, so it can show the
/// state reached).
pub async fn wait_until<F, Fut>(what: impl Fn() -> String, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "waited 10 s for {}", what());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A running in-process mock and clients for it.
pub struct TestMock {
    pub mock: MockServer,
    /// The default partner's client.
    pub api: Api,
    /// The control plane.
    pub plane: ControlPlane,
    /// Plain HTTP, for requests no client would send.
    pub http: reqwest::Client,
}

/// A mock with the default configuration.
pub async fn spawn_mock() -> TestMock {
    spawn_mock_with(Config::default()).await
}

/// A mock with `config`.
pub async fn spawn_mock_with(config: Config) -> TestMock {
    let mock = MockServer::start(config).await;
    let http = reqwest::Client::new();
    let cfg = mock.config();
    let api = Api::new(Client::new(&mock.base_url(), &cfg.token, &cfg.private_key).with_http(http.clone()));
    let plane = ControlPlane::new(&mock.root_url()).with_token(cfg.control_token.clone());
    TestMock { mock, api, plane, http }
}

/// An address nobody else uses.
pub fn unique_email() -> String {
    format!("user-{}@example.fr", uuid::Uuid::new_v4().simple())
}

/// A complete, valid create-user form for `email` (a French private person).
pub fn user_form(email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("firstname", "Jeanne".into()),
        ("lastname", "Martin".into()),
        ("email", email.into()),
        ("gender", "F".into()),
        ("statut", "particulier".into()),
        ("address1", "12 rue de Rivoli".into()),
        ("zipcode", "75004".into()),
        ("city", "Paris".into()),
        ("country", "FR".into()),
    ]
}

/// A letter from `sender` to `recipient`, a private person, as `POST mail` takes it.
pub fn letter_to(sender: u64, recipient: &str) -> Vec<(&'static str, String)> {
    vec![
        ("id_user", sender.to_string()),
        ("to_email", recipient.to_owned()),
        ("dest_statut", "particulier".into()),
        ("to_firstname", "Marie".into()),
        ("to_lastname", "Dupont".into()),
        ("content", "<h1>Mise en demeure</h1><p>Veuillez régler la facture n° 42.</p>".into()),
    ]
}

/// `form` with `name` set to `value` (added if absent).
pub fn with(mut form: Vec<(&'static str, String)>, name: &'static str, value: &str) -> Vec<(&'static str, String)> {
    form.retain(|(k, _)| *k != name);
    form.push((name, value.into()));
    form
}

/// `form` without `name`.
pub fn without(mut form: Vec<(&'static str, String)>, name: &str) -> Vec<(&'static str, String)> {
    form.retain(|(k, _)| *k != name);
    form
}

/// One answer of the API as a test looks at it: the status, the envelope as
/// JSON (decrypted by the independent `ar24-client` when it was a success),
/// the text on the wire, and the client's reading of it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub http: u16,
    pub body: Value,
    pub raw: String,
    pub answer: ar24_client::Answer,
}

impl From<Exchange> for Answer {
    fn from(exchange: Exchange) -> Self {
        let body = match &exchange.answer {
            ar24_client::Answer::Success { result, .. } => {
                let mut envelope = json!({"status": "SUCCESS"});
                if let Some(result) = result {
                    envelope["result"] = result.clone();
                }
                envelope
            }
            _ => serde_json::from_str(&exchange.body).unwrap_or(Value::Null),
        };
        Self { http: exchange.http, body, raw: exchange.body, answer: exchange.answer }
    }
}

impl Answer {
    pub fn slug(&self) -> Option<&str> {
        self.body.get("slug").and_then(Value::as_str)
    }

    pub fn is_success(&self) -> bool {
        self.answer.is_success()
    }

    pub fn result(&self) -> &Value {
        &self.body["result"]
    }

    /// The result, failing the test with the whole answer if it was not a success.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(self.is_success(), "expected SUCCESS, got {} ({})", self.answer.outcome(), self.raw);
        self.result()
    }

    /// Asserts AR24's error envelope with `slug`, a catalogue message of it, and HTTP 200.
    #[track_caller]
    pub fn assert_error(&self, slug: &str) {
        assert_eq!(self.answer.slug(), Some(slug), "answer: {} ({})", self.answer.outcome(), self.raw);
        let messages: Vec<&str> =
            ar24_mock::Slug::ALL.iter().filter(|s| s.as_str() == slug).map(|s| s.message()).collect();
        assert!(!messages.is_empty(), "{slug} is in the catalogue");
        let message = self.answer.message().unwrap_or_default();
        assert!(messages.contains(&message), "{message:?} is one of {messages:?}");
    }

    /// The error message, if the answer is an error.
    pub fn message(&self) -> Option<&str> {
        self.answer.message()
    }
}

/// The default partner's (or another's) AR24 client, answering [`Answer`]s.
#[derive(Debug, Clone)]
pub struct Api {
    pub client: Client,
    pub keys: Keys,
    pub token: String,
    pub base_url: String,
}

impl Api {
    pub fn new(client: Client) -> Self {
        Self {
            keys: client.keys().clone(),
            token: client.token().to_owned(),
            base_url: client.base_url().to_owned(),
            client,
        }
    }

    pub async fn send(&self, call: Call) -> Answer {
        self.client.exchange(&call).await.expect("the mock answers").into()
    }

    pub async fn get(&self, route: &str, params: &[(&str, String)]) -> Answer {
        self.send(Call::get(route).params(params.iter().cloned())).await
    }

    pub async fn post(&self, route: &str, params: &[(&str, String)]) -> Answer {
        self.send(Call::post(route).params(params.iter().cloned())).await
    }

    /// A call signed as `signing` says.
    pub async fn call(&self, method: Method, route: &str, params: &[(&str, String)], signing: Signing) -> Answer {
        let call = match method {
            Method::GET => Call::get(route),
            _ => Call::post(route),
        };
        self.send(call.params(params.iter().cloned()).signed(signing)).await
    }

    /// A POST whose parameters travel as multipart/form-data.
    pub async fn post_multipart(&self, route: &str, params: &[(&str, String)]) -> Answer {
        self.send(Call::post(route).params(params.iter().cloned()).multipart()).await
    }

    /// Creates a valid user and returns its id.
    pub async fn create_user(&self, email: &str) -> u64 {
        let answer = self.post("user", &user_form(email)).await;
        answer.ok()["id"].as_u64().expect("integer id")
    }

    /// The user object by id.
    pub async fn user(&self, id: u64) -> Answer {
        self.get("user", &[("id_user", id.to_string())]).await
    }
}

impl TestMock {
    pub fn control(&self, path: &str) -> String {
        self.plane.url(path)
    }

    /// A new partner through the control plane, and its client.
    pub async fn new_partner(&self, settings: Value) -> Api {
        let reply = self.plane.request(Method::POST, "partners", &[], Some(&settings)).await.unwrap();
        assert_eq!(reply.status, 201, "{}", reply.body);
        let partner = reply.json();
        let (token, key) = (partner["token"].as_str().unwrap(), partner["private_key"].as_str().unwrap());
        Api::new(self.api.client.for_partner(token, key))
    }

    /// The outbox, oldest first, optionally filtered, as the control plane writes it.
    pub async fn emails(&self, to: Option<&str>, kind: Option<&str>) -> Vec<Value> {
        let query: Vec<(&str, &str)> =
            [("to", to), ("kind", kind)].into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
        let reply = self.plane.request(Method::GET, "emails", &query, None).await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_str(&reply.body).unwrap()
    }

    /// The link of the latest email of `kind` to `to`.
    pub async fn latest_link(&self, kind: &str, to: &str) -> String {
        self.plane.latest_link(to, kind).await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Clicks a link's button as a script would (asking for JSON).
    pub async fn accept(&self, link: &str) -> Reply {
        self.plane.click_link(link).await.unwrap()
    }

    /// Follows the latest `kind` email to `to` and accepts it.
    pub async fn follow_link(&self, kind: &str, to: &str) {
        self.plane.accept_latest(to, kind).await.unwrap_or_else(|e| panic!("{e}"));
    }

    /// An account made on the website, attached to no partner.
    pub async fn website_user(&self, email: &str, payment_method: bool) -> u64 {
        let mut body: HashMap<&str, Value> = user_form(email).into_iter().map(|(k, v)| (k, json!(v))).collect();
        body.insert("payment_method", json!(payment_method));
        self.plane.website_account(&json!(body)).await.unwrap().id
    }

    /// A user of `api`'s partner who may send letters: confirmed, CGU accepted
    /// by email, and a payment method of their own (added on the website).
    pub async fn ready_sender(&self, api: &Api) -> (u64, String) {
        let email = unique_email();
        let id = api.post("user", &with(user_form(&email), "confirmed", "1")).await.ok()["id"].as_u64().unwrap();
        api.post("user/request_cgu", &[("id_user", id.to_string())]).await.ok();
        self.follow_link("cgu", &email).await;
        self.plane.add_payment_method(id).await.unwrap();
        (id, email)
    }

    /// The request journal of one partner.
    pub async fn journal(&self, token: &str) -> Vec<Value> {
        self.plane.requests(Some(token)).await.unwrap()
    }
}

/// A file in the temporary directory, removed with its `.tmp` sibling when
/// dropped: also when the test fails (and under mutation testing, tests fail
/// by design), so no run leaves state files behind.
pub struct TempPath(std::path::PathBuf);

impl TempPath {
    /// A new, unique path ending in `name`.
    pub fn new(name: &str) -> Self {
        Self(std::env::temp_dir().join(format!("ar24-mock-test-{}-{name}", uuid::Uuid::new_v4().simple())))
    }
}

impl std::ops::Deref for TempPath {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempPath {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let mut sibling = self.0.clone().into_os_string();
        sibling.push(".tmp");
        let _ = std::fs::remove_file(sibling);
    }
}
