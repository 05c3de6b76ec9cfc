//! The one catalogue of AR24 error slugs and their exact messages.
//!
//! Slugs marked `[ASSUMED]` are not in any AR24 source: each has a row in the
//! README's assumptions table so that a run against the sandbox can settle it.
//! Slugs marked `[MOCK]` belong to the control plane (`/_mock/*`) only and never
//! appear on the AR24 API.

use serde::Serialize;

/// Every error the mock can answer, API and control plane alike.
///
/// Each variant is documented by its row in [`Slug::entry`]'s table: wire name and message.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slug {
    TokenMissing,
    TokenInvalid,
    EmptyDate,
    InvalidDate,
    ExpiredDate,
    DateInFuture,
    EmptySignature,
    InvalidSignature,
    MissingFirstname,
    MissingLastname,
    MissingEmail,
    EmailWrongFormat,
    MissingAddress,
    MissingCity,
    MissingZipcode,
    MissingCountry,
    ErrorCountry,
    ErrorGender,
    ErrorStatut,
    InvalidFlag,
    MissingCompanySiret,
    ErrorCompanySiret,
    MissingCompanyTva,
    UserNotCreated,
    UserAlreadyExist,
    UserNotExist,
    UserUnavailable,
    MissingUserId,
    UserNoPayment,
    InvalidMax,
    InvalidStart,
    InvalidSort,
    CguAlreadyAccepted,
    AccessAlreadyGranted,
    MissingMasterId,
    MasterIsUser,
    AlreadyInTeam,
    PaymentAlreadyActive,
    UnknownRoute,
    MethodNotAllowed,
    MalformedBody,
    BodyTooLarge,
    InternalError,
    PartnerNotFound,
    PartnerAlreadyExists,
    LinkNotFound,
    LinkAlreadyUsed,
    LinkObsolete,
    InvalidJson,
    InvalidFilter,
    InvalidFault,
    InvalidState,
    ParameterTooLong,
    AttachmentEmptyName,
    AttachmentTooBig,
    AttachmentMissingFile,
    MissingErmId,
    SameSenderRecipientsEmails,
    InvalidRecipient,
    GroupNotExist,
    UserAccountNotConfirmed,
    UserEulaNotAccepted,
    UserNameEmpty,
    AttachmentNotExists,
    AttachmentUnavailable,
    MailAttachmentsTooBig,
    ContentExceedsLimit,
    ForbiddenHtml,
    ErrorNoContentNoAttachment,
    AuthenticationMissing,
    AuthenticationOtpInvalid,
    AuthenticationOtpHashInvalid,
    MissingToLastname,
    MissingToFirstname,
    MissingToCompany,
    ErrorDestStatut,
    InvalidWebhook,
    LetterNotFound,
    NoOtpSecret,
    InvalidAdvance,
    LetterSettled,
    DeliveryNotFound,
    DownloadNotFound,
    IdentityMissing,
    ControlTokenRequired,
    ControlTokenInvalid,
}

impl Slug {
    /// The slug as it travels in the `slug` field of the error envelope.
    pub fn as_str(self) -> &'static str {
        self.entry().0
    }

    /// The exact human-readable `message` AR24 sends with this slug.
    pub fn message(self) -> &'static str {
        self.entry().1
    }

    /// The slug spelled `text` on the wire, if any.
    pub fn parse(text: &str) -> Option<Slug> {
        Slug::ALL.iter().copied().find(|slug| slug.as_str() == text)
    }

    /// Whether an AR24 source shows this slug (`false`: the mock chose it).
    pub fn is_from_sources(self) -> bool {
        self.entry().2 == Origin::Sources
    }

    /// Every slug, in catalogue order (for documentation and tests).
    pub const ALL: &'static [Slug] = &[
        Slug::TokenMissing,
        Slug::TokenInvalid,
        Slug::EmptyDate,
        Slug::InvalidDate,
        Slug::ExpiredDate,
        Slug::DateInFuture,
        Slug::EmptySignature,
        Slug::InvalidSignature,
        Slug::MissingFirstname,
        Slug::MissingLastname,
        Slug::MissingEmail,
        Slug::EmailWrongFormat,
        Slug::MissingAddress,
        Slug::MissingCity,
        Slug::MissingZipcode,
        Slug::MissingCountry,
        Slug::ErrorCountry,
        Slug::ErrorGender,
        Slug::ErrorStatut,
        Slug::InvalidFlag,
        Slug::MissingCompanySiret,
        Slug::ErrorCompanySiret,
        Slug::MissingCompanyTva,
        Slug::UserNotCreated,
        Slug::UserAlreadyExist,
        Slug::UserNotExist,
        Slug::UserUnavailable,
        Slug::MissingUserId,
        Slug::UserNoPayment,
        Slug::InvalidMax,
        Slug::InvalidStart,
        Slug::InvalidSort,
        Slug::CguAlreadyAccepted,
        Slug::AccessAlreadyGranted,
        Slug::MissingMasterId,
        Slug::MasterIsUser,
        Slug::AlreadyInTeam,
        Slug::PaymentAlreadyActive,
        Slug::UnknownRoute,
        Slug::MethodNotAllowed,
        Slug::MalformedBody,
        Slug::BodyTooLarge,
        Slug::InternalError,
        Slug::PartnerNotFound,
        Slug::PartnerAlreadyExists,
        Slug::LinkNotFound,
        Slug::LinkAlreadyUsed,
        Slug::LinkObsolete,
        Slug::InvalidJson,
        Slug::InvalidFilter,
        Slug::InvalidFault,
        Slug::InvalidState,
        Slug::ParameterTooLong,
        Slug::AttachmentEmptyName,
        Slug::AttachmentTooBig,
        Slug::AttachmentMissingFile,
        Slug::MissingErmId,
        Slug::SameSenderRecipientsEmails,
        Slug::InvalidRecipient,
        Slug::GroupNotExist,
        Slug::UserAccountNotConfirmed,
        Slug::UserEulaNotAccepted,
        Slug::UserNameEmpty,
        Slug::AttachmentNotExists,
        Slug::AttachmentUnavailable,
        Slug::MailAttachmentsTooBig,
        Slug::ContentExceedsLimit,
        Slug::ForbiddenHtml,
        Slug::ErrorNoContentNoAttachment,
        Slug::AuthenticationMissing,
        Slug::AuthenticationOtpInvalid,
        Slug::AuthenticationOtpHashInvalid,
        Slug::MissingToLastname,
        Slug::MissingToFirstname,
        Slug::MissingToCompany,
        Slug::ErrorDestStatut,
        Slug::InvalidWebhook,
        Slug::LetterNotFound,
        Slug::NoOtpSecret,
        Slug::InvalidAdvance,
        Slug::LetterSettled,
        Slug::DeliveryNotFound,
        Slug::DownloadNotFound,
        Slug::IdentityMissing,
        Slug::ControlTokenRequired,
        Slug::ControlTokenInvalid,
    ];

    /// The catalogue itself: wire slug, message, origin. One row per slug.
    #[rustfmt::skip]
    fn entry(self) -> (&'static str, &'static str, Origin) {
        use Origin::{Assumed, Mock, Sources};
        match self {
            Slug::TokenMissing => ("token_missing", "The token is missing in your request", Sources),
            Slug::TokenInvalid => ("token_invalid", "Your token is not valid", Sources),
            Slug::EmptyDate => ("empty_date", "No date parameter found in your request", Sources),
            Slug::InvalidDate => ("invalid_date", "Wrong date format (must be YYYY-MM-DD HH:mm:ss)", Sources),
            Slug::ExpiredDate => ("expired_date", "Given datetime is older than current datetime", Sources),
            Slug::DateInFuture => ("date_in_future", "Given datetime must be set between call submission and +10 minutes", Sources),
            // [ASSUMED] the slug is in the sources, its message is not.
            Slug::EmptySignature => ("empty_signature", "No signature header found in your request", Sources),
            // [ASSUMED] no source names the error of a wrong, non-empty signature.
            Slug::InvalidSignature => ("invalid_signature", "The signature is not valid for this token and date", Assumed),
            Slug::MissingFirstname => ("missing_firstname", "Please specify a firstname", Sources),
            Slug::MissingLastname => ("missing_lastname", "Please specify a lastname", Sources),
            Slug::MissingEmail => ("missing_email", "Please specify an email address", Sources),
            Slug::EmailWrongFormat => ("email_wrong_format", "Incorrect email address format", Sources),
            Slug::MissingAddress => ("missing_address", "Please specify an address", Sources),
            Slug::MissingCity => ("missing_city", "Please specify a city", Sources),
            Slug::MissingZipcode => ("missing_zipcode", "Please specify a zipcode", Sources),
            Slug::MissingCountry => ("missing_country", "Please specify a country", Sources),
            Slug::ErrorCountry => ("error_country", "Please specify a valid country", Sources),
            Slug::ErrorGender => ("error_gender", "Please specify a valid gender", Sources),
            // [ASSUMED] statut is required but no source names its error.
            Slug::ErrorStatut => ("error_statut", "Please specify a valid statut (particulier, professionnel, administration or association)", Assumed),
            // [ASSUMED] booleans travel as 0/1; no source names the error for other values.
            Slug::InvalidFlag => ("invalid_flag", "Boolean parameters must be 0 or 1", Assumed),
            Slug::MissingCompanySiret => ("missing_company_siret", "Please specify an company_siret (Required for a user in FR)", Sources),
            Slug::ErrorCompanySiret => ("error_company_siret", "Please specify a valid company_siret (No company has been found with this company_siret)", Sources),
            // The leading space is AR24's own text, as the sources show it.
            Slug::MissingCompanyTva => ("missing_company_tva", " specify an company_tva (Required for a user in EU)", Sources),
            Slug::UserNotCreated => ("user_not_created", "An error occurred", Sources),
            Slug::UserAlreadyExist => ("user_already_exist", "A user with the same email address already exists", Sources),
            Slug::UserNotExist => ("user_not_exist", "There is no user with this address on AR24", Sources),
            Slug::UserUnavailable => ("user_unavailable", "You tried to access a resource that is not related to your API (user has not granted API access)", Sources),
            Slug::MissingUserId => ("missing_user_id", "Please specify a valid user ID", Sources),
            Slug::UserNoPayment => ("user_no_payment", "User or Master has no payment method", Sources),
            // [ASSUMED] user/list paging errors.
            Slug::InvalidMax => ("invalid_max", "max must be a whole number from 1 to 1000", Assumed),
            // [ASSUMED]
            Slug::InvalidStart => ("invalid_start", "start must be a whole number (0 or more)", Assumed),
            // [ASSUMED]
            Slug::InvalidSort => ("invalid_sort", "sort must be ASC or DESC", Assumed),
            // [ASSUMED] request_cgu for a user who already accepted.
            Slug::CguAlreadyAccepted => ("cgu_already_accepted", "This user has already accepted the CGU", Assumed),
            // [ASSUMED] request_access for a user the partner already sees.
            Slug::AccessAlreadyGranted => ("access_already_granted", "This user has already granted access to your API", Assumed),
            // [ASSUMED] join_team without a valid id_master.
            Slug::MissingMasterId => ("missing_master_id", "Please specify a valid team administrator ID (id_master)", Assumed),
            // [ASSUMED] join_team with id_user equal to id_master.
            Slug::MasterIsUser => ("master_is_user", "A user cannot join their own team", Assumed),
            // [ASSUMED] join_team for a member of that team already.
            Slug::AlreadyInTeam => ("already_in_team", "This user is already a member of this team", Assumed),
            // [ASSUMED] payment_request for a user who has a payment method.
            Slug::PaymentAlreadyActive => ("payment_already_active", "This user already has a payment method", Assumed),
            // [ASSUMED] unknown route: HTTP 404 with this slug.
            Slug::UnknownRoute => ("unknown_route", "This route does not exist", Assumed),
            // [ASSUMED] wrong method on a known route: HTTP 405 with this slug.
            Slug::MethodNotAllowed => ("method_not_allowed", "This route does not accept this HTTP method", Assumed),
            // [ASSUMED] a body that cannot be read as form data.
            Slug::MalformedBody => ("malformed_body", "The request body could not be read as form data", Assumed),
            // [ASSUMED] a body over the configured limit.
            Slug::BodyTooLarge => ("body_too_large", "The request body is too large", Assumed),
            // [ASSUMED] the mock's last resort; still HTTP 200 on the API.
            Slug::InternalError => ("internal_error", "An error occurred", Assumed),
            Slug::PartnerNotFound => ("partner_not_found", "No partner has this token", Mock),
            Slug::PartnerAlreadyExists => ("partner_already_exists", "A partner with this token already exists", Mock),
            Slug::LinkNotFound => ("link_not_found", "This link does not exist (or the mock was reset)", Mock),
            Slug::LinkAlreadyUsed => ("link_already_used", "This link has already been used", Mock),
            Slug::LinkObsolete => ("link_obsolete", "What this link asks can no longer be done: the user or team administrator is gone, or the letter is settled", Mock),
            Slug::InvalidJson => ("invalid_json", "The request body is not the JSON this route expects", Mock),
            Slug::InvalidFilter => ("invalid_filter", "Unknown filter value (kind is one of cgu, access, team, payment, letter, reminder, notification; status one of waiting, ev, ar, rf, ng, bc; user a number)", Mock),
            Slug::InvalidFault => ("invalid_fault", "A fault needs a kind (maintenance, error with a known slug, delay with delay_ms up to 60000, drop) and times of 1 or more", Mock),
            Slug::InvalidState => ("invalid_state", "This is not a state the mock can load (duplicate ids or emails, or unknown references)", Mock),
            // [ASSUMED] more parameters than the mock accepts.
            // [ASSUMED] a parameter name or value longer than the mock accepts.
            Slug::ParameterTooLong => ("parameter_too_long", "A parameter is too long", Assumed),
            Slug::AttachmentEmptyName => ("attachment_empty_name", "We can't extract a file name for the uploaded file (file_name parameter or name parameter in the file object are empty or wrong encoded)", Sources),
            Slug::AttachmentTooBig => ("attachment_too_big", "File is empty (0B) or too big", Sources),
            Slug::AttachmentMissingFile => ("attachment_missing_file", "You didn't fill the file parameter correctly", Sources),
            Slug::MissingErmId => ("missing_erm_id", "Please provide a valid mail ID", Sources),
            Slug::SameSenderRecipientsEmails => ("same_sender_recipients_emails", "Recipient email and sender email must be different", Sources),
            Slug::InvalidRecipient => ("invalid_recipient", "Recipient email is invalid", Sources),
            Slug::GroupNotExist => ("group_not_exist", "Group ID provided does not exist", Sources),
            Slug::UserAccountNotConfirmed => ("user_account_not_confirmed", "User has to confirm its email address first", Sources),
            Slug::UserEulaNotAccepted => ("user_eula_not_accepted", "Sender must accept AR24 EULA first", Sources),
            Slug::UserNameEmpty => ("user_name_empty", "Sender name (firstname or lastname) cannot be empty", Sources),
            Slug::AttachmentNotExists => ("attachment_not_exists", "At least one of the attachment ID's you proviced doesn't exist", Sources),
            Slug::AttachmentUnavailable => ("attachment_unavailable", "One of the attachment ID's you provided doesn't exist", Sources),
            // The same slug as the upload's, with the message of `POST mail` (ar24-sending.md §1.5).
            Slug::MailAttachmentsTooBig => ("attachment_too_big", "File exceeds size limit", Sources),
            Slug::ContentExceedsLimit => ("content_exceeds_limit", "Content parameters is too long", Sources),
            Slug::ForbiddenHtml => ("forbidden_html", "The content has some forbidden html tag into it, please clean your input", Sources),
            Slug::ErrorNoContentNoAttachment => ("error_no_content_no_attachment", "Empty mail ; content is empty and there are no attachments", Sources),
            Slug::AuthenticationMissing => ("authentication_missing", "Invalid eidas identification (ssl or otp)", Sources),
            Slug::AuthenticationOtpInvalid => ("authentication_otp_invalid", "Invalid otp code", Sources),
            Slug::AuthenticationOtpHashInvalid => ("authentication_otp_hash_invalid", "OTP hash is required (from 1h authentification method) and the one you provided is not correct", Sources),
            // [ASSUMED] a `particulier` recipient without `to_lastname`.
            Slug::MissingToLastname => ("missing_to_lastname", "Please specify a recipient lastname", Assumed),
            // [ASSUMED] a `particulier` recipient without `to_firstname`.
            Slug::MissingToFirstname => ("missing_to_firstname", "Please specify a recipient firstname", Assumed),
            // [ASSUMED] a `professionnel` recipient without `to_company`.
            Slug::MissingToCompany => ("missing_to_company", "Please specify a recipient company", Assumed),
            // [ASSUMED] a missing or unknown `dest_statut`.
            Slug::ErrorDestStatut => ("error_dest_statut", "Please specify a valid dest_statut (particulier or professionnel)", Assumed),
            Slug::InvalidWebhook => ("invalid_webhook", "The webhook must be an http:// or https:// URL", Assumed),
            Slug::LetterNotFound => ("letter_not_found", "No registered letter has this id", Mock),
            Slug::InvalidAdvance => ("invalid_advance", "advance is a number of seconds (3600) or a duration (\"90s\", \"30m\", \"1.5h\", \"15d\", \"2w\"): a whole number of seconds, up to 10 years; the clock moves forward only", Mock),
            Slug::LetterSettled => ("letter_settled", "The letter cannot change this way now", Mock),
            Slug::DeliveryNotFound => ("delivery_not_found", "No webhook delivery has this id", Mock),
            // [ASSUMED] a download URL with an unknown id, a proof not issued yet, or another token.
            Slug::DownloadNotFound => ("download_not_found", "Nothing to download at this address (unknown letter, proof not yet issued, or wrong token)", Assumed),
            Slug::IdentityMissing => ("identity_missing", "To refuse a letter, the recipient gives their first and last name", Mock),
            Slug::ControlTokenRequired => ("control_token_required", "This control plane is locked: send its token as Authorization: Bearer", Mock),
            Slug::ControlTokenInvalid => ("control_token_invalid", "This is not the control plane's token", Mock),
            Slug::NoOtpSecret => ("no_otp_secret", "This user has no OTP secret: order one with user/identity or user/verify", Mock),
        }
    }
}

/// Where a slug comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Seen in AR24's pages or several independent clients.
    Sources,
    /// Chosen by the mock for an AR24 route; listed in the README's assumptions.
    Assumed,
    /// Control plane only.
    Mock,
}

/// A slug serializes as its wire name.
impl Serialize for Slug {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_slug_is_listed_once_and_a_wire_name_repeats_only_with_another_message() {
        let rows: HashSet<_> = Slug::ALL.iter().map(|s| (s.as_str(), s.message())).collect();
        assert_eq!(rows.len(), Slug::ALL.len());
        let repeated: Vec<&str> = Slug::ALL
            .iter()
            .map(|s| s.as_str())
            .filter(|w| Slug::ALL.iter().filter(|s| s.as_str() == *w).count() > 1)
            .collect();
        assert_eq!(repeated, ["attachment_too_big", "attachment_too_big"], "AR24 answers this slug with two messages");
    }

    #[test]
    fn serde_name_matches_the_wire_name() {
        for slug in Slug::ALL {
            let json = serde_json::to_value(slug).unwrap();
            assert_eq!(json, slug.as_str());
        }
    }

    const README: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));

    #[test]
    fn the_readme_lists_every_slug_with_its_message_and_origin() {
        let rows: Vec<&str> = README.lines().filter(|l| l.starts_with("| `")).collect();
        for slug in Slug::ALL {
            let message = slug.message().replace('|', "\\|");
            let row = rows
                .iter()
                .find(|r| r.starts_with(&format!("| `{}` |", slug.as_str())) && r.contains(message.trim()))
                .unwrap_or_else(|| panic!("README has no row for {slug} with its message"));
            let origin = row.rsplit('|').nth(1).unwrap_or_default();
            match slug.entry().2 {
                Origin::Assumed => assert!(origin.contains("assumed"), "{slug} must be marked assumed"),
                Origin::Mock => assert!(origin.contains("control plane"), "{slug} must be marked control plane"),
                Origin::Sources => assert!(origin.contains("AR24 sources"), "{slug} must be marked as from AR24"),
            }
        }
    }

    #[test]
    fn every_assumed_slug_is_explained_in_the_assumptions_table() {
        let assumptions = README.split("## Assumptions").nth(1).expect("an Assumptions section");
        let assumptions = assumptions.split("\n## ").next().unwrap_or_default();
        for slug in Slug::ALL.iter().filter(|s| s.entry().2 == Origin::Assumed) {
            assert!(assumptions.contains(&format!("`{}`", slug.as_str())), "no assumption row names {slug}");
        }
    }

    #[test]
    fn the_vat_message_keeps_ar24s_leading_space() {
        assert_eq!(Slug::MissingCompanyTva.message(), " specify an company_tva (Required for a user in EU)");
    }
}
