//! The `date` parameter: `YYYY-MM-DD HH:mm:ss` in Europe/Paris local time, and
//! the window around the server's clock in which AR24 accepts it
//! (ar24-protocol.md, "Authentication").

use std::cell::Cell;
use std::sync::LazyLock;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Europe::Paris;

use crate::slug::Slug;

/// The one date format of the AR24 API.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// [`FORMAT`] read once, not again at every date read or written.
static ITEMS: LazyLock<Vec<Item<'static>>> =
    LazyLock::new(|| StrftimeItems::new(FORMAT).parse().expect("FORMAT is a valid format"));

/// Parses a `date` parameter as Paris local time.
///
/// The format is strict (exactly 19 characters, zero-padded). A local time that
/// does not exist (the spring-forward hour) is `invalid_date`; one that exists
/// twice (the autumn hour) is read as the earlier instant.
pub fn parse_paris(text: &str) -> Result<DateTime<Utc>, Slug> {
    if text.len() != 19 {
        return Err(Slug::InvalidDate);
    }
    let naive = read_fixed(text).or_else(|| read_with_chrono(text)).ok_or(Slug::InvalidDate)?;
    match Paris.from_local_datetime(&naive) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Ok(at.with_timezone(&Utc)),
        LocalResult::None => Err(Slug::InvalidDate),
    }
}

/// [`FORMAT`] read digit by digit: a date and time that exist, all digits in
/// place, else `None` (then chrono's parser decides, as it always did).
/// Chrono's general parser, which walks the format's items for each date, was
/// a percent of every signed call and the largest part of reading dates from a
/// state file; this gives the same answer for every text it accepts (tested).
fn read_fixed(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(number(0, 4)?).ok()?, number(5, 7)?, number(8, 10)?)?;
    date.and_hms_opt(number(11, 13)?, number(14, 16)?, number(17, 19)?)
}

/// [`FORMAT`] read by chrono's general parser: what [`read_fixed`] leaves to it.
fn read_with_chrono(text: &str) -> Option<NaiveDateTime> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, ITEMS.iter()).ok()?;
    parsed.to_naive_datetime_with_offset(0).ok()
}

/// [`FORMAT`] written digit by digit, for the years of four digits (chrono
/// writes the others, with their sign or fifth digit, and a leap second).
/// Chrono's general formatter was a percent of a send (every answer, email and
/// state record holds dates); this writes the same text (tested).
fn write_fixed(local: NaiveDateTime) -> Option<[u8; 19]> {
    let year = u32::try_from(local.year()).ok().filter(|year| *year <= 9999)?;
    if local.nanosecond() >= 1_000_000_000 {
        return None;
    }
    let mut text = *b"0000-00-00 00:00:00";
    for (at, width, mut n) in [
        (0, 4, year),
        (5, 2, local.month()),
        (8, 2, local.day()),
        (11, 2, local.hour()),
        (14, 2, local.minute()),
        (17, 2, local.second()),
    ] {
        for digit in text[at..at + width].iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
    Some(text)
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
    ParisTime(at).to_string()
}

/// An instant, written as AR24 writes dates wherever it leaves the mock (the
/// API, the control plane, the state file): Paris local time,
/// `YYYY-MM-DD HH:mm:ss`. Kept typed in memory, so that comparing or adding
/// to it never parses text. Read back from AR24's format or, for older state
/// documents, RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParisTime(pub DateTime<Utc>);

impl ParisTime {
    /// The instant.
    pub fn utc(self) -> DateTime<Utc> {
        self.0
    }

    /// The instant on a Paris clock.
    pub fn local(self) -> DateTime<chrono_tz::Tz> {
        self.0.with_timezone(&Paris)
    }

    /// The instant in [`FORMAT`] by [`write_fixed`] (`None`: chrono writes it).
    /// The text of the last second written on this thread is kept and given
    /// again: an answer, the emails of a send and their lines in the state
    /// file write the same second over and over, and finding Paris's offset
    /// and the calendar date was most of what a date cost. The text depends
    /// on the second alone (a leap second, which chrono keeps apart, is not kept).
    fn fixed_text(self) -> Option<[u8; 19]> {
        thread_local! {
            static LAST: Cell<Option<(i64, [u8; 19])>> = const { Cell::new(None) };
        }
        let second = self.0.timestamp();
        let keep = self.0.timestamp_subsec_nanos() < 1_000_000_000;
        if let Some((last, text)) = LAST.get()
            && keep
            && last == second
        {
            return Some(text);
        }
        let text = write_fixed(self.local().naive_local())?;
        if keep {
            LAST.set(Some((second, text)));
        }
        Some(text)
    }
}

impl From<DateTime<Utc>> for ParisTime {
    fn from(at: DateTime<Utc>) -> Self {
        Self(at)
    }
}

impl std::fmt::Display for ParisTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.fixed_text() {
            Some(text) => f.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?),
            None => write!(f, "{}", self.local().format_with_items(ITEMS.iter())),
        }
    }
}

impl serde::Serialize for ParisTime {
    /// One JSON string written whole (through [`std::fmt::Display`] only for
    /// the years [`write_fixed`] leaves to chrono).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.fixed_text() {
            Some(text) => serializer.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?),
            None => serializer.collect_str(self),
        }
    }
}

impl<'de> serde::Deserialize<'de> for ParisTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParisTimeVisitor)
    }
}

/// Reads the text where it lies (no copy of it).
struct ParisTimeVisitor;

impl serde::de::Visitor<'_> for ParisTimeVisitor {
    type Value = ParisTime;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a date as AR24 writes them")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ParisTime, E> {
        parse_paris(text)
            .or_else(|_| DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)))
            .map(ParisTime)
            .map_err(|_| E::custom(format!("not a date as AR24 writes them: {text:?}")))
    }
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
    fn a_typed_time_is_written_and_read_as_paris_time_and_reads_rfc_3339_too() {
        let at = ParisTime(utc("2021-05-26T12:00:00Z"));
        assert_eq!(serde_json::to_string(&at).unwrap(), "\"2021-05-26 14:00:00\"");
        assert_eq!(serde_json::from_str::<ParisTime>("\"2021-05-26 14:00:00\"").unwrap(), at);
        assert_eq!(serde_json::from_str::<ParisTime>("\"2021-05-26T12:00:00Z\"").unwrap(), at);
        assert!(serde_json::from_str::<ParisTime>("\"tomorrow\"").is_err());
    }

    /// What chrono's general formatter writes, which the digit-by-digit writer replaces.
    fn chrono_writes(at: DateTime<Utc>) -> String {
        at.with_timezone(&Paris).format_with_items(ITEMS.iter()).to_string()
    }

    #[test]
    fn dates_are_written_and_read_as_chrono_does_across_centuries_and_every_clock_change() {
        // Every 86 413 s (a day and 13 s, so each time of day comes round) from 1900 to 2200,
        // then every 7 minutes over the day of each clock change from 1990 to 2040.
        let mut instants: Vec<DateTime<Utc>> = (-2_208_988_800i64..7_258_118_400)
            .step_by(86_413)
            .map(|s| DateTime::from_timestamp(s, 0).unwrap())
            .collect();
        for year in 1990..2040 {
            for month in [3, 10] {
                let last_sunday = (25..=31)
                    .map(|day| NaiveDate::from_ymd_opt(year, month, day).unwrap())
                    .find(|d| d.weekday() == chrono::Weekday::Sun)
                    .unwrap();
                let start = last_sunday.and_hms_opt(0, 0, 0).unwrap().and_utc() - chrono::TimeDelta::hours(2);
                instants.extend((0..24 * 60 / 7).map(|i| start + chrono::TimeDelta::minutes(7 * i)));
            }
        }
        for at in instants {
            let text = ParisTime(at).to_string();
            assert_eq!(text, chrono_writes(at), "{at}");
            assert_eq!(read_fixed(&text), read_with_chrono(&text), "{text}");
            assert_eq!(read_fixed(&text).map(|n| n.and_utc()), Some(at.with_timezone(&Paris).naive_local().and_utc()));
        }
    }

    #[test]
    fn a_text_the_digit_by_digit_reader_takes_reads_as_chrono_reads_it_and_chrono_reads_the_rest() {
        for text in [
            "2024-02-29 23:59:59",
            "0000-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2023-02-29 10:00:00",
            "2021-13-01 10:00:00",
            "2021-00-10 10:00:00",
            "2021-05-26 24:00:00",
            "2021-05-26 23:60:00",
            "2021-05-26 23:59:60",
            "2021-05-26 1a:00:00",
            "+021-05-26 10:00:00",
            " 2021-05-26 10:00:0",
            "2021-05-26T10:00:00",
            "2021/05/26 10:00:00",
        ] {
            if let Some(naive) = read_fixed(text) {
                assert_eq!(Some(naive), read_with_chrono(text), "{text}");
            }
            // Whichever reads it, the date is the one chrono alone made of it.
            assert_eq!(
                parse_paris(text).ok().map(|at| at.with_timezone(&Paris).naive_local()),
                {
                    read_with_chrono(text).and_then(|naive| match Paris.from_local_datetime(&naive) {
                        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Some(at.naive_local()),
                        LocalResult::None => None,
                    })
                },
                "{text}"
            );
        }
    }

    #[test]
    fn a_second_written_again_on_the_same_thread_reads_as_written_the_first_time() {
        let at = utc("2021-10-31T00:59:59Z");
        let (later_that_second, next) = (at + chrono::TimeDelta::milliseconds(999), at + chrono::TimeDelta::seconds(1));
        // The same second, its last millisecond, the next (the clock goes back an hour), the first again.
        for instant in [at, at, later_that_second, next, next, at, later_that_second] {
            assert_eq!(ParisTime(instant).to_string(), chrono_writes(instant), "{instant}");
            assert_eq!(serde_json::to_value(ParisTime(instant)).unwrap(), chrono_writes(instant), "{instant}");
        }
        assert_eq!(ParisTime(at).to_string(), "2021-10-31 02:59:59");
        assert_eq!(ParisTime(next).to_string(), "2021-10-31 02:00:00");
    }

    #[test]
    fn formats_back_in_paris_time() {
        assert_eq!(format_paris(utc("2021-05-26T12:00:00Z")), "2021-05-26 14:00:00");
    }
}
