//! AR24's request signature and response encryption (ar24-protocol.md,
//! "Authentication" and "Response encryption").
//!
//! Both use AES-256-CBC with PKCS#7 padding and standard base64. AR24 derives
//! keys from the *hex text* of SHA-256 digests, not from the raw digest bytes:
//! - signature key = first 32 characters of hex(sha256(private_key));
//! - IV (signature and response) = first 16 characters of hex(sha256(that whole 64-character hex));
//! - response key = first 32 characters of hex(sha256(date + private_key)).

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

type Encryptor = cbc::Encryptor<aes::Aes256>;
type Decryptor = cbc::Decryptor<aes::Aes256>;

/// Lowercase hex of the SHA-256 of `parts`, concatenated.
fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    format!("{:x}", hasher.finalize())
}

fn prefix<const N: usize>(hex: &str) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&hex.as_bytes()[..N]);
    out
}

/// The key material AR24 derives from one partner's private key.
///
/// Computed once per partner: the signature key and the IV depend on nothing else.
#[derive(Clone)]
pub struct PartnerKeys {
    private_key: String,
    signature_key: [u8; 32],
    iv: [u8; 16],
}

impl std::fmt::Debug for PartnerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PartnerKeys(..)")
    }
}

impl PartnerKeys {
    /// Derives the signature key and IV from a private key.
    pub fn new(private_key: &str) -> Self {
        let key_hex = sha256_hex(&[private_key.as_bytes()]);
        let iv_hex = sha256_hex(&[key_hex.as_bytes()]);
        Self { private_key: private_key.to_owned(), signature_key: prefix(&key_hex), iv: prefix(&iv_hex) }
    }

    /// The `signature` header AR24 expects for this `date` string.
    pub fn sign(&self, date: &str) -> String {
        let cipher = Encryptor::new(&self.signature_key.into(), &self.iv.into());
        STANDARD.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(date.as_bytes()))
    }

    /// Whether `signature` is the signature of `date` (surrounding blanks ignored).
    pub fn verify(&self, date: &str, signature: &str) -> bool {
        let Ok(raw) = STANDARD.decode(signature.trim()) else {
            return false;
        };
        let cipher = Decryptor::new(&self.signature_key.into(), &self.iv.into());
        cipher.decrypt_padded_vec_mut::<Pkcs7>(&raw).is_ok_and(|plain| plain == date.as_bytes())
    }

    fn response_key(&self, date: &str) -> [u8; 32] {
        prefix(&sha256_hex(&[date.as_bytes(), self.private_key.as_bytes()]))
    }

    /// Encrypts a success body for a request signed with `date`: bare base64 text.
    pub fn encrypt_response(&self, date: &str, body: &[u8]) -> String {
        let cipher = Encryptor::new(&self.response_key(date).into(), &self.iv.into());
        STANDARD.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(body))
    }

    /// Decrypts what [`PartnerKeys::encrypt_response`] produced; `None` if it is not such a body.
    pub fn decrypt_response(&self, date: &str, body: &str) -> Option<Vec<u8>> {
        let raw = STANDARD.decode(body.trim()).ok()?;
        let cipher = Decryptor::new(&self.response_key(date).into(), &self.iv.into());
        cipher.decrypt_padded_vec_mut::<Pkcs7>(&raw).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "7X9gx9E3Qx4EiUdB63nc";
    const DATE: &str = "2021-05-26 14:00:00";

    #[test]
    fn derives_the_key_and_iv_texts_of_the_official_vector() {
        let keys = PartnerKeys::new(KEY);
        assert_eq!(&keys.signature_key, b"a41fc962645608f492041e736202ca27");
        assert_eq!(&keys.iv, b"18ca5cfff8d04d9b");
        assert_eq!(&keys.response_key(DATE), b"0ff908ad560ccd391a927570b9a4956f");
    }

    #[test]
    fn signs_the_official_vector_byte_for_byte() {
        let keys = PartnerKeys::new(KEY);
        assert_eq!(keys.sign(DATE), "bDop0cbjKpkySlpvnNGvBMg7PuYFFgPPqTTS2RAHoY0=");
        assert!(keys.verify(DATE, "bDop0cbjKpkySlpvnNGvBMg7PuYFFgPPqTTS2RAHoY0="));
    }

    #[test]
    fn rejects_a_signature_of_another_date_key_or_garbage() {
        let keys = PartnerKeys::new(KEY);
        let other_date = keys.sign("2021-05-26 14:00:01");
        assert!(!keys.verify(DATE, &other_date));
        assert!(!PartnerKeys::new("another key").verify(DATE, &keys.sign(DATE)));
        assert!(!keys.verify(DATE, "not base64 at all!"));
        assert!(!keys.verify(DATE, "AAAA"));
    }

    #[test]
    fn decrypts_the_official_response_vector_and_encrypts_it_back() {
        let keys = PartnerKeys::new(KEY);
        let body = "WwBOU6s8DaMWmYdctBJwfuoujFgVygBUjhsbdf8eWqQ=";
        let plain = keys.decrypt_response(DATE, body).expect("vector decrypts");
        // The vector's plaintext is literally this text (not JSON), as AR24 published it.
        assert_eq!(plain, br#"{status: "SUCCESS"}"#);
        assert_eq!(keys.encrypt_response(DATE, &plain), body);
    }
}
