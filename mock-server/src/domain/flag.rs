//! AR24's boolean parameters, which travel as `0` / `1`.

use crate::slug::Slug;

/// Reads an optional boolean parameter: absent or blank is `None`; `0`/`1`
/// (and `false`/`true`, which some clients send) are read; anything else is
/// `invalid_flag`.
pub fn parse(raw: Option<&str>) -> Result<Option<bool>, Slug> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some("1") => Ok(Some(true)),
        Some("0") => Ok(Some(false)),
        Some(other) if other.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(other) if other.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(Slug::InvalidFlag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_zero_one_true_false() {
        assert_eq!(parse(Some("1")), Ok(Some(true)));
        assert_eq!(parse(Some("0")), Ok(Some(false)));
        assert_eq!(parse(Some("TRUE")), Ok(Some(true)));
        assert_eq!(parse(Some(" false ")), Ok(Some(false)));
        assert_eq!(parse(None), Ok(None));
        assert_eq!(parse(Some("")), Ok(None));
    }

    #[test]
    fn anything_else_is_invalid() {
        for bad in ["2", "yes", "on", "-1", "01"] {
            assert_eq!(parse(Some(bad)), Err(Slug::InvalidFlag), "{bad}");
        }
    }
}
