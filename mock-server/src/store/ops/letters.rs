//! A letter's events, and what falls due on the business clock. Every change
//! of status goes through [`Store::transition`]; what is due (a delayed
//! notification, reminders, negligence, webhook attempts) is handed out one
//! piece at a time by [`Store::next_work`], in the order it fell due, each
//! dated when it fell due. The runner (`ticker.rs`) asks for it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::super::Store;
use super::super::letter::{Letter, LetterStatus};
use super::super::lifecycle::{Due, Event, Refused};
use super::super::mail::DueWork;
use super::super::outbox::{LinkFor, LinkKind, Partnership};
use super::super::partner::Partner;
use super::super::webhook;

impl Store {
    /// Applies `event` to letter `id` at `when` (business time): sets the
    /// status and its date, notifies who must be, and queues the webhook.
    /// Nothing changes when the event cannot happen now.
    pub fn transition(&self, id: u64, event: Event, when: DateTime<Utc>) -> Result<Arc<Letter>, Refused> {
        let _shared = self.shared();
        self.apply_event(id, event, when)
    }

    /// The recipient, identified as `by` (first and last name), refuses the letter.
    pub fn refuse(&self, id: u64, by: &str, when: DateTime<Utc>) -> Result<Arc<Letter>, Refused> {
        let _shared = self.shared();
        self.refuse_as(id, by, when)
    }

    /// [`Store::refuse`] for a caller that holds the `shared` gate already.
    pub(in crate::store) fn refuse_as(&self, id: u64, by: &str, when: DateTime<Utc>) -> Result<Arc<Letter>, Refused> {
        let letter = self.apply_event(id, Event::Refuse, when)?;
        Ok(self.mail.set_refused_by(id, by).unwrap_or(letter))
    }

    /// [`Store::transition`] for a caller that holds the `shared` gate already.
    pub(in crate::store) fn apply_event(
        &self,
        id: u64,
        event: Event,
        when: DateTime<Utc>,
    ) -> Result<Arc<Letter>, Refused> {
        let mut letter = self.mail.apply_event(id, event, when)?;
        let partner = self.partner(&letter.partner);
        if event == Event::Notify {
            letter = self.email_recipient(letter, partner.as_deref(), LinkKind::Letter, when);
        }
        self.notify_sender(&letter, partner.as_deref(), when);
        let webhook = letter.webhook.clone().or_else(|| partner.as_ref().and_then(|p| p.webhook.clone()));
        if let Some(url) = webhook {
            self.mail.queue_delivery(&letter, url, when);
        }
        Ok(letter)
    }

    /// The recipient's email for `kind` (the notification or a reminder), with
    /// the letter's one link: the first email makes it, reminders reuse it.
    /// The letter as it is then.
    fn email_recipient(
        &self,
        mut letter: Arc<Letter>,
        partner: Option<&Partner>,
        kind: LinkKind,
        when: DateTime<Utc>,
    ) -> Arc<Letter> {
        let link = match letter.recipient_link.and_then(|id| self.outbox.link_by_id(id)) {
            Some(link) => link,
            None => {
                let link = self.outbox.new_link(LinkFor {
                    kind: LinkKind::Letter,
                    user_id: letter.sender,
                    to: letter.to.email.as_str(),
                    partner: &letter.partner,
                    master_id: None,
                    letter_id: Some(letter.id),
                });
                letter = self.mail.set_recipient_link(letter, link.id);
                link
            }
        };
        let name = partner.map_or_else(|| letter.partner.to_string(), |p| p.name.clone());
        let from = Partnership { token: &letter.partner, name: &name, other: Some(&letter.from.name) };
        self.outbox.post_at(kind, letter.to.email.as_str(), &from, self.outbox.url(&link), when);
        letter
    }

    /// The sender's email about the new status, when their preferences at
    /// sending asked for it (`req_notify_*`; bounces always).
    fn notify_sender(&self, letter: &Letter, partner: Option<&Partner>, when: DateTime<Utc>) {
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
        let name = partner.map_or_else(|| letter.partner.to_string(), |p| p.name.clone());
        let status = letter.status.describe();
        let from = Partnership { token: &letter.partner, name: &name, other: Some(status) };
        let url = [self.outbox.public_url(), "/_mock/letters/", itoa::Buffer::new().format(letter.id)].concat();
        self.outbox.post_at(LinkKind::Notification, &letter.from.email, &from, url, when);
    }

    /// Does the earliest work due by `until`: a letter's event fires here,
    /// dated when it fell due; a webhook attempt is handed back to be made
    /// (and then recorded with [`Store::record_attempt`]). `None` once
    /// nothing more is due by then.
    pub fn next_work(&self, until: DateTime<Utc>) -> Option<Work> {
        let _shared = self.shared();
        match self.mail.take_due(until)? {
            DueWork::Attempt(due) => Some(Work::Attempt(due)),
            DueWork::Letter { id, when } => {
                // What is due now follows from the letter as it is (a call may just have settled it).
                let Some((at, due)) = self.mail.letter_due(id).filter(|(at, _)| *at <= until) else {
                    return Some(Work::Nothing);
                };
                debug_assert!(at >= when, "work is never done before it falls due");
                match due {
                    Due::Notify => _ = self.apply_event(id, Event::Notify, at),
                    Due::Neglect => _ = self.apply_event(id, Event::Neglect, at),
                    Due::Remind => self.remind(id, at),
                }
                // A reminder moves the letter on: what falls due next comes later, or the clock would never finish.
                debug_assert!(
                    !matches!(due, Due::Remind) || self.mail.letter_due(id).is_none_or(|(next, _)| next > at),
                    "letter {id}: the next event is not after the reminder just sent at {at}"
                );
                Some(Work::Fired(due))
            }
        }
    }

    /// A reminder, due at `when`, to a recipient who has not answered yet.
    fn remind(&self, id: u64, when: DateTime<Utc>) {
        let Some(letter) = self.mail.count_reminder(id) else { return };
        let partner = self.partner(&letter.partner);
        self.email_recipient(letter, partner.as_deref(), LinkKind::Reminder, when);
    }
}

/// One piece of work [`Store::next_work`] did or hands out.
#[derive(Debug)]
pub enum Work {
    /// A letter's event fired.
    Fired(Due),
    /// A webhook attempt to make.
    Attempt(webhook::Due),
    /// What was due had already been done by a call (nothing fired).
    Nothing,
}
