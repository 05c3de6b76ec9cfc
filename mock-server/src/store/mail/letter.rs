//! The registered letter (AR24's "mail object", ar24-sending.md §2) as the mock
//! stores it, its status, and the JSON AR24 answers for it.

use std::sync::Arc;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::attachment::{Attachment, AttachmentDetail};
use crate::domain::letter::Recipient;
use crate::protocol::date::ParisTime;

/// A letter's status ([ASSUMED]: AR24 shows `waiting`; the others are its proof codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LetterStatus {
    /// Deposited, the recipient not yet notified.
    Waiting,
    /// The recipient was notified (proof of deposit and sending).
    Ev,
    /// The recipient accepted it (acknowledgement of receipt).
    Ar,
    /// The recipient refused it.
    Rf,
    /// The recipient let it lapse (15 days).
    Ng,
    /// The notification bounced.
    Bc,
}

impl LetterStatus {
    /// Every status.
    pub const ALL: [LetterStatus; 6] = [Self::Waiting, Self::Ev, Self::Ar, Self::Rf, Self::Ng, Self::Bc];

    /// The status as AR24 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Ev => "ev",
            Self::Ar => "ar",
            Self::Rf => "rf",
            Self::Ng => "ng",
            Self::Bc => "bc",
        }
    }

    /// The status spelled `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The status in words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Waiting => "waiting to be sent",
            Self::Ev => "sent: the recipient is notified",
            Self::Ar => "accepted by the recipient",
            Self::Rf => "refused by the recipient",
            Self::Ng => "neglected: the recipient did not answer within 15 days",
            Self::Bc => "undelivered: the notification bounced",
        }
    }
}

/// The sender as the letter shows it, fixed at sending. A sender's letters
/// share one card while it does not change (see `Mail::insert_letter`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SenderCard {
    pub name: String,
    pub email: String,
    pub address1: String,
    pub address2: String,
    pub city: String,
    pub zipcode: String,
}

/// The sender's `notify_*` preferences when the letter was sent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct NotifySnapshot {
    pub ev: bool,
    pub ar: bool,
    pub rf: bool,
    pub ng: bool,
}

/// A SHA-256, written as AR24 writes `full_hash_sha256`: 64 uppercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// The 64 uppercase hex digits, made where they are used (no allocation:
    /// every answer about a letter and its state record writes one).
    fn hex(&self) -> [u8; 64] {
        let mut digits = [0; 64];
        // 64 digits for 32 bytes: it cannot fail.
        let _ = hex::encode_to_slice(self.0, &mut digits);
        digits.make_ascii_uppercase();
        digits
    }
}

impl std::fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(std::str::from_utf8(&self.hex()).map_err(|_| std::fmt::Error)?)
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(std::str::from_utf8(&self.hex()).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(reader: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(reader)?;
        let mut digest = [0; 32];
        hex::decode_to_slice(text.as_bytes(), &mut digest)
            .map_err(|_| serde::de::Error::custom("full_hash_sha256 must be 64 hex digits"))?;
        Ok(Self(digest))
    }
}

/// A registered letter as stored (and kept in the state file).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Letter {
    /// AR24's integer id, increasing.
    pub id: u64,
    /// The token of the partner whose call sent it.
    #[serde(deserialize_with = "crate::store::shared::read_token")]
    pub partner: crate::store::shared::Token,
    /// The sending user.
    pub sender: u64,
    /// Current status.
    pub status: LetterStatus,
    /// A qualified eIDAS letter.
    pub is_eidas: bool,
    /// The sender, as shown on the letter.
    pub from: Arc<SenderCard>,
    /// The recipient.
    pub to: Recipient,
    /// The letter's text or HTML.
    pub content: String,
    /// The attachments, by id, in the order given.
    pub attachments: Vec<u64>,
    /// `ref_dossier`, `ref_client`, `ref_facturation`: echoed.
    pub refs: [Option<String>; 3],
    /// Echoed, never checked.
    pub payment_slug: Option<String>,
    /// Where status changes are posted.
    pub webhook: Option<String>,
    /// Stored, without effect.
    pub pre_notif: bool,
    /// The price charged, before VAT.
    pub price_ht: f64,
    /// Deposit time.
    pub date: ParisTime,
    /// SHA-256 of the content followed by each attachment's bytes.
    pub full_hash_sha256: Sha256Digest,
    /// The 16-character token of the letter's download URLs.
    pub download_token: CompactString,
    /// The sender's notification preferences at sending.
    pub req_notify: NotifySnapshot,
    /// When the recipient was notified.
    pub ts_ev_date: Option<ParisTime>,
    /// When the recipient accepted it.
    pub view_date: Option<ParisTime>,
    /// When the recipient refused it.
    pub refused_date: Option<ParisTime>,
    /// When it became neglected.
    pub negligence_date: Option<ParisTime>,
    /// When the notification bounced.
    pub bounced_date: Option<ParisTime>,
    /// The recipient's link (in the notification and every reminder).
    #[serde(default, with = "uuid::serde::simple::option")]
    pub recipient_link: Option<crate::store::outbox::LinkId>,
    /// Reminders sent so far.
    #[serde(default)]
    pub reminders: u32,
    /// Who refused it, as the recipient identified themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_by: Option<Box<str>>,
}

/// A letter as a row: its fields as one JSON array, in the order `Letter`
/// declares them, the sender's card, the recipient and the notify flags as
/// arrays too. The state log writes letters this way, about half the size of
/// the named form; the derived `Deserialize` reads either form.
pub struct LetterRow<'a>(pub &'a Letter);

impl Serialize for LetterRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        // Named in full: a field added to `Letter` must be added here, in its place.
        let Letter {
            id,
            partner,
            sender,
            status,
            is_eidas,
            from,
            to,
            content,
            attachments,
            refs,
            payment_slug,
            webhook,
            pre_notif,
            price_ht,
            date,
            full_hash_sha256,
            download_token,
            req_notify,
            ts_ev_date,
            view_date,
            refused_date,
            negligence_date,
            bounced_date,
            recipient_link,
            reminders,
            refused_by,
        } = self.0;
        let SenderCard { name, email, address1, address2, city, zipcode } = &**from;
        let Recipient { email: to_email, statut, firstname, lastname, company } = to;
        let NotifySnapshot { ev, ar, rf, ng } = req_notify;
        let mut row = serializer.serialize_tuple(26)?;
        row.serialize_element(id)?;
        row.serialize_element(&**partner)?;
        row.serialize_element(sender)?;
        row.serialize_element(status)?;
        row.serialize_element(is_eidas)?;
        row.serialize_element(&(name, email, address1, address2, city, zipcode))?;
        row.serialize_element(&(to_email, statut, firstname, lastname, company))?;
        row.serialize_element(content)?;
        row.serialize_element(attachments)?;
        row.serialize_element(refs)?;
        row.serialize_element(payment_slug)?;
        row.serialize_element(webhook)?;
        row.serialize_element(pre_notif)?;
        row.serialize_element(price_ht)?;
        row.serialize_element(date)?;
        row.serialize_element(full_hash_sha256)?;
        row.serialize_element(download_token)?;
        row.serialize_element(&(ev, ar, rf, ng))?;
        row.serialize_element(ts_ev_date)?;
        row.serialize_element(view_date)?;
        row.serialize_element(refused_date)?;
        row.serialize_element(negligence_date)?;
        row.serialize_element(bounced_date)?;
        row.serialize_element(&recipient_link.map(|link| link.simple()))?;
        row.serialize_element(reminders)?;
        row.serialize_element(refused_by)?;
        row.end()
    }
}

/// The mail object of AR24's answers (ar24-sending.md §2), read from the
/// stored letter where it lies: nothing is copied until it is written out.
/// [ASSUMED] types: numbers for ids and `price_ht`, 0/1 for flags, `null` for
/// what has not happened.
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct MailView<'a> {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub status: LetterStatus,
    pub from_name: &'a str,
    pub from_email: &'a str,
    pub address1: &'a str,
    pub address2: &'a str,
    pub city: &'a str,
    pub zipcode: &'a str,
    pub to_name: String,
    pub to_firstname: &'a str,
    pub to_lastname: &'a str,
    pub to_company: &'a str,
    pub to_email: &'a str,
    pub dest_statut: crate::domain::letter::DestStatut,
    pub id_sender: u64,
    pub id_creator: u64,
    #[serde(serialize_with = "super::charges::price")]
    pub price_ht: f64,
    pub payment_slug: Option<&'a str>,
    pub ref_dossier: Option<&'a str>,
    pub ref_client: Option<&'a str>,
    pub ref_facturation: Option<&'a str>,
    pub date: ParisTime,
    pub full_hash_sha256: &'a Sha256Digest,
    pub send_fail: u8,
    pub is_eidas: u8,
    pub proof_ev_url: Option<Download<'a>>,
    pub ts_ev_date: Option<ParisTime>,
    pub proof_ar_url: Option<Download<'a>>,
    pub view_date: Option<ParisTime>,
    pub proof_ng_url: Option<Download<'a>>,
    pub negligence_date: Option<ParisTime>,
    pub proof_rf_url: Option<Download<'a>>,
    pub refused_date: Option<ParisTime>,
    pub proof_bc_url: Option<Download<'a>>,
    pub bounced_date: Option<ParisTime>,
    pub pdf_content: Option<Download<'a>>,
    pub zip: Option<Download<'a>>,
    pub req_notify_ev: u8,
    pub req_notify_ar: u8,
    pub req_notify_rf: u8,
    pub req_notify_ng: u8,
    pub attachments: &'a [u64],
    pub attachments_details: Vec<AttachmentDetail<'a>>,
    pub update: [(); 0],
}

/// A letter with what its mail object shows beside it (its attachments and
/// the mock's public URL): what an answer holds until it is written out, as
/// its [`MailView`].
#[derive(Debug, Clone)]
pub struct MailObject {
    letter: Arc<Letter>,
    attachments: Vec<Attachment>,
    base: Arc<str>,
}

impl MailObject {
    /// `letter` with its `attachments`, its URLs under `base`.
    pub fn new(letter: Arc<Letter>, attachments: Vec<Attachment>, base: Arc<str>) -> Self {
        Self { letter, attachments, base }
    }

    /// The mail object's fields.
    pub fn view(&self) -> MailView<'_> {
        self.letter.view(&self.attachments, &self.base)
    }
}

impl Serialize for MailObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

/// A download URL of the mock (the routes of `downloads.rs`), under `base`
/// (its public URL); written out when shown.
#[derive(Debug, Clone, Copy)]
pub struct Download<'a> {
    base: &'a str,
    what: Downloadable<'a>,
}

/// What a [`Download`] gets.
#[derive(Debug, Clone, Copy)]
enum Downloadable<'a> {
    /// A proof (`ev`, `ar`, ...) of a letter, with the letter's token.
    Proof { code: &'static str, id: u64, token: &'a str },
    /// A letter's content as PDF, with its token.
    Content { id: u64, token: &'a str },
    /// A letter's ZIP, with its token.
    Zip { id: u64, token: &'a str },
    /// An attachment's bytes, by SHA-1.
    Attachment { sha1: &'a str },
}

impl<'a> Download<'a> {
    /// An attachment's bytes, by SHA-1.
    pub fn attachment(base: &'a str, sha1: &'a str) -> Self {
        Self { base, what: Downloadable::Attachment { sha1 } }
    }
}

impl Download<'_> {
    /// The URL, joined rather than formatted (an answer with a mail object
    /// writes three, and `format!` made them a percent of a send).
    pub fn text(&self) -> String {
        let base = self.base;
        let mut digits = itoa::Buffer::new();
        match self.what {
            Downloadable::Proof { code, id, token } => {
                [base, "/get/proof/", code, "-", digits.format(id), "?token=", token].concat()
            }
            Downloadable::Content { id, token } => {
                [base, "/get/content/", digits.format(id), "?token=", token].concat()
            }
            Downloadable::Zip { id, token } => [base, "/get/zip/", digits.format(id), "?token=", token].concat(),
            Downloadable::Attachment { sha1 } => [base, "/get/att/", sha1].concat(),
        }
    }
}

impl Serialize for Download<'_> {
    /// Written whole first, then as one JSON string: written piece by piece
    /// into the JSON, each piece was escaped apart, a percent of a send.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

impl Letter {
    /// For a letter that waits for nothing more from its recipient (accepted,
    /// refused, neglected, bounced): what happened and when, as a sentence.
    pub fn settled(&self) -> Option<String> {
        if matches!(self.status, LetterStatus::Waiting | LetterStatus::Ev) {
            return None;
        }
        let when = self.date_of(self.status).map(|at| format!(" ({at})")).unwrap_or_default();
        Some(format!("This letter is {}{when}: there is nothing more to do.", self.status.describe()))
    }

    /// When the letter reached `status` (its deposit for `waiting`), if it did.
    pub fn date_of(&self, status: LetterStatus) -> Option<ParisTime> {
        match status {
            LetterStatus::Waiting => Some(self.date),
            LetterStatus::Ev => self.ts_ev_date,
            LetterStatus::Ar => self.view_date,
            LetterStatus::Rf => self.refused_date,
            LetterStatus::Ng => self.negligence_date,
            LetterStatus::Bc => self.bounced_date,
        }
    }

    /// The download URL of the proof of `status`, once the letter reached it
    /// (`waiting` has none).
    pub fn proof_url<'a>(&'a self, status: LetterStatus, base: &'a str) -> Option<Download<'a>> {
        if status == LetterStatus::Waiting {
            return None;
        }
        let (code, id, token) = (status.as_str(), self.id, self.download_token.as_str());
        self.date_of(status).map(|_| Download { base, what: Downloadable::Proof { code, id, token } })
    }

    /// The mail object, with its attachments' details and its download URLs
    /// under `base` (the mock's public URL): each proof once its status is
    /// reached, the content and the ZIP from the start.
    pub fn view<'a>(&'a self, attachments: &'a [Attachment], base: &'a str) -> MailView<'a> {
        let (id, token) = (self.id, self.download_token.as_str());
        let at = |what| Download { base, what };
        let proof = |status| self.proof_url(status, base);
        let from = &*self.from;
        MailView {
            id,
            kind: "lre",
            status: self.status,
            from_name: &from.name,
            from_email: &from.email,
            address1: &from.address1,
            address2: &from.address2,
            city: &from.city,
            zipcode: &from.zipcode,
            to_name: self.to.name(),
            to_firstname: &self.to.firstname,
            to_lastname: &self.to.lastname,
            to_company: &self.to.company,
            to_email: self.to.email.as_str(),
            dest_statut: self.to.statut,
            id_sender: self.sender,
            id_creator: self.sender,
            price_ht: self.price_ht,
            payment_slug: self.payment_slug.as_deref(),
            ref_dossier: self.refs[0].as_deref(),
            ref_client: self.refs[1].as_deref(),
            ref_facturation: self.refs[2].as_deref(),
            date: self.date,
            full_hash_sha256: &self.full_hash_sha256,
            send_fail: 0,
            is_eidas: self.is_eidas.into(),
            proof_ev_url: proof(LetterStatus::Ev),
            ts_ev_date: self.ts_ev_date,
            proof_ar_url: proof(LetterStatus::Ar),
            view_date: self.view_date,
            proof_ng_url: proof(LetterStatus::Ng),
            negligence_date: self.negligence_date,
            proof_rf_url: proof(LetterStatus::Rf),
            refused_date: self.refused_date,
            proof_bc_url: proof(LetterStatus::Bc),
            bounced_date: self.bounced_date,
            pdf_content: Some(at(Downloadable::Content { id, token })),
            zip: Some(at(Downloadable::Zip { id, token })),
            req_notify_ev: self.req_notify.ev.into(),
            req_notify_ar: self.req_notify.ar.into(),
            req_notify_rf: self.req_notify.rf.into(),
            req_notify_ng: self.req_notify.ng.into(),
            attachments: &self.attachments,
            attachments_details: attachments.iter().map(|a| a.detail(base)).collect(),
            update: [],
        }
    }
}
