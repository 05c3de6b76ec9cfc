//! Why a call failed, in plain words, for the developer: the journal's `hint`
//! and a warning line on stderr. The answer on the wire stays AR24's bare slug.
//! A hint never holds a secret: no private key, no expected signature, no
//! other partner's token.

use chrono::{DateTime, TimeDelta, Utc};

use super::auth::{AuthFailure, Why};
use crate::protocol::crypto::SignatureReading;
use crate::protocol::date::format_paris;
use crate::slug::Slug;

/// The hint for a call answered `slug`; `auth` says why authentication failed, when it did.
pub fn explain(slug: Slug, auth: Option<&AuthFailure>) -> String {
    auth.map(authentication).unwrap_or_else(|| format!("{} ({})", slug.message().trim(), slug.as_str()))
}

/// The note on a call some of whose parameters were ignored, as PHP ignores
/// those past `max_input_vars`.
pub fn dropped_parameters(dropped: usize) -> String {
    format!(
        "{dropped} parameter(s) past the first {} of the query string or of the body were ignored, as AR24 (PHP's `max_input_vars`) ignores them",
        crate::protocol::params::MAX_INPUT_VARS
    )
}

/// Why authentication failed, in words.
fn authentication(failure: &AuthFailure) -> String {
    let now = failure.now;
    match &failure.why {
        Why::NoToken { token_headers } if !token_headers.is_empty() => "no `token` parameter; a token header was sent: AR24 reads the token as the `token` parameter (query string or form body), not as a header".into(),
        Why::NoToken { .. } => "no `token` parameter: send your AR24 token as the `token` parameter (query string for GET, query string or form body for POST)".into(),
        Why::UnknownToken { near: Some((name, false)) } => format!(
            "no partner has this token as sent; it matches partner \"{name}\"'s once the blanks around it are removed"
        ),
        Why::UnknownToken { near: Some((name, true)) } => {
            format!("no partner has this token; it differs from partner \"{name}\"'s only by letter case")
        }
        Why::UnknownToken { near: None } => {
            "no partner of this mock has this token: check AR24_MOCK_TOKEN or the partners made through /_mock/partners"
                .into()
        }
        Why::NoDate => {
            format!("send the date as the `date` parameter (query string or form body), {}", expected_format(now))
        }
        Why::BadDate { sent } => invalid_date(sent, now),
        Why::OutOfWindow { sent, at } => out_of_window(sent, *at, now, failure.window),
        Why::NoSignature { as_parameter: true } => {
            "`signature` came as a parameter: AR24 reads it as the HTTP header `signature` only".into()
        }
        Why::NoSignature { as_parameter: false } => {
            "no `signature` header: sign the `date` with your private key and send it as the HTTP header `signature`"
                .into()
        }
        Why::BadSignature { other_partner: Some(name), .. } => format!(
            "this signature was made with the private key of partner \"{name}\", not with the key of the token sent"
        ),
        Why::BadSignature { date, reading, .. } => bad_signature(date, reading.as_ref()),
    }
}

fn expected_format(now: DateTime<Utc>) -> String {
    format!("as YYYY-MM-DD HH:mm:ss in Europe/Paris local time, e.g. {}", format_paris(now))
}

/// What was wrong with a `date` that does not parse.
pub fn invalid_date(sent: &str, now: DateTime<Utc>) -> String {
    let text = sent.trim();
    let looks = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        "a Unix timestamp"
    } else if text.contains('T') {
        "an ISO 8601 date with `T` between date and time"
    } else if text.ends_with('Z') || text.get(19..).is_some_and(|zone| zone.contains('+') || zone.contains('-')) {
        "a date with a time zone"
    } else if text.get(19..).is_some_and(|rest| rest.starts_with('.')) {
        "a date with fractions of a second"
    } else {
        "not in AR24's format"
    };
    format!("the date {sent:?} is {looks}: AR24 expects {}", expected_format(now))
}

fn out_of_window(sent: &str, at: DateTime<Utc>, now: DateTime<Utc>, window: u64) -> String {
    let delta = at - now;
    let seconds = delta.num_seconds();
    let way = if seconds < 0 { "behind" } else { "ahead of" };
    let server = format_paris(now);
    // A whole number of hours away (give or take the window): another time zone.
    let hours = (seconds as f64 / 3600.0).round() as i64;
    let off_by_hours = hours != 0 && (delta - TimeDelta::hours(hours)).num_seconds().unsigned_abs() <= window;
    if off_by_hours {
        let paris_offset = crate::protocol::date::paris_offset(now);
        let zone = if -hours * 3600 == paris_offset.num_seconds() { "UTC" } else { "another time zone" };
        return format!(
            "the date {sent} is {} hour(s) {way} the server's Paris time ({server}): it looks like {zone}. AR24 expects Europe/Paris local time",
            hours.abs()
        );
    }
    format!(
        "the date {sent} is {} s {way} the server's Paris time ({server}); AR24 accepts {window} s either way. Check the client's clock",
        seconds.abs()
    )
}

fn bad_signature(date: &str, reading: Option<&SignatureReading>) -> String {
    match reading.unwrap_or(&SignatureReading::Unexplained) {
        SignatureReading::OtherDate(signed) => {
            format!("this signature is valid for the date {signed}, not for the `date` sent ({date}): sign the very text you send")
        }
        SignatureReading::NotADate => {
            "this signature decrypts with your key to something other than a date: sign the `date` parameter's text, nothing else".into()
        }
        SignatureReading::IvFromDateAndKey => "the IV was derived from sha256(date + private key), as AR24's documentation said before 2023: the IV is the first 16 hex characters of sha256(hex(sha256(private key)))".into(),
        SignatureReading::RawPrivateKey => "the raw private key was used as the AES key: the key is the first 32 hex characters of sha256(private key)".into(),
        SignatureReading::KeyHashAsIv => "the key's hash was used as the IV: the IV is the first 16 hex characters of sha256 of the 64-character hex of sha256(private key)".into(),
        SignatureReading::HexInsteadOfBase64 => "the signature is hex: AR24 expects the AES-256-CBC output in standard base64".into(),
        SignatureReading::Unexplained => "this signature does not decrypt to the date with this partner's key: is it this token's private key? AR24 signs the `date` text with AES-256-CBC, key = first 32 hex characters of sha256(private key), IV = first 16 hex characters of sha256 of that hex, output in base64".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::AuthMode;
    use crate::front::auth::{Credentials, Known, decide};
    use crate::protocol::crypto::PartnerKeys;
    use crate::protocol::date::parse_paris;
    use crate::store::partner::Partner;

    const KEY: &str = "a private key";

    struct Two(Vec<Arc<Partner>>);

    impl Known for Two {
        fn get(&self, token: &str) -> Option<Arc<Partner>> {
            self.0.iter().find(|p| p.token == token).cloned()
        }
        fn all(&self) -> Vec<Arc<Partner>> {
            self.0.clone()
        }
    }

    fn now() -> DateTime<Utc> {
        parse_paris("2026-11-23 10:00:00").unwrap()
    }

    /// The hint for a call by Acme (another partner, Globex, exists) that
    /// sends `pairs` as parameters, `signature` and `headers`, as decided and
    /// explained for real; the call must fail with `slug`.
    fn hint(slug: Slug, pairs: &[(&str, &str)], signature: Option<&str>, headers: &[&'static str]) -> String {
        let partners = Two(vec![
            Arc::new(Partner::new("acme-token".into(), KEY.into(), "Acme".into(), false, false)),
            Arc::new(Partner::new("globex-token".into(), "someone else's key".into(), "Globex".into(), false, false)),
        ]);
        let param = |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let sent = Credentials {
            token: Some(param("token").unwrap_or("acme-token")),
            date: param("date"),
            signature: signature.map(str::to_owned),
            signature_as_parameter: param("signature").is_some(),
            token_headers: headers.to_vec(),
        };
        let failure = decide(&sent, &partners, AuthMode::Strict, now(), 600).expect_err("the call fails");
        assert_eq!(failure.slug(), slug, "{failure:?}");
        explain(slug, Some(&failure))
    }

    #[test]
    fn a_date_in_utc_is_named_with_its_offset() {
        // 10:00 in Paris in November is 09:00 UTC.
        let h = hint(Slug::ExpiredDate, &[("date", "2026-11-23 09:00:03")], None, &[]);
        assert!(h.contains("1 hour(s) behind") && h.contains("looks like UTC") && h.contains("Europe/Paris"), "{h}");
        let h = hint(Slug::DateInFuture, &[("date", "2026-11-23 15:00:00")], None, &[]);
        assert!(h.contains("5 hour(s) ahead of") && h.contains("another time zone"), "{h}");
    }

    #[test]
    fn a_date_outside_the_window_says_by_how_much_and_the_servers_time() {
        let h = hint(Slug::ExpiredDate, &[("date", "2026-11-23 09:40:00")], None, &[]);
        assert!(h.contains("1200 s behind") && h.contains("2026-11-23 10:00:00") && h.contains("600 s"), "{h}");
    }

    #[test]
    fn each_wrong_date_format_is_named() {
        for (sent, named) in [
            ("2026-11-23T10:00:00", "ISO 8601"),
            ("2026-11-23 10:00:00+01:00", "time zone"),
            ("2026-11-23 10:00:00Z", "time zone"),
            ("2026-11-23 10:00:00.123", "fractions of a second"),
            ("1795424400", "Unix timestamp"),
            ("23/11/2026 10:00", "not in AR24's format"),
        ] {
            let h = hint(Slug::InvalidDate, &[("date", sent)], None, &[]);
            assert!(h.contains(named) && h.contains("YYYY-MM-DD HH:mm:ss"), "{sent}: {h}");
        }
    }

    #[test]
    fn a_signature_or_a_token_in_the_wrong_place_is_pointed_out() {
        let date = crate::protocol::date::format_paris(now());
        let h = hint(Slug::EmptySignature, &[("date", &date), ("signature", "abc")], None, &[]);
        assert!(h.contains("HTTP header `signature`"), "{h}");
        let h = hint(Slug::TokenMissing, &[("token", " ")], None, &["token"]);
        assert!(h.contains("not as a header"), "{h}");
    }

    #[test]
    fn another_partners_key_and_a_signature_for_another_date_are_named() {
        let date = "2026-11-23 10:00:00";
        let theirs = PartnerKeys::new("someone else's key").sign(date);
        let h = hint(Slug::InvalidSignature, &[("date", date)], Some(&theirs), &[]);
        assert!(h.contains("partner \"Globex\"") && !h.contains("someone else's key"), "{h}");
        let other_date = PartnerKeys::new(KEY).sign("2026-11-23 09:59:00");
        let h = hint(Slug::InvalidSignature, &[("date", date)], Some(&other_date), &[]);
        assert!(h.contains("valid for the date 2026-11-23 09:59:00"), "{h}");
    }

    #[test]
    fn a_token_off_by_case_or_blanks_is_recognised_without_showing_it() {
        let h = hint(Slug::TokenInvalid, &[("token", "ACME-TOKEN")], None, &[]);
        assert!(h.contains("only by letter case") && h.contains("\"Acme\"") && !h.contains("acme-token"), "{h}");
        let h = hint(Slug::TokenInvalid, &[("token", "nobody")], None, &[]);
        assert!(h.contains("no partner of this mock has this token"), "{h}");
    }

    #[test]
    fn other_failures_say_what_the_slug_means() {
        let h = explain(Slug::MissingFirstname, None);
        assert_eq!(h, "Please specify a firstname (missing_firstname)");
    }

    #[test]
    fn no_hint_holds_the_private_key_or_the_expected_signature() {
        let date = "2026-11-23 10:00:00";
        let expected = PartnerKeys::new(KEY).sign(date);
        type Call<'a> = (Slug, &'a [(&'a str, &'a str)], Option<&'a str>);
        let calls: [Call<'_>; 8] = [
            (Slug::TokenMissing, &[("token", "")], None),
            (Slug::TokenInvalid, &[("token", "ACME-TOKEN")], None),
            (Slug::EmptyDate, &[], None),
            (Slug::InvalidDate, &[("date", "tomorrow")], None),
            (Slug::ExpiredDate, &[("date", "2026-11-23 09:00:00")], None),
            (Slug::EmptySignature, &[("date", date)], None),
            (Slug::InvalidSignature, &[("date", date)], Some("AAAA")),
            (Slug::InvalidSignature, &[("date", date)], Some(&expected[1..])),
        ];
        for (slug, pairs, signature) in calls {
            let h = hint(slug, pairs, signature, &[]);
            assert!(!h.contains(KEY) && !h.contains(&expected), "{slug}: {h}");
        }
        for slug in Slug::ALL {
            let h = explain(*slug, None);
            assert!(!h.contains(KEY) && !h.contains(&expected), "{slug}: {h}");
        }
    }
}
