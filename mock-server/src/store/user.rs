//! The one user model, and the JSON view AR24 answers for it
//! (ar24-protocol.md, "User object fields").

use std::sync::Arc;

use serde::Serialize;

use crate::domain::{Gender, NewUser, Statut};

/// An AR24 account as the mock stores it (and as the state file keeps it).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct User {
    /// AR24's integer id, never reused.
    pub id: u64,
    /// What was given at sign-up.
    pub profile: NewUser,
    /// Sign-up time, Paris local time, AR24 format.
    pub creation: String,
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
    #[serde(default, deserialize_with = "shared_creator")]
    pub created_by: Option<Arc<str>>,
    /// Whether the identity was checked (an OTP key ordered through `user/identity` or `user/verify`).
    #[serde(default)]
    pub identity_verified: bool,
    /// The TOTP secret (base32) of eIDAS sends, once ordered.
    #[serde(default)]
    pub otp_secret: Option<String>,
}

/// The one shared copy of a creating partner's token: a million accounts of
/// one partner hold one token, not a million.
pub fn shared_token(token: &str) -> Arc<str> {
    static TOKENS: std::sync::LazyLock<dashmap::DashMap<String, Arc<str>>> =
        std::sync::LazyLock::new(dashmap::DashMap::new);
    if let Some(shared) = TOKENS.get(token) {
        return Arc::clone(&shared);
    }
    Arc::clone(&TOKENS.entry(token.to_owned()).or_insert_with(|| token.into()))
}

/// Reads `created_by` straight into the shared copy (no copy of its own is made).
fn shared_creator<'de, D: serde::Deserializer<'de>>(reader: D) -> Result<Option<Arc<str>>, D::Error> {
    struct Creator;
    impl<'de> serde::de::Visitor<'de> for Creator {
        type Value = Option<Arc<str>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a partner token or null")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, reader: D) -> Result<Self::Value, D::Error> {
            reader.deserialize_str(self)
        }
        fn visit_str<E>(self, token: &str) -> Result<Self::Value, E> {
            Ok(Some(shared_token(token)))
        }
    }
    reader.deserialize_option(Creator)
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
}
