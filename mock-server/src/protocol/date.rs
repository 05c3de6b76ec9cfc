//! The `date` parameter: `YYYY-MM-DD HH:mm:ss` in Europe/Paris local time, and
//! the window around the server's clock in which AR24 accepts it
//! (ar24-protocol.md, "Authentication").

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Paris;

use crate::slug::Slug;

/// The one date format of the AR24 API.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Parses a `date` parameter as Paris local time.
///
/// The format is strict (exactly 19 characters, zero-padded). A local time that
/// does not exist (the spring-forward hour) is `invalid_date`; one that exists
/// twice (the autumn hour) is read as the earlier instant.
pub fn parse_paris(text: &str) -> Result<DateTime<Utc>, Slug> {
    if text.len() != 19 {
        return Err(Slug::InvalidDate);
    }
    let naive = NaiveDateTime::parse_from_str(text, FORMAT).map_err(|_| Slug::InvalidDate)?;
    match Paris.from_local_datetime(&naive) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Ok(at.with_timezone(&Utc)),
        LocalResult::None => Err(Slug::InvalidDate),
    }
}

/// How far Paris local time is ahead of UTC at `at` (1 h in winter, 2 h in summer).
pub fn paris_offset(at: DateTime<Utc>) -> chrono::TimeDelta {
    use chrono::Offset;
    chrono::TimeDelta::seconds(i64::from(at.with_timezone(&Paris).offset().fix().local_minus_utc()))
}

/// Why a `date` parameter is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// None was sent (`empty_date`).
    Empty,
    /// Not AR24's format (`invalid_date`).
    Invalid,
    /// This date, outside the window (`expired_date` before it, `date_in_future` after).
    Outside(DateTime<Utc>),
}

/// Checks a `date` parameter against `now`, accepting `window_secs` either
/// side: the date, or why it is refused.
pub fn check(text: &str, now: DateTime<Utc>, window_secs: u64) -> Result<DateTime<Utc>, Refused> {
    if text.trim().is_empty() {
        return Err(Refused::Empty);
    }
    let at = parse_paris(text).map_err(|_| Refused::Invalid)?;
    let offset = at.signed_duration_since(now).num_seconds();
    let window = i64::try_from(window_secs).unwrap_or(i64::MAX);
    if offset < -window || offset > window { Err(Refused::Outside(at)) } else { Ok(at) }
}

/// `at` written as AR24 writes dates: Paris local time, `YYYY-MM-DD HH:mm:ss`.
pub fn format_paris(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris).format(FORMAT).to_string()
}

/// The current time written as AR24 writes dates.
pub fn now_paris() -> String {
    format_paris(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_summer_and_winter_dates_as_paris_time() {
        assert_eq!(parse_paris("2021-05-26 14:00:00"), Ok(utc("2021-05-26T12:00:00Z")));
        assert_eq!(parse_paris("2021-12-26 14:00:00"), Ok(utc("2021-12-26T13:00:00Z")));
    }

    #[test]
    fn rejects_other_formats() {
        for bad in [
            "2021-05-26T14:00:00",
            "2021-5-26 14:00:00",
            "26/05/2021 14:00:00",
            "2021-05-26 14:00",
            "2021-02-30 10:00:00",
            "2021-05-26 14:00:00Z",
            "tomorrow",
        ] {
            assert_eq!(parse_paris(bad), Err(Slug::InvalidDate), "{bad}");
        }
    }

    #[test]
    fn the_missing_spring_hour_is_invalid_and_the_doubled_autumn_hour_is_the_earlier() {
        assert_eq!(parse_paris("2021-03-28 02:30:00"), Err(Slug::InvalidDate));
        assert_eq!(parse_paris("2021-10-31 02:30:00"), Ok(utc("2021-10-31T00:30:00Z")));
    }

    #[test]
    fn the_window_is_inclusive_on_both_sides() {
        let now = utc("2021-05-26T12:00:00Z");
        let at = |text| parse_paris(text).unwrap();
        assert_eq!(check("2021-05-26 14:00:00", now, 600), Ok(at("2021-05-26 14:00:00")));
        assert_eq!(check("2021-05-26 13:50:00", now, 600), Ok(at("2021-05-26 13:50:00")));
        assert_eq!(check("2021-05-26 14:10:00", now, 600), Ok(at("2021-05-26 14:10:00")));
        assert_eq!(check("2021-05-26 13:49:59", now, 600), Err(Refused::Outside(at("2021-05-26 13:49:59"))));
        assert_eq!(check("2021-05-26 14:10:01", now, 600), Err(Refused::Outside(at("2021-05-26 14:10:01"))));
        assert_eq!(check("", now, 600), Err(Refused::Empty));
        assert_eq!(check("2021-05-26T14:00:00", now, 600), Err(Refused::Invalid));
    }

    #[test]
    fn formats_back_in_paris_time() {
        assert_eq!(format_paris(utc("2021-05-26T12:00:00Z")), "2021-05-26 14:00:00");
    }
}
