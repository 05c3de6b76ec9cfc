//! Why a call failed, in plain words, for the developer: the journal's `hint`
//! and a warning line on stderr. The answer on the wire stays AR24's bare slug.
//! A hint never holds a secret: no private key, no expected signature, no
//! other partner's token.

use chrono::{DateTime, TimeDelta, Utc};

use crate::protocol::crypto::{PartnerKeys, SignatureReading};
use crate::protocol::date::{format_paris, parse_paris};
use crate::protocol::params::Params;
use crate::slug::Slug;

/// A partner the mock knows, as a hint may name it: by name, never by key.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its token (compared, never shown).
    pub token: &'a str,
    /// Its keys (tried, never shown).
    pub keys: &'a PartnerKeys,
}

/// What a hint is made from.
#[derive(Debug)]
pub struct Failure<'a> {
    /// The slug answered.
    pub slug: Slug,
    /// The call's parameters.
    pub params: &'a Params,
    /// The `signature` header, if sent.
    pub signature_header: Option<&'a str>,
    /// Names of the HTTP headers sent, lowercase.
    pub header_names: Vec<String>,
    /// The calling partner, when the token is known.
    pub partner: Option<Known<'a>>,
    /// Every partner.
    pub partners: Vec<Known<'a>>,
    /// The server's clock.
    pub now: DateTime<Utc>,
    /// Seconds a date may be away from `now`.
    pub window: u64,
}

/// The hint for a failed call.
pub fn explain(failure: &Failure<'_>) -> String {
    let specific = match failure.slug {
        Slug::TokenMissing => token_missing(failure),
        Slug::TokenInvalid => token_invalid(failure),
        Slug::EmptyDate => Some(format!(
            "send the date as the `date` parameter (query string or form body), {}",
            expected_format(failure.now)
        )),
        Slug::InvalidDate => Some(invalid_date(failure.params.get("date").unwrap_or_default(), failure.now)),
        Slug::ExpiredDate | Slug::DateInFuture => out_of_window(failure),
        Slug::EmptySignature => empty_signature(failure),
        Slug::InvalidSignature => invalid_signature(failure),
        _ => None,
    };
    specific.unwrap_or_else(|| format!("{} ({})", failure.slug.message().trim(), failure.slug.as_str()))
}

fn expected_format(now: DateTime<Utc>) -> String {
    format!("as YYYY-MM-DD HH:mm:ss in Europe/Paris local time, e.g. {}", format_paris(now))
}

fn token_missing(failure: &Failure<'_>) -> Option<String> {
    let in_header = failure.header_names.iter().any(|h| h == "token" || h == "authorization" || h == "x-token");
    Some(if in_header {
        "no `token` parameter; a token header was sent: AR24 reads the token as the `token` parameter (query string or form body), not as a header".into()
    } else {
        "no `token` parameter: send your AR24 token as the `token` parameter (query string for GET, query string or form body for POST)".into()
    })
}

fn token_invalid(failure: &Failure<'_>) -> Option<String> {
    let sent = failure.params.get("token").unwrap_or_default();
    let close = failure.partners.iter().find(|p| p.token.trim().eq_ignore_ascii_case(sent.trim()));
    Some(match close {
        Some(partner) if partner.token.trim() == sent.trim() => {
            format!(
                "no partner has this token as sent; it matches partner \"{}\"'s once the blanks around it are removed",
                partner.name
            )
        }
        Some(partner) => {
            format!("no partner has this token; it differs from partner \"{}\"'s only by letter case", partner.name)
        }
        None => {
            "no partner of this mock has this token: check AR24_MOCK_TOKEN or the partners made through /_mock/partners"
                .into()
        }
    })
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

fn out_of_window(failure: &Failure<'_>) -> Option<String> {
    let sent = failure.params.get("date")?;
    let at = parse_paris(sent).ok()?;
    let delta = at - failure.now;
    let seconds = delta.num_seconds();
    let way = if seconds < 0 { "behind" } else { "ahead of" };
    let now = format_paris(failure.now);
    // A whole number of hours away (give or take the window): another time zone.
    let hours = (seconds as f64 / 3600.0).round() as i64;
    let off_by_hours = hours != 0 && (delta - TimeDelta::hours(hours)).num_seconds().unsigned_abs() <= failure.window;
    if off_by_hours {
        let paris_offset = crate::protocol::date::paris_offset(failure.now);
        let zone = if -hours * 3600 == paris_offset.num_seconds() { "UTC" } else { "another time zone" };
        return Some(format!(
            "the date {sent} is {} hour(s) {way} the server's Paris time ({now}): it looks like {zone}. AR24 expects Europe/Paris local time",
            hours.abs()
        ));
    }
    Some(format!(
        "the date {sent} is {} s {way} the server's Paris time ({now}); AR24 accepts {} s either way. Check the client's clock",
        seconds.abs(),
        failure.window
    ))
}

fn empty_signature(failure: &Failure<'_>) -> Option<String> {
    if failure.params.get("signature").is_some() {
        return Some("`signature` came as a parameter: AR24 reads it as the HTTP header `signature` only".into());
    }
    Some(
        "no `signature` header: sign the `date` with your private key and send it as the HTTP header `signature`"
            .into(),
    )
}

fn invalid_signature(failure: &Failure<'_>) -> Option<String> {
    let date = failure.params.get("date").unwrap_or_default();
    let signature = failure.signature_header.unwrap_or_default();
    if let Some(other) = failure
        .partners
        .iter()
        .find(|p| failure.partner.is_none_or(|us| us.token != p.token) && p.keys.verify(date, signature))
    {
        return Some(format!(
            "this signature was made with the private key of partner \"{}\", not with the key of the token sent",
            other.name
        ));
    }
    let partner = failure.partner?;
    Some(match partner.keys.read_signature(date, signature) {
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a private key";

    fn params(pairs: &[(&str, &str)]) -> Params {
        let query = serde_urlencoded::to_string(pairs).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(crate::protocol::params::read(&query, None)).unwrap()
    }

    fn now() -> DateTime<Utc> {
        parse_paris("2026-11-23 10:00:00").unwrap()
    }

    fn hint(slug: Slug, pairs: &[(&str, &str)], signature: Option<&str>, headers: &[&str]) -> String {
        let keys = PartnerKeys::new(KEY);
        let other = PartnerKeys::new("someone else's key");
        let us = Known { name: "Acme", token: "acme-token", keys: &keys };
        let them = Known { name: "Globex", token: "globex-token", keys: &other };
        let params = params(pairs);
        let failure = Failure {
            slug,
            params: &params,
            signature_header: signature,
            header_names: headers.iter().map(|h| (*h).to_owned()).collect(),
            partner: Some(us),
            partners: vec![us, them],
            now: now(),
            window: 600,
        };
        explain(&failure)
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
    fn a_signature_in_the_wrong_place_is_pointed_out() {
        let h = hint(Slug::EmptySignature, &[("signature", "abc")], None, &[]);
        assert!(h.contains("HTTP header `signature`"), "{h}");
        let h = hint(Slug::TokenMissing, &[], None, &["token"]);
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
        let h = hint(Slug::MissingFirstname, &[], None, &[]);
        assert_eq!(h, "Please specify a firstname (missing_firstname)");
    }

    #[test]
    fn no_hint_holds_the_private_key_or_the_expected_signature() {
        let date = "2026-11-23 10:00:00";
        let expected = PartnerKeys::new(KEY).sign(date);
        for slug in Slug::ALL {
            let h = hint(*slug, &[("date", date)], Some("AAAA"), &[]);
            assert!(!h.contains(KEY) && !h.contains(&expected), "{slug}: {h}");
        }
    }
}
