//! A country as AR24 takes it: an ISO 3166-1 alpha-2 code.

use isocountry::CountryCode;

use crate::slug::Slug;

/// The member states of the European Union, whose professional users need a VAT number.
const EU_MEMBERS: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// An assigned ISO 3166-1 alpha-2 code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Country(String);

impl Country {
    /// `missing_country` when blank, `error_country` when not an assigned code.
    pub fn parse(raw: Option<&str>) -> Result<Self, Slug> {
        let text = raw.map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Err(Slug::MissingCountry);
        }
        let code = text.to_ascii_uppercase();
        match CountryCode::for_alpha2(&code) {
            Ok(_) => Ok(Self(code)),
            Err(_) => Err(Slug::ErrorCountry),
        }
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// France, where professional users need a SIRET.
    pub fn is_france(&self) -> bool {
        self.0 == "FR"
    }

    /// Another EU member state, where professional users need a VAT number.
    pub fn is_other_eu_member(&self) -> bool {
        !self.is_france() && EU_MEMBERS.contains(&self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_assigned_codes_in_any_case() {
        assert_eq!(Country::parse(Some("fr")).unwrap().as_str(), "FR");
        assert_eq!(Country::parse(Some("BE")).unwrap().as_str(), "BE");
        assert_eq!(Country::parse(Some("JP")).unwrap().as_str(), "JP");
    }

    #[test]
    fn rejects_unassigned_codes_names_and_alpha3() {
        for bad in ["XX", "FRA", "France", "F", "EU", "UK"] {
            assert_eq!(Country::parse(Some(bad)), Err(Slug::ErrorCountry), "{bad}");
        }
        assert_eq!(Country::parse(Some(" ")), Err(Slug::MissingCountry));
    }

    #[test]
    fn knows_france_and_the_other_eu_members() {
        let c = |code| Country::parse(Some(code)).unwrap();
        assert!(c("FR").is_france());
        assert!(!c("FR").is_other_eu_member());
        assert!(c("DE").is_other_eu_member());
        assert!(c("GR").is_other_eu_member());
        assert!(!c("CH").is_other_eu_member());
        assert!(!c("GB").is_other_eu_member());
    }
}
