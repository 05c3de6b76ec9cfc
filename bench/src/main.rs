//! `ar24-bench`: measures the mock as partners feel it (start time, signed and
//! encrypted calls under 64 connections, memory) against Stoplight Prism
//! mocking `openapi.yaml`, and prints a table with the targets.
//!
//! Run through `scripts/bench.sh` (which installs wrk and Prism and builds the
//! release binaries); `--quick` is the short smoke run CI does. The load
//! generator is wrk, on the same machine: figures are medians and ratios of one
//! run, on a shared, noisy machine.

use std::path::PathBuf;

use clap::Parser;

mod compare;
mod harness;
mod letters;
mod paced;
mod scale;

/// The command line.
#[derive(Parser, Debug)]
#[command(about = "Benchmarks the AR24 mock against Stoplight Prism")]
pub struct Options {
    /// A short smoke run: fewer starts, one-second loads, fewer users.
    #[arg(long)]
    pub quick: bool,
    /// The release `ar24-mock` binary.
    #[arg(long, default_value = "target/release/ar24-mock")]
    pub mock: PathBuf,
    /// Prism's executable (`bench/prism/node_modules/.bin/prism`); without it, Prism is left out.
    #[arg(long)]
    pub prism: Option<PathBuf>,
    /// The OpenAPI description Prism mocks.
    #[arg(long, default_value = "openapi.yaml")]
    pub openapi: PathBuf,
    /// Print the signed wrk script for `info`, `list`, `create` or `send` (for profiling by hand) and exit.
    /// `send` first makes a sender and an upload on the mock at `--port`.
    #[arg(long, value_name = "KIND")]
    print_script: Option<String>,
    /// The port of a running mock, for `--print-script send` and `--pace`.
    #[arg(long)]
    port: Option<u16>,
    /// Offer this many signed `POST mail` a second to the mock at `--port` (64 connections,
    /// 10 s, each send timed from when it was due; a sender and an upload are made first), print
    /// the figures and exit.
    #[arg(long, value_name = "SENDS_PER_SECOND", value_parser = positive_rate)]
    pace: Option<f64>,
    /// Measure the mock holding many users, with and without a state file, instead of the comparison with Prism.
    #[arg(long)]
    scale: bool,
    /// How many users `--scale` stores.
    #[arg(long, default_value_t = 1_000_000)]
    users: usize,
    /// How many letters `--scale` then stores (0: none).
    #[arg(long, default_value_t = 1_000_000)]
    letters: usize,
}

/// A rate of sends a second: a number above 0.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!("`{text}` is not a number of sends a second above 0")),
    }
}

/// A sender and a 20 KB upload made on the running mock at `port`, and their signed send.
async fn signed_send_on(port: u16) -> harness::SignedSend {
    let (sender, attachment) = harness::ready_sender(&harness::Server::attach(port), 20 * 1024).await;
    harness::SignedSend::new(sender, attachment)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = Options::parse();
    if let Some(rate) = options.pace {
        let port = options.port.expect("--pace needs the --port of a running mock");
        let send = signed_send_on(port).await;
        println!("{}", paced::paced(port, &send.request(), rate, paced::CONNECTIONS, 10.0).summary());
    } else if let Some(kind) = &options.print_script {
        if kind == "send" {
            let port = options.port.expect("--print-script send needs the --port of a running mock");
            print!("{}", signed_send_on(port).await.script());
        } else {
            print!("{}", harness::script(kind, 1));
        }
    } else if options.scale {
        scale::run(&options.mock, options.users, options.letters, if options.quick { 2 } else { 10 }).await;
    } else {
        compare::run(&options).await;
    }
}
