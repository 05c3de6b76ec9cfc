//! What `POST mail` asks, turned into a valid letter: the recipient and the
//! content rules of ar24-sending.md §1.5, each answering its slug. The checks
//! that need the store (the sender, attachments, eIDAS, payment) are in
//! `routes/mail.rs`, which runs all of them in one documented order.

use std::sync::LazyLock;

use compact_str::CompactString;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{EmailAddress, flag};
use crate::slug::Slug;

/// The text parameters of `POST mail`, as sent (`attachment[N]` are read apart).
#[derive(Debug, Default, Deserialize)]
#[allow(missing_docs)]
pub struct SendForm {
    pub id_user: Option<String>,
    pub eidas: Option<String>,
    pub otp: Option<String>,
    pub auth_otp_hash: Option<String>,
    pub custom_name_sender: Option<String>,
    pub to_lastname: Option<String>,
    pub to_firstname: Option<String>,
    pub to_company: Option<String>,
    pub to_email: Option<String>,
    pub dest_statut: Option<String>,
    pub content: Option<String>,
    pub ref_dossier: Option<String>,
    pub ref_client: Option<String>,
    pub ref_facturation: Option<String>,
    pub payment_slug: Option<String>,
    pub webhook: Option<String>,
    pub id_group: Option<String>,
    pub pre_notif: Option<String>,
}

/// Who the letter is for: a private person or a professional ([ASSUMED]: only the two attested values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DestStatut {
    /// `particulier`: first and last name required.
    Particulier,
    /// `professionnel`: company required.
    Professionnel,
}

/// The recipient of a letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Recipient {
    pub email: EmailAddress,
    pub statut: DestStatut,
    pub firstname: CompactString,
    pub lastname: CompactString,
    pub company: CompactString,
}

impl Recipient {
    /// `to_name` ([ASSUMED] from the doc example): company, first name, last name, trimmed.
    pub fn name(&self) -> String {
        [&self.company, &self.firstname, &self.lastname]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The recipient, content and options of a letter, valid as far as the form alone can tell.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub struct NewLetter {
    pub eidas: bool,
    pub recipient: Recipient,
    pub content: String,
    pub custom_name_sender: Option<String>,
    pub ref_dossier: Option<String>,
    pub ref_client: Option<String>,
    pub ref_facturation: Option<String>,
    pub payment_slug: Option<String>,
    pub webhook: Option<String>,
    pub pre_notif: bool,
}

fn text(raw: &Option<String>) -> String {
    raw.as_deref().map(str::trim).unwrap_or_default().to_owned()
}

fn optional(raw: &Option<String>) -> Option<String> {
    Some(text(raw)).filter(|s| !s.is_empty())
}

/// `eidas`: `0` (the default) or `1`.
pub fn eidas(form: &SendForm) -> Result<bool, Slug> {
    Ok(flag::parse(form.eidas.as_deref())?.unwrap_or(false))
}

/// The recipient, in this order: `missing_email`, `invalid_recipient`,
/// `same_sender_recipients_emails` (against `sender`), `error_dest_statut`,
/// then the names the status requires (`missing_to_lastname`,
/// `missing_to_firstname`, `missing_to_company`), then `group_not_exist` for
/// any `id_group` ([ASSUMED]: groups are not modelled).
pub fn recipient(form: &SendForm, sender: &EmailAddress) -> Result<Recipient, Slug> {
    let email = match EmailAddress::parse(form.to_email.as_deref()) {
        Ok(email) => email,
        Err(Slug::MissingEmail) => return Err(Slug::MissingEmail),
        Err(_) => return Err(Slug::InvalidRecipient),
    };
    if email.key() == sender.key() {
        return Err(Slug::SameSenderRecipientsEmails);
    }
    // Letter case ignored, as for a user's `statut` ([ASSUMED]).
    let statut = match text(&form.dest_statut).to_ascii_lowercase().as_str() {
        "particulier" => DestStatut::Particulier,
        "professionnel" => DestStatut::Professionnel,
        _ => return Err(Slug::ErrorDestStatut),
    };
    let (firstname, lastname, company) = (text(&form.to_firstname), text(&form.to_lastname), text(&form.to_company));
    match statut {
        DestStatut::Particulier if lastname.is_empty() => return Err(Slug::MissingToLastname),
        DestStatut::Particulier if firstname.is_empty() => return Err(Slug::MissingToFirstname),
        DestStatut::Professionnel if company.is_empty() => return Err(Slug::MissingToCompany),
        _ => {}
    }
    if optional(&form.id_group).is_some() {
        return Err(Slug::GroupNotExist);
    }
    Ok(Recipient { email, statut, firstname: firstname.into(), lastname: lastname.into(), company: company.into() })
}

/// HTML AR24 refuses in a letter's content ([ASSUMED] list): a `script`,
/// `iframe`, `object`, `embed` or `form` tag, an `on*=` event attribute, or a
/// `src`/`href` to an external `http(s)://` resource (images must be inline base64).
static FORBIDDEN_HTML: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?is)<\s*(script|iframe|object|embed|form)\b|<[^>]*\son[a-z]+\s*=|\b(src|href)\s*=\s*["']?\s*https?:"#,
    )
    .expect("a valid pattern")
});

/// Whether `content` holds HTML AR24 refuses (see [`FORBIDDEN_HTML`]).
pub fn has_forbidden_html(content: &str) -> bool {
    FORBIDDEN_HTML.is_match(content)
}

/// The content: `forbidden_html`, then `content_exceeds_limit` beyond `max_chars`.
/// An empty content is allowed here; the route refuses a letter with neither
/// content nor attachment once it knows the attachments.
pub fn content(form: &SendForm, max_chars: usize) -> Result<String, Slug> {
    let content = form.content.clone().unwrap_or_default();
    if has_forbidden_html(&content) {
        return Err(Slug::ForbiddenHtml);
    }
    if content.chars().count() > max_chars {
        return Err(Slug::ContentExceedsLimit);
    }
    Ok(content)
}

/// `webhook`: an absolute `http://` or `https://` URL with a host, or `invalid_webhook` ([ASSUMED]).
fn webhook(form: &SendForm) -> Result<Option<String>, Slug> {
    let Some(raw) = optional(&form.webhook) else { return Ok(None) };
    match reqwest::Url::parse(&raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(Some(raw)),
        _ => Err(Slug::InvalidWebhook),
    }
}

/// The options: references and payment slug (kept as sent), `webhook`
/// (`invalid_webhook`), `pre_notif` (`invalid_flag`).
pub fn letter(form: &SendForm, eidas: bool, recipient: Recipient, content: String) -> Result<NewLetter, Slug> {
    Ok(NewLetter {
        eidas,
        recipient,
        content,
        custom_name_sender: optional(&form.custom_name_sender),
        ref_dossier: optional(&form.ref_dossier),
        ref_client: optional(&form.ref_client),
        ref_facturation: optional(&form.ref_facturation),
        payment_slug: optional(&form.payment_slug),
        webhook: webhook(form)?,
        pre_notif: flag::parse(form.pre_notif.as_deref())?.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SendForm {
        SendForm {
            to_email: Some("marie@example.com".into()),
            dest_statut: Some("particulier".into()),
            to_firstname: Some("Marie".into()),
            to_lastname: Some("Dupont".into()),
            ..SendForm::default()
        }
    }

    fn sender() -> EmailAddress {
        EmailAddress::parse(Some("jean@example.com")).unwrap()
    }

    fn slug_of(change: impl FnOnce(&mut SendForm)) -> Option<Slug> {
        let mut f = form();
        change(&mut f);
        recipient(&f, &sender()).err()
    }

    #[test]
    fn a_private_recipient_needs_both_names_and_a_professional_a_company() {
        assert_eq!(slug_of(|_| {}), None);
        assert_eq!(slug_of(|f| f.to_lastname = Some(" ".into())), Some(Slug::MissingToLastname));
        assert_eq!(slug_of(|f| f.to_firstname = None), Some(Slug::MissingToFirstname));
        assert_eq!(slug_of(|f| f.dest_statut = Some("professionnel".into())), Some(Slug::MissingToCompany));
        let pro = |f: &mut SendForm| {
            f.dest_statut = Some("professionnel".into());
            f.to_company = Some("Doe Corp".into());
            f.to_firstname = None;
            f.to_lastname = None;
        };
        assert_eq!(slug_of(pro), None);
    }

    #[test]
    fn recipient_checks_come_in_their_order() {
        assert_eq!(slug_of(|f| f.to_email = None), Some(Slug::MissingEmail));
        assert_eq!(slug_of(|f| f.to_email = Some("not-an-address".into())), Some(Slug::InvalidRecipient));
        assert_eq!(slug_of(|f| f.to_email = Some("JEAN@example.com".into())), Some(Slug::SameSenderRecipientsEmails));
        assert_eq!(slug_of(|f| f.dest_statut = Some("professional".into())), Some(Slug::ErrorDestStatut));
        assert_eq!(slug_of(|f| f.dest_statut = None), Some(Slug::ErrorDestStatut));
        assert_eq!(
            slug_of(|f| f.dest_statut = Some(" Particulier ".into())),
            None,
            "letter case ignored, as for `statut`"
        );
        assert_eq!(slug_of(|f| f.id_group = Some("4".into())), Some(Slug::GroupNotExist));
    }

    #[test]
    fn to_name_joins_company_first_and_last_name() {
        let mut f = form();
        f.to_company = Some("Doe Corp".into());
        f.to_firstname = Some("John".into());
        f.to_lastname = Some("Doe".into());
        assert_eq!(recipient(&f, &sender()).unwrap().name(), "Doe Corp John Doe");
        assert_eq!(recipient(&form(), &sender()).unwrap().name(), "Marie Dupont");
    }

    #[test]
    fn forbidden_html_is_recognised_and_ordinary_html_passes() {
        for bad in [
            "<SCRIPT>alert(1)</script>",
            "<p>x</p><iframe src=x>",
            "<img src=\"https://tracker.example/p.gif\">",
            "<a HREF = 'http://example.com'>here</a>",
            "<div onclick=\"x()\">",
            "<body onLoad = x()>",
            "<form action=x>",
            "<img\nsrc = 'https://example.com/x.png'>",
        ] {
            assert!(has_forbidden_html(bad), "{bad}");
        }
        for good in [
            "<h1>Mise en demeure</h1><br><p>Bonjour,</p>",
            "<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
            "plain text about online payment: https://example.com is mentioned",
            "<p class=\"once\">only</p>",
            "<p>the platform's information</p>",
        ] {
            assert!(!has_forbidden_html(good), "{good}");
        }
    }

    #[test]
    fn content_is_limited_in_characters_not_bytes() {
        let f = SendForm { content: Some("é".repeat(10)), ..form() };
        assert_eq!(content(&f, 10).as_deref(), Ok("éééééééééé"));
        assert_eq!(content(&f, 9), Err(Slug::ContentExceedsLimit));
    }

    #[test]
    fn a_webhook_is_an_http_or_https_url() {
        let webhook_of = |raw: &str| {
            let f = SendForm { webhook: Some(raw.into()), ..form() };
            letter(&f, false, recipient(&f, &sender()).unwrap(), String::new()).map(|l| l.webhook)
        };
        assert_eq!(webhook_of("https://partner.example/ar24?x=1"), Ok(Some("https://partner.example/ar24?x=1".into())));
        assert_eq!(webhook_of(" http://127.0.0.1:9000/hook "), Ok(Some("http://127.0.0.1:9000/hook".into())));
        assert_eq!(webhook_of(""), Ok(None), "none given");
        for bad in ["not a url", "ftp://partner.example/hook", "partner.example/hook", "mailto:a@b.fr", "http://"] {
            assert_eq!(webhook_of(bad), Err(Slug::InvalidWebhook), "{bad}");
        }
    }
}
