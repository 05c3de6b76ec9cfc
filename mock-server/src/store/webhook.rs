//! Webhook deliveries (ar24-sending.md §4): one per status change of a letter
//! that has a webhook URL, with every attempt recorded. Only HTTP 200 counts;
//! otherwise AR24 tries again every 15 minutes, up to 48 times, with timeouts
//! growing from 2.5 s to 11 s. The sending itself is `crate::dispatch`'s; this
//! is what is due and what happened.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Store;
use super::letter::{Letter, LetterStatus};

/// One attempt at delivering.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    /// 1 for the first call, then each retry.
    pub number: u32,
    /// When it was made (business time, Paris).
    pub at: String,
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
    pub partner: String,
    /// Where it goes.
    pub url: String,
    /// The form fields posted.
    pub payload: Vec<(String, String)>,
    /// Where it stands.
    pub state: DeliveryState,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<Attempt>,
    /// When the next attempt is due (business time), while pending.
    pub next_due: Option<DateTime<Utc>>,
    /// An attempt is under way (never kept across a restart).
    #[serde(skip)]
    pub in_flight: bool,
}

impl Delivery {
    /// A delivery due at `due`.
    pub fn new(
        id: u64,
        letter: u64,
        partner: String,
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
            next_due: Some(due),
            in_flight: false,
        }
    }
}

impl Delivery {
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
fn date_field(status: LetterStatus) -> Option<&'static str> {
    match status {
        LetterStatus::Ev => Some("ts_ev_date"),
        LetterStatus::Ar => Some("view_date"),
        LetterStatus::Rf => Some("refused_date"),
        LetterStatus::Ng => Some("negligence_date"),
        LetterStatus::Bc => Some("bounced_date"),
        LetterStatus::Waiting => None,
    }
}

impl Store {
    /// The form fields AR24 posts for the letter's current status ([ASSUMED]):
    /// `id_mail`, `new_state`, `proof_url`, and the status's date.
    pub fn webhook_payload(&self, letter: &Letter) -> Vec<(String, String)> {
        let view = self.mail_view(letter);
        let (proof, date) = match letter.status {
            LetterStatus::Ev => (view.proof_ev_url, letter.ts_ev_date.clone()),
            LetterStatus::Ar => (view.proof_ar_url, letter.view_date.clone()),
            LetterStatus::Rf => (view.proof_rf_url, letter.refused_date.clone()),
            LetterStatus::Ng => (view.proof_ng_url, letter.negligence_date.clone()),
            LetterStatus::Bc => (view.proof_bc_url, letter.bounced_date.clone()),
            LetterStatus::Waiting => (None, None),
        };
        let mut payload = vec![
            ("id_mail".to_owned(), letter.id.to_string()),
            ("new_state".to_owned(), letter.status.as_str().to_owned()),
            ("proof_url".to_owned(), proof.unwrap_or_default()),
        ];
        if let (Some(field), Some(date)) = (date_field(letter.status), date) {
            payload.push((field.to_owned(), date));
        }
        payload
    }

    fn deliveries(&self) -> std::sync::MutexGuard<'_, Vec<Delivery>> {
        self.deliveries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `delivery` (its id is given here).
    pub fn queue_delivery(&self, mut delivery: Delivery) -> u64 {
        delivery.id = self.next_delivery_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = delivery.id;
        self.deliveries().push(delivery);
        self.changes.delivery(id);
        id
    }

    /// The attempts due by `now`, earliest first, each marked under way so
    /// that it is made once.
    pub fn take_due_deliveries(&self, now: DateTime<Utc>) -> Vec<Due> {
        let mut deliveries = self.deliveries();
        let mut due: Vec<&mut Delivery> = deliveries
            .iter_mut()
            .filter(|d| d.state == DeliveryState::Pending && !d.in_flight && d.next_due.is_some_and(|at| at <= now))
            .collect();
        due.sort_by_key(|d| (d.next_due, d.id));
        due.into_iter()
            .map(|d| {
                d.in_flight = true;
                Due { id: d.id, url: d.url.clone(), payload: d.payload.clone(), number: d.attempts.len() as u32 + 1 }
            })
            .collect()
    }

    /// Records an attempt: delivered on HTTP 200; otherwise the next attempt is
    /// due one interval after this one was, until the retries run out.
    pub fn record_attempt(&self, id: u64, attempt: Attempt) {
        let timings = self.timings();
        let mut deliveries = self.deliveries();
        let Some(delivery) = deliveries.iter_mut().find(|d| d.id == id) else { return };
        delivery.in_flight = false;
        self.changes.delivery(id);
        let delivered = attempt.status == Some(200);
        delivery.attempts.push(attempt);
        if delivered {
            delivery.state = DeliveryState::Delivered;
            delivery.next_due = None;
        } else if delivery.attempts.len() as u32 > timings.webhook_retries {
            delivery.state = DeliveryState::Failed;
            delivery.next_due = None;
        } else {
            let previous = delivery.next_due.unwrap_or_else(|| self.clock.now());
            delivery.next_due = Some(previous + timings.webhook_retry_every);
        }
    }

    /// Sends a delivery again now, whatever became of it.
    pub fn replay_delivery(&self, id: u64) -> Option<Delivery> {
        let now = self.clock.now();
        let mut deliveries = self.deliveries();
        let delivery = deliveries.iter_mut().find(|d| d.id == id)?;
        if !delivery.in_flight {
            delivery.state = DeliveryState::Pending;
            delivery.next_due = Some(now);
            self.changes.delivery(id);
        }
        Some(delivery.clone())
    }

    /// Replaces the deliveries by imported ones (none under way).
    pub(super) fn restore_deliveries(&self, deliveries: Vec<Delivery>) {
        *self.deliveries() = deliveries;
    }

    /// Every delivery, oldest first, of one letter or all.
    pub fn webhook_deliveries(&self, letter: Option<u64>) -> Vec<Delivery> {
        self.deliveries().iter().filter(|d| letter.is_none_or(|l| d.letter == l)).cloned().collect()
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
