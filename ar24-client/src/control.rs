//! A client of ar24-mock's control plane (`/_mock/`): partners, the outbox
//! and its links, website accounts, the request journal, faults and state.
//! Plain JSON over HTTP, no AR24 authentication. It exists on the mock only.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Client, with_slash};

/// A control-plane call that did not go as asked.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The mock could not be reached.
    #[error("cannot reach the mock's control plane at {url}: {source}")]
    Transport {
        /// The URL called.
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// The mock answered, but not with the expected status.
    #[error("{what}: the mock answered HTTP {status}: {body}")]
    Refused {
        /// What was asked.
        what: String,
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
    /// The answer was not the JSON expected.
    #[error("{what}: unexpected answer: {body}")]
    Unexpected {
        /// What was asked.
        what: String,
        /// The body.
        body: String,
    },
}

/// One answer of the control plane, as it came.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `content-type` header.
    pub content_type: String,
    /// The body.
    pub body: String,
}

impl Reply {
    /// The body as JSON (`Value::Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Settings of a new partner (`POST /_mock/partners`); missing token and key are generated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewPartner {
    /// The token; generated when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The private key; generated when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// A name shown in the console and journal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `cgu=1` at creation is honoured.
    pub cgu_preaccepted: bool,
    /// The partner pays for what its users do through the API.
    pub global_billing: bool,
    /// Where status changes of its letters are posted when a letter names no webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
}

/// A partner of the mock.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Partner {
    /// The token.
    pub token: String,
    /// The private key.
    pub private_key: String,
    /// The name.
    pub name: String,
    /// `cgu=1` at creation is honoured.
    pub cgu_preaccepted: bool,
    /// The partner pays for what its users do through the API.
    pub global_billing: bool,
    /// The default webhook URL, if any.
    #[serde(default)]
    pub webhook: Option<String>,
}

impl std::fmt::Debug for Partner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partner")
            .field("token", &self.token)
            .field("name", &self.name)
            .field("cgu_preaccepted", &self.cgu_preaccepted)
            .field("global_billing", &self.global_billing)
            .finish_non_exhaustive()
    }
}

impl Partner {
    /// An AR24 client for this partner on the API at `base_url`.
    pub fn client(&self, base_url: &str) -> Client {
        Client::new(base_url, &self.token, &self.private_key)
    }
}

/// An email in the mock's outbox.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Email {
    /// Increasing id.
    pub id: u64,
    /// Recipient address.
    pub to: String,
    /// What it asks: `cgu`, `access`, `team`, `payment`, ...
    pub kind: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The link to follow.
    pub link: String,
    /// When it was sent, Paris local time.
    pub sent_at: String,
    /// Token of the partner whose call sent it.
    pub partner: String,
}

/// An account made on AR24's website (`POST /_mock/users`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebsiteAccount {
    /// Its AR24 id.
    pub id: u64,
    /// Its address.
    pub email: String,
}

/// The mock's control plane.
#[derive(Debug, Clone)]
pub struct ControlPlane {
    root: String,
    http: reqwest::Client,
    /// The control token of a locked mock (`--control-token`), sent as `Authorization: Bearer`.
    token: Option<String>,
}

impl ControlPlane {
    /// The control plane at `root`: the mock's address (`http://host:port`),
    /// its control root (`.../_mock/`) or its API base (`.../api/`).
    pub fn new(root: &str) -> Self {
        let trimmed = root.trim_end_matches('/');
        let host = trimmed.strip_suffix("/_mock").or_else(|| trimmed.strip_suffix("/api")).unwrap_or(trimmed);
        Self { root: format!("{}_mock/", with_slash(host)), http: reqwest::Client::new(), token: None }
    }

    /// The same control plane, for a mock locked with `--control-token`: every
    /// request carries `token` (none: as before).
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    /// The control root, ending in `/_mock/`.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The URL of `path` below the control root.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.root, path.trim_start_matches('/'))
    }

    /// Any request below the control root, answered as it came.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        json: Option<&Value>,
    ) -> Result<Reply, ControlError> {
        self.send_to(method, &self.url(path), query, json, false).await
    }

    async fn send_to(
        &self,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, &str)],
        json: Option<&Value>,
        wants_json: bool,
    ) -> Result<Reply, ControlError> {
        self.send_body(method, url, query, json.map(|j| j.to_string().into_bytes()), wants_json).await
    }

    /// A request with a JSON body given as bytes.
    async fn send_body(
        &self,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, &str)],
        json: Option<Vec<u8>>,
        wants_json: bool,
    ) -> Result<Reply, ControlError> {
        let mut request = self.http.request(method, url).query(query);
        if let Some(json) = json {
            request = request.header("content-type", "application/json").body(json);
        }
        if wants_json {
            request = request.header("accept", "application/json");
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let transport = |source| ControlError::Transport { url: url.to_owned(), source };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = response.text().await.map_err(transport)?;
        Ok(Reply { status, content_type, body })
    }

    /// A request that must answer `expected`; answers its JSON.
    async fn expect(
        &self,
        what: &str,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        json: Option<&Value>,
        expected: u16,
    ) -> Result<Value, ControlError> {
        let reply = self.request(method, path, query, json).await?;
        Self::answered(what, reply, expected)
    }

    /// The JSON of `reply`, which must have status `expected`.
    fn answered(what: &str, reply: Reply, expected: u16) -> Result<Value, ControlError> {
        if reply.status != expected {
            return Err(ControlError::Refused { what: what.to_owned(), status: reply.status, body: reply.body });
        }
        serde_json::from_str(&reply.body)
            .map_err(|_| ControlError::Unexpected { what: what.to_owned(), body: reply.body.clone() })
    }

    fn typed<T: serde::de::DeserializeOwned>(what: &str, value: Value) -> Result<T, ControlError> {
        serde_json::from_value(value.clone())
            .map_err(|_| ControlError::Unexpected { what: what.to_owned(), body: value.to_string() })
    }

    /// `GET /_mock/health`: whether the mock is up.
    pub async fn health(&self) -> Result<(), ControlError> {
        self.expect("health", reqwest::Method::GET, "health", &[], None, 200).await.map(drop)
    }

    /// `POST /_mock/reset`: forgets everything but the configured partners.
    pub async fn reset(&self) -> Result<(), ControlError> {
        self.expect("reset", reqwest::Method::POST, "reset", &[], None, 200).await.map(drop)
    }

    /// `POST /_mock/partners/{token}/reset`: forgets what that partner made.
    pub async fn reset_partner(&self, token: &str) -> Result<(), ControlError> {
        let path = format!("partners/{token}/reset");
        self.expect("reset a partner", reqwest::Method::POST, &path, &[], None, 200).await.map(drop)
    }

    /// `POST /_mock/partners`: a new partner.
    pub async fn new_partner(&self, settings: &NewPartner) -> Result<Partner, ControlError> {
        let body = serde_json::to_value(settings).unwrap_or_default();
        let value = self.expect("a new partner", reqwest::Method::POST, "partners", &[], Some(&body), 201).await?;
        Self::typed("a new partner", value)
    }

    /// `GET /_mock/partners/{token}`.
    pub async fn partner(&self, token: &str) -> Result<Partner, ControlError> {
        let path = format!("partners/{token}");
        let value = self.expect("read a partner", reqwest::Method::GET, &path, &[], None, 200).await?;
        Self::typed("read a partner", value)
    }

    /// `PATCH /_mock/partners/{token}` with `changes` (`cgu_preaccepted`, `global_billing`, `name`).
    pub async fn update_partner(&self, token: &str, changes: &Value) -> Result<Partner, ControlError> {
        let path = format!("partners/{token}");
        let value = self.expect("change a partner", reqwest::Method::PATCH, &path, &[], Some(changes), 200).await?;
        Self::typed("change a partner", value)
    }

    /// `POST /_mock/users`: an account signed up on the website, attached to
    /// no partner. `account` holds the create-user fields, plus
    /// `payment_method` and `cgu` as booleans.
    pub async fn website_account(&self, account: &Value) -> Result<WebsiteAccount, ControlError> {
        let value = self.expect("a website account", reqwest::Method::POST, "users", &[], Some(account), 201).await?;
        Self::typed("a website account", value)
    }

    /// `POST /_mock/users/{id}/payment_method`: the holder adds a payment method on the website.
    pub async fn add_payment_method(&self, id: u64) -> Result<Value, ControlError> {
        let path = format!("users/{id}/payment_method");
        self.expect("add a payment method", reqwest::Method::POST, &path, &[], None, 200).await
    }

    /// `POST /_mock/users/{id}/confirm`: the holder confirms the account's address.
    pub async fn confirm_account(&self, id: u64) -> Result<Value, ControlError> {
        let path = format!("users/{id}/confirm");
        self.expect("confirm an account", reqwest::Method::POST, &path, &[], None, 200).await
    }

    /// `GET /_mock/users/{id}/otp`: the user's TOTP secret (`secret`, base32)
    /// and its current code (`code`), which AR24 would send by paper letter.
    pub async fn otp(&self, id: u64) -> Result<Value, ControlError> {
        let path = format!("users/{id}/otp");
        self.expect("read an OTP secret", reqwest::Method::GET, &path, &[], None, 200).await
    }

    /// `GET /_mock/letters`: registered letters (AR24 mail objects), oldest
    /// first, filtered by `token`, `user` and `status`.
    pub async fn letters(&self, filter: &[(&str, &str)]) -> Result<Vec<Value>, ControlError> {
        let value = self.expect("read the letters", reqwest::Method::GET, "letters", filter, None, 200).await?;
        Self::typed("read the letters", value)
    }

    /// `GET /_mock/charges`: every paid action and who paid, filtered by `token` and `user`.
    pub async fn charges(&self, filter: &[(&str, &str)]) -> Result<Vec<Value>, ControlError> {
        let value = self.expect("read the charges", reqwest::Method::GET, "charges", filter, None, 200).await?;
        Self::typed("read the charges", value)
    }

    /// `POST /_mock/letters/{id}/{action}`: what the recipient does (`accept`,
    /// `refuse`) or their mail server (`bounce`); answers the mail object.
    pub async fn act_on_letter(&self, id: u64, action: &str) -> Result<Value, ControlError> {
        let path = format!("letters/{id}/{action}");
        self.expect("act on a letter", reqwest::Method::POST, &path, &[], None, 200).await
    }

    /// `POST /_mock/clock`: moves the business clock forward by `advance`
    /// (seconds, or `"90s"`, `"30m"`, `"2h"`, `"15d"`).
    pub async fn advance_clock(&self, advance: &Value) -> Result<Value, ControlError> {
        let body = serde_json::json!({ "advance": advance });
        self.expect("move the clock", reqwest::Method::POST, "clock", &[], Some(&body), 200).await
    }

    /// `GET /_mock/webhooks`: every webhook delivery, of one letter or all.
    pub async fn webhooks(&self, letter: Option<u64>) -> Result<Vec<Value>, ControlError> {
        let letter = letter.map(|l| l.to_string());
        let query: Vec<(&str, &str)> = letter.as_deref().map(|l| ("letter", l)).into_iter().collect();
        let value = self.expect("read the webhooks", reqwest::Method::GET, "webhooks", &query, None, 200).await?;
        Self::typed("read the webhooks", value)
    }

    /// `POST /_mock/webhooks/{id}/replay`: sends a delivery again now; answers it.
    pub async fn replay_webhook(&self, id: u64) -> Result<Value, ControlError> {
        let path = format!("webhooks/{id}/replay");
        self.expect("replay a webhook", reqwest::Method::POST, &path, &[], None, 200).await
    }

    /// `GET /_mock/emails`: the outbox, oldest first, filtered by recipient and kind.
    pub async fn emails(&self, to: Option<&str>, kind: Option<&str>) -> Result<Vec<Email>, ControlError> {
        let query: Vec<(&str, &str)> =
            [("to", to), ("kind", kind)].into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
        let value = self.expect("read the outbox", reqwest::Method::GET, "emails", &query, None, 200).await?;
        Self::typed("read the outbox", value)
    }

    /// The link of the latest email of `kind` sent to `to`.
    pub async fn latest_link(&self, to: &str, kind: &str) -> Result<String, ControlError> {
        let emails = self.emails(Some(to), Some(kind)).await?;
        emails.last().map(|email| email.link.clone()).ok_or_else(|| ControlError::Unexpected {
            what: format!("the latest {kind} email to {to}"),
            body: "no such email was sent".into(),
        })
    }

    /// Opens an emailed link as a browser would (`GET`): its page.
    pub async fn open_link(&self, link: &str) -> Result<Reply, ControlError> {
        self.send_to(reqwest::Method::GET, link, &[], None, false).await
    }

    /// Clicks the button of an emailed link, asking for JSON: as it came
    /// (200 accepted, 404 unknown, 410 already used).
    pub async fn click_link(&self, link: &str) -> Result<Reply, ControlError> {
        self.send_to(reqwest::Method::POST, link, &[], None, true).await
    }

    /// Clicks the button of an emailed link, which must be accepted.
    pub async fn accept_link(&self, link: &str) -> Result<Value, ControlError> {
        let reply = self.click_link(link).await?;
        if reply.status != 200 {
            return Err(ControlError::Refused {
                what: format!("accept {link}"),
                status: reply.status,
                body: reply.body,
            });
        }
        Ok(reply.json())
    }

    /// Refuses a letter from its emailed link, as its recipient does: identified
    /// by `firstname` and `lastname`. Answers as it came (200 refused, 400
    /// without a name, 404 unknown link, 410 used or settled).
    pub async fn refuse_letter_link(&self, link: &str, firstname: &str, lastname: &str) -> Result<Reply, ControlError> {
        let url = format!("{link}/refuse");
        let transport = |source| ControlError::Transport { url: url.clone(), source };
        let response = self
            .http
            .post(&url)
            .header("accept", "application/json")
            .form(&[("firstname", firstname), ("lastname", lastname)])
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let body = response.text().await.map_err(transport)?;
        Ok(Reply { status, content_type, body })
    }

    /// Accepts the latest email of `kind` sent to `to`.
    pub async fn accept_latest(&self, to: &str, kind: &str) -> Result<Value, ControlError> {
        let link = self.latest_link(to, kind).await?;
        self.accept_link(&link).await
    }

    /// `GET /_mock/requests`: the request journal, optionally of one partner.
    pub async fn requests(&self, token: Option<&str>) -> Result<Vec<Value>, ControlError> {
        let query: Vec<(&str, &str)> = token.map(|t| ("token", t)).into_iter().collect();
        let value = self.expect("read the journal", reqwest::Method::GET, "requests", &query, None, 200).await?;
        Self::typed("read the journal", value)
    }

    /// `GET /_mock/faults`: the fault rules in force.
    pub async fn faults(&self) -> Result<Vec<Value>, ControlError> {
        let value = self.expect("read the faults", reqwest::Method::GET, "faults", &[], None, 200).await?;
        Self::typed("read the faults", value)
    }

    /// `POST /_mock/faults`: adds a fault rule; answers it.
    pub async fn add_fault(&self, rule: &Value) -> Result<Value, ControlError> {
        self.expect("add a fault", reqwest::Method::POST, "faults", &[], Some(rule), 201).await
    }

    /// `DELETE /_mock/faults`: removes every fault rule.
    pub async fn clear_faults(&self) -> Result<(), ControlError> {
        self.expect("clear the faults", reqwest::Method::DELETE, "faults", &[], None, 200).await.map(drop)
    }

    /// `GET /_mock/state`: everything the mock holds, as a fixture.
    pub async fn export_state(&self) -> Result<Value, ControlError> {
        self.expect("export the state", reqwest::Method::GET, "state", &[], None, 200).await
    }

    /// `PUT /_mock/state`: replaces everything with `fixture`.
    pub async fn import_state(&self, fixture: &Value) -> Result<Value, ControlError> {
        self.expect("import a state", reqwest::Method::PUT, "state", &[], Some(fixture), 200).await
    }

    /// `PUT /_mock/state` with a fixture as it is stored (a file of any size,
    /// sent without being parsed here).
    pub async fn import_state_bytes(&self, fixture: Vec<u8>) -> Result<Value, ControlError> {
        let reply = self.send_body(reqwest::Method::PUT, &self.url("state"), &[], Some(fixture), false).await?;
        Self::answered("import a state", reply, 200)
    }

    /// `GET /_mock/mailbox`: the outbox as a person reads it.
    pub async fn mailbox(&self) -> Result<String, ControlError> {
        let reply = self.request(reqwest::Method::GET, "mailbox", &[], None).await?;
        match reply.status {
            200 => Ok(reply.body),
            status => Err(ControlError::Refused { what: "read the mailbox".into(), status, body: reply.body }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_from_any_of_the_mock_urls() {
        for url in
            ["http://h:1", "http://h:1/", "http://h:1/_mock/", "http://h:1/_mock", "http://h:1/api/", "http://h:1/api"]
        {
            assert_eq!(ControlPlane::new(url).root(), "http://h:1/_mock/", "{url}");
        }
        assert_eq!(ControlPlane::new("http://h:1/api/").url("emails"), "http://h:1/_mock/emails");
    }

    #[test]
    fn a_new_partner_sends_only_what_is_set() {
        let body = serde_json::to_value(NewPartner { global_billing: true, ..Default::default() }).unwrap();
        assert_eq!(body, serde_json::json!({"cgu_preaccepted": false, "global_billing": true}));
    }
}
