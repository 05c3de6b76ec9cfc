//! AR24's wire rules, pure: parameters, dates, keys and encryption. Nothing
//! here knows HTTP handlers or the store; the layers above depend on it, never
//! the other way round.

pub mod crypto;
pub mod date;
pub mod params;
