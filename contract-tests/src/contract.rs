//! AR24's contract as this suite states it, from AR24's published sources
//! (ar24-protocol.md, ar24-sending.md), in the suite's own words: the user
//! and mail objects' fields with their JSON types, and how AR24 writes a
//! flag. Nothing here comes from the mock; the mock is checked against it.

use serde_json::Value;

/// The JSON type of a field of an AR24 object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A positive integer (ids).
    Id,
    /// A non-empty string.
    Text,
    /// A string, or `null` when not set.
    OptionalText,
    /// A flag: `0`/`1` (integer or string) or a boolean.
    Flag,
    /// A `YYYY-MM-DD HH:mm:ss` date.
    Date,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A number, written as an integer when it is whole (AR24's example
    /// writes `"price_ht":0`), as a decimal otherwise.
    Number,
    /// A date, or `null` before it happens.
    OptionalDate,
    /// An array.
    List,
}

/// The documented fields of AR24's user object and their kinds.
pub const USER_OBJECT: &[(&str, Kind)] = &[
    ("id", Kind::Id),
    ("firstname", Kind::Text),
    ("lastname", Kind::Text),
    ("name", Kind::Text),
    ("email", Kind::Text),
    ("gender", Kind::OneOf(&["M", "F"])),
    ("statut", Kind::OneOf(&["particulier", "professionnel", "administration", "association"])),
    ("company", Kind::OptionalText),
    ("company_siret", Kind::OptionalText),
    ("company_tva", Kind::OptionalText),
    ("company_activity", Kind::OptionalText),
    ("country", Kind::Text),
    ("address1", Kind::Text),
    ("address2", Kind::OptionalText),
    ("zipcode", Kind::Text),
    ("city", Kind::Text),
    ("notif_billing", Kind::Flag),
    ("billing_email", Kind::OptionalText),
    ("billing_tva", Kind::OptionalText),
    ("confirmed", Kind::Flag),
    ("cgu", Kind::Flag),
    ("notify_ev", Kind::Flag),
    ("notify_ar", Kind::Flag),
    ("notify_rf", Kind::Flag),
    ("notify_ng", Kind::Flag),
    ("notify_bc", Kind::Flag),
    ("notify_consent", Kind::Flag),
    ("notify_eidas_to_valid", Kind::Flag),
    ("notify_recipient_update", Kind::Flag),
    ("notify_waiting_ar_answer", Kind::Flag),
    ("notify_dp", Kind::Flag),
    ("is_legal_entity", Kind::Flag),
    ("custom_ref", Kind::OptionalText),
    ("c_phone", Kind::OptionalText),
    ("c_mobile", Kind::OptionalText),
    ("payment_active", Kind::Flag),
    ("is_payment_possible", Kind::Flag),
    ("creation", Kind::Date),
    ("notif_cgu", Kind::Flag),
    ("notif_profil_uncomplete", Kind::Flag),
];

/// The fields of AR24's mail object (a registered letter), as AR24's
/// documentation example shows them: answered by `POST mail`, `GET mail` and
/// in `GET user/mail`. Which outcome dates and proofs are set depends on the
/// letter's state, so they may be `null`.
pub const MAIL_OBJECT: &[(&str, Kind)] = &[
    ("id", Kind::Id),
    ("type", Kind::Text),
    ("status", Kind::Text),
    ("from_name", Kind::Text),
    ("from_email", Kind::Text),
    ("address1", Kind::OptionalText),
    ("address2", Kind::OptionalText),
    ("city", Kind::OptionalText),
    ("zipcode", Kind::OptionalText),
    ("to_name", Kind::Text),
    ("to_firstname", Kind::OptionalText),
    ("to_lastname", Kind::OptionalText),
    ("to_company", Kind::OptionalText),
    ("to_email", Kind::Text),
    ("dest_statut", Kind::OneOf(&["particulier", "professionnel"])),
    ("id_sender", Kind::Id),
    ("id_creator", Kind::Id),
    ("price_ht", Kind::Number),
    ("payment_slug", Kind::OptionalText),
    ("ref_dossier", Kind::OptionalText),
    ("ref_client", Kind::OptionalText),
    ("ref_facturation", Kind::OptionalText),
    ("date", Kind::Date),
    ("full_hash_sha256", Kind::Text),
    ("send_fail", Kind::Flag),
    ("is_eidas", Kind::Flag),
    ("proof_ev_url", Kind::OptionalText),
    ("ts_ev_date", Kind::OptionalDate),
    ("proof_ar_url", Kind::OptionalText),
    ("view_date", Kind::OptionalDate),
    ("proof_ng_url", Kind::OptionalText),
    ("negligence_date", Kind::OptionalDate),
    ("proof_rf_url", Kind::OptionalText),
    ("refused_date", Kind::OptionalDate),
    ("proof_bc_url", Kind::OptionalText),
    ("bounced_date", Kind::OptionalDate),
    ("pdf_content", Kind::OptionalText),
    ("zip", Kind::OptionalText),
    ("req_notify_ev", Kind::Flag),
    ("req_notify_ar", Kind::Flag),
    ("req_notify_rf", Kind::Flag),
    ("req_notify_ng", Kind::Flag),
    ("attachments", Kind::List),
    ("attachments_details", Kind::List),
];

/// What a flag says, or why it is not a flag.
pub fn flag(value: Option<&Value>) -> Result<bool, String> {
    match value {
        None => Err("is missing".into()),
        Some(Value::Bool(on)) => Ok(*on),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(false),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(true),
        Some(Value::String(s)) if s == "0" => Ok(false),
        Some(Value::String(s)) if s == "1" => Ok(true),
        Some(other) => Err(format!("is {other}, which is not a flag (0, 1, true or false)")),
    }
}

/// Whether `text` is a `YYYY-MM-DD HH:mm:ss` date.
pub fn is_date(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok()
}

fn check(kind: Kind, value: &Value) -> Result<(), String> {
    let ok = match (kind, value) {
        (Kind::Id, Value::Number(n)) => n.as_u64().is_some_and(|id| id > 0),
        (Kind::Text, Value::String(s)) => !s.is_empty(),
        (Kind::OptionalText, Value::String(_) | Value::Null) => true,
        (Kind::Flag, _) => return flag(Some(value)).map(drop),
        (Kind::Date, Value::String(s)) => is_date(s),
        (Kind::OneOf(allowed), Value::String(s)) => allowed.contains(&s.as_str()),
        (Kind::Number, Value::Number(n)) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|x| x.fract() != 0.0),
        (Kind::OptionalDate, Value::Null) => true,
        (Kind::OptionalDate, Value::String(s)) => is_date(s),
        (Kind::List, Value::Array(_)) => true,
        _ => false,
    };
    if ok { Ok(()) } else { Err(format!("is {value}, expected {kind:?}")) }
}

/// Everything wrong with `user` as an AR24 user object: each missing field
/// and each field of the wrong type, one line each.
pub fn user_object_problems(user: &Value) -> Vec<String> {
    object_problems(USER_OBJECT, user)
}

/// Everything wrong with `mail` as an AR24 mail object, one line each.
pub fn mail_object_problems(mail: &Value) -> Vec<String> {
    object_problems(MAIL_OBJECT, mail)
}

fn object_problems(documented: &[(&str, Kind)], object: &Value) -> Vec<String> {
    let Some(fields) = object.as_object() else {
        return vec![format!("not an object: {object}")];
    };
    documented
        .iter()
        .filter_map(|(name, kind)| match fields.get(*name) {
            None => Some(format!("{name} is missing")),
            Some(value) => check(*kind, value).err().map(|why| format!("{name} {why}")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn a_user() -> Value {
        let mut user = serde_json::Map::new();
        for (name, kind) in USER_OBJECT {
            let value = match kind {
                Kind::Id => json!(7),
                Kind::Text => json!("x"),
                Kind::OptionalText => Value::Null,
                Kind::Flag => json!(0),
                Kind::Date => json!("2026-11-22 10:00:00"),
                Kind::OneOf(values) => json!(values[0]),
                Kind::Number | Kind::OptionalDate | Kind::List => unreachable!("not in the user object"),
            };
            user.insert((*name).to_owned(), value);
        }
        Value::Object(user)
    }

    #[test]
    fn a_complete_user_has_no_problem() {
        assert_eq!(user_object_problems(&a_user()), Vec::<String>::new());
    }

    #[test]
    fn each_missing_or_mistyped_field_is_named() {
        let mut user = a_user();
        user.as_object_mut().unwrap().remove("cgu");
        user["id"] = json!("7");
        user["creation"] = json!("2026-11-22T10:00:00Z");
        user["statut"] = json!("pro");
        user["is_payment_possible"] = json!("yes");
        user["firstname"] = json!(3);
        let problems = user_object_problems(&user);
        for name in ["cgu is missing", "id is", "creation is", "statut is", "is_payment_possible is", "firstname is"] {
            assert!(problems.iter().any(|p| p.starts_with(name)), "{name} in {problems:?}");
        }
        assert_eq!(problems.len(), 6, "{problems:?}");
    }

    #[test]
    fn a_mail_object_needs_its_dates_as_dates_or_null_and_its_price_as_a_number() {
        let mut mail = serde_json::Map::new();
        for (name, kind) in MAIL_OBJECT {
            let value = match kind {
                Kind::Id => json!(3),
                Kind::Text => json!("x"),
                Kind::OptionalText | Kind::OptionalDate => Value::Null,
                Kind::Flag => json!(1),
                Kind::Date => json!("2026-11-22 10:00:00"),
                Kind::OneOf(values) => json!(values[0]),
                Kind::Number => json!(0),
                Kind::List => json!([]),
            };
            mail.insert((*name).to_owned(), value);
        }
        let mut mail = Value::Object(mail);
        assert_eq!(mail_object_problems(&mail), Vec::<String>::new());
        mail["ts_ev_date"] = json!("2026-11-22 10:00:01");
        assert_eq!(mail_object_problems(&mail), Vec::<String>::new());
        mail["view_date"] = json!("yesterday");
        mail["price_ht"] = json!("0");
        mail["attachments"] = json!({});
        assert_eq!(mail_object_problems(&mail).len(), 3, "{:?}", mail_object_problems(&mail));
        mail["price_ht"] = json!(3.49);
        assert_eq!(mail_object_problems(&mail).len(), 2, "a decimal price is a number");
        mail["price_ht"] = json!(0.0);
        assert_eq!(mail_object_problems(&mail).len(), 3, "a whole price is written as an integer");
    }

    #[test]
    fn flags_are_read_in_every_form_ar24_may_use_and_nothing_else() {
        for (value, on) in
            [(json!(1), true), (json!(0), false), (json!(true), true), (json!("1"), true), (json!("0"), false)]
        {
            assert_eq!(flag(Some(&value)), Ok(on), "{value}");
        }
        for value in [json!(2), json!("yes"), json!(null), json!(""), json!([1])] {
            assert!(flag(Some(&value)).is_err(), "{value}");
        }
        assert_eq!(flag(None), Err("is missing".into()));
    }
}
