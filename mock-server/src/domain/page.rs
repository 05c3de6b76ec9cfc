//! Paging of AR24's list routes (`user/list`, `user/attachment`, `user/mail`):
//! `max` (10), `start` (0) and `sort` by id (`ASC` or `DESC`).

use serde::Deserialize;

use crate::slug::Slug;

/// Largest page ([ASSUMED]).
pub const MAX_PAGE: usize = 1000;

/// Sorting by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Lowest id first.
    Asc,
    /// Highest id first.
    Desc,
}

/// The paging parameters, as sent.
#[derive(Debug, Default, Deserialize)]
#[allow(missing_docs)]
pub struct PageForm {
    pub max: Option<String>,
    pub start: Option<String>,
    pub sort: Option<String>,
}

/// A valid page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Page {
    pub max: usize,
    pub start: usize,
    pub order: Order,
}

impl TryFrom<&PageForm> for Page {
    type Error = Slug;

    /// `invalid_max` unless 1..=[`MAX_PAGE`], `invalid_start` unless a whole
    /// number, `invalid_sort` unless `ASC`/`DESC` (any case); blank is the default.
    fn try_from(form: &PageForm) -> Result<Self, Slug> {
        let number = |raw: &Option<String>, default: usize, slug: Slug| -> Result<usize, Slug> {
            match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(default),
                Some(text) => text.parse::<usize>().map_err(|_| slug),
            }
        };
        let max = number(&form.max, 10, Slug::InvalidMax)?;
        if max == 0 || max > MAX_PAGE {
            return Err(Slug::InvalidMax);
        }
        let start = number(&form.start, 0, Slug::InvalidStart)?;
        let order = match form.sort.as_deref().map(str::trim) {
            None | Some("") => Order::Asc,
            Some(s) if s.eq_ignore_ascii_case("ASC") => Order::Asc,
            Some(s) if s.eq_ignore_ascii_case("DESC") => Order::Desc,
            Some(_) => return Err(Slug::InvalidSort),
        };
        Ok(Page { max, start, order })
    }
}
