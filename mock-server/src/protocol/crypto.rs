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
    hex::encode(hasher.finalize())
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
        // base64-simd: the scalar encoder was a twelfth of a send's instructions.
        base64_simd::STANDARD.encode_to_string(cipher.encrypt_padded_vec_mut::<Pkcs7>(body))
    }

    /// Decrypts what [`PartnerKeys::encrypt_response`] produced; `None` if it is not such a body.
    pub fn decrypt_response(&self, date: &str, body: &str) -> Option<Vec<u8>> {
        let raw = STANDARD.decode(body.trim()).ok()?;
        let cipher = Decryptor::new(&self.response_key(date).into(), &self.iv.into());
        cipher.decrypt_padded_vec_mut::<Pkcs7>(&raw).ok()
    }
}

/// What a signature that does not verify turns out to be, read with one
/// partner's private key: the usual ways of getting AR24's derivation wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureReading {
    /// Right key and IV, but made for another date.
    OtherDate(String),
    /// Right key and IV, over something that is not a date.
    NotADate,
    /// The IV taken from sha256(date + private key), as AR24's documentation said before 2023.
    IvFromDateAndKey,
    /// The raw private key used as the AES key, instead of the hex SHA-256 prefix.
    RawPrivateKey,
    /// The key's hash (its first 16 hex characters) used as the IV.
    KeyHashAsIv,
    /// The right signature, written in hex instead of base64.
    HexInsteadOfBase64,
    /// Nothing this key explains.
    Unexplained,
}

fn decrypt(key: &[u8; 32], iv: &[u8; 16], raw: &[u8]) -> Option<Vec<u8>> {
    Decryptor::new(key.into(), iv.into()).decrypt_padded_vec_mut::<Pkcs7>(raw).ok()
}

/// Whether `text` reads as an AR24 date (`YYYY-MM-DD HH:mm:ss`).
fn looks_like_a_date(text: &[u8]) -> bool {
    text.len() == 19
        && text.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b' ',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        })
}

impl PartnerKeys {
    /// Reads a signature that does not verify for `date`, trying the usual
    /// mistakes with this partner's key. Never reveals the key.
    pub fn read_signature(&self, date: &str, signature: &str) -> SignatureReading {
        let signature = signature.trim();
        // Hex digits are base64 letters too: try hex first.
        let hex_bytes = hex::decode(signature).ok();
        if hex_bytes.and_then(|raw| decrypt(&self.signature_key, &self.iv, &raw)).is_some_and(|p| p == date.as_bytes())
        {
            return SignatureReading::HexInsteadOfBase64;
        }
        let Ok(raw) = STANDARD.decode(signature) else {
            return SignatureReading::Unexplained;
        };
        let wanted = date.as_bytes();
        let old_iv: [u8; 16] = prefix(&sha256_hex(&[date.as_bytes(), self.private_key.as_bytes()]));
        let key_hash_iv: [u8; 16] = prefix(&sha256_hex(&[self.private_key.as_bytes()]));
        let mut raw_key = [0u8; 32];
        let given = self.private_key.as_bytes();
        raw_key[..given.len().min(32)].copy_from_slice(&given[..given.len().min(32)]);
        let variants = [
            (self.signature_key, old_iv, SignatureReading::IvFromDateAndKey),
            (raw_key, self.iv, SignatureReading::RawPrivateKey),
            (self.signature_key, key_hash_iv, SignatureReading::KeyHashAsIv),
        ];
        for (key, iv, reading) in variants {
            if decrypt(&key, &iv, &raw).is_some_and(|plain| plain == wanted) {
                return reading;
            }
        }
        match decrypt(&self.signature_key, &self.iv, &raw) {
            Some(plain) if looks_like_a_date(&plain) => {
                SignatureReading::OtherDate(String::from_utf8_lossy(&plain).into_owned())
            }
            Some(_) => SignatureReading::NotADate,
            None => SignatureReading::Unexplained,
        }
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

    /// Signs `text` with this key and IV, the way a client that got the derivation wrong would.
    fn sign_with(key: &[u8; 32], iv: &[u8; 16], text: &str) -> Vec<u8> {
        Encryptor::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(text.as_bytes())
    }

    #[test]
    fn the_keys_never_show_in_debug_output() {
        let shown = format!("{:?}", PartnerKeys::new(KEY));
        assert_eq!(shown, "PartnerKeys(..)");
        assert!(!shown.contains(KEY));
    }

    #[test]
    fn each_usual_derivation_mistake_is_recognised() {
        let keys = PartnerKeys::new(KEY);
        let read = |signature: String| keys.read_signature(DATE, &signature);
        let old_iv: [u8; 16] = prefix(&sha256_hex(&[DATE.as_bytes(), KEY.as_bytes()]));
        assert_eq!(
            read(STANDARD.encode(sign_with(&keys.signature_key, &old_iv, DATE))),
            SignatureReading::IvFromDateAndKey
        );
        let mut raw_key = [0u8; 32];
        raw_key[..KEY.len()].copy_from_slice(KEY.as_bytes());
        assert_eq!(read(STANDARD.encode(sign_with(&raw_key, &keys.iv, DATE))), SignatureReading::RawPrivateKey);
        let key_hash_iv: [u8; 16] = prefix(&sha256_hex(&[KEY.as_bytes()]));
        assert_eq!(
            read(STANDARD.encode(sign_with(&keys.signature_key, &key_hash_iv, DATE))),
            SignatureReading::KeyHashAsIv
        );
        let hex = hex::encode(STANDARD.decode(keys.sign(DATE)).unwrap());
        assert_eq!(read(hex.clone()), SignatureReading::HexInsteadOfBase64);
        assert_eq!(read(keys.sign("2021-05-26 13:00:00")), SignatureReading::OtherDate("2021-05-26 13:00:00".into()));
        assert_eq!(read(keys.sign("ar24-token-text")), SignatureReading::NotADate);
        assert_eq!(read(keys.sign("nineteen characters")), SignatureReading::NotADate, "a date's length only");
        assert_eq!(read(keys.sign("2021-05-26T13:00:00")), SignatureReading::NotADate, "a date's digits only");
        assert_ne!(read(format!("{hex}0")), SignatureReading::HexInsteadOfBase64);
        assert_eq!(read(PartnerKeys::new("another key").sign(DATE)), SignatureReading::Unexplained);
        assert_eq!(read("%%%".into()), SignatureReading::Unexplained);
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

    #[test]
    fn an_answer_of_any_length_is_the_standard_base64_of_its_ciphertext() {
        let keys = PartnerKeys::new(KEY);
        let key = keys.response_key(DATE);
        for len in 0..700 {
            let body: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let sealed = keys.encrypt_response(DATE, &body);
            let ciphertext = Encryptor::new(&key.into(), &keys.iv.into()).encrypt_padded_vec_mut::<Pkcs7>(&body);
            assert_eq!(sealed, STANDARD.encode(&ciphertext), "a body of {len} bytes");
            assert_eq!(keys.decrypt_response(DATE, &sealed), Some(body));
        }
    }
}
