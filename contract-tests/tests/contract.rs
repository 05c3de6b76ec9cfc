//! `cargo test` runs the contract suite through the `ar24-contract` runner,
//! which by default starts the mock in-process. The target and the JUnit
//! report are chosen by environment variables (see the README); cucumber's own
//! options (`--tags`, `--name`) go to the runner directly:
//! `cargo run -p ar24-contract-tests --bin ar24-contract -- --tags @out_of_band`.
//! Arguments given to `cargo test` are meant for libtest and are not forwarded.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let status = Command::new(env!("CARGO_BIN_EXE_ar24-contract")).status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("the AR24 contract suite failed ({status})");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("cannot start the AR24 contract suite: {err}");
            ExitCode::FAILURE
        }
    }
}
