//! The sending side of the store: attachments, letters, charges, identity
//! orders and eIDAS authentication. Routes decide *whether* (the gates of
//! `routes/mail.rs`); these methods record *what happened*.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sha2::{Digest, Sha256};

use super::attachment::Attachment;
use super::charges::{Charge, ChargeKind, Payer};
use super::letter::{Letter, LetterStatus, NotifySnapshot, SenderCard};
use super::partner::Partner;
use super::user::User;
use super::{Order, Store, otp};
use crate::domain::letter::NewLetter;
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
}

/// Which letters `GET /_mock/letters` lists.
#[derive(Debug, Default)]
pub struct LetterFilter {
    /// The sending partner's token.
    pub token: Option<String>,
    /// The sender.
    pub user: Option<u64>,
    /// The status.
    pub status: Option<LetterStatus>,
}

fn page<T>(mut items: Vec<T>, id: impl Fn(&T) -> u64, max: usize, start: usize, order: Order) -> Vec<T> {
    items.sort_by_key(&id);
    if order == Order::Desc {
        items.reverse();
    }
    items.into_iter().skip(start).take(max).collect()
}

impl Store {
    // ----- attachments -----

    /// Records an upload of `file` for `user`, named `filename`. Its bytes are
    /// kept once per content, whoever uploads them and however often.
    pub fn upload(&self, user: &User, partner: &Partner, filename: String, file: &FilePart) -> Attachment {
        let _shared = self.shared();
        self.blobs.entry(file.sha1.clone()).or_insert_with(|| file.bytes.clone());
        self.changes.content(&file.sha1);
        let attachment = Attachment {
            id: self.next_attachment_id.fetch_add(1, Ordering::Relaxed),
            user_id: user.id,
            partner: partner.token.clone(),
            filename,
            size: file.bytes.len() as u64,
            sha1: file.sha1.clone(),
            upload_date: self.clock.now_paris(),
        };
        self.attachments.insert(attachment.id, attachment.clone());
        self.changes.attachment(attachment.id);
        attachment
    }

    /// The attachment with this id.
    pub fn attachment(&self, id: u64) -> Option<Attachment> {
        self.attachments.get(&id).map(|a| a.clone())
    }

    /// How many distinct contents are stored.
    pub fn stored_contents(&self) -> usize {
        self.blobs.len()
    }

    /// The bytes of the content with this SHA-1.
    pub fn content(&self, sha1: &str) -> Option<bytes::Bytes> {
        self.blobs.get(sha1).map(|b| b.clone())
    }

    /// The name of the first upload of the content with this SHA-1.
    pub fn attachment_named(&self, sha1: &str) -> Option<String> {
        self.attachments.iter().filter(|a| a.sha1 == sha1).min_by_key(|a| a.id).map(|a| a.filename.clone())
    }

    /// A page of a user's uploads, by id.
    pub fn user_attachments(&self, user_id: u64, max: usize, start: usize, order: Order) -> Vec<Attachment> {
        let mine = self.attachments.iter().filter(|a| a.user_id == user_id).map(|a| a.clone()).collect();
        page(mine, |a: &Attachment| a.id, max, start, order)
    }

    /// The mail object AR24 answers for `letter`, its URLs under the mock's public URL.
    pub fn mail_view(&self, letter: &Letter) -> super::letter::MailView {
        letter.view(&self.letter_attachments(letter), &self.public_url)
    }

    /// A letter's attachments, in the letter's order.
    pub fn letter_attachments(&self, letter: &Letter) -> Vec<Attachment> {
        letter.attachments.iter().filter_map(|id| self.attachment(*id)).collect()
    }

    // ----- letters -----

    /// Records a letter that passed every gate, charges its payer, and
    /// lets the lifecycle notify the recipient. Answers the letter as
    /// deposited (`waiting`); the notification follows when due (at once by default).
    pub fn send_letter(&self, order: SendOrder<'_>) -> Letter {
        let letter = {
            let _shared = self.shared();
            let sender = order.sender;
            let p = &sender.profile;
            let from_name = order.letter.custom_name_sender.clone().unwrap_or_else(|| match &p.company {
                Some(company) if p.is_legal_entity => company.to_string(),
                _ => format!("{} {}", p.lastname, p.firstname),
            });
            let mut hash = Sha256::new();
            hash.update(order.letter.content.as_bytes());
            for attachment in &order.attachments {
                if let Some(bytes) = self.blobs.get(&attachment.sha1) {
                    hash.update(&bytes[..]);
                }
            }
            let id = self.next_letter_id.fetch_add(1, Ordering::Relaxed);
            let new = order.letter;
            let letter = Letter {
                id,
                partner: order.partner.token.clone(),
                sender: sender.id,
                status: LetterStatus::Waiting,
                is_eidas: new.eidas,
                from: SenderCard {
                    name: from_name,
                    email: p.email.as_str().to_owned(),
                    address1: p.address1.to_string(),
                    address2: p.address2.as_deref().unwrap_or_default().to_owned(),
                    city: p.city.to_string(),
                    zipcode: p.zipcode.to_string(),
                },
                to: new.recipient,
                content: new.content,
                attachments: order.attachments.iter().map(|a| a.id).collect(),
                refs: [new.ref_dossier, new.ref_client, new.ref_facturation],
                payment_slug: new.payment_slug,
                webhook: new.webhook,
                pre_notif: new.pre_notif,
                price_ht: order.price_ht,
                date: self.clock.now_paris(),
                full_hash_sha256: format!("{:X}", hash.finalize()),
                download_token: uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
                req_notify: NotifySnapshot { ev: p.notify.ev, ar: p.notify.ar, rf: p.notify.rf, ng: p.notify.ng },
                ts_ev_date: None,
                view_date: None,
                refused_date: None,
                negligence_date: None,
                bounced_date: None,
                recipient_link: None,
                reminders: 0,
            };
            let kind = if letter.is_eidas { ChargeKind::Eidas } else { ChargeKind::Simple };
            self.record_charge(kind, sender.id, order.partner, order.payer, order.price_ht, Some(id));
            self.letters.insert(id, letter.clone());
            self.changes.letter(id);
            letter
        };
        // The notification is due at once unless a delay is configured.
        self.tick();
        letter
    }

    /// The letter with this id.
    pub fn letter(&self, id: u64) -> Option<Letter> {
        self.letters.get(&id).map(|l| l.clone())
    }

    /// A page of a user's letters, by id; only `ids` when given.
    pub fn user_letters(&self, user_id: u64, ids: &[u64], max: usize, start: usize, order: Order) -> Vec<Letter> {
        let mine = self
            .letters
            .iter()
            .filter(|l| l.sender == user_id && (ids.is_empty() || ids.contains(&l.id)))
            .map(|l| l.clone())
            .collect();
        page(mine, |l: &Letter| l.id, max, start, order)
    }

    /// Every letter matching `filter`, oldest first.
    pub fn letters(&self, filter: &LetterFilter) -> Vec<Letter> {
        let mut list: Vec<Letter> = self
            .letters
            .iter()
            .filter(|l| filter.token.as_ref().is_none_or(|t| &l.partner == t))
            .filter(|l| filter.user.is_none_or(|u| l.sender == u))
            .filter(|l| filter.status.is_none_or(|s| l.status == s))
            .map(|l| l.clone())
            .collect();
        list.sort_by_key(|l| l.id);
        list
    }

    // ----- charges -----

    fn record_charge(
        &self,
        kind: ChargeKind,
        user: u64,
        partner: &Partner,
        payer: Payer,
        price_ht: f64,
        letter: Option<u64>,
    ) -> Charge {
        let charge = Charge {
            id: self.next_charge_id.fetch_add(1, Ordering::Relaxed),
            kind,
            user,
            token: partner.token.clone(),
            payer,
            price_ht,
            letter,
            time: self.clock.now_paris(),
        };
        self.charges().push(charge.clone());
        self.changes.charge(charge.id);
        charge
    }

    /// Every charge, oldest first, for one partner and one user or all.
    pub fn charges_for(&self, token: Option<&str>, user: Option<u64>) -> Vec<Charge> {
        self.charges()
            .iter()
            .filter(|c| token.is_none_or(|t| c.token == t) && user.is_none_or(|u| c.user == u))
            .cloned()
            .collect()
    }

    // ----- identity and OTP -----

    /// An identity check ordered for `user`, paid by `payer`: the identity is
    /// verified and an OTP secret issued (kept if the user already has one).
    pub fn order_identity(&self, user: &User, partner: &Partner, payer: Payer, price_ht: f64) -> Option<Arc<User>> {
        let _shared = self.shared();
        let updated = self.change_user(user.id, |u| {
            u.identity_verified = true;
            u.otp_secret.get_or_insert_with(|| otp::new_secret().into());
        })?;
        self.record_charge(ChargeKind::Identity, user.id, partner, payer, price_ht, None);
        Some(updated)
    }

    /// Whether `code` is the user's current OTP code, unused; it is used up.
    pub fn check_otp(&self, user: &User, code: &str) -> bool {
        let Some(secret) = &user.otp_secret else { return false };
        let unix = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        self.otp.check_code(user.id, secret, code, unix)
    }

    /// A one-hour `auth_otp` hash for `user` and `partner`, with its expiry (business clock).
    pub fn open_otp_session(&self, user: &User, partner: &Partner) -> (String, chrono::DateTime<chrono::Utc>) {
        self.otp.open_session(user.id, &partner.token, self.clock.now())
    }

    /// Whether `hash` authenticates `user` for `partner` now (business clock).
    pub fn check_otp_hash(&self, hash: &str, user: &User, partner: &Partner) -> bool {
        self.otp.check_hash(hash, user.id, &partner.token, self.clock.now())
    }

    /// The user's OTP secret and current code, for tests.
    pub fn otp_of(&self, id: u64) -> Option<(String, String)> {
        let secret = self.user(id)?.otp_secret.as_deref()?.to_owned();
        let unix = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        let code = otp::code_at(&secret, unix)?;
        Some((secret, code))
    }

    // ----- accounts -----

    /// The account holder confirms their address.
    pub fn confirm_user(&self, id: u64) -> Option<Arc<User>> {
        let _shared = self.shared();
        self.change_user(id, |u| u.profile.confirmed = true)
    }

    /// Forgets the letters, uploads, charges and OTP hashes of one partner
    /// and of the accounts it created (the caller holds `exclusive`).
    pub(super) fn forget_sending(&self, token: &str, created: &HashSet<u64>) {
        self.letters.retain(|_, l| l.partner != token && !created.contains(&l.sender));
        self.attachments.retain(|_, a| a.partner != token && !created.contains(&a.user_id));
        let kept: HashSet<String> = self.attachments.iter().map(|a| a.sha1.clone()).collect();
        self.blobs.retain(|sha1, _| kept.contains(sha1));
        self.charges().retain(|c| c.token != token && !created.contains(&c.user));
        let letters: HashSet<u64> = self.letters.iter().map(|l| l.id).collect();
        self.deliveries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|d| letters.contains(&d.letter));
        self.otp.forget_partner(token);
    }
}
