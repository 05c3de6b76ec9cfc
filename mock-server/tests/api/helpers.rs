//! A test mock and a small AR24 client that signs and decrypts, so tests read
//! like a partner's own code.

use std::collections::HashMap;

use ar24_mock::{Config, MockServer, PartnerKeys, now_paris};
use serde_json::{Value, json};

/// A running in-process mock and clients for it.
pub struct TestMock {
    pub mock: MockServer,
    /// The default partner's client.
    pub api: Ar24Client,
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
    let api = Ar24Client {
        base_url: mock.base_url(),
        token: cfg.token.clone(),
        keys: PartnerKeys::new(&cfg.private_key),
        http: http.clone(),
    };
    TestMock { mock, api, http }
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

/// One answer of the API, decrypted.
#[derive(Debug, Clone)]
pub struct Answer {
    pub http: u16,
    /// The envelope as JSON (decrypted when it was a success).
    pub body: Value,
    /// The raw text on the wire.
    pub raw: String,
}

impl Answer {
    pub fn slug(&self) -> Option<&str> {
        self.body.get("slug").and_then(Value::as_str)
    }

    pub fn is_success(&self) -> bool {
        self.body["status"] == "SUCCESS"
    }

    pub fn result(&self) -> &Value {
        &self.body["result"]
    }

    /// The result, failing the test with the whole answer if it was an error.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(self.is_success(), "expected SUCCESS, got {}", self.body);
        self.result()
    }

    /// Asserts an AR24 error envelope with `slug` and HTTP 200.
    #[track_caller]
    pub fn assert_error(&self, slug: &str) {
        assert_eq!(self.slug(), Some(slug), "answer: {}", self.body);
        assert_eq!(self.body["status"], "ERROR");
        assert_eq!(self.http, 200, "AR24 answers errors with HTTP 200");
        let expected = ar24_mock::Slug::ALL.iter().find(|s| s.as_str() == slug).expect("slug in the catalogue");
        assert_eq!(self.body["message"], expected.message());
    }
}

/// How a call is signed; tests of authentication break it on purpose.
#[derive(Debug, Clone, Default)]
pub struct Signing {
    pub date: Option<String>,
    pub signature: Option<String>,
    pub omit_date: bool,
    pub omit_signature: bool,
    pub omit_token: bool,
    pub token: Option<String>,
}

/// A partner's AR24 client.
#[derive(Debug, Clone)]
pub struct Ar24Client {
    pub base_url: String,
    pub token: String,
    pub keys: PartnerKeys,
    pub http: reqwest::Client,
}

impl Ar24Client {
    pub async fn get(&self, route: &str, params: &[(&str, String)]) -> Answer {
        self.call(reqwest::Method::GET, route, params, Signing::default()).await
    }

    pub async fn post(&self, route: &str, params: &[(&str, String)]) -> Answer {
        self.call(reqwest::Method::POST, route, params, Signing::default()).await
    }

    /// A call signed as `signing` says, parameters in the query (GET) or a urlencoded body (POST).
    pub async fn call(
        &self,
        method: reqwest::Method,
        route: &str,
        params: &[(&str, String)],
        signing: Signing,
    ) -> Answer {
        let (all, date, signature) = self.signed(params, &signing);
        let url = format!("{}{route}", self.base_url);
        let mut request = if method == reqwest::Method::GET {
            self.http.get(url).query(&all)
        } else {
            let body = serde_urlencoded::to_string(&all).unwrap();
            self.http.request(method, url).header("content-type", "application/x-www-form-urlencoded").body(body)
        };
        if let Some(signature) = signature {
            request = request.header("signature", signature);
        }
        self.read(request.send().await.expect("the mock answers"), &date).await
    }

    /// A POST whose parameters travel as multipart/form-data.
    pub async fn post_multipart(&self, route: &str, params: &[(&str, String)]) -> Answer {
        let (all, date, signature) = self.signed(params, &Signing::default());
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in all {
            form = form.text(k, v);
        }
        let mut request = self.http.post(format!("{}{route}", self.base_url)).multipart(form);
        if let Some(signature) = signature {
            request = request.header("signature", signature);
        }
        self.read(request.send().await.expect("the mock answers"), &date).await
    }

    fn signed(&self, params: &[(&str, String)], signing: &Signing) -> (Vec<(String, String)>, String, Option<String>) {
        let date = signing.date.clone().unwrap_or_else(now_paris);
        let mut all: Vec<(String, String)> = Vec::new();
        if !signing.omit_token {
            all.push(("token".into(), signing.token.clone().unwrap_or_else(|| self.token.clone())));
        }
        if !signing.omit_date {
            all.push(("date".into(), date.clone()));
        }
        all.extend(params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let signature = if signing.omit_signature {
            None
        } else {
            Some(signing.signature.clone().unwrap_or_else(|| self.keys.sign(&date)))
        };
        (all, date, signature)
    }

    async fn read(&self, response: reqwest::Response, date: &str) -> Answer {
        let http = response.status().as_u16();
        let raw = response.text().await.expect("a readable body");
        let body = match serde_json::from_str::<Value>(&raw) {
            Ok(json) => json,
            Err(_) => {
                let plain = self
                    .keys
                    .decrypt_response(date, &raw)
                    .unwrap_or_else(|| panic!("neither JSON nor decryptable: {raw}"));
                serde_json::from_slice(&plain).expect("decrypted body is JSON")
            }
        };
        Answer { http, body, raw }
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
        format!("{}/_mock/{path}", self.mock.root_url())
    }

    /// A new partner through the control plane, and its client.
    pub async fn new_partner(&self, settings: Value) -> Ar24Client {
        let response = self.http.post(self.control("partners")).json(&settings).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let partner: Value = response.json().await.unwrap();
        Ar24Client {
            token: partner["token"].as_str().unwrap().to_owned(),
            keys: PartnerKeys::new(partner["private_key"].as_str().unwrap()),
            ..self.api.clone()
        }
    }

    /// The outbox, oldest first, optionally filtered.
    pub async fn emails(&self, to: Option<&str>, kind: Option<&str>) -> Vec<Value> {
        let mut query = Vec::new();
        if let Some(to) = to {
            query.push(("to", to));
        }
        if let Some(kind) = kind {
            query.push(("kind", kind));
        }
        let response = self.http.get(self.control("emails")).query(&query).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// The link of the latest email of `kind` to `to`.
    pub async fn latest_link(&self, kind: &str, to: &str) -> String {
        let emails = self.emails(Some(to), Some(kind)).await;
        let email = emails.last().unwrap_or_else(|| panic!("no {kind} email to {to}"));
        email["link"].as_str().unwrap().to_owned()
    }

    /// Clicks a link's button as a script would (asking for JSON).
    pub async fn accept(&self, link: &str) -> reqwest::Response {
        self.http.post(link).header("accept", "application/json").send().await.unwrap()
    }

    /// Follows the latest `kind` email to `to` and accepts it.
    pub async fn follow_link(&self, kind: &str, to: &str) {
        let link = self.latest_link(kind, to).await;
        let response = self.accept(&link).await;
        assert_eq!(response.status(), 200, "accepting {link}");
    }

    /// An account made on the website, attached to no partner.
    pub async fn website_user(&self, email: &str, payment_method: bool) -> u64 {
        let mut body: HashMap<&str, Value> = user_form(email).into_iter().map(|(k, v)| (k, json!(v))).collect();
        body.insert("payment_method", json!(payment_method));
        let response = self.http.post(self.control("users")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.unwrap()["id"].as_u64().unwrap()
    }

    /// The request journal of one partner.
    pub async fn journal(&self, token: &str) -> Vec<Value> {
        let response = self.http.get(self.control("requests")).query(&[("token", token)]).send().await.unwrap();
        response.json().await.unwrap()
    }
}
