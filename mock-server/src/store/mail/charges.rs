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
