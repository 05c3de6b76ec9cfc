//! Resets that go back to a seed (`--seed`) instead of to empty: all of it, or
//! one partner's part. A seed is a state document ([`Snapshot`]); ids stay
//! never reused (the counters only move forward) and the business clock stays
//! where it is.

use std::collections::HashSet;
use std::hash::Hash;

use super::Store;
use super::partner::Partner;
use super::record::Counters;
use super::snapshot::{Emails, Snapshot};
use crate::slug::Slug;

impl Snapshot {
    /// Counters at least `counters`: ids given since the seed was taken are not given again.
    fn counting_on_from(&mut self, counters: &Counters) {
        self.next_user_id = self.next_user_id.max(counters.user);
        self.next_email_id = self.next_email_id.max(counters.email);
        self.next_attachment_id = self.next_attachment_id.max(counters.attachment);
        self.next_letter_id = self.next_letter_id.max(counters.letter);
        self.next_charge_id = self.next_charge_id.max(counters.charge);
        self.next_delivery_id = self.next_delivery_id.max(counters.delivery);
        self.clock_offset = None;
    }

    /// Adds `seed`'s part of partner `token`: the accounts it created (unless
    /// their id or address is taken since), who sees them, what it sees, and its
    /// emails, links, uploads, letters, charges and webhook deliveries.
    fn add_part_of(&mut self, seed: &Snapshot, token: &str) {
        let ids: HashSet<u64> = self.users.iter().map(|u| u.id).collect();
        let emails: HashSet<String> = self.users.iter().map(|u| u.profile.email.key()).collect();
        let added: Vec<_> = seed
            .users
            .iter()
            .filter(|u| u.created_by.as_deref() == Some(token))
            .filter(|u| !ids.contains(&u.id) && !emails.contains(&u.profile.email.key()))
            .cloned()
            .collect();
        self.users.extend(added);
        self.users.sort_unstable_by_key(|u| u.id);
        let users: HashSet<u64> = self.users.iter().map(|u| u.id).collect();
        for (partner, seen) in &seed.visible {
            // This partner's view, and the others' view of the accounts it brings back.
            let wanted: Vec<u64> = seen
                .iter()
                .copied()
                .filter(|id| users.contains(id) && (partner == token || !ids.contains(id)))
                .collect();
            if self.partners.iter().any(|p| p.token == *partner) || partner == token {
                let list = self.visible.entry(partner.clone()).or_default();
                list.extend(wanted);
                list.sort_unstable();
                list.dedup();
            }
        }
        add_missing(&mut self.emails, seed.emails.iter().filter(|e| *e.partner == *token), |e| e.id);
        add_missing(&mut self.links, seed.links.iter().filter(|l| *l.partner == *token), |l| l.id);
        let uploads = seed.attachments.iter().filter(|a| *a.partner == *token && users.contains(&a.user_id));
        let added = add_missing(&mut self.attachments, uploads, |a| a.id);
        for upload in self.attachments.iter().filter(|a| added.contains(&a.id)) {
            if let Some(content) = seed.contents.get(&upload.sha1) {
                self.contents.entry(upload.sha1.clone()).or_insert_with(|| content.clone());
            }
        }
        let stored: HashSet<u64> = self.attachments.iter().map(|a| a.id).collect();
        let letters = seed.letters.iter().filter(|l| {
            *l.partner == *token && users.contains(&l.sender) && l.attachments.iter().all(|a| stored.contains(a))
        });
        let brought = add_missing(&mut self.letters, letters, |l| l.id);
        add_missing(&mut self.charges, seed.charges.iter().filter(|c| *c.token == *token), |c| c.id);
        add_missing(&mut self.webhooks, seed.webhooks.iter().filter(|d| brought.contains(&d.letter)), |d| d.id);
    }
}

/// Adds to `into` the items of `from` whose id it does not hold yet, keeps it in
/// id order, and answers the ids added.
fn add_missing<'a, T: Clone + 'a, K: Ord + Hash + Clone>(
    into: &mut Vec<T>,
    from: impl IntoIterator<Item = &'a T>,
    id: impl Fn(&T) -> K,
) -> HashSet<K> {
    let taken: HashSet<K> = into.iter().map(&id).collect();
    let added: Vec<T> = from.into_iter().filter(|item| !taken.contains(&id(item))).cloned().collect();
    let ids = added.iter().map(&id).collect();
    into.extend(added);
    into.sort_unstable_by_key(|item| id(item));
    ids
}

impl Store {
    /// Back to `seed`, all of it: like [`Store::reset`] (the journal and the
    /// fault rules forgotten), then the seed's state.
    pub fn reset_to(&self, seed: &Snapshot, configured: impl IntoIterator<Item = Partner>) -> Result<(), Slug> {
        let mut back = seed.clone();
        let _exclusive = self.exclusive();
        // Partners made since the seed stay, as a reset keeps partners.
        let mut now = Snapshot::empty(back.format);
        self.partners.export(&mut now);
        back.partners.extend(now.partners.into_iter().filter(|p| !seed.partners.iter().any(|s| s.token == p.token)));
        back.counting_on_from(&self.counters());
        back.check(Emails::Checked)?;
        self.journal.forget(None);
        self.faults.clear(None);
        self.replace_held(back, configured).map(drop)
    }

    /// Back to `seed`'s part of partner `token`: what it made is forgotten
    /// ([`Store::reset_partner`]), then the seed's part of it comes back; the
    /// other partners' data stays as it is.
    pub fn reset_partner_to(
        &self,
        token: &str,
        seed: &Snapshot,
        configured: impl IntoIterator<Item = Partner>,
    ) -> Result<(), Slug> {
        self.reset_partner(token);
        let _exclusive = self.exclusive();
        let mut now = self.snapshot_held();
        now.add_part_of(seed, token);
        now.counting_on_from(&self.counters());
        now.check(Emails::Checked)?;
        self.replace_held(now, configured).map(drop)
    }
}
