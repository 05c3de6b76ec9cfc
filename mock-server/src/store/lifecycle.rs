//! A letter's life after sending (ar24-sending.md §3.2): the recipient is
//! notified (`ev`), then accepts (`ar`), refuses (`rf`), lets it lapse (`ng`),
//! or the notification bounces (`bc`). Every change of status goes through
//! [`Store::transition`]; what is due on the business clock (a delayed
//! notification, reminders, negligence) fires from [`Store::tick`], in the
//! order it fell due, dated when it fell due.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::letter::{Letter, LetterStatus};
use super::outbox::{Link, LinkKind, Partnership};
use super::webhook::Delivery;
use super::{Store, partner::Partner};
use crate::protocol::date::{format_paris, parse_paris};

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

fn at(date: &Option<String>) -> Option<DateTime<Utc>> {
    date.as_deref().and_then(|d| parse_paris(d).ok())
}

impl Letter {
    /// The next thing due for this letter on the business clock, and when.
    fn next_due(&self, timings: &Timings) -> Option<(DateTime<Utc>, Due)> {
        match self.status {
            LetterStatus::Waiting => at(&Some(self.date.clone())).map(|d| (d + timings.notify_after, Due::Notify)),
            LetterStatus::Ev => {
                let notified = at(&self.ts_ev_date)?;
                let neglect = notified + timings.negligence_after;
                let remind = notified + timings.remind_every * (self.reminders + 1) as i32;
                if remind < neglect { Some((remind, Due::Remind)) } else { Some((neglect, Due::Neglect)) }
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Notify,
    Remind,
    Neglect,
}

impl Store {
    /// The timings in force.
    pub fn timings(&self) -> Timings {
        *self.timings.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets the timings (from the configuration).
    pub fn set_timings(&self, timings: Timings) {
        *self.timings.write().unwrap_or_else(std::sync::PoisonError::into_inner) = timings;
    }

    /// Applies `event` to letter `id` at `when` (business time): sets the
    /// status and its date, notifies who must be, and queues the webhook.
    /// Nothing changes when the event cannot happen now.
    pub fn transition(&self, id: u64, event: Event, when: DateTime<Utc>) -> Result<Letter, Refused> {
        let _shared = self.shared();
        self.apply_event(id, event, when)
    }

    /// [`Store::transition`] for a caller that holds the `shared` gate already.
    pub(super) fn apply_event(&self, id: u64, event: Event, when: DateTime<Utc>) -> Result<Letter, Refused> {
        let letter = {
            let mut letter = self.letters.get_mut(&id).ok_or(Refused::NotFound)?;
            let to = event.from(letter.status).ok_or(Refused::Settled(letter.status))?;
            self.changes.letter(id);
            let date = Some(format_paris(when));
            letter.status = to;
            match to {
                LetterStatus::Ev => letter.ts_ev_date = date,
                LetterStatus::Ar => letter.view_date = date,
                LetterStatus::Rf => letter.refused_date = date,
                LetterStatus::Ng => letter.negligence_date = date,
                LetterStatus::Bc => letter.bounced_date = date,
                LetterStatus::Waiting => {}
            }
            letter.clone()
        };
        // No letter guard is held from here on (lock order: links → letters).
        let partner = self.partner(&letter.partner);
        if event == Event::Notify {
            self.email_recipient(&letter, partner.as_deref(), LinkKind::Letter);
        }
        self.notify_sender(&letter, partner.as_deref());
        let webhook = letter.webhook.clone().or_else(|| partner.as_ref().and_then(|p| p.webhook.clone()));
        if let Some(url) = webhook {
            let payload = self.webhook_payload(&letter);
            self.queue_delivery(Delivery::new(0, letter.id, letter.partner.clone(), url, payload, when));
        }
        Ok(letter)
    }

    /// The recipient's email for `kind` (the notification or a reminder), with
    /// the letter's one link: the first email makes it, reminders reuse it.
    fn email_recipient(&self, letter: &Letter, partner: Option<&Partner>, kind: LinkKind) {
        let link = match letter.recipient_link.as_ref().and_then(|id| self.link(id)) {
            Some(link) => link,
            None => {
                let link_id = uuid::Uuid::new_v4().simple().to_string();
                let link = Link {
                    url: format!("{}/_mock/links/{link_id}", self.public_url),
                    id: link_id.clone(),
                    kind: LinkKind::Letter,
                    user_id: letter.sender,
                    to: letter.to.email.as_str().to_owned(),
                    partner: letter.partner.clone(),
                    master_id: None,
                    letter_id: Some(letter.id),
                    used_at: None,
                };
                self.changes.link(&link_id);
                self.links.insert(link_id.clone(), link.clone());
                if let Some(mut stored) = self.letters.get_mut(&letter.id) {
                    stored.recipient_link = Some(link_id);
                    self.changes.letter(letter.id);
                }
                link
            }
        };
        let name = partner.map_or_else(|| letter.partner.clone(), |p| p.name.clone());
        let from = Partnership { token: &letter.partner, name: &name, other: Some(&letter.from.name) };
        self.post(kind, letter.to.email.as_str(), &from, link.url);
    }

    /// The sender's email about the new status, when their preferences at
    /// sending asked for it (`req_notify_*`; bounces always).
    fn notify_sender(&self, letter: &Letter, partner: Option<&Partner>) {
        let wanted = match letter.status {
            LetterStatus::Ev => letter.req_notify.ev,
            LetterStatus::Ar => letter.req_notify.ar,
            LetterStatus::Rf => letter.req_notify.rf,
            LetterStatus::Ng => letter.req_notify.ng,
            LetterStatus::Bc => true,
            LetterStatus::Waiting => false,
        };
        if !wanted {
            return;
        }
        let name = partner.map_or_else(|| letter.partner.clone(), |p| p.name.clone());
        let status = letter.status.describe();
        let from = Partnership { token: &letter.partner, name: &name, other: Some(status) };
        let url = format!("{}/_mock/letters/{}", self.public_url, letter.id);
        self.post(LinkKind::Notification, &letter.from.email, &from, url);
    }

    /// Fires everything due on the business clock by now, earliest first,
    /// each dated when it fell due. Answers how many things fired.
    pub fn tick(&self) -> usize {
        let timings = self.timings();
        let now = self.clock.now();
        let mut fired = 0;
        loop {
            let next = self
                .letters
                .iter()
                .filter_map(|l| l.next_due(&timings).map(|(when, due)| (when, l.id, due)))
                .filter(|(when, _, _)| *when <= now)
                .min_by_key(|(when, id, _)| (*when, *id));
            let Some((when, id, due)) = next else { break };
            fired += 1;
            match due {
                Due::Notify => {
                    let _ = self.transition(id, Event::Notify, when);
                }
                Due::Neglect => {
                    let _ = self.transition(id, Event::Neglect, when);
                }
                Due::Remind => self.remind(id),
            }
        }
        fired
    }

    /// A reminder to a recipient who has not answered yet.
    fn remind(&self, id: u64) {
        let _shared = self.shared();
        let letter = {
            let Some(mut letter) = self.letters.get_mut(&id) else { return };
            letter.reminders += 1;
            self.changes.letter(id);
            letter.clone()
        };
        let partner = self.partner(&letter.partner);
        self.email_recipient(&letter, partner.as_deref(), LinkKind::Reminder);
    }
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
