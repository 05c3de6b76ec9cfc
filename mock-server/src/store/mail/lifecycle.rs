//! A letter's life after sending (ar24-sending.md §3.2): the recipient is
//! notified (`ev`), then accepts (`ar`), refuses (`rf`), lets it lapse (`ng`),
//! or the notification bounces (`bc`): the one table of transitions, the
//! timings, and what falls due when. Applying an event is the facade's
//! `transition` (`ops/letters.rs`); what is due on the business clock fires
//! from its `tick`, in the order it fell due, dated when it fell due.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::letter::{Letter, LetterStatus};

/// What happens to a letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// AR24 emails the recipient.
    Notify,
    /// The recipient accepts the letter.
    Accept,
    /// The recipient, once identified, refuses it.
    Refuse,
    /// The notification email bounced.
    Bounce,
    /// The recipient let the deadline pass.
    Neglect,
}

impl Event {
    /// The status `event` leads to from `from`, if it may happen then.
    /// Accepted, refused, neglected and bounced letters never change.
    pub fn from(self, from: LetterStatus) -> Option<LetterStatus> {
        use LetterStatus::{Ar, Bc, Ev, Ng, Rf, Waiting};
        match (from, self) {
            (Waiting, Event::Notify) => Some(Ev),
            (Waiting | Ev, Event::Bounce) => Some(Bc),
            (Ev, Event::Accept) => Some(Ar),
            (Ev, Event::Refuse) => Some(Rf),
            (Ev, Event::Neglect) => Some(Ng),
            _ => None,
        }
    }
}

/// Why an event changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such letter.
    NotFound,
    /// The letter is in a state this event cannot leave.
    Settled(LetterStatus),
}

impl Refused {
    /// Why, in a sentence for people.
    pub fn reason(self) -> String {
        match self {
            Refused::NotFound => "No registered letter has this id.".into(),
            Refused::Settled(LetterStatus::Waiting) => "The recipient has not been notified yet.".into(),
            Refused::Settled(status) => format!("The letter is already {}; it cannot change.", status.describe()),
        }
    }
}

/// The timings of a letter's life ([ASSUMED], configurable).
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// From sending to the recipient's notification.
    pub notify_after: TimeDelta,
    /// From notification to negligence.
    pub negligence_after: TimeDelta,
    /// Between two reminders to the recipient.
    pub remind_every: TimeDelta,
    /// Between two webhook attempts.
    pub webhook_retry_every: TimeDelta,
    /// Webhook retries after the first attempt.
    pub webhook_retries: u32,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            notify_after: TimeDelta::zero(),
            negligence_after: TimeDelta::days(15),
            remind_every: TimeDelta::days(2),
            webhook_retry_every: TimeDelta::minutes(15),
            webhook_retries: 48,
        }
    }
}

impl Letter {
    /// The next thing due for this letter on the business clock, and when.
    pub fn next_due(&self, timings: &Timings) -> Option<(DateTime<Utc>, Due)> {
        match self.status {
            LetterStatus::Waiting => Some((self.date.utc() + timings.notify_after, Due::Notify)),
            LetterStatus::Ev => {
                let notified = self.ts_ev_date?.utc();
                let neglect = notified + timings.negligence_after;
                let remind = notified + timings.remind_every * (self.reminders + 1) as i32;
                if remind < neglect { Some((remind, Due::Remind)) } else { Some((neglect, Due::Neglect)) }
            }
            _ => None,
        }
    }

    /// When its next thing is due, if anything is.
    pub fn due_at(&self, timings: &Timings) -> Option<DateTime<Utc>> {
        self.next_due(timings).map(|(at, _)| at)
    }

    /// What the index files of it.
    pub fn index_keys(&self, timings: &Timings) -> super::index::LetterKeys {
        super::index::LetterKeys {
            id: self.id,
            sender: self.sender,
            partner: self.partner.clone(),
            due: self.due_at(timings),
        }
    }
}

/// What falls due for a letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Its recipient is notified.
    Notify,
    /// Its recipient is reminded.
    Remind,
    /// It is neglected.
    Neglect,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_notified_letter_is_accepted_refused_or_neglected_and_settled_letters_never_change() {
        use LetterStatus::*;
        assert_eq!(Event::Notify.from(Waiting), Some(Ev));
        assert_eq!(Event::Accept.from(Waiting), None, "not yet notified");
        for (event, to) in [(Event::Accept, Ar), (Event::Refuse, Rf), (Event::Neglect, Ng), (Event::Bounce, Bc)] {
            assert_eq!(event.from(Ev), Some(to));
        }
        assert_eq!(Event::Bounce.from(Waiting), Some(Bc));
        for settled in [Ar, Rf, Ng, Bc] {
            for event in [Event::Notify, Event::Accept, Event::Refuse, Event::Bounce, Event::Neglect] {
                assert_eq!(event.from(settled), None, "{settled:?} stays after {event:?}");
            }
        }
    }
}
