//! Texts that many stored things repeat, kept once: a partner's token is
//! held by each of its accounts, letters, emails, links and charges as one
//! shared copy, not a copy each (a million letters of one partner hold one
//! token). The state file still writes the token in full; reading it back
//! finds the shared copy again.

use std::sync::{Arc, LazyLock};

use dashmap::DashMap;

/// A partner's token, shared.
pub type Token = Arc<str>;

/// The one shared copy of `token`.
pub fn token(token: &str) -> Token {
    static TOKENS: LazyLock<DashMap<Box<str>, Token>> = LazyLock::new(DashMap::new);
    thread_local! {
        // The token looked up last: reading a state file or serving one
        // partner, it is nearly always the same.
        static LAST: std::cell::RefCell<Option<Token>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some(shared) if **shared == *token => Arc::clone(shared),
        _ => {
            let shared = match TOKENS.get(token) {
                Some(shared) => Arc::clone(&shared),
                None => Arc::clone(&TOKENS.entry(token.into()).or_insert_with(|| token.into())),
            };
            *last = Some(Arc::clone(&shared));
            shared
        }
    })
}

/// Reads a token straight into its shared copy (`#[serde(deserialize_with = "…")]`).
pub fn read_token<'de, D: serde::Deserializer<'de>>(reader: D) -> Result<Token, D::Error> {
    reader.deserialize_str(TokenVisitor)
}

/// Reads a token or `null` straight into its shared copy.
pub fn read_optional_token<'de, D: serde::Deserializer<'de>>(reader: D) -> Result<Option<Token>, D::Error> {
    reader.deserialize_option(OptionalToken)
}

struct TokenVisitor;

impl serde::de::Visitor<'_> for TokenVisitor {
    type Value = Token;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a partner token")
    }
    fn visit_str<E>(self, text: &str) -> Result<Token, E> {
        Ok(token(text))
    }
}

struct OptionalToken;

impl<'de> serde::de::Visitor<'de> for OptionalToken {
    type Value = Option<Token>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a partner token or null")
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, reader: D) -> Result<Self::Value, D::Error> {
        read_token(reader).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_token_is_one_copy_however_it_is_reached() {
        let a = token("shared-test-token");
        let b = token(&String::from("shared-test-token"));
        assert!(Arc::ptr_eq(&a, &b));
        let read: Token = read_token(serde_json::Value::from("shared-test-token")).unwrap();
        assert!(Arc::ptr_eq(&a, &read));
        assert!(!Arc::ptr_eq(&a, &token("another-token")));
        let none: Option<Token> = read_optional_token(serde_json::Value::Null).unwrap();
        assert!(none.is_none());
    }
}
