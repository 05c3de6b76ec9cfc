//! The `ar24-mock` binary: parse the configuration, bind, print how to reach the mock, serve.

use std::io::Write;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use ar24_mock::{AppState, Command, Config, healthcheck, serve, shutdown_signal};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    if let Some(Command::Healthcheck { url }) = &config.command {
        return healthcheck::run(url.as_deref(), config.port);
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("ar24_mock=info,tower_http=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();

    let listener = match tokio::net::TcpListener::bind(config.socket_addr()).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("ar24-mock: cannot listen on {}: {err}", config.socket_addr());
            return std::process::ExitCode::FAILURE;
        }
    };
    let public_url = config.public_url_for(listener.local_addr().unwrap_or(config.socket_addr()));
    // A closed stdout (a log collector gone) must not stop the mock: write errors are ignored.
    let _ = writeln!(
        std::io::stdout().lock(),
        "AR24 mock ready ({:?} auth)\n  API base URL : {public_url}/api/\n  token        : {}\n  private key  : {}\n  mailbox      : {public_url}/_mock/mailbox",
        config.auth,
        config.token,
        config.private_key
    );
    let state = AppState::new(config, &public_url);
    match serve(listener, state, shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ar24-mock: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
