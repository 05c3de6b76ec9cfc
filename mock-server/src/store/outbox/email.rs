//! The emails AR24 would send, and the one-use links they carry.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::protocol::date::ParisTime;

/// What an email asks of its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    /// Accept AR24's terms (`request_cgu`).
    Cgu,
    /// Attach the account to a partner's API (`request_access`).
    Access,
    /// Join a team (`join_team`).
    Team,
    /// Add a payment method (`payment_request`).
    Payment,
    /// A registered letter, to its recipient: accept it.
    Letter,
    /// A reminder to a recipient who has not answered.
    Reminder,
    /// To a sender: their letter was sent (`notify_ev`); it links to the letter.
    Notification,
}

impl LinkKind {
    /// Every kind.
    pub const ALL: [LinkKind; 7] =
        [Self::Cgu, Self::Access, Self::Team, Self::Payment, Self::Letter, Self::Reminder, Self::Notification];

    /// The `kind` as the outbox and its filter spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cgu => "cgu",
            Self::Access => "access",
            Self::Team => "team",
            Self::Payment => "payment",
            Self::Letter => "letter",
            Self::Reminder => "reminder",
            Self::Notification => "notification",
        }
    }

    /// The kind spelled `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// What the reader is asked, as a sentence for the email and the link page.
    /// `other` is the team administrator's address for a team invitation, the
    /// sender's name for a letter.
    ///
    /// Joined rather than formatted: a send writes two, and `format!` made them
    /// a percent of its instructions.
    pub fn request(self, partner: &str, other: Option<&str>) -> String {
        let master = other;
        match self {
            Self::Cgu => [partner, " asks you to accept AR24's terms of use (CGU)."].concat(),
            Self::Access => [partner, " asks to use your existing AR24 account through its API."].concat(),
            Self::Team => [
                partner,
                " invites you to join the team of ",
                master.unwrap_or("a team administrator"),
                ", who will pay for what you send.",
            ]
            .concat(),
            Self::Payment => [partner, " asks you to add a payment method to your AR24 account."].concat(),
            Self::Letter => [
                other.unwrap_or("Someone"),
                " sent you a registered electronic letter through AR24. Open it to accept it.",
            ]
            .concat(),
            Self::Reminder => [
                "Reminder: ",
                other.unwrap_or("Someone"),
                " sent you a registered electronic letter through AR24, still waiting for your answer.",
            ]
            .concat(),
            Self::Notification => [
                "Your registered letter sent through ",
                partner,
                " is now ",
                other.unwrap_or("sent: the recipient is notified"),
                ".",
            ]
            .concat(),
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Self::Cgu => "AR24: please accept the terms of use",
            Self::Access => "AR24: a request to access your account",
            Self::Team => "AR24: an invitation to join a team",
            Self::Payment => "AR24: please add a payment method",
            Self::Letter => "AR24: you have received a registered electronic letter",
            Self::Reminder => "AR24: reminder, a registered electronic letter awaits you",
            Self::Notification => "AR24: news of your registered letter",
        }
    }

    /// The button's label.
    pub fn action(self) -> &'static str {
        match self {
            Self::Cgu => "Accept the terms",
            Self::Access => "Grant access",
            Self::Team => "Join the team",
            Self::Payment => "Add a payment method",
            Self::Letter | Self::Reminder => "Accept the letter",
            Self::Notification => "See the letter",
        }
    }

    /// What is true once accepted.
    pub fn outcome(self) -> &'static str {
        match self {
            Self::Cgu => "The terms of use are accepted.",
            Self::Access => "Access to the account is granted.",
            Self::Team => "The team is joined.",
            Self::Payment => "A payment method is added.",
            Self::Letter | Self::Reminder => "The letter is accepted.",
            Self::Notification => "Nothing to do.",
        }
    }
}

/// One email in the outbox. It keeps what it asks in one sentence; its
/// subject and body are written from that when it is read (the JSON has
/// both, as `subject` and `body`). It reads from that form or from an
/// [`EmailRow`].
#[derive(Debug, Clone, Serialize)]
#[serde(into = "EmailText")]
pub struct Email {
    /// Increasing id.
    pub id: u64,
    /// Recipient address.
    pub to: CompactString,
    /// What it asks.
    pub kind: LinkKind,
    /// What it asks, in a sentence naming who asks (shared by the emails
    /// that say the same: see `Outbox::post_at`).
    pub request: std::sync::Arc<str>,
    /// The link to follow.
    pub link: Box<str>,
    /// When it was sent.
    pub sent_at: ParisTime,
    /// Token of the partner whose call sent it.
    #[serde(deserialize_with = "crate::store::shared::read_token")]
    pub partner: crate::store::shared::Token,
}

impl Email {
    /// Writes the email for `kind`.
    pub fn compose(
        id: u64,
        kind: LinkKind,
        to: &str,
        partner: &Partnership<'_>,
        link: String,
        sent_at: ParisTime,
    ) -> Self {
        let request = kind.request(partner.name, partner.other);
        Self {
            id,
            to: to.into(),
            kind,
            request: request.into(),
            link: link.into(),
            sent_at,
            partner: crate::store::shared::token(partner.token),
        }
    }

    /// Its subject line.
    pub fn subject(&self) -> &'static str {
        self.kind.subject()
    }

    /// Its plain-text body, the link included.
    pub fn body(&self) -> String {
        format!("{BODY_OPENING}{}{BODY_BREAK}{}: {}\n\nAR24", self.request, self.kind.action(), self.link)
    }
}

const BODY_OPENING: &str = "Hello,\n\n";
const BODY_BREAK: &str = "\n\n";

/// An email as JSON shows it (the outbox, the state document).
#[derive(Serialize, Deserialize)]
struct EmailText {
    id: u64,
    to: String,
    kind: LinkKind,
    subject: String,
    body: String,
    link: String,
    sent_at: ParisTime,
    partner: String,
}

impl From<Email> for EmailText {
    fn from(email: Email) -> Self {
        let body = email.body();
        Self {
            id: email.id,
            to: email.to.into(),
            kind: email.kind,
            subject: email.kind.subject().to_owned(),
            body,
            link: email.link.into(),
            sent_at: email.sent_at,
            partner: email.partner.to_string(),
        }
    }
}

impl From<EmailText> for Email {
    /// The sentence is read back from the body the mock wrote.
    fn from(text: EmailText) -> Self {
        let request = text
            .body
            .strip_prefix(BODY_OPENING)
            .and_then(|rest| rest.split_once(BODY_BREAK))
            .map_or(text.body.as_str(), |(request, _)| request)
            .into();
        Self {
            id: text.id,
            to: text.to.into(),
            kind: text.kind,
            request,
            link: text.link.into(),
            sent_at: text.sent_at,
            partner: crate::store::shared::token(&text.partner),
        }
    }
}

/// An email as a row, `[id, to, kind, request, link, sent_at, partner]`: the
/// sentence it keeps instead of the subject and body written from it. The
/// state log writes emails this way, under half the size of the named form.
pub struct EmailRow<'a>(pub &'a Email);

impl Serialize for EmailRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Named in full: a field added to `Email` must be added here and in `visit_seq`.
        let Email { id, to, kind, request, link, sent_at, partner } = self.0;
        (id, to, kind, &**request, &**link, sent_at, &**partner).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EmailVisitor)
    }
}

struct EmailVisitor;

impl<'de> serde::de::Visitor<'de> for EmailVisitor {
    type Value = Email;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an email: its fields by name, or a row")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Email, A::Error> {
        EmailText::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Email::from)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut row: A) -> Result<Email, A::Error> {
        fn next<'de, T: Deserialize<'de>, A: serde::de::SeqAccess<'de>>(row: &mut A, at: usize) -> Result<T, A::Error> {
            row.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(at, &EmailVisitor))
        }
        let (id, to, kind) = (next(&mut row, 0)?, next::<CompactString, _>(&mut row, 1)?, next(&mut row, 2)?);
        let (request, link) = (next::<String, _>(&mut row, 3)?, next::<String, _>(&mut row, 4)?);
        let (sent_at, partner) = (next(&mut row, 5)?, next::<std::borrow::Cow<'_, str>, _>(&mut row, 6)?);
        if row.next_element::<serde::de::IgnoredAny>()?.is_some() {
            return Err(serde::de::Error::invalid_length(8, &EmailVisitor));
        }
        let (request, link, partner) = (request.into(), link.into(), crate::store::shared::token(&partner));
        Ok(Email { id, to, kind, request, link, sent_at, partner })
    }
}

/// Who asks, for composing an email.
#[derive(Debug, Clone, Copy)]
pub struct Partnership<'a> {
    /// The partner's token.
    pub token: &'a str,
    /// The partner's name.
    pub name: &'a str,
    /// The other party the email names: a team administrator's address, a letter's sender.
    pub other: Option<&'a str>,
}

/// A link's id: random, written as 32 hex digits in `/_mock/links/{id}`.
pub type LinkId = uuid::Uuid;

/// A one-use link: what accepting it does. Its URL is the mock's public URL
/// and its id ([`Link::url`]), so links follow the mock to another address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    /// The random id in `/_mock/links/{id}`.
    #[serde(with = "uuid::serde::simple")]
    pub id: LinkId,
    /// What it asks.
    pub kind: LinkKind,
    /// The user it concerns.
    pub user_id: u64,
    /// The user's address.
    pub to: CompactString,
    /// The partner that asked.
    #[serde(deserialize_with = "crate::store::shared::read_token")]
    pub partner: crate::store::shared::Token,
    /// The team administrator, for a team invitation.
    pub master_id: Option<u64>,
    /// The letter, for a recipient's link.
    #[serde(default)]
    pub letter_id: Option<u64>,
    /// When it was used; a link works once.
    pub used_at: Option<String>,
}

/// A link as a row, `[id, kind, user_id, to, partner, master_id, letter_id,
/// used_at]`, in the order `Link` declares them. The state log writes links
/// this way, about half the size of the named form; the derived `Deserialize`
/// reads either form.
pub struct LinkRow<'a>(pub &'a Link);

impl Serialize for LinkRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Named in full: a field added to `Link` must be added here, in its place.
        let Link { id, kind, user_id, to, partner, master_id, letter_id, used_at } = self.0;
        (id.simple(), kind, user_id, to, &**partner, master_id, letter_id, used_at).serialize(serializer)
    }
}

impl Link {
    /// Its URL, under the mock's public URL.
    pub fn url(&self, public_url: &str) -> String {
        [public_url, "/_mock/links/", self.id.simple().encode_lower(&mut uuid::Uuid::encode_buffer())].concat()
    }

    /// The id as it is written in URLs, if `text` is one.
    pub fn parse_id(text: &str) -> Option<LinkId> {
        text.parse::<uuid::fmt::Simple>().ok().map(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_shows_its_subject_and_body_and_reads_back_the_same() {
        let from = Partnership { token: "t", name: "Acme", other: None };
        let at = ParisTime(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let email = Email::compose(7, LinkKind::Cgu, "a@example.com", &from, "http://x/l/1".into(), at);
        let json = serde_json::to_value(&email).unwrap();
        assert_eq!(json["subject"], "AR24: please accept the terms of use");
        let body = json["body"].as_str().unwrap();
        assert!(body.starts_with("Hello,\n\nAcme asks you to accept AR24's terms of use (CGU).\n\n"), "{body}");
        assert!(body.ends_with("Accept the terms: http://x/l/1\n\nAR24"), "{body}");
        assert_eq!(json["sent_at"], "2023-11-14 23:13:20");
        let back: Email = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
        // The state log's row: the sentence, not the subject and body; read back the same.
        let row = serde_json::to_string(&EmailRow(&email)).unwrap();
        assert_eq!(
            row,
            r#"[7,"a@example.com","cgu","Acme asks you to accept AR24's terms of use (CGU).","http://x/l/1","2023-11-14 23:13:20","t"]"#
        );
        let back: Email = serde_json::from_str(&row).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
        for bad in [r#"[7,"a@example.com","cgu"]"#, r#"[7,"a","cgu","r","l","2023-11-14 23:13:20","t",1]"#, "7"] {
            assert!(serde_json::from_str::<Email>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_log_writes_a_link_as_a_row_and_reads_it_back_the_same_as_older_logs_named_it_too() {
        let id = uuid::Uuid::new_v4();
        let named = serde_json::json!({
            "id": id.simple().to_string(), "kind": "team", "user_id": 4, "to": "d\"q@example.com",
            "partner": "t", "master_id": 9, "letter_id": null, "used_at": "2026-11-30 16:07:38"
        });
        let link: Link = serde_json::from_value(named.clone()).unwrap();
        let row = serde_json::to_string(&LinkRow(&link)).unwrap();
        assert_eq!(row, format!(r#"["{}","team",4,"d\"q@example.com","t",9,null,"2026-11-30 16:07:38"]"#, id.simple()));
        assert!(row.len() < named.to_string().len() * 2 / 3, "a row is shorter: {row}");
        let back: Link = serde_json::from_str(&row).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), named);
        let line = serde_json::to_string(&super::super::Record::Link(std::sync::Arc::new(link))).unwrap();
        assert_eq!(line, format!(r#"{{"kind":"link","value":{row}}}"#));
        // As older logs wrote it, by field names.
        let older = format!(r#"{{"kind":"link","value":{named}}}"#);
        let super::super::Record::Link(back) = serde_json::from_str(&older).unwrap() else { panic!("a link: {older}") };
        assert_eq!(serde_json::to_value(&*back).unwrap(), named);
        for bad in [format!(r#"["{}","team",4]"#, id.simple()), r#"["nope","team",4,"d","t",9,null,null]"#.into()] {
            assert!(serde_json::from_str::<Link>(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_links_url_is_the_public_url_and_its_id_and_only_such_an_id_finds_it() {
        let id = uuid::Uuid::new_v4();
        let link: Link = serde_json::from_value(serde_json::json!({
            "id": id.simple().to_string(), "kind": "letter", "user_id": 1, "to": "d@example.com",
            "partner": "t", "master_id": null, "letter_id": 2, "used_at": null
        }))
        .unwrap();
        assert_eq!(link.url("http://h:1"), format!("http://h:1/_mock/links/{}", id.simple()));
        assert_eq!(serde_json::to_value(&link).unwrap()["id"], id.simple().to_string());
        assert_eq!(Link::parse_id(&id.simple().to_string()), Some(id));
        for other in [id.hyphenated().to_string(), "abc".into(), String::new(), format!("{}0", id.simple())] {
            assert_eq!(Link::parse_id(&other), None, "{other}");
        }
    }
}
