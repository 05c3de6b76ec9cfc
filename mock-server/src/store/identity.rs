//! eIDAS authentication (ar24-sending.md §5): a TOTP secret per user (RFC 6238:
//! SHA-1, 6 digits, 30 s, one step either way), codes that work once, and the
//! one-hour hash of `user/auth_otp`. Not kept in the state file: a restart
//! forgets used codes and open hashes; resets forget them too.
//!
//! Lock order: `used` and `sessions` are never held together.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use dashmap::DashMap;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds a code lasts.
const STEP: u64 = 30;
/// How long an `auth_otp` hash works.
pub const HASH_LIFETIME_SECS: i64 = 3600;

/// A new random 160-bit secret (RFC 4226's recommended length), base32 as
/// authenticator apps read it.
pub fn new_secret() -> String {
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(&uuid::Uuid::new_v4().as_bytes()[..4]);
    Secret::Raw(bytes).to_encoded().to_string()
}

fn totp(secret: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, STEP, bytes).into()
}

/// The code of `secret` at `unix_secs`.
pub fn code_at(secret: &str, unix_secs: u64) -> Option<String> {
    totp(secret).map(|t| t.generate(unix_secs))
}

/// A valid `user/auth_otp` hash.
#[derive(Debug, Clone)]
pub struct OtpSession {
    /// The user it authenticates.
    pub user_id: u64,
    /// The partner that asked for it.
    pub token: String,
    /// When it stops working.
    pub expires: DateTime<Utc>,
}

/// Used codes and live hashes.
#[derive(Debug, Default)]
pub struct Otp {
    /// Per user, the codes already used with the step they were used in.
    used: Mutex<HashMap<u64, Vec<(String, u64)>>>,
    sessions: DashMap<String, OtpSession>,
}

impl Otp {
    /// Whether `code` is `secret`'s code within a step of `unix_secs` and was not
    /// used before by this user; a valid code is used up.
    pub fn check_code(&self, user_id: u64, secret: &str, code: &str, unix_secs: u64) -> bool {
        let Some(totp) = totp(secret) else { return false };
        let code = code.trim();
        if !totp.check(code, unix_secs) {
            return false;
        }
        let step = unix_secs / STEP;
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        let codes = used.entry(user_id).or_default();
        // Only codes of the last steps can come back.
        codes.retain(|(_, at)| at + 3 > step);
        if codes.iter().any(|(c, _)| c == code) {
            return false;
        }
        codes.push((code.to_owned(), step));
        true
    }

    /// A new hash for `user_id`, valid an hour from `now`.
    pub fn open_session(&self, user_id: u64, token: &str, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let hash = format!("{}{}", uuid::Uuid::new_v4().simple(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let expires = now + TimeDelta::seconds(HASH_LIFETIME_SECS);
        self.sessions.insert(hash.clone(), OtpSession { user_id, token: token.to_owned(), expires });
        (hash, expires)
    }

    /// Whether `hash` authenticates `user_id` for `token` at `now`.
    pub fn check_hash(&self, hash: &str, user_id: u64, token: &str, now: DateTime<Utc>) -> bool {
        self.sessions.get(hash.trim()).is_some_and(|s| s.user_id == user_id && s.token == token && now < s.expires)
    }

    /// Forgets every code and hash.
    pub fn clear(&self) {
        self.used.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.sessions.clear();
    }

    /// Forgets the hashes one partner opened.
    pub fn forget_partner(&self, token: &str) {
        self.sessions.retain(|_, s| s.token != token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vector_for_sha1() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s -> 94287082 (8 digits); 6 digits: 287082.
        let secret = totp_rs::Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        assert_eq!(code_at(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(code_at(&secret, 1_111_111_109).as_deref(), Some("081804"));
    }

    #[test]
    fn a_code_works_one_step_either_way_and_only_once() {
        let otp = Otp::default();
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        assert!(!otp.check_code(1, &secret, &code, now + 2 * STEP), "two steps later");
        assert!(otp.check_code(1, &secret, &code, now + STEP), "one step later");
        assert!(!otp.check_code(1, &secret, &code, now), "used");
        let previous = code_at(&secret, now - STEP).unwrap();
        assert!(otp.check_code(2, &secret, &previous, now), "another user, the step before");
        assert!(!otp.check_code(1, &secret, "000000x", now));
    }

    #[test]
    fn used_codes_are_kept_only_while_they_could_come_back() {
        let otp = Otp::default();
        let secret = new_secret();
        let now = 1_800_000_000;
        assert!(otp.check_code(1, &secret, &code_at(&secret, now).unwrap(), now));
        let later = now + 10 * STEP;
        assert!(otp.check_code(1, &secret, &code_at(&secret, later).unwrap(), later));
        let kept = otp.used.lock().unwrap().get(&1).map(Vec::len);
        assert_eq!(kept, Some(1), "the code of ten steps ago is forgotten");
    }

    #[test]
    fn a_hash_works_for_its_user_and_partner_for_an_hour() {
        let otp = Otp::default();
        let now = Utc::now();
        let (hash, expires) = otp.open_session(7, "t", now);
        assert_eq!(hash.len(), 40);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(expires - now, TimeDelta::hours(1));
        assert!(otp.check_hash(&hash, 7, "t", now + TimeDelta::seconds(3599)));
        assert!(!otp.check_hash(&hash, 7, "t", now + TimeDelta::seconds(3600)));
        assert!(!otp.check_hash(&hash, 8, "t", now));
        assert!(!otp.check_hash(&hash, 7, "u", now));
        otp.forget_partner("t");
        assert!(!otp.check_hash(&hash, 7, "t", now));
    }
}
