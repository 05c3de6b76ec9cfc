//! An email address as AR24 accepts it.

use compact_str::CompactString;

use crate::slug::Slug;

/// A syntactically valid email address, trimmed, as the user typed it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(CompactString);

impl EmailAddress {
    /// `missing_email` when blank, `email_wrong_format` when not an address.
    pub fn parse(raw: Option<&str>) -> Result<Self, Slug> {
        let text = raw.map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Err(Slug::MissingEmail);
        }
        // AR24 compares addresses without regard to case; the domain needs a dot
        // because AR24 mails the address from the public internet.
        let has_dotted_domain =
            text.rsplit_once('@').is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
        if has_dotted_domain && email_address::EmailAddress::is_valid(text) {
            Ok(Self(CompactString::from(text)))
        } else {
            Err(Slug::EmailWrongFormat)
        }
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which uniqueness is checked: AR24 ignores case.
    pub fn key(&self) -> String {
        self.0.as_str().to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_trims_them() {
        assert_eq!(
            EmailAddress::parse(Some(" jean.dupont+ar24@example.fr ")).unwrap().as_str(),
            "jean.dupont+ar24@example.fr"
        );
    }

    #[test]
    fn blank_is_missing() {
        assert_eq!(EmailAddress::parse(None), Err(Slug::MissingEmail));
        assert_eq!(EmailAddress::parse(Some("   ")), Err(Slug::MissingEmail));
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "jean",
            "jean@",
            "@example.fr",
            "jean@example",
            "jean dupont@example.fr",
            "jean@@example.fr",
            "jean@example.",
        ] {
            assert_eq!(EmailAddress::parse(Some(bad)), Err(Slug::EmailWrongFormat), "{bad}");
        }
    }

    #[test]
    fn the_key_ignores_case() {
        assert_eq!(EmailAddress::parse(Some("Jean@Example.FR")).unwrap().key(), "jean@example.fr");
    }
}
