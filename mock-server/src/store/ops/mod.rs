//! Named operations that span aggregates: each takes the facade's gate for
//! reading and calls each aggregate's own write path, in the facade's order
//! (partners → accounts → outbox → mail → identity), never holding one
//! aggregate's guard while it calls another.
//!
//! - `links.rs`: emails that carry a link, and following a link (accepting
//!   the CGU, a payment method, access, a team, a letter; refusing a letter);
//! - `sending.rs`: uploading, sending a letter, ordering an identity check, OTP;
//! - `letters.rs`: a letter's events and what falls due on the business clock.

mod letters;
mod links;
mod sending;

pub use letters::Work;
pub use sending::SendOrder;
