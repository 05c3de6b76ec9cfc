//! AR24's wire protocol: parameters, authentication, dates, encryption, the success envelope.

pub mod auth;
pub mod crypto;
pub mod date;
pub mod envelope;
pub mod params;
