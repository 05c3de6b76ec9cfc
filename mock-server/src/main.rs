//! The `ar24-mock` binary: parse the configuration, set up logs, run.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use ar24_mock::{Config, run};

/// jemalloc: a store of many small records, written from every worker thread
/// among short-lived request buffers, stays as compact in resident memory as
/// it is in live heap, and sends are faster (README, "Sending letters").
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(config.default_log_filter()));
    // Colours only for a person at a terminal, not for a log collector.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // Lines are written by a thread of their own, in batches (`log_lines`): a request never
    // waits for the terminal or for a log file whose disk is busy. None is dropped.
    let (writer, _flushed_at_exit) = ar24_mock::log_lines::batched(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_timer(ar24_mock::log_lines::LineTime)
        .with_writer(writer)
        .init();
    // jemalloc's own thread hands freed pages back to the system as they age, so memory
    // freed after a burst (a state file read at start, an import) does not stay resident
    // in a mock that then idles. Without it, jemalloc purges only while allocating.
    #[cfg(feature = "jemalloc")]
    if let Err(err) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!("jemalloc's background thread is off ({err}); memory freed while idle stays resident");
    }
    run(config).await
}
