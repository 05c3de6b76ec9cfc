//! Webhook deliveries (ar24-sending.md §4): one per status change of a letter
//! that has a webhook URL, with every attempt recorded. Only HTTP 200 counts;
//! otherwise AR24 tries again every 15 minutes, up to 48 times, with timeouts
//! growing from 2.5 s to 11 s. The sending itself is the webhook sender's (`webhook_sender.rs`); this
//! is what is due and what happened.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::letter::LetterStatus;
use crate::protocol::date::ParisTime;

/// One attempt at delivering.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    /// 1 for the first call, then each retry.
    pub number: u32,
    /// When it fell due (business time): the time it was made, as the receiver's clock
    /// would have read on the business clock.
    pub at: ParisTime,
    /// The HTTP status answered, if any.
    pub status: Option<u16>,
    /// What went wrong when no status came back (timeout, refused connection).
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// Answered HTTP 200.
    Delivered,
    /// Every attempt failed.
    Failed,
}

/// A status change to post to a webhook URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    /// Increasing id.
    pub id: u64,
    /// The letter.
    pub letter: u64,
    /// The partner whose letter it is.
    #[serde(deserialize_with = "crate::store::shared::read_token")]
    pub partner: crate::store::shared::Token,
    /// Where it goes.
    pub url: String,
    /// The form fields posted.
    pub payload: Vec<(String, String)>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<Attempt>,
    /// When the next attempt is due (business time), while pending.
    pub next_due: Option<ParisTime>,
    /// An attempt is under way (never kept across a restart).
    #[serde(skip)]
    pub in_flight: bool,
}

impl Delivery {
    /// A delivery due at `due`.
    pub fn new(
        id: u64,
        letter: u64,
        partner: crate::store::shared::Token,
        url: String,
        payload: Vec<(String, String)>,
        due: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            letter,
            partner,
            url,
            payload,
            state: DeliveryState::Pending,
            attempts: Vec::new(),
            next_due: Some(ParisTime(due)),
            in_flight: false,
        }
    }
}

impl Delivery {
    /// When its next attempt falls due, while it is pending.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        self.next_due.filter(|_| self.state == DeliveryState::Pending).map(ParisTime::utc)
    }

    /// The status the delivery tells of (`new_state`).
    pub fn payload_state(&self) -> String {
        self.payload.iter().find(|(k, _)| k == "new_state").map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

/// An attempt to make now.
#[derive(Debug, Clone)]
pub struct Due {
    /// The delivery.
    pub id: u64,
    /// Its letter.
    pub letter: u64,
    /// When it fell due (business time): the attempt is stamped with it.
    pub when: DateTime<Utc>,
    /// Where to post.
    pub url: String,
    /// What to post.
    pub payload: Vec<(String, String)>,
    /// Its attempt number.
    pub number: u32,
}

/// AR24's timeout for attempt `number` (1 is the first call, [ASSUMED] 2.5 s
/// like the first retries): 2.5 s up to the 9th, then 4.5, 6.5, 8.5 and 11 s.
pub fn timeout(number: u32) -> Duration {
    let millis = match number {
        0..=9 => 2_500,
        10..=19 => 4_500,
        20..=29 => 6_500,
        30..=39 => 8_500,
        _ => 11_000,
    };
    Duration::from_millis(millis)
}

/// The date field that goes with a status in a webhook ([ASSUMED] names, as on the mail object).
pub fn date_field(status: LetterStatus) -> Option<&'static str> {
    match status {
        LetterStatus::Ev => Some("ts_ev_date"),
        LetterStatus::Ar => Some("view_date"),
        LetterStatus::Rf => Some("refused_date"),
        LetterStatus::Ng => Some("negligence_date"),
        LetterStatus::Bc => Some("bounced_date"),
        LetterStatus::Waiting => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_grow_as_ar24_says() {
        let secs = |n| timeout(n).as_secs_f64();
        assert_eq!((secs(1), secs(9), secs(10), secs(19)), (2.5, 2.5, 4.5, 4.5));
        assert_eq!((secs(20), secs(30), secs(39), secs(40), secs(49)), (6.5, 8.5, 8.5, 11.0, 11.0));
    }
}
