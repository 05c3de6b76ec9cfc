//! Registered letters (ar24-sending.md §1.5–§1.7): `POST mail` sends a simple
//! or eIDAS letter, `GET mail` reads one, `GET user/mail` lists a user's.
//!
//! `POST mail` checks, in this order, answering the first that fails:
//! 1. `id_user`: `missing_user_id`; the sender must exist (`user_not_exist`)
//!    and be this partner's (`user_unavailable`);
//! 2. the sender: `user_account_not_confirmed`, `user_eula_not_accepted`,
//!    `user_name_empty`, `user_no_payment` (own method, team administrator's,
//!    or the partner's global billing);
//! 3. the flags `eidas` and `pre_notif`: `invalid_flag`;
//! 4. the recipient: `missing_email`, `invalid_recipient`,
//!    `same_sender_recipients_emails`, `error_dest_statut`,
//!    `missing_to_lastname`, `missing_to_firstname`, `missing_to_company`,
//!    `group_not_exist` (see `domain::letter`);
//! 5. the content: `forbidden_html`, `content_exceeds_limit`; the `webhook`:
//!    `invalid_webhook` (not an `http://` or `https://` URL);
//! 6. the attachments: `attachment_not_exists` (unknown id),
//!    `attachment_unavailable` (another user's), `attachment_too_big` (their
//!    sum over `--max-attachment`); then `error_no_content_no_attachment`;
//! 7. eIDAS only: `authentication_missing` (neither `otp` nor `auth_otp_hash`,
//!    or a sender without a verified identity), `authentication_otp_hash_invalid`,
//!    `authentication_otp_invalid`. Last, so a code is used up only by a letter
//!    that is sent.
//!
//! Then the letter is charged to its payer, recorded, and its recipient notified.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Deserialize;

use super::route;
use crate::app_state::AppState;
use crate::domain::letter::{self, SendForm};
use crate::domain::page::{Page, PageForm};
use crate::domain::{UserRef, parse_id};
use crate::error::{Ar24Error, Result};
use crate::front::auth::Caller;
use crate::front::envelope::Ar24Ok;
use crate::front::extract::{Ar24Params, Sent};
use crate::protocol::params::hashed_apart;
use crate::slug::Slug;
use crate::store::SendOrder;
use crate::store::attachment::Attachment;
use crate::store::letter::{Letter, MailObject, Sha256Digest};
use crate::store::user::User;

pub(crate) fn router() -> Router<AppState> {
    let router = route(Router::new(), "/mail", post(send).get(read));
    route(router, "/user/mail", get(list))
}

/// The sender's own state, step 2 of the order above.
fn check_sender(user: &User) -> Result<(), Slug> {
    let p = &user.profile;
    if !p.confirmed {
        return Err(Slug::UserAccountNotConfirmed);
    }
    if !user.cgu {
        return Err(Slug::UserEulaNotAccepted);
    }
    if p.firstname.trim().is_empty() || p.lastname.trim().is_empty() {
        return Err(Slug::UserNameEmpty);
    }
    Ok(())
}

/// The attachments named by `attachment[N]` / `attachment[]`, step 6.
fn check_attachments(state: &AppState, sender: &User, ids: &[&str]) -> Result<Vec<Attachment>, Slug> {
    let mut found = Vec::with_capacity(ids.len());
    for raw in ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let attachment = raw
            .parse::<u64>()
            .ok()
            .and_then(|id| state.store.mail().attachment(id))
            .ok_or(Slug::AttachmentNotExists)?;
        if attachment.user_id != sender.id {
            return Err(Slug::AttachmentUnavailable);
        }
        found.push(attachment);
    }
    let total: u64 = found.iter().map(|a| a.size).sum();
    if total > state.config.max_attachment as u64 {
        return Err(Slug::MailAttachmentsTooBig);
    }
    Ok(found)
}

/// eIDAS authentication, step 7.
fn check_eidas(state: &AppState, caller: &Caller, sender: &User, form: &SendForm) -> Result<(), Slug> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let (otp, hash) = (given(&form.otp), given(&form.auth_otp_hash));
    if (otp.is_none() && hash.is_none()) || !sender.identity_verified {
        return Err(Slug::AuthenticationMissing);
    }
    if let Some(hash) = hash {
        return if state.store.check_otp_hash(&hash, sender, &caller.partner) {
            Ok(())
        } else {
            Err(Slug::AuthenticationOtpHashInvalid)
        };
    }
    if state.store.check_otp(sender, otp.as_deref().unwrap_or_default()) {
        Ok(())
    } else {
        Err(Slug::AuthenticationOtpInvalid)
    }
}

/// POST `mail`: sends a registered letter, in the order of checks above.
async fn send(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<SendForm>,
    Sent(sent): Sent,
) -> Result<Ar24Ok<MailObject>> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let sender = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    check_sender(&sender)?;
    let payer = state.store.payer_for(&sender, Some(&caller.partner)).ok_or(Slug::UserNoPayment)?;
    let eidas = letter::eidas(&form)?;
    let recipient = letter::recipient(&form, &sender.profile.email)?;
    let content = letter::content(&form, state.config.max_content).map_err(|slug| match slug {
        Slug::ContentExceedsLimit => Ar24Error::Explained(
            slug,
            format!(
                "`content` is {} characters; this mock takes at most {} (--max-content, AR24's limit is assumed)",
                form.content.as_deref().unwrap_or_default().chars().count(),
                state.config.max_content
            ),
        ),
        slug => slug.into(),
    })?;
    let new = letter::letter(&form, eidas, recipient, content)?;
    let attachments = check_attachments(&state, &sender, &sent.list("attachment"))?;
    if new.content.trim().is_empty() && attachments.is_empty() {
        return Err(Slug::ErrorNoContentNoAttachment.into());
    }
    if eidas {
        check_eidas(&state, &caller, &sender, &form)?;
    }
    let price_ht = if eidas { state.config.price_eidas } else { state.config.price_simple };
    let full_hash_sha256 = fingerprint(&state, &new.content, &attachments).await;
    let order = SendOrder {
        partner: &caller.partner,
        sender: &sender,
        letter: new,
        attachments,
        payer,
        price_ht,
        full_hash_sha256,
    };
    let letter = state.store.send_letter(order);
    Ok(caller.ok(state.store.mail().view(&letter)))
}

/// The letter's `full_hash_sha256`, taken apart from the async threads when
/// its attachments are large, as an upload's SHA-1 is.
async fn fingerprint(state: &AppState, content: &str, attachments: &[Attachment]) -> Sha256Digest {
    let size: u64 = attachments.iter().map(|a| a.size).sum();
    let (store, content, attachments) = (Arc::clone(&state.store), content.to_owned(), attachments.to_vec());
    hashed_apart(usize::try_from(size).unwrap_or(usize::MAX), move || store.mail().fingerprint(&content, &attachments))
        .await
}

/// The letter named by `id`, if its sender is this partner's: `missing_erm_id`
/// for a missing, malformed or unknown id, `user_unavailable` for another's.
pub(super) fn visible_letter(state: &AppState, caller: &Caller, id: Option<&str>) -> Result<Arc<Letter>, Slug> {
    let id = parse_id(id, Slug::MissingErmId)?;
    let letter = state.store.mail().letter(id).ok_or(Slug::MissingErmId)?;
    if !state.store.accounts().is_visible(&caller.partner.token, letter.sender) {
        return Err(Slug::UserUnavailable);
    }
    Ok(letter)
}

#[derive(Debug, Deserialize)]
struct ReadForm {
    id: Option<String>,
}

/// GET `mail` with `id` (an `id_user` is accepted and ignored).
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<ReadForm>,
) -> Result<Ar24Ok<MailObject>> {
    let letter = visible_letter(&state, &caller, form.id.as_deref())?;
    Ok(caller.ok(state.store.mail().view(&letter)))
}

#[derive(Debug, Deserialize)]
struct ListForm {
    id_user: Option<String>,
    #[serde(flatten)]
    page: PageForm,
}

/// GET `user/mail` with `id_user`, optionally `mail[N]` ids and paging: a bare array of mail objects.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<ListForm>,
    Sent(sent): Sent,
) -> Result<Ar24Ok<Vec<MailObject>>> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    let page = Page::try_from(&form.page)?;
    let mut ids = Vec::new();
    for (at, raw) in sent.list("mail").into_iter().enumerate() {
        match raw.trim().parse::<u64>() {
            Ok(id) => ids.push(id),
            Err(_) => {
                let why = format!("the {} `mail` id, {raw:?}, is not a letter id (a whole number)", ordinal(at + 1));
                return Err(Ar24Error::Explained(Slug::MissingErmId, why));
            }
        }
    }
    let letters = state.store.mail().user_letters(user.id, &ids, page.max, page.start, page.order);
    Ok(caller.ok(letters.iter().map(|l| state.store.mail().view(l)).collect()))
}

/// `1st`, `2nd`, `3rd`, `4th`…
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ordinals_read_as_in_english() {
        let read: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112].map(super::ordinal).into();
        assert_eq!(
            read,
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th", "112th"]
        );
    }
}
