//! A French establishment's SIRET, as far as the mock can check one.
//!
//! AR24 looks the SIRET up in the company registry and answers
//! `error_company_siret` when no company has it. The mock has no registry;
//! it accepts what could be registered ([ASSUMED], README assumptions): 14
//! digits whose Luhn sum is a multiple of 10 (INSEE's check digit), or, for
//! La Poste's establishments (SIREN 356000000), whose digits add up to a
//! multiple of 5 (the one exception INSEE documents).

use crate::slug::Slug;

/// La Poste's SIREN, whose establishments follow another check.
const LA_POSTE_SIREN: &str = "356000000";

/// A SIRET that passes INSEE's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siret(String);

impl Siret {
    /// Checks `raw` (spaces inside are ignored, as people write `732 829 320 00074`).
    pub fn parse(raw: &str) -> Result<Self, Slug> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Slug::ErrorCompanySiret);
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let valid =
            luhn_sum(&values) % 10 == 0 || (digits.starts_with(LA_POSTE_SIREN) && values.iter().sum::<u32>() % 5 == 0);
        if valid { Ok(Self(digits)) } else { Err(Slug::ErrorCompanySiret) }
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Luhn: from the right, every second digit doubled (minus 9 above 9), all added.
fn luhn_sum(digits: &[u32]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_establishments_pass() {
        for siret in ["73282932000074", "44306184100047", "35600000000048", "732 829 320 00074"] {
            assert!(Siret::parse(siret).is_ok(), "{siret}");
        }
        assert_eq!(Siret::parse("732 829 320 00074").unwrap().as_str(), "73282932000074");
    }

    #[test]
    fn a_wrong_check_digit_fails() {
        for siret in ["73282932000075", "73282932000073", "44306184100048", "12345678901234"] {
            assert_eq!(Siret::parse(siret), Err(Slug::ErrorCompanySiret), "{siret}");
        }
    }

    #[test]
    fn only_fourteen_digits_make_a_siret() {
        for siret in
            ["", "7328293200007", "732829320000740", "7328293200007A", "73282932-00074", "７３２８２９３２０００７４"]
        {
            assert_eq!(Siret::parse(siret), Err(Slug::ErrorCompanySiret), "{siret}");
        }
    }

    #[test]
    fn la_poste_establishments_add_up_to_a_multiple_of_five() {
        // Digits adding up to 25, with a Luhn sum of 25: La Poste's rule alone accepts it.
        let digits = |s: &str| s.bytes().map(|b| u32::from(b - b'0')).collect::<Vec<_>>();
        assert_eq!(luhn_sum(&digits("35600000000092")) % 10, 5);
        assert!(Siret::parse("35600000000092").is_ok());
        // Another SIREN whose digits add up to 30 but fail Luhn: the exception is La Poste's alone.
        assert_ne!(luhn_sum(&digits("35600000100000")) % 10, 0);
        assert_eq!(Siret::parse("35600000100000"), Err(Slug::ErrorCompanySiret));
        // La Poste's SIREN with neither rule met.
        assert_eq!(Siret::parse("35600000000049"), Err(Slug::ErrorCompanySiret));
    }
}
