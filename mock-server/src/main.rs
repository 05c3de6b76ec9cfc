//! The `ar24-mock` binary: parse the configuration, set up logs, run.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use ar24_mock::{Config, run};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("ar24_mock=info,tower_http=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    run(config).await
}
