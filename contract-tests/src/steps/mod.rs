//! Step definitions, one file per capability; any step may serve any feature.
//! Shared parameter types live here.

mod attach;
mod auth;
mod billing;
mod cgu;
mod isolation;
mod lifecycle;
mod payment;
mod sending;
mod team;
mod user;
mod user_info;

use std::str::FromStr;

use cucumber::Parameter;

/// A user named in a scenario: one capitalized word ("Alice").
#[derive(Debug, Clone, Default, Parameter)]
#[param(name = "user", regex = "[A-Z][a-z]+")]
pub struct User(pub String);

impl FromStr for User {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Several users: "Alice and Bob", "Alice, Bob and Carol".
#[derive(Debug, Clone, Default, Parameter)]
#[param(name = "users", regex = "[A-Z][a-z]+(?:, [A-Z][a-z]+)* and [A-Z][a-z]+")]
pub struct Users(pub Vec<String>);

impl FromStr for Users {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.replace(" and ", ", ").split(", ").map(str::to_owned).collect()))
    }
}

/// An AR24 error slug, as in `fails with "token_missing"`.
#[derive(Debug, Clone, Default, Parameter)]
#[param(name = "slug", regex = "[a-z_]+")]
pub struct Slug(pub String);

impl FromStr for Slug {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// A parameter name of the AR24 API, as in `without "firstname"` or `"attachment[0]"`.
#[derive(Debug, Clone, Default, Parameter)]
#[param(name = "field", regex = "[a-z_0-9\\[\\]]+")]
pub struct Field(pub String);

impl FromStr for Field {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_lists_read_in_order() {
        assert_eq!(Users::from_str("Alice, Bob and Carol").unwrap().0, ["Alice", "Bob", "Carol"]);
        assert_eq!(Users::from_str("Alice and Bob").unwrap().0, ["Alice", "Bob"]);
    }
}
