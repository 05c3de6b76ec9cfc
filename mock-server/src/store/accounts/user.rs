//! The one user model, and the JSON view AR24 answers for it
//! (ar24-protocol.md, "User object fields").

use std::sync::Arc;

use compact_str::CompactString;

use serde::Serialize;
use serde::ser::SerializeTuple;

use crate::domain::{Gender, NewUser, NotifyFlags, Statut};

/// An AR24 account as the mock stores it (and as the state file keeps it).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct User {
    /// AR24's integer id, never reused.
    pub id: u64,
    /// What was given at sign-up.
    pub profile: NewUser,
    /// Sign-up time, Paris local time, AR24 format.
    pub creation: CompactString,
    /// Whether the user accepted AR24's terms.
    pub cgu: bool,
    /// Whether a CGU request email was sent.
    pub notif_cgu: bool,
    /// Whether the user registered a payment method of their own.
    pub payment_method: bool,
    /// The team administrator whose payment method this user may use.
    pub team_master: Option<u64>,
    /// The partner token that created the account (`None`: signed up on the website),
    /// one copy shared by all the accounts a partner created, even as they are read.
    #[serde(default, deserialize_with = "crate::store::shared::read_optional_token")]
    pub created_by: Option<Arc<str>>,
    /// Whether the identity was checked (an OTP key ordered through `user/identity` or `user/verify`).
    #[serde(default)]
    pub identity_verified: bool,
    /// The TOTP secret (base32) of eIDAS sends, once ordered.
    #[serde(default)]
    pub otp_secret: Option<CompactString>,
}

/// A user as a row: its fields as one JSON array, in the order `User` declares
/// them, the profile and its flags as arrays too. The state log writes users
/// this way, a third of the size of the named form; the derived `Deserialize`
/// reads either form.
pub struct UserRow<'a>(pub &'a User);

impl Serialize for UserRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Named in full: a field added to `User` must be added here.
        let User {
            id,
            profile,
            creation,
            cgu,
            notif_cgu,
            payment_method,
            team_master,
            created_by,
            identity_verified,
            otp_secret,
        } = self.0;
        let profile = ProfileRow(profile);
        (id, profile, creation, cgu, notif_cgu, payment_method, team_master, created_by, identity_verified, otp_secret)
            .serialize(serializer)
    }
}

/// The profile in a [`UserRow`], in the order `NewUser` declares its fields.
struct ProfileRow<'a>(&'a NewUser);

impl Serialize for ProfileRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let NewUser {
            firstname,
            lastname,
            email,
            gender,
            statut,
            address1,
            address2,
            zipcode,
            city,
            country,
            company,
            company_siret,
            company_tva,
            is_legal_entity,
            notif_billing,
            billing_email,
            confirmed,
            cgu_requested,
            custom_ref,
            notify,
        } = self.0;
        let NotifyFlags { ev, ar, rf, ng, bc, consent, eidas_to_valid, recipient_update, waiting_ar_answer, dp } =
            *notify;
        let mut row = serializer.serialize_tuple(20)?;
        row.serialize_element(firstname)?;
        row.serialize_element(lastname)?;
        row.serialize_element(email)?;
        row.serialize_element(gender)?;
        row.serialize_element(statut)?;
        row.serialize_element(address1)?;
        row.serialize_element(address2)?;
        row.serialize_element(zipcode)?;
        row.serialize_element(city)?;
        row.serialize_element(country)?;
        row.serialize_element(company)?;
        row.serialize_element(company_siret)?;
        row.serialize_element(company_tva)?;
        row.serialize_element(is_legal_entity)?;
        row.serialize_element(notif_billing)?;
        row.serialize_element(billing_email)?;
        row.serialize_element(confirmed)?;
        row.serialize_element(cgu_requested)?;
        row.serialize_element(custom_ref)?;
        row.serialize_element(&[ev, ar, rf, ng, bc, consent, eidas_to_valid, recipient_update, waiting_ar_answer, dp])?;
        row.end()
    }
}

/// Every field of AR24's user object, in the order ar24-protocol.md lists them.
pub const USER_FIELDS: [&str; 40] = [
    "id",
    "firstname",
    "lastname",
    "name",
    "email",
    "gender",
    "statut",
    "company",
    "company_siret",
    "company_tva",
    "company_activity",
    "country",
    "address1",
    "address2",
    "zipcode",
    "city",
    "notif_billing",
    "billing_email",
    "billing_tva",
    "confirmed",
    "cgu",
    "notify_ev",
    "notify_ar",
    "notify_rf",
    "notify_ng",
    "notify_bc",
    "notify_consent",
    "notify_eidas_to_valid",
    "notify_recipient_update",
    "notify_waiting_ar_answer",
    "notify_dp",
    "is_legal_entity",
    "custom_ref",
    "c_phone",
    "c_mobile",
    "payment_active",
    "is_payment_possible",
    "creation",
    "notif_cgu",
    "notif_profil_uncomplete",
];

/// The user object of AR24's answers: every field listed in ar24-protocol.md.
///
/// [ASSUMED] types: flags as integers `0`/`1` (as they are sent), the two payment
/// fields as booleans, absent optional texts as `null`.
#[derive(Debug, Clone, Serialize)]
#[allow(missing_docs)]
pub struct UserView<'a> {
    pub id: u64,
    pub firstname: &'a str,
    pub lastname: &'a str,
    pub name: String,
    pub email: &'a str,
    pub gender: Gender,
    pub statut: Statut,
    pub company: Option<&'a str>,
    pub company_siret: Option<&'a str>,
    pub company_tva: Option<&'a str>,
    pub company_activity: Option<&'a str>,
    pub country: &'a str,
    pub address1: &'a str,
    pub address2: Option<&'a str>,
    pub zipcode: &'a str,
    pub city: &'a str,
    pub notif_billing: u8,
    pub billing_email: Option<&'a str>,
    pub billing_tva: Option<&'a str>,
    pub confirmed: u8,
    pub cgu: u8,
    pub notify_ev: u8,
    pub notify_ar: u8,
    pub notify_rf: u8,
    pub notify_ng: u8,
    pub notify_bc: u8,
    pub notify_consent: u8,
    pub notify_eidas_to_valid: u8,
    pub notify_recipient_update: u8,
    pub notify_waiting_ar_answer: u8,
    pub notify_dp: u8,
    pub is_legal_entity: u8,
    pub custom_ref: Option<&'a str>,
    pub c_phone: Option<&'a str>,
    pub c_mobile: Option<&'a str>,
    pub payment_active: bool,
    pub is_payment_possible: bool,
    pub creation: &'a str,
    pub notif_cgu: u8,
    pub notif_profil_uncomplete: u8,
    /// Present, as 1, only once the identity is verified (ar24-sending.md §1.9).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_identity_verified: Option<u8>,
}

impl User {
    /// The answer for one partner: `payment_possible` depends on who asks
    /// (global billing is a partner setting), so the caller computes it.
    pub fn view(&self, payment_possible: bool) -> UserView<'_> {
        let p = &self.profile;
        let n = p.notify;
        UserView {
            id: self.id,
            firstname: &p.firstname,
            lastname: &p.lastname,
            name: format!("{} {}", p.firstname, p.lastname),
            email: p.email.as_str(),
            gender: p.gender,
            statut: p.statut,
            company: p.company.as_deref(),
            company_siret: p.company_siret.as_deref(),
            company_tva: p.company_tva.as_deref(),
            company_activity: None,
            country: p.country.as_str(),
            address1: &p.address1,
            address2: p.address2.as_deref(),
            zipcode: &p.zipcode,
            city: &p.city,
            notif_billing: p.notif_billing.into(),
            billing_email: p.billing_email.as_ref().map(|e| e.as_str()),
            billing_tva: None,
            confirmed: p.confirmed.into(),
            cgu: self.cgu.into(),
            notify_ev: n.ev.into(),
            notify_ar: n.ar.into(),
            notify_rf: n.rf.into(),
            notify_ng: n.ng.into(),
            notify_bc: n.bc.into(),
            notify_consent: n.consent.into(),
            notify_eidas_to_valid: n.eidas_to_valid.into(),
            notify_recipient_update: n.recipient_update.into(),
            notify_waiting_ar_answer: n.waiting_ar_answer.into(),
            notify_dp: n.dp.into(),
            is_legal_entity: p.is_legal_entity.into(),
            custom_ref: p.custom_ref.as_deref(),
            c_phone: None,
            c_mobile: None,
            payment_active: self.payment_method,
            is_payment_possible: payment_possible,
            creation: &self.creation,
            notif_cgu: self.notif_cgu.into(),
            notif_profil_uncomplete: 0,
            is_identity_verified: self.identity_verified.then_some(1),
        }
    }
}

/// A user as one partner is answered it: serialized straight from the stored
/// user, without copying it.
#[derive(Debug, Clone)]
pub struct UserAnswer {
    /// The stored user.
    pub user: Arc<User>,
    /// Whether the asking partner sees it able to pay.
    pub payment_possible: bool,
}

impl Serialize for UserAnswer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.user.view(self.payment_possible).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CreateUserForm, NewUser};

    #[test]
    fn the_view_has_exactly_the_documented_fields_in_order() {
        let form = CreateUserForm {
            firstname: Some("Jean".into()),
            lastname: Some("Dupont".into()),
            email: Some("jean@example.fr".into()),
            gender: Some("M".into()),
            statut: Some("particulier".into()),
            address1: Some("1 rue".into()),
            zipcode: Some("75001".into()),
            city: Some("Paris".into()),
            country: Some("FR".into()),
            ..Default::default()
        };
        let user = User {
            id: 1,
            profile: NewUser::try_from(form).unwrap(),
            creation: "2021-05-26 14:00:00".into(),
            cgu: false,
            notif_cgu: false,
            payment_method: false,
            team_master: None,
            created_by: None,
            identity_verified: false,
            otp_secret: None,
        };
        let json = serde_json::to_value(user.view(false)).unwrap();
        let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut documented = USER_FIELDS.to_vec();
        keys.sort_unstable();
        documented.sort_unstable();
        assert_eq!(keys, documented);
        let verified = User { identity_verified: true, ..user.clone() };
        assert_eq!(
            serde_json::to_value(verified.view(false)).unwrap()["is_identity_verified"],
            1,
            "present once verified"
        );
        // And on the wire, in the documented order.
        let text = serde_json::to_string(&user.view(false)).unwrap();
        let positions: Vec<usize> = USER_FIELDS.iter().map(|f| text.find(&format!("\"{f}\":")).unwrap()).collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{text}");
    }

    #[test]
    fn a_user_row_holds_every_field_in_place_and_reads_back_as_the_same_user() {
        let form = CreateUserForm {
            firstname: Some("Jean".into()),
            lastname: Some("Dupont".into()),
            email: Some("jean@example.fr".into()),
            gender: Some("M".into()),
            statut: Some("professionnel".into()),
            company: Some("ACME".into()),
            company_siret: Some("73282932000074".into()),
            company_tva: Some("FR12345678901".into()),
            address1: Some("1 rue".into()),
            address2: Some("bâtiment B".into()),
            zipcode: Some("75001".into()),
            city: Some("Paris".into()),
            country: Some("FR".into()),
            billing_email: Some("compta@example.fr".into()),
            custom_ref: Some("ref-7".into()),
            notif_billing: Some("1".into()),
            confirmed: Some("1".into()),
            cgu: Some("1".into()),
            is_legal_entity: Some("1".into()),
            notify_ar: Some("0".into()),
            notify_dp: Some("0".into()),
            ..Default::default()
        };
        let user = User {
            id: 42,
            profile: NewUser::try_from(form).unwrap(),
            creation: "2021-05-26 14:00:00".into(),
            cgu: true,
            notif_cgu: false,
            payment_method: true,
            team_master: Some(7),
            created_by: Some(crate::store::shared::token("partner-token")),
            identity_verified: true,
            otp_secret: Some("JBSWY3DPEHPK3PXP".into()),
        };
        let row = serde_json::to_string(&UserRow(&user)).unwrap();
        assert!(row.starts_with("[42,[\"Jean\",\"Dupont\""), "{row}");
        assert!(!row.contains("firstname"), "no names: {row}");
        assert!(row.len() * 2 < serde_json::to_string(&user).unwrap().len(), "{row}");
        let read: User = serde_json::from_str(&row).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), serde_json::to_value(&user).unwrap());
        assert!(Arc::ptr_eq(read.created_by.as_ref().unwrap(), user.created_by.as_ref().unwrap()), "one shared token");
    }
}
