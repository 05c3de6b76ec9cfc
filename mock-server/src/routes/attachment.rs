//! Attachments (ar24-sending.md §1.2–§1.4): `POST attachment` uploads one file
//! for a user, `GET user/attachment` lists a user's uploads, `GET attachment`
//! lists one letter's.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::route;
use crate::app_state::AppState;
use crate::domain::page::{Page, PageForm};
use crate::domain::{UserRef, parse_id};
use crate::error::Result;
use crate::front::auth::Caller;
use crate::front::envelope::Ar24Ok;
use crate::front::extract::{Ar24Params, Sent};
use crate::slug::Slug;
use crate::store::attachment::{AttachmentItem, Uploaded};

pub(crate) fn router() -> Router<AppState> {
    let router = route(Router::new(), "/attachment", post(upload).get(letter_attachments));
    route(router, "/user/attachment", get(user_attachments))
}

#[derive(Debug, Deserialize)]
struct UploadForm {
    id_user: Option<String>,
    file_name: Option<String>,
}

/// POST `attachment` (multipart: `id_user`, a file part `file`, optional
/// `file_name`). Checked in this order: `missing_user_id`, `user_not_exist` /
/// `user_unavailable`, `attachment_missing_file` (no file part named `file`),
/// `attachment_empty_name` (neither `file_name` nor the part's file name),
/// `attachment_too_big` (empty, or over `--max-attachment`).
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<UploadForm>,
    Sent(sent): Sent,
) -> Result<Ar24Ok<Uploaded>> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    let file = sent.files().iter().rev().find(|f| f.field == "file").ok_or(Slug::AttachmentMissingFile)?;
    let name = [form.file_name.as_deref(), Some(file.filename.as_str())]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|n| !n.is_empty())
        .ok_or(Slug::AttachmentEmptyName)?;
    if file.bytes.is_empty() || file.bytes.len() > state.config.max_attachment {
        return Err(Slug::AttachmentTooBig.into());
    }
    let attachment = state.store.upload(&user, &caller.partner, name.to_owned(), file);
    Ok(caller.ok(attachment.uploaded()))
}

/// The answer of both lists.
#[derive(Debug, Serialize)]
struct Attachments {
    attachments: Vec<AttachmentItem>,
}

#[derive(Debug, Deserialize)]
struct UserAttachmentsForm {
    id_user: Option<String>,
    #[serde(flatten)]
    page: PageForm,
}

/// GET `user/attachment`: a user's uploads, paged like `user/list`.
async fn user_attachments(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<UserAttachmentsForm>,
) -> Result<Ar24Ok<Attachments>> {
    let id = parse_id(form.id_user.as_deref(), Slug::MissingUserId)?;
    let user = state.store.user_for(&caller.partner, &UserRef::Id(id))?;
    let page = Page::try_from(&form.page)?;
    let list = state.store.mail().user_attachments(user.id, page.max, page.start, page.order);
    Ok(caller.ok(Attachments { attachments: list.iter().map(|a| a.item()).collect() }))
}

#[derive(Debug, Deserialize)]
struct LetterForm {
    id: Option<String>,
}

/// GET `attachment` with `id` = a letter's id: its attachments, in the
/// letter's order. `missing_erm_id` for no such letter, `user_unavailable`
/// when its sender is not this partner's.
async fn letter_attachments(
    State(state): State<AppState>,
    caller: Caller,
    Ar24Params(form): Ar24Params<LetterForm>,
) -> Result<Ar24Ok<Attachments>> {
    let letter = super::mail::visible_letter(&state, &caller, form.id.as_deref())?;
    let list = state.store.mail().letter_attachments(&letter);
    Ok(caller.ok(Attachments { attachments: list.iter().map(|a| a.item()).collect() }))
}
