//! The `date` parameter: `YYYY-MM-DD HH:mm:ss` in Europe/Paris local time,
//! whatever the time zone of the machine the client runs on.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;

/// The format AR24 requires.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// `instant` as AR24 wants it: Paris local time.
pub fn format_paris(instant: DateTime<Utc>) -> String {
    instant.with_timezone(&Paris).format(FORMAT).to_string()
}

/// Now, as AR24 wants it.
pub fn now_paris() -> String {
    format_paris(Utc::now())
}

/// Where a client reads the time: the system clock, or a test's.
#[derive(Clone, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// Always this instant.
    Fixed(DateTime<Utc>),
    /// The system clock shifted by this much (a client whose clock is off).
    Shifted(chrono::Duration),
    /// Whatever this function says.
    Custom(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>),
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Clock::System => f.write_str("System"),
            Clock::Fixed(at) => write!(f, "Fixed({at})"),
            Clock::Shifted(by) => write!(f, "Shifted({by})"),
            Clock::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

impl Clock {
    /// The instant this clock reads.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => *at,
            Clock::Shifted(by) => Utc::now() + *by,
            Clock::Custom(read) => read(),
        }
    }

    /// The `date` parameter this clock gives.
    pub fn date(&self) -> String {
        format_paris(self.now())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn winter_is_utc_plus_one_and_summer_utc_plus_two() {
        assert_eq!(format_paris(Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap()), "2026-01-15 13:00:00");
        assert_eq!(format_paris(Utc.with_ymd_and_hms(2026, 7, 15, 12, 0, 0).unwrap()), "2026-07-15 14:00:00");
    }

    #[test]
    fn the_night_of_the_autumn_change_counts_one_oclock_twice_in_utc() {
        // 2026-10-25: 01:00 UTC is 03:00 CEST -> 02:00 CET.
        assert_eq!(format_paris(Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap()), "2026-10-25 02:30:00");
        assert_eq!(format_paris(Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap()), "2026-10-25 02:30:00");
    }

    #[test]
    fn a_fixed_clock_and_a_shifted_clock() {
        let at = Utc.with_ymd_and_hms(2021, 5, 26, 12, 0, 0).unwrap();
        assert_eq!(Clock::Fixed(at).date(), "2021-05-26 14:00:00");
        let ahead = Clock::Shifted(chrono::Duration::hours(1)).now() - Utc::now();
        assert!((ahead - chrono::Duration::hours(1)).num_seconds().abs() <= 1, "{ahead}");
    }
}
