//! Wire input turned into valid domain values ("parse, don't validate").
//!
//! Each check returns the first AR24 slug that applies, in AR24's order.

pub mod country;
pub mod email;
pub mod flag;
pub mod letter;
pub mod new_user;
pub mod page;
pub mod siret;
pub mod user_ref;

pub use country::Country;
pub use email::EmailAddress;
pub use new_user::{CreateUserForm, Gender, NewUser, NotifyFlags, Statut};
pub use siret::Siret;
pub use user_ref::{UserRef, parse_id};
