//! Emails that carry a link, and what following a link does.

use std::sync::Arc;

use super::super::Store;
use super::super::lifecycle::Event;
use super::super::outbox::{Email, Link, LinkError, LinkFor, LinkKind, Partnership};
use super::super::partner::Partner;
use super::super::user::User;

impl Store {
    /// Makes a one-use link for `kind`, without sending anything.
    pub fn issue_link(&self, kind: LinkKind, user: &User, partner: &Partner, master: Option<&User>) -> Link {
        let _shared = self.shared();
        self.outbox.new_link(link_for(kind, user, partner, master))
    }

    /// Sends the email for `kind` to `user`, with a fresh link; a CGU request
    /// is noted on the user (`notif_cgu`).
    pub fn send_email(&self, kind: LinkKind, user: &User, partner: &Partner, master: Option<&User>) -> Arc<Email> {
        let _shared = self.shared();
        if kind == LinkKind::Cgu {
            self.accounts.change(user.id, |u| u.notif_cgu = true);
        }
        let link = self.outbox.new_link(link_for(kind, user, partner, master));
        let from =
            Partnership { token: &partner.token, name: &partner.name, other: master.map(|m| m.profile.email.as_str()) };
        self.outbox.post(kind, user.profile.email.as_str(), &from, self.outbox.url(&link))
    }

    /// Accepts what the link asks, once. The link is claimed first (of two
    /// simultaneous acceptances, one wins) and given back if its effect
    /// cannot happen any more.
    pub fn accept_link(&self, id: &str) -> Result<Link, LinkError> {
        let _shared = self.shared();
        let link = self.outbox.claim(id, |_| true)?;
        self.accept(&link).inspect_err(|_| self.outbox.release(id))?;
        Ok(link)
    }

    /// The recipient of a letter, identified, refuses it through its link, once.
    pub fn refuse_by_link(&self, id: &str, by: &str) -> Result<Link, LinkError> {
        let _shared = self.shared();
        let link = self.outbox.claim(id, |kind| matches!(kind, LinkKind::Letter | LinkKind::Reminder))?;
        let refused = match link.letter_id {
            Some(letter) => self.refuse_as(letter, by, self.clock.now()).map_err(|_| LinkError::Obsolete),
            None => Err(LinkError::Obsolete),
        };
        refused.inspect_err(|_| self.outbox.release(id))?;
        Ok(link)
    }

    fn accept(&self, link: &Link) -> Result<(), LinkError> {
        let obsolete = LinkError::Obsolete;
        match link.kind {
            LinkKind::Cgu => {
                self.accounts.change(link.user_id, |u| u.cgu = true).ok_or(obsolete)?;
            }
            LinkKind::Payment => {
                self.accounts.change(link.user_id, |u| u.payment_method = true).ok_or(obsolete)?;
            }
            LinkKind::Letter | LinkKind::Reminder => {
                let letter = link.letter_id.ok_or(obsolete)?;
                self.apply_event(letter, Event::Accept, self.clock.now()).map_err(|_| obsolete)?;
            }
            LinkKind::Notification => return Err(obsolete),
            LinkKind::Access => {
                if !self.accounts.grant(&link.partner, link.user_id) {
                    return Err(obsolete);
                }
            }
            LinkKind::Team => {
                let master = link.master_id.ok_or(obsolete)?;
                let master_can_pay = self.user(master).is_some_and(|m| m.payment_method);
                if !master_can_pay {
                    return Err(obsolete);
                }
                self.accounts.change(link.user_id, |u| u.team_master = Some(master)).ok_or(obsolete)?;
            }
        }
        Ok(())
    }
}

fn link_for<'a>(kind: LinkKind, user: &'a User, partner: &'a Partner, master: Option<&User>) -> LinkFor<'a> {
    LinkFor {
        kind,
        user_id: user.id,
        to: user.profile.email.as_str(),
        partner: &partner.token,
        master_id: master.map(|m| m.id),
        letter_id: None,
    }
}
