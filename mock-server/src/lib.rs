//! ar24-mock: an in-memory emulation of the AR24 API (registered electronic
//! mail), wire-compatible down to the signed dates and encrypted answers, with
//! a mailbox and a control plane under `/_mock/`.
//!
//! # Layout
//! - [`config`]: the start-up configuration (flags and `AR24_MOCK_*` variables).
//! - `app`: [`app()`], the one composition of routes and layers.
//! - `server`: [`run()`] (the binary), [`serve()`], [`shutdown_signal()`] and the in-process [`MockServer`].
//! - `persist`: the state file's format and crash rules; `state_file`: loading, writing and the last write in a running mock.
//! - `protocol`: AR24's wire rules, pure: parameters, dates, keys and encryption.
//! - `front`: the HTTP front door: body limits, parameters read once, faults, the journal,
//!   authentication and the encrypted success envelope.
//! - `domain`: wire input turned into valid values, in AR24's order of checks.
//! - `store`: all state, behind intention-revealing methods.
//! - `routes`: the AR24 API, one file per route group.
//! - `control`: the `/_mock/*` control plane, mailbox and email links.
//! - [`slug`]: every error slug with its exact message.
//! - [`log_lines`]: the binary's log lines, written in batches by a thread of their own.
//!
//! # Example
//! ```no_run
//! # async fn demo() {
//! use ar24_mock::{Config, MockServer};
//! let mock = MockServer::start(Config::default()).await;
//! println!("point your AR24 client at {}", mock.base_url());
//! # }
//! ```

mod app;
mod app_state;
pub mod config;
mod control;
mod documents;
mod domain;
mod downloads;
mod error;
mod front;
pub mod healthcheck;
pub mod log_lines;
mod persist;
pub mod protocol;
mod routes;
mod seed_file;
mod server;
pub mod slug;
mod state_file;
mod store;
mod ticker;
mod webhook_sender;

pub use app::app;
pub use app_state::AppState;
pub use config::{AuthMode, Command, Config};
pub use protocol::crypto::PartnerKeys;
pub use protocol::date::format_paris;
pub use server::{MockServer, run, serve, shutdown_signal};
pub use slug::Slug;
pub use store::user::USER_FIELDS;
