//! The `ar24-mock` binary: parse the configuration, set up logs, run.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use ar24_mock::{Config, run};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(config.default_log_filter()));
    // Colours only for a person at a terminal, not for a log collector.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    run(config).await
}
