//! The AR24 contract suite's reusable parts (the AR24 client itself is the
//! independent `ar24-client` crate): the choice of target (in-process mock, running mock, AR24
//! sandbox), the rules for skipping scenarios a target cannot run, the
//! out-of-band helpers (mailbox or operator), the skip report, and the
//! recording and comparing of runs for drift reports.
//!
//! The runner (`ar24-contract`) with its Cucumber `World` and steps builds on these.

pub mod contract;
pub mod drift;
pub mod out_of_band;
pub mod receiver;
pub mod record;
pub mod report;
pub mod skip;
pub mod target;

pub use ar24_client::{Answer, Call, Signing};
pub use record::RecordingClient;
pub use target::{ConfigError, Target, TargetKind};
