//! The partner's AR24 client: it adds `token` and `date`, signs, sends, and
//! reads the answer.

use crate::answer::{Answer, Exchange};
use crate::call::{Call, Encoding, Method, SignatureIn};
use crate::crypto::Keys;
use crate::date::Clock;

/// AR24 could not be reached, or its answer could not be received whole.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach {url}: {source}")]
pub struct TransportError {
    /// The URL called.
    pub url: String,
    /// What failed.
    #[source]
    pub source: reqwest::Error,
}

/// A partner's AR24 client: one token, its private key, one API base URL.
#[derive(Clone)]
pub struct Client {
    base_url: String,
    token: String,
    keys: Keys,
    clock: Clock,
    http: reqwest::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never appears in output.
        f.debug_struct("Client").field("base_url", &self.base_url).field("token", &self.token).finish_non_exhaustive()
    }
}

/// The base URL with exactly one trailing slash.
pub(crate) fn with_slash(url: &str) -> String {
    format!("{}/", url.trim_end_matches('/'))
}

impl Client {
    /// A client of the API at `base_url` (e.g. `https://sandbox.ar24.fr/api/`
    /// or a mock's `http://127.0.0.1:8080/api/`).
    pub fn new(base_url: &str, token: &str, private_key: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            base_url: with_slash(base_url),
            token: token.to_owned(),
            keys: Keys::new(private_key),
            clock: Clock::System,
            http,
        }
    }

    /// The same client reading the time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The same client sending through `http` (to share a connection pool).
    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// The same base URL and HTTP pool, another partner.
    pub fn for_partner(&self, token: &str, private_key: &str) -> Self {
        Self { token: token.to_owned(), keys: Keys::new(private_key), ..self.clone() }
    }

    /// The API base URL, ending in `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The derived keys.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The `signature` for `date`.
    pub fn sign(&self, date: &str) -> String {
        self.keys.sign(date)
    }

    /// A signed GET of `route` with `params`.
    pub async fn get<K: AsRef<str>, V: ToString>(
        &self,
        route: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Answer, TransportError> {
        self.send(&Call::get(route).params(params)).await
    }

    /// A signed, urlencoded POST to `route` with `params`.
    pub async fn post<K: AsRef<str>, V: ToString>(
        &self,
        route: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Answer, TransportError> {
        self.send(&Call::post(route).params(params)).await
    }

    /// Sends `call` and reads the answer.
    pub async fn send(&self, call: &Call) -> Result<Answer, TransportError> {
        Ok(self.exchange(call).await?.answer)
    }

    /// Sends `call`; answers what went over the wire as well as its meaning.
    pub async fn exchange(&self, call: &Call) -> Result<Exchange, TransportError> {
        let signing = &call.signing;
        let date = signing.date.clone().unwrap_or_else(|| self.clock.date());
        let signature = signing.signature.clone().unwrap_or_else(|| self.keys.sign(&date));
        let mut params: Vec<(String, String)> = Vec::with_capacity(call.params.len() + 3);
        if !signing.omit_token {
            params.push(("token".into(), signing.token.clone().unwrap_or_else(|| self.token.clone())));
        }
        if !signing.omit_date {
            params.push(("date".into(), date.clone()));
        }
        if signing.signature_in == SignatureIn::Parameter {
            params.push(("signature".into(), signature.clone()));
        }
        params.extend(call.params.iter().cloned());

        let url = format!("{}{}", self.base_url, call.route);
        let method = reqwest::Method::from_bytes(call.method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = self.http.request(method, &url);
        request = match (call.method, call.encoding) {
            (Method::Get, _) => request.query(&params),
            (_, Encoding::Urlencoded) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&params).unwrap_or_default()),
            (_, Encoding::Multipart) => {
                let mut form = reqwest::multipart::Form::new();
                for (name, value) in params {
                    form = form.text(name, value);
                }
                for file in &call.files {
                    let part = || reqwest::multipart::Part::bytes(file.bytes.clone()).file_name(file.file_name.clone());
                    // A content type reqwest cannot parse is left out rather than failing the call.
                    let typed = file.content_type.as_deref().and_then(|mime| part().mime_str(mime).ok());
                    form = form.part(file.name.clone(), typed.unwrap_or_else(part));
                }
                request.multipart(form)
            }
        };
        if signing.signature_in == SignatureIn::Header {
            request = request.header("signature", signature);
        }
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|source| TransportError { url: url.clone(), source })?;
        let http = response.status().as_u16();
        let body = response.text().await.map_err(|source| TransportError { url, source })?;
        let answer = Answer::read(http, &body, &date, &self.keys);
        Ok(Exchange { date, http, body, answer })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_ends_in_one_slash() {
        for url in ["http://h/api", "http://h/api/", "http://h/api//"] {
            assert_eq!(Client::new(url, "t", "k").base_url(), "http://h/api/");
        }
    }

    #[test]
    fn debug_shows_the_token_not_the_key() {
        let text = format!("{:?}", Client::new("http://h/api/", "the-token", "the-private-key"));
        assert!(text.contains("the-token") && !text.contains("the-private-key"), "{text}");
    }
}
