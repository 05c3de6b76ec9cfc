//! Uploaded attachments (ar24-sending.md §1.2–§1.4): what each upload records,
//! and the JSON AR24 answers for it. The bytes are kept apart, once per
//! content (by SHA-1), however often the same file is uploaded.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::letter::Download;

/// One upload, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    /// AR24's `file_id`: a global, increasing integer.
    pub id: u64,
    /// The user it was uploaded for.
    pub user_id: u64,
    /// The token of the partner that uploaded it.
    #[serde(deserialize_with = "crate::store::shared::read_token")]
    pub partner: crate::store::shared::Token,
    /// The name given (`file_name`, else the part's file name).
    pub filename: CompactString,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-1 of the bytes: the key of the stored content.
    pub sha1: String,
    /// Upload time, Paris local time.
    pub upload_date: CompactString,
}

/// An item of `GET user/attachment` and `GET attachment`.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct AttachmentItem {
    pub id_api_attachment: u64,
    pub hash: String,
    pub filesize: u64,
    pub filename: String,
    pub id_user: u64,
    pub upload_date: String,
    pub api_id: String,
}

/// An item of a letter's `attachments_details`.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct AttachmentDetail<'a> {
    pub id: u64,
    pub name: &'a str,
    pub hash_sha1: &'a str,
    pub file_size: u64,
    pub human_file_size: String,
    pub download_url: Download<'a>,
}

/// The answer of `POST attachment` ([ASSUMED] keys beyond `file_id`).
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct Uploaded {
    pub file_id: u64,
    pub filesize: u64,
    pub filename: String,
}

impl Attachment {
    /// The list item ([ASSUMED]: `hash` is the SHA-1; `api_id` an opaque name of the uploading token).
    pub fn item(&self) -> AttachmentItem {
        AttachmentItem {
            id_api_attachment: self.id,
            hash: self.sha1.clone(),
            filesize: self.size,
            filename: self.filename.to_string(),
            id_user: self.user_id,
            upload_date: self.upload_date.to_string(),
            api_id: api_id(&self.partner),
        }
    }

    /// The detail inside a letter; its bytes download from `base`.
    pub fn detail<'a>(&'a self, base: &'a str) -> AttachmentDetail<'a> {
        AttachmentDetail {
            id: self.id,
            name: &self.filename,
            hash_sha1: &self.sha1,
            file_size: self.size,
            human_file_size: human_size(self.size),
            download_url: Download::attachment(base, &self.sha1),
        }
    }

    /// The upload's answer.
    pub fn uploaded(&self) -> Uploaded {
        Uploaded { file_id: self.id, filesize: self.size, filename: self.filename.to_string() }
    }
}

/// An opaque, stable name for a partner token that does not reveal it.
fn api_id(token: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(token.as_bytes()))[..16].to_owned()
}

/// A size as AR24 writes it (`8.5 Mb` for 8 515 845 bytes: decimal units, one decimal).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["b", "Kb", "Mb", "Gb"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} b") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_ar24s_example() {
        assert_eq!(human_size(8_515_845), "8.5 Mb");
        assert_eq!(human_size(999), "999 b");
        assert_eq!(human_size(1_500), "1.5 Kb");
        assert_eq!(human_size(2_000_000_000), "2.0 Gb");
        assert_eq!(human_size(5_000_000_000_000), "5000.0 Gb", "Gb is the largest unit");
    }

    #[test]
    fn the_api_id_names_the_token_without_revealing_it() {
        assert_eq!(api_id("a"), api_id("a"));
        assert_ne!(api_id("a"), api_id("b"));
        assert!(!api_id("secret-token").contains("secret"));
        assert_eq!(api_id("x").len(), 16);
    }
}
