//! AR24's cryptography, seen from the partner's side.
//!
//! Every call carries a `signature` header: base64 of AES-256-CBC (PKCS#7)
//! over the exact `date` string sent. Success bodies come back as one base64
//! string: the same cipher over the JSON envelope, with a key derived from
//! `date + private_key`. All key and IV material is *hex text*, cut to
//! length, never raw digest bytes: this is what AR24's official vectors
//! confirm and what clients most often get wrong.

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut as _, BlockEncryptMut as _, KeyIvInit as _};
use sha2::{Digest as _, Sha256};

/// Lowercase hex of the SHA-256 of `input`: 64 ASCII characters.
fn sha256_hex(input: &[u8]) -> String {
    Sha256::digest(input).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The first `n` bytes of a hex text, as key or IV material.
fn prefix<const N: usize>(hex: &str) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&hex.as_bytes()[..N]);
    out
}

/// A partner's private key with what AR24 derives from it. The key itself
/// never leaves this value: `Debug` does not show it.
#[derive(Clone)]
pub struct Keys {
    private_key: String,
    signing_key: [u8; 32],
    iv: [u8; 16],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// Derives the signing key and IV from `private_key`.
    pub fn new(private_key: &str) -> Self {
        let key_hex = sha256_hex(private_key.as_bytes());
        let iv_hex = sha256_hex(key_hex.as_bytes());
        Self { private_key: private_key.to_owned(), signing_key: prefix(&key_hex), iv: prefix(&iv_hex) }
    }

    /// The `signature` header for a call dated `date`.
    pub fn sign(&self, date: &str) -> String {
        let cipher = cbc::Encryptor::<Aes256>::new(&self.signing_key.into(), &self.iv.into());
        BASE64.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(date.as_bytes()))
    }

    /// The key AR24 encrypts a success answer with, for a call dated `date`.
    fn response_key(&self, date: &str) -> [u8; 32] {
        prefix(&sha256_hex(format!("{date}{}", self.private_key).as_bytes()))
    }

    /// Decrypts a success body of a call dated `date`; `None` if it is not one.
    pub fn decrypt_response(&self, date: &str, body: &str) -> Option<Vec<u8>> {
        let bytes = BASE64.decode(body.trim()).ok()?;
        let cipher = cbc::Decryptor::<Aes256>::new(&self.response_key(date).into(), &self.iv.into());
        cipher.decrypt_padded_vec_mut::<Pkcs7>(&bytes).ok()
    }

    /// Encrypts `plain` as AR24 would answer a call dated `date`: for tests of
    /// code that reads answers, without a server.
    pub fn encrypt_response(&self, date: &str, plain: &[u8]) -> String {
        let cipher = cbc::Encryptor::<Aes256>::new(&self.response_key(date).into(), &self.iv.into());
        BASE64.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(plain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // AR24's official test vectors (ar24-protocol.md).
    const KEY: &str = "7X9gx9E3Qx4EiUdB63nc";
    const DATE: &str = "2021-05-26 14:00:00";

    #[test]
    fn the_official_signature_vector() {
        assert_eq!(Keys::new(KEY).sign(DATE), "bDop0cbjKpkySlpvnNGvBMg7PuYFFgPPqTTS2RAHoY0=");
    }

    #[test]
    fn the_official_key_and_iv_texts() {
        let keys = Keys::new(KEY);
        assert_eq!(&keys.signing_key, b"a41fc962645608f492041e736202ca27");
        assert_eq!(&keys.iv, b"18ca5cfff8d04d9b");
        assert_eq!(&keys.response_key(DATE), b"0ff908ad560ccd391a927570b9a4956f");
    }

    #[test]
    fn the_official_response_vector() {
        let plain = Keys::new(KEY).decrypt_response(DATE, "WwBOU6s8DaMWmYdctBJwfuoujFgVygBUjhsbdf8eWqQ=");
        assert_eq!(plain.as_deref(), Some(&br#"{status: "SUCCESS"}"#[..]));
    }

    #[test]
    fn an_answer_decrypts_only_with_the_date_it_was_made_for() {
        let keys = Keys::new(KEY);
        let body = keys.encrypt_response(DATE, br#"{"status":"SUCCESS"}"#);
        assert_eq!(keys.decrypt_response(DATE, &body).as_deref(), Some(&br#"{"status":"SUCCESS"}"#[..]));
        assert_ne!(
            keys.decrypt_response("2021-05-26 14:00:01", &body).as_deref(),
            Some(&br#"{"status":"SUCCESS"}"#[..])
        );
    }

    #[test]
    fn garbage_is_not_a_response() {
        let keys = Keys::new(KEY);
        for body in ["", "not base64 at all", "AAAA", "<html>"] {
            assert_eq!(keys.decrypt_response(DATE, body), None, "{body}");
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert!(!format!("{:?}", Keys::new(KEY)).contains(KEY));
    }
}
