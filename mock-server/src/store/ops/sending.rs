//! Uploading, sending a letter, ordering an identity check, and OTP.

use std::sync::Arc;

use super::super::Store;
use super::super::attachment::Attachment;
use super::super::charges::{ChargeKind, Payer};
use super::super::identity;
use super::super::letter::{Letter, LetterStatus, NotifySnapshot, SenderCard, Sha256Digest};
use super::super::lifecycle::{Due, Event};
use super::super::partner::Partner;
use super::super::user::User;
use crate::domain::letter::NewLetter;
use crate::protocol::date::ParisTime;
use crate::protocol::params::FilePart;

/// A letter that passed every gate, ready to be recorded.
#[derive(Debug)]
pub struct SendOrder<'a> {
    /// The partner whose call sends it.
    pub partner: &'a Partner,
    /// The sender.
    pub sender: &'a User,
    /// Recipient, content and options.
    pub letter: NewLetter,
    /// The attachments, checked to be the sender's.
    pub attachments: Vec<Attachment>,
    /// Who pays.
    pub payer: Payer,
    /// The price before VAT.
    pub price_ht: f64,
    /// Its `full_hash_sha256`, taken by [`crate::store::mail::Mail::fingerprint`]
    /// (apart from the async threads when the attachments are large).
    pub full_hash_sha256: Sha256Digest,
}

impl Store {
    /// Records an upload of `file` for `user`, named `filename`.
    pub fn upload(&self, user: &User, partner: &Partner, filename: String, file: &FilePart) -> Attachment {
        let _shared = self.shared();
        self.mail.upload(user.id, partner, filename, file)
    }

    /// Records a letter that passed every gate, charges its payer, and
    /// lets the lifecycle notify the recipient. Answers the letter as
    /// deposited (`waiting`); the notification follows when due (at once by default).
    pub fn send_letter(&self, order: SendOrder<'_>) -> Arc<Letter> {
        let letter = {
            let _shared = self.shared();
            let letter = self.compose_letter(
                order.partner,
                order.sender,
                order.letter,
                &order.attachments,
                order.price_ht,
                order.full_hash_sha256,
            );
            let kind = if letter.is_eidas { ChargeKind::Eidas } else { ChargeKind::Simple };
            self.mail.charge(kind, order.sender.id, order.partner, order.payer, order.price_ht, Some(letter.id));
            self.mail.insert_letter(letter)
        };
        // The notification is due at once unless a delay is configured.
        if let Some((at, Due::Notify)) = letter.next_due(&self.mail.timings())
            && at <= self.clock.now()
        {
            // Answered as deposited, as AR24 does; the notification follows at once.
            _ = self.transition(letter.id, Event::Notify, at);
        }
        letter
    }

    /// The letter as deposited: the sender's card, the hash of its content and attachments.
    fn compose_letter(
        &self,
        partner: &Partner,
        sender: &User,
        new: NewLetter,
        attachments: &[Attachment],
        price_ht: f64,
        full_hash_sha256: Sha256Digest,
    ) -> Letter {
        let p = &sender.profile;
        let from_name = new.custom_name_sender.clone().unwrap_or_else(|| match &p.company {
            Some(company) if p.is_legal_entity => company.to_string(),
            _ => format!("{} {}", p.lastname, p.firstname),
        });
        Letter {
            id: self.mail.next_letter_id(),
            partner: crate::store::shared::token(&partner.token),
            sender: sender.id,
            status: LetterStatus::Waiting,
            is_eidas: new.eidas,
            from: Arc::new(SenderCard {
                name: from_name,
                email: p.email.as_str().to_owned(),
                address1: p.address1.to_string(),
                address2: p.address2.as_deref().unwrap_or_default().to_owned(),
                city: p.city.to_string(),
                zipcode: p.zipcode.to_string(),
            }),
            to: new.recipient,
            content: new.content,
            attachments: attachments.iter().map(|a| a.id).collect(),
            refs: [new.ref_dossier, new.ref_client, new.ref_facturation],
            payment_slug: new.payment_slug,
            webhook: new.webhook,
            pre_notif: new.pre_notif,
            price_ht,
            date: ParisTime(self.clock.now()),
            full_hash_sha256,
            download_token: uuid::Uuid::new_v4().simple().to_string()[..16].into(),
            req_notify: NotifySnapshot { ev: p.notify.ev, ar: p.notify.ar, rf: p.notify.rf, ng: p.notify.ng },
            ts_ev_date: None,
            view_date: None,
            refused_date: None,
            negligence_date: None,
            bounced_date: None,
            recipient_link: None,
            reminders: 0,
            refused_by: None,
        }
    }

    /// An identity check ordered for `user`, paid by `payer`: the identity is
    /// verified and an OTP secret issued (kept if the user already has one).
    pub fn order_identity(&self, user: &User, partner: &Partner, payer: Payer, price_ht: f64) -> Option<Arc<User>> {
        let _shared = self.shared();
        let updated = self.accounts.change(user.id, |u| {
            u.identity_verified = true;
            u.otp_secret.get_or_insert_with(|| identity::new_secret().into());
        })?;
        self.mail.charge(ChargeKind::Identity, user.id, partner, payer, price_ht, None);
        Some(updated)
    }

    /// Whether `code` is the user's current OTP code, unused; it is used up.
    pub fn check_otp(&self, user: &User, code: &str) -> bool {
        let Some(secret) = &user.otp_secret else { return false };
        let unix = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        self.identity.check_code(user.id, secret, code, unix)
    }

    /// A one-hour `auth_otp` hash for `user` and `partner`, with its expiry (business clock).
    pub fn open_otp_session(&self, user: &User, partner: &Partner) -> (String, chrono::DateTime<chrono::Utc>) {
        let _shared = self.shared();
        self.identity.open_session(user.id, &partner.token, self.clock.now())
    }

    /// Whether `hash` authenticates `user` for `partner` now (business clock).
    pub fn check_otp_hash(&self, hash: &str, user: &User, partner: &Partner) -> bool {
        self.identity.check_hash(hash, user.id, &partner.token, self.clock.now())
    }

    /// The user's OTP secret and current code, for tests.
    pub fn otp_of(&self, id: u64) -> Option<(String, String)> {
        let secret = self.user(id)?.otp_secret.as_deref()?.to_owned();
        let unix = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        let code = identity::code_at(&secret, unix)?;
        Some((secret, code))
    }
}
