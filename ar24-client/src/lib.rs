//! The partner's side of the AR24 API, for tests and tools written in Rust.
//!
//! It does what every AR24 client must: put `token` and `date` (Europe/Paris
//! local time) in each call, sign the date into the `signature` header,
//! send parameters as a query, an urlencoded body or a multipart body with
//! files, and read the answer: decrypt a success, read an error's slug and
//! message, recognise maintenance, and report anything else as unreadable.
//! It is written from AR24's published protocol alone and shares no code
//! with ar24-mock, so it can check the mock as well as the real AR24.
//!
//! [`ControlPlane`] drives ar24-mock's `/_mock/` plane: partners, the
//! outbox and its links, website accounts, the journal, faults and state.
//!
//! # Layout
//! - [`crypto`]: key derivation, signing, decryption ([`Keys`]).
//! - [`date`]: the Paris-time `date` and the client's [`Clock`].
//! - [`call`]: one call, built step by step ([`Call`], [`Signing`]).
//! - [`client`]: the signed client ([`Client`]).
//! - [`answer`]: what came back ([`Answer`], [`Exchange`]).
//! - [`control`]: ar24-mock's control plane ([`ControlPlane`]).
//!
//! # Example
//! ```no_run
//! use ar24_client::{Answer, Call, Client};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // The mock's fixed default partner; use your sandbox token and key there.
//! let ar24 = Client::new("http://127.0.0.1:8080/api/", "ar24-mock-token", "ar24-mock-private-key");
//! let created = ar24
//!     .send(&Call::post("user").params([
//!         ("firstname", "Jeanne"), ("lastname", "Martin"), ("email", "jeanne@example.fr"),
//!         ("gender", "F"), ("statut", "particulier"), ("address1", "12 rue de Rivoli"),
//!         ("zipcode", "75004"), ("city", "Paris"), ("country", "FR"),
//!     ]))
//!     .await?;
//! match created {
//!     Answer::Success { result: Some(user), .. } => println!("AR24 id {}", user["id"]),
//!     Answer::Error { slug, message } => println!("refused: {slug} ({message})"),
//!     other => println!("{}", other.outcome()),
//! }
//! # Ok(()) }
//! ```

pub mod answer;
pub mod call;
pub mod client;
pub mod control;
pub mod crypto;
pub mod date;

pub use answer::{Answer, Exchange};
pub use call::{Call, Encoding, FilePart, Method, SignatureIn, Signing};
pub use client::{Client, TransportError};
pub use control::{ControlError, ControlPlane, Email, NewPartner, Partner, Reply, WebsiteAccount};
pub use crypto::Keys;
pub use date::{Clock, format_paris, now_paris};
