//! What AR24 answered, read as AR24's own clients read it: JSON first (an
//! error or maintenance), else a success body to decrypt.

use serde_json::Value;

use crate::crypto::Keys;

/// One answer of the AR24 API.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `{"status":"SUCCESS","result"?:...}`.
    Success {
        /// The `result`, if there was one.
        result: Option<Value>,
        /// Whether it came encrypted, as AR24 sends it.
        encrypted: bool,
    },
    /// `{"status":"ERROR","message":...,"slug":...}` with HTTP 200.
    Error {
        /// The slug, e.g. `token_invalid`.
        slug: String,
        /// AR24's message.
        message: String,
    },
    /// `{"status":"maintenance"}` with HTTP 200.
    Maintenance,
    /// Anything else, including an AR24-looking envelope on an HTTP status
    /// other than 200: AR24 answers everything with 200.
    Unreadable {
        /// The HTTP status.
        http: u16,
        /// The body, as text.
        body: String,
    },
}

impl Answer {
    /// Reads a body that answered a call dated `date`.
    pub fn read(http: u16, body: &str, date: &str, keys: &Keys) -> Self {
        let unreadable = || Answer::Unreadable { http, body: body.to_owned() };
        if http != 200 {
            return unreadable();
        }
        if let Ok(json) = serde_json::from_str::<Value>(body) {
            return Self::from_envelope(&json, false).unwrap_or_else(unreadable);
        }
        keys.decrypt_response(date, body)
            .and_then(|plain| serde_json::from_slice::<Value>(&plain).ok())
            .and_then(|json| Self::from_envelope(&json, true))
            .unwrap_or_else(unreadable)
    }

    fn from_envelope(json: &Value, encrypted: bool) -> Option<Self> {
        match json.get("status")?.as_str()? {
            "SUCCESS" => Some(Answer::Success { result: json.get("result").cloned(), encrypted }),
            "ERROR" if !encrypted => Some(Answer::Error {
                slug: json.get("slug")?.as_str()?.to_owned(),
                message: json.get("message").and_then(Value::as_str).unwrap_or_default().to_owned(),
            }),
            "maintenance" if !encrypted => Some(Answer::Maintenance),
            _ => None,
        }
    }

    /// `SUCCESS`, the slug of an error, `maintenance`, or a description of
    /// an unreadable answer: one word to compare or print.
    pub fn outcome(&self) -> String {
        match self {
            Answer::Success { .. } => "SUCCESS".into(),
            Answer::Error { slug, .. } => slug.clone(),
            Answer::Maintenance => "maintenance".into(),
            Answer::Unreadable { http, body } => {
                let short: String = body.chars().take(200).collect();
                format!("unreadable answer (HTTP {http}): {short}")
            }
        }
    }

    /// Whether it is a success.
    pub fn is_success(&self) -> bool {
        matches!(self, Answer::Success { .. })
    }

    /// The slug of an error.
    pub fn slug(&self) -> Option<&str> {
        match self {
            Answer::Error { slug, .. } => Some(slug),
            _ => None,
        }
    }

    /// The message of an error.
    pub fn message(&self) -> Option<&str> {
        match self {
            Answer::Error { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The result of a success.
    pub fn result(&self) -> Option<&Value> {
        match self {
            Answer::Success { result, .. } => result.as_ref(),
            _ => None,
        }
    }

    /// The result of a success; any other answer panics with what it was.
    /// For tests, where a failure should say what AR24 answered.
    #[track_caller]
    pub fn expect_success(&self) -> &Value {
        match self {
            Answer::Success { result: Some(result), .. } => result,
            other => panic!("expected SUCCESS with a result, AR24 answered {}", other.outcome()),
        }
    }
}

/// One call as it went over the wire, with its answer: for tests that look
/// at the bytes as well as the meaning.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The `date` the call was signed for.
    pub date: String,
    /// The HTTP status.
    pub http: u16,
    /// The body as received.
    pub body: String,
    /// The body read as AR24's clients read it.
    pub answer: Answer,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const DATE: &str = "2021-05-26 14:00:00";

    fn keys() -> Keys {
        Keys::new("7X9gx9E3Qx4EiUdB63nc")
    }

    #[test]
    fn an_encrypted_success_is_decrypted() {
        let body = keys().encrypt_response(DATE, br#"{"status":"SUCCESS","result":{"id":3}}"#);
        let answer = Answer::read(200, &body, DATE, &keys());
        assert_eq!(answer, Answer::Success { result: Some(json!({"id": 3})), encrypted: true });
    }

    #[test]
    fn a_plain_success_says_it_was_not_encrypted() {
        let answer = Answer::read(200, r#"{"status":"SUCCESS","result":[]}"#, DATE, &keys());
        assert_eq!(answer, Answer::Success { result: Some(json!([])), encrypted: false });
    }

    #[test]
    fn errors_and_maintenance() {
        let error = Answer::read(200, r#"{"status":"ERROR","message":"m","slug":"token_invalid"}"#, DATE, &keys());
        assert_eq!(error, Answer::Error { slug: "token_invalid".into(), message: "m".into() });
        assert_eq!(Answer::read(200, r#"{"status":"maintenance"}"#, DATE, &keys()), Answer::Maintenance);
    }

    #[test]
    fn an_error_envelope_on_another_http_status_is_unreadable() {
        let body = r#"{"status":"ERROR","message":"m","slug":"token_invalid"}"#;
        assert_eq!(Answer::read(400, body, DATE, &keys()), Answer::Unreadable { http: 400, body: body.into() });
    }

    #[test]
    fn anything_else_is_unreadable() {
        let wrong_date = keys().encrypt_response("2021-05-26 14:00:01", br#"{"status":"SUCCESS"}"#);
        for body in ["", "<html>down</html>", r#"{"status":"weird"}"#, r#"{"status":"ERROR"}"#, &wrong_date] {
            assert!(matches!(Answer::read(200, body, DATE, &keys()), Answer::Unreadable { http: 200, .. }), "{body}");
        }
    }
}
