//! The `user` create form (ar24-protocol.md, "Routes") and its validation.
//!
//! Checks run in this order and the first failure is answered: firstname,
//! lastname, email, gender, statut, address1, zipcode, city, country, SIRET,
//! VAT, then the optional fields ([ASSUMED] order: see the README).

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::{Country, EmailAddress, Siret, flag};
use crate::slug::Slug;

/// The create-user parameters exactly as they travel: every one optional text.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[allow(missing_docs)]
pub struct CreateUserForm {
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub email: Option<String>,
    pub gender: Option<String>,
    pub statut: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub zipcode: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub company: Option<String>,
    pub company_siret: Option<String>,
    pub company_tva: Option<String>,
    pub is_legal_entity: Option<String>,
    pub notif_billing: Option<String>,
    pub billing_email: Option<String>,
    pub confirmed: Option<String>,
    pub cgu: Option<String>,
    /// Accepted and never stored: nothing in the mock signs in.
    pub password: Option<String>,
    pub custom_ref: Option<String>,
    pub notify_ev: Option<String>,
    pub notify_ar: Option<String>,
    pub notify_rf: Option<String>,
    pub notify_ng: Option<String>,
    pub notify_bc: Option<String>,
    pub notify_consent: Option<String>,
    pub notify_eidas_to_valid: Option<String>,
    pub notify_recipient_update: Option<String>,
    pub notify_waiting_ar_answer: Option<String>,
    pub notify_dp: Option<String>,
}

/// `M` or `F`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gender {
    /// Monsieur.
    M,
    /// Madame.
    F,
}

impl Gender {
    fn parse(raw: Option<&str>) -> Result<Self, Slug> {
        match raw.map(str::trim) {
            Some(g) if g.eq_ignore_ascii_case("M") => Ok(Gender::M),
            Some(g) if g.eq_ignore_ascii_case("F") => Ok(Gender::F),
            _ => Err(Slug::ErrorGender),
        }
    }
}

/// What kind of sender the account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Statut {
    /// A private person.
    Particulier,
    /// A business.
    Professionnel,
    /// A public body.
    Administration,
    /// A non-profit.
    Association,
}

impl Statut {
    fn parse(raw: Option<&str>) -> Result<Self, Slug> {
        let text = raw.map(|s| s.trim().to_ascii_lowercase()).unwrap_or_default();
        match text.as_str() {
            "particulier" => Ok(Statut::Particulier),
            "professionnel" => Ok(Statut::Professionnel),
            "administration" => Ok(Statut::Administration),
            "association" => Ok(Statut::Association),
            _ => Err(Slug::ErrorStatut),
        }
    }

    /// Professionals and public bodies need a SIRET (France) or VAT number (EU).
    fn needs_company_ids(self) -> bool {
        matches!(self, Statut::Professionnel | Statut::Administration)
    }
}

/// The `notify_*` preferences, in the order AR24 lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NotifyFlags {
    pub ev: bool,
    pub ar: bool,
    pub rf: bool,
    pub ng: bool,
    pub bc: bool,
    pub consent: bool,
    pub eidas_to_valid: bool,
    pub recipient_update: bool,
    pub waiting_ar_answer: bool,
    pub dp: bool,
}

/// A valid new account: what the create route and the website sign-up both store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NewUser {
    pub firstname: CompactString,
    pub lastname: CompactString,
    pub email: EmailAddress,
    pub gender: Gender,
    pub statut: Statut,
    pub address1: CompactString,
    pub address2: Option<CompactString>,
    pub zipcode: CompactString,
    pub city: CompactString,
    pub country: Country,
    pub company: Option<CompactString>,
    pub company_siret: Option<CompactString>,
    pub company_tva: Option<CompactString>,
    pub is_legal_entity: bool,
    pub notif_billing: bool,
    pub billing_email: Option<EmailAddress>,
    pub confirmed: bool,
    /// What the caller asked for with `cgu=1`; whether it is honoured is the partner's setting.
    pub cgu_requested: bool,
    pub custom_ref: Option<CompactString>,
    pub notify: NotifyFlags,
}

/// A trimmed, non-blank text, or `None`.
fn text(raw: &Option<String>) -> Option<CompactString> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(CompactString::from)
}

fn required(raw: &Option<String>, missing: Slug) -> Result<CompactString, Slug> {
    text(raw).ok_or(missing)
}

/// A `notify_*` flag: on unless the caller sends `0` ([ASSUMED] default).
fn notify(raw: &Option<String>) -> Result<bool, Slug> {
    Ok(flag::parse(raw.as_deref())?.unwrap_or(true))
}

fn off_by_default(raw: &Option<String>) -> Result<bool, Slug> {
    Ok(flag::parse(raw.as_deref())?.unwrap_or(false))
}

impl TryFrom<CreateUserForm> for NewUser {
    type Error = Slug;

    fn try_from(form: CreateUserForm) -> Result<Self, Slug> {
        let firstname = required(&form.firstname, Slug::MissingFirstname)?;
        let lastname = required(&form.lastname, Slug::MissingLastname)?;
        let email = EmailAddress::parse(form.email.as_deref())?;
        let gender = Gender::parse(form.gender.as_deref())?;
        let statut = Statut::parse(form.statut.as_deref())?;
        let address1 = required(&form.address1, Slug::MissingAddress)?;
        let zipcode = required(&form.zipcode, Slug::MissingZipcode)?;
        let city = required(&form.city, Slug::MissingCity)?;
        let country = Country::parse(form.country.as_deref())?;
        let mut company_siret = text(&form.company_siret);
        if statut.needs_company_ids() && country.is_france() {
            let given = company_siret.as_deref().ok_or(Slug::MissingCompanySiret)?;
            company_siret = Some(Siret::parse(given)?.as_str().into());
        }
        let company_tva = text(&form.company_tva);
        if statut.needs_company_ids() && country.is_other_eu_member() && company_tva.is_none() {
            return Err(Slug::MissingCompanyTva);
        }
        let billing_email = match text(&form.billing_email) {
            Some(raw) => Some(EmailAddress::parse(Some(&raw))?),
            None => None,
        };
        Ok(NewUser {
            firstname,
            lastname,
            email,
            gender,
            statut,
            address1,
            address2: text(&form.address2),
            zipcode,
            city,
            country,
            company: text(&form.company),
            company_siret,
            company_tva,
            is_legal_entity: off_by_default(&form.is_legal_entity)?,
            notif_billing: off_by_default(&form.notif_billing)?,
            billing_email,
            confirmed: off_by_default(&form.confirmed)?,
            cgu_requested: off_by_default(&form.cgu)?,
            custom_ref: text(&form.custom_ref),
            notify: NotifyFlags {
                ev: notify(&form.notify_ev)?,
                ar: notify(&form.notify_ar)?,
                rf: notify(&form.notify_rf)?,
                ng: notify(&form.notify_ng)?,
                bc: notify(&form.notify_bc)?,
                consent: notify(&form.notify_consent)?,
                eidas_to_valid: notify(&form.notify_eidas_to_valid)?,
                recipient_update: notify(&form.notify_recipient_update)?,
                waiting_ar_answer: notify(&form.notify_waiting_ar_answer)?,
                dp: notify(&form.notify_dp)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> CreateUserForm {
        let s = |v: &str| Some(v.to_owned());
        CreateUserForm {
            firstname: s("Jean"),
            lastname: s("Dupont"),
            email: s("jean@example.fr"),
            gender: s("M"),
            statut: s("particulier"),
            address1: s("1 rue de la Paix"),
            zipcode: s("75002"),
            city: s("Paris"),
            country: s("FR"),
            ..Default::default()
        }
    }

    fn slug_of(change: impl FnOnce(&mut CreateUserForm)) -> Option<Slug> {
        let mut form = valid();
        change(&mut form);
        NewUser::try_from(form).err()
    }

    #[test]
    fn a_complete_private_person_is_valid_with_notifications_on() {
        let user = NewUser::try_from(valid()).unwrap();
        assert_eq!(user.country.as_str(), "FR");
        assert!(user.notify.ev && user.notify.dp);
        assert!(!user.cgu_requested && !user.confirmed);
    }

    #[test]
    fn each_missing_field_has_its_slug() {
        assert_eq!(slug_of(|f| f.firstname = None), Some(Slug::MissingFirstname));
        assert_eq!(slug_of(|f| f.lastname = Some(" ".into())), Some(Slug::MissingLastname));
        assert_eq!(slug_of(|f| f.email = None), Some(Slug::MissingEmail));
        assert_eq!(slug_of(|f| f.gender = None), Some(Slug::ErrorGender));
        assert_eq!(slug_of(|f| f.statut = None), Some(Slug::ErrorStatut));
        assert_eq!(slug_of(|f| f.address1 = None), Some(Slug::MissingAddress));
        assert_eq!(slug_of(|f| f.zipcode = None), Some(Slug::MissingZipcode));
        assert_eq!(slug_of(|f| f.city = None), Some(Slug::MissingCity));
        assert_eq!(slug_of(|f| f.country = None), Some(Slug::MissingCountry));
    }

    #[test]
    fn invalid_values_have_their_slug() {
        assert_eq!(slug_of(|f| f.email = Some("jean".into())), Some(Slug::EmailWrongFormat));
        assert_eq!(slug_of(|f| f.gender = Some("X".into())), Some(Slug::ErrorGender));
        assert_eq!(slug_of(|f| f.statut = Some("entreprise".into())), Some(Slug::ErrorStatut));
        assert_eq!(slug_of(|f| f.country = Some("ZZ".into())), Some(Slug::ErrorCountry));
        assert_eq!(slug_of(|f| f.confirmed = Some("yes".into())), Some(Slug::InvalidFlag));
        assert_eq!(slug_of(|f| f.notify_dp = Some("2".into())), Some(Slug::InvalidFlag));
        assert_eq!(slug_of(|f| f.billing_email = Some("nope".into())), Some(Slug::EmailWrongFormat));
    }

    #[test]
    fn the_first_failure_in_ar24_order_wins() {
        assert_eq!(
            slug_of(|f| {
                f.city = None;
                f.firstname = None
            }),
            Some(Slug::MissingFirstname)
        );
        assert_eq!(
            slug_of(|f| {
                f.country = None;
                f.email = Some("x".into())
            }),
            Some(Slug::EmailWrongFormat)
        );
    }

    #[test]
    fn siret_is_required_for_french_professionals_and_administrations_only() {
        for statut in ["professionnel", "administration"] {
            assert_eq!(slug_of(|f| f.statut = Some(statut.into())), Some(Slug::MissingCompanySiret));
            assert_eq!(
                slug_of(|f| {
                    f.statut = Some(statut.into());
                    f.company_siret = Some("73282932000074".into())
                }),
                None
            );
        }
        assert_eq!(slug_of(|f| f.statut = Some("association".into())), None);
    }

    #[test]
    fn a_french_professional_siret_must_pass_insee_check() {
        let with_siret = |siret: &str| {
            let siret = siret.to_owned();
            slug_of(move |f| {
                f.statut = Some("professionnel".into());
                f.company_siret = Some(siret);
            })
        };
        assert_eq!(with_siret("73282932000075"), Some(Slug::ErrorCompanySiret));
        assert_eq!(with_siret("7328293200007"), Some(Slug::ErrorCompanySiret));
        assert_eq!(with_siret("44306184100047"), None);
        // Elsewhere than France, or for a private person, a SIRET is not checked.
        assert_eq!(slug_of(|f| f.company_siret = Some("123".into())), None);
    }

    #[test]
    fn vat_is_required_for_other_eu_professionals_only() {
        let pro_in = |country: &'static str| {
            move |f: &mut CreateUserForm| {
                f.statut = Some("professionnel".into());
                f.country = Some(country.into());
            }
        };
        assert_eq!(slug_of(pro_in("DE")), Some(Slug::MissingCompanyTva));
        assert_eq!(
            slug_of(|f| {
                pro_in("BE")(f);
                f.company_tva = Some("BE0123456789".into())
            }),
            None
        );
        assert_eq!(slug_of(pro_in("CH")), None);
        assert_eq!(slug_of(|f| f.country = Some("DE".into())), None);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Anything a client might send for a field: nothing, blanks, valid and invalid values, any text.
        fn field() -> impl Strategy<Value = Option<String>> {
            prop_oneof![
                Just(None),
                Just(Some(String::new())),
                Just(Some("  ".to_owned())),
                prop::sample::select(vec![
                    "M",
                    "F",
                    "x",
                    "FR",
                    "DE",
                    "ZZ",
                    "particulier",
                    "professionnel",
                    "0",
                    "1",
                    "a@b.fr"
                ])
                .prop_map(|s| Some(s.to_owned())),
                any::<String>().prop_map(Some),
            ]
        }

        prop_compose! {
            fn any_form()(f in prop::collection::vec(field(), 30)) -> CreateUserForm {
                let mut it = f.into_iter();
                let mut next = || it.next().flatten();
                CreateUserForm {
                    firstname: next(), lastname: next(), email: next(), gender: next(), statut: next(), address1: next(),
                    address2: next(), zipcode: next(), city: next(), country: next(), company: next(),
                    company_siret: next(), company_tva: next(), is_legal_entity: next(), notif_billing: next(),
                    billing_email: next(), confirmed: next(), cgu: next(), password: next(), custom_ref: next(),
                    notify_ev: next(), notify_ar: next(), notify_rf: next(), notify_ng: next(), notify_bc: next(),
                    notify_consent: next(), notify_eidas_to_valid: next(), notify_recipient_update: next(),
                    notify_waiting_ar_answer: next(), notify_dp: next(),
                }
            }
        }

        proptest! {
            #[test]
            fn validation_never_panics_and_answers_a_create_user_slug_or_a_complete_user(form in any_form()) {
                match NewUser::try_from(form) {
                    Ok(user) => {
                        prop_assert!(!user.firstname.is_empty() && !user.lastname.is_empty());
                        prop_assert!(!user.address1.is_empty() && !user.zipcode.is_empty() && !user.city.is_empty());
                        prop_assert_eq!(user.firstname.trim(), user.firstname.as_str());
                    }
                    Err(slug) => prop_assert!(matches!(slug,
                        Slug::MissingFirstname | Slug::MissingLastname | Slug::MissingEmail | Slug::EmailWrongFormat
                        | Slug::ErrorGender | Slug::ErrorStatut | Slug::MissingAddress | Slug::MissingZipcode
                        | Slug::MissingCity | Slug::MissingCountry | Slug::ErrorCountry | Slug::MissingCompanySiret
                        | Slug::ErrorCompanySiret                         | Slug::MissingCompanyTva | Slug::InvalidFlag), "unexpected {slug:?}"),
                }
            }

            #[test]
            fn emails_flags_and_dates_never_panic(text in any::<String>()) {
                if let Ok(email) = crate::domain::EmailAddress::parse(Some(&text)) {
                    prop_assert!(email.as_str().contains('@'));
                    prop_assert_eq!(email.key(), email.as_str().to_lowercase());
                }
                let _ = crate::domain::flag::parse(Some(&text));
                let _ = crate::protocol::date::parse_paris(&text);
                let _ = crate::domain::parse_id(Some(&text), Slug::MissingUserId);
            }
        }
    }
}
