//! Who pays for what: every paid action is charged to exactly one payer and
//! recorded (seed "Facturation des consommations via l'API").

use serde::{Deserialize, Serialize};

/// A paid action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// A simple registered e-mail (`eidas=0`).
    Simple,
    /// A qualified eIDAS registered e-mail.
    Eidas,
    /// An identity check and OTP key (`user/identity`, `user/verify`).
    Identity,
}

/// Who pays, in AR24's order: the user's own payment method, else the team
/// administrator's, else the partner with global billing (for API actions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payer {
    /// The user's own payment method.
    User,
    /// The team administrator's payment method.
    TeamMaster {
        /// The administrator's user id.
        id: u64,
    },
    /// The partner's global billing.
    Partner {
        /// The partner's token.
        token: String,
    },
}

/// One recorded charge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Charge {
    /// Increasing id.
    pub id: u64,
    /// What was paid for.
    pub kind: ChargeKind,
    /// The user who acted.
    pub user: u64,
    /// The partner whose API call it was.
    #[serde(deserialize_with = "crate::store::shared::read_token")]
    pub token: crate::store::shared::Token,
    /// Who pays: `{"kind":"user"}`, `{"kind":"team_master","id":..}` or `{"kind":"partner","token":..}`.
    pub payer: Payer,
    /// Price before VAT, in euros.
    #[serde(serialize_with = "price")]
    pub price_ht: f64,
    /// The letter paid for, if any.
    pub letter: Option<u64>,
    /// When, Paris local time.
    pub time: compact_str::CompactString,
}

/// A charge as a row, `[id, kind, user, token, payer, price_ht, letter,
/// time]`, in the order `Charge` declares them (the payer as its own small
/// object). The state log writes charges this way, about half the size of
/// the named form; the derived `Deserialize` reads either form.
pub struct ChargeRow<'a>(pub &'a Charge);

impl Serialize for ChargeRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Named in full: a field added to `Charge` must be added here, in its place.
        let Charge { id, kind, user, token, payer, price_ht, letter, time } = self.0;
        (id, kind, user, &**token, payer, price_ht, letter, time).serialize(serializer)
    }
}

/// A price as AR24 writes it: a whole amount as an integer (`0`, as in AR24's
/// example), anything else as a decimal (`3.49`).
pub fn price<S: serde::Serializer>(amount: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if amount.fract() == 0.0 && amount.abs() < 1e15 {
        serializer.serialize_i64(*amount as i64)
    } else {
        serializer.serialize_f64(*amount)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_log_writes_a_charge_as_a_row_and_reads_it_back_the_same_as_older_logs_named_it_too() {
        use super::{Charge, ChargeRow};
        use crate::store::mail::Record;
        for (payer, price, letter) in [
            (serde_json::json!({"kind": "user"}), serde_json::json!(3.49), serde_json::json!(12)),
            (serde_json::json!({"kind": "team_master", "id": 8}), serde_json::json!(0), serde_json::json!(null)),
            (serde_json::json!({"kind": "partner", "token": "tok"}), serde_json::json!(20), serde_json::json!(3)),
        ] {
            let named = serde_json::json!({
                "id": 5, "kind": "simple", "user": 7, "token": "tok", "payer": payer,
                "price_ht": price, "letter": letter, "time": "2026-11-30 16:07:38"
            });
            let charge: Charge = serde_json::from_value(named.clone()).unwrap();
            let row = serde_json::to_string(&ChargeRow(&charge)).unwrap();
            let (payer, price) = (serde_json::to_string(&charge.payer).unwrap(), charge.price_ht);
            assert_eq!(row, format!(r#"[5,"simple",7,"tok",{payer},{price:?},{letter},"2026-11-30 16:07:38"]"#));
            assert!(row.len() < named.to_string().len() * 2 / 3, "a row is shorter: {row}");
            let back: Charge = serde_json::from_str(&row).unwrap();
            assert_eq!(serde_json::to_value(&back).unwrap(), named);
            let line = serde_json::to_string(&Record::Charge(std::sync::Arc::new(charge))).unwrap();
            assert_eq!(line, format!(r#"{{"kind":"charge","value":{row}}}"#));
            // As older logs wrote it, by field names.
            let older = format!(r#"{{"kind":"charge","value":{named}}}"#);
            let Record::Charge(back) = serde_json::from_str(&older).unwrap() else { panic!("a charge: {older}") };
            assert_eq!(serde_json::to_value(&*back).unwrap(), named);
        }
        assert!(serde_json::from_str::<Charge>(r#"[5,"simple",7]"#).is_err());
    }

    #[test]
    fn whole_prices_are_integers_and_others_decimals() {
        let as_json = |amount: f64| {
            let mut out = Vec::new();
            super::price(&amount, &mut serde_json::Serializer::new(&mut out)).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(as_json(0.0), "0");
        assert_eq!(as_json(20.0), "20");
        assert_eq!(as_json(3.49), "3.49");
    }
}
