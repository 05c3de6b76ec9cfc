//! How AR24 routes name a user: `id_user`, or `email` where the route allows it.

use serde::Deserialize;

use super::EmailAddress;
use crate::slug::Slug;

/// Parses a user id parameter: a positive whole number, else `missing`.
pub fn parse_id(raw: Option<&str>, missing: Slug) -> Result<u64, Slug> {
    raw.map(str::trim).and_then(|text| text.parse::<u64>().ok()).filter(|id| *id > 0).ok_or(missing)
}

/// The `id_user` / `email` parameters of `user` info.
#[derive(Debug, Default, Deserialize)]
pub struct UserRefForm {
    /// The AR24 user id.
    pub id_user: Option<String>,
    /// The account's email address.
    pub email: Option<String>,
}

/// A user named by id or by email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// By `id_user`.
    Id(u64),
    /// By `email`.
    Email(EmailAddress),
}

impl TryFrom<UserRefForm> for UserRef {
    type Error = Slug;

    /// `id_user` wins when both are given; neither is `missing_user_id`.
    fn try_from(form: UserRefForm) -> Result<Self, Slug> {
        let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if has(&form.id_user) {
            parse_id(form.id_user.as_deref(), Slug::MissingUserId).map(UserRef::Id)
        } else if has(&form.email) {
            EmailAddress::parse(form.email.as_deref()).map(UserRef::Email)
        } else {
            Err(Slug::MissingUserId)
        }
    }
}

/// The lone `id_user` parameter of `request_cgu` and friends.
#[derive(Debug, Default, Deserialize)]
pub struct IdUserForm {
    /// The AR24 user id.
    pub id_user: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(id: Option<&str>, email: Option<&str>) -> UserRefForm {
        UserRefForm { id_user: id.map(Into::into), email: email.map(Into::into) }
    }

    #[test]
    fn ids_are_positive_whole_numbers() {
        assert_eq!(parse_id(Some(" 42 "), Slug::MissingUserId), Ok(42));
        for bad in ["0", "-1", "abc", "1.5", "", "99999999999999999999999"] {
            assert_eq!(parse_id(Some(bad), Slug::MissingUserId), Err(Slug::MissingUserId), "{bad}");
        }
    }

    #[test]
    fn id_wins_over_email_and_neither_is_missing_user_id() {
        assert_eq!(UserRef::try_from(form(Some("7"), Some("a@b.fr"))), Ok(UserRef::Id(7)));
        assert!(matches!(UserRef::try_from(form(None, Some("a@b.fr"))), Ok(UserRef::Email(_))));
        assert_eq!(UserRef::try_from(form(None, Some("nope"))), Err(Slug::EmailWrongFormat));
        assert_eq!(UserRef::try_from(form(Some(""), None)), Err(Slug::MissingUserId));
        assert_eq!(UserRef::try_from(form(Some("x"), None)), Err(Slug::MissingUserId));
    }
}
