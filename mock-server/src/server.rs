//! Serving the app: on a bound listener until a shutdown future completes,
//! and [`MockServer`], the in-process mock that tests start on a random port.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::app;
use crate::app_state::AppState;
use crate::config::{Command, Config};
use crate::{healthcheck, state_file};

/// After a shutdown signal, how long requests in flight may take before the mock exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The binary: runs a subcommand, or serves until Ctrl-C / SIGTERM, keeping
/// the state file if one is configured. Every failure is a sentence on stderr
/// and a non-zero exit, never a panic.
pub async fn run(config: Config) -> ExitCode {
    if let Some(Command::Healthcheck { url }) = &config.command {
        return healthcheck::run(url.as_deref(), config.port);
    }
    match serve_until_stopped(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ar24-mock: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the state file, binds, restores, prints what a client needs, serves
/// until a shutdown signal (then at most [`SHUTDOWN_GRACE`] more), and writes
/// the state file a last time.
async fn serve_until_stopped(config: Config) -> Result<(), String> {
    let loaded = config.state_file.as_deref().map(state_file::load).transpose()?;
    let listener = TcpListener::bind(config.socket_addr())
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", config.socket_addr()))?;
    let public_url = config.public_url_for(listener.local_addr().unwrap_or(config.socket_addr()));
    let interval = Duration::from_millis(config.state_interval_ms());
    let banner = banner(&config, &public_url);
    if config.control_token.is_none() && !config.bind.is_loopback() {
        tracing::warn!(
            "the control plane is open to anyone who can reach {}: lock it with --control-token (AR24_MOCK_CONTROL_TOKEN)",
            config.bind
        );
    }
    let mut state = AppState::new(config, &public_url)?;
    state.make_room(loaded.as_ref().map_or(0, state_file::Loaded::users));
    // A state file that holds a state wins: the seed is where resets go back to.
    if loaded.as_ref().is_none_or(state_file::Loaded::is_empty) {
        state.plant_seed()?;
    }
    let writer = loaded
        .map(|loaded| {
            state_file::restore_and_write(&state.store, &state.state_file, state.default_partner(), loaded, interval)
        })
        .transpose()?;
    // Listening for Ctrl-C and SIGTERM before the banner says the mock is ready.
    let stop = shutdown_signal();
    // A closed stdout (a log collector gone) must not stop the mock: write errors are ignored.
    let _ = writeln!(std::io::stdout().lock(), "{banner}");
    serve_with_grace(listener, state, stop).await?;
    if let Some(writer) = writer {
        writer.stop().await;
    }
    Ok(())
}

/// What the terminal shows once the mock is ready.
fn banner(config: &Config, public_url: &str) -> String {
    let mut banner = format!(
        "AR24 mock ready ({:?} auth)\n  API base URL : {public_url}/api/\n  token        : {}\n  private key  : {}\n  console      : {public_url}/_mock/\n  mailbox      : {public_url}/_mock/mailbox",
        config.auth, config.token, config.private_key
    );
    if let Some(seed) = &config.seed {
        banner.push_str(&format!("\n  seed         : {} (resets go back to it)", seed.display()));
    }
    match (&config.control_token, config.bind.is_loopback()) {
        (Some(_), _) => banner.push_str("\n  control plane: locked, Authorization: Bearer <--control-token>"),
        (None, false) => banner.push_str(&format!(
            "\n  WARNING      : the control plane is open to anyone who can reach {}: they can reset the mock and read every partner's emails and journal; lock it with --control-token",
            config.bind
        )),
        (None, true) => {}
    }
    banner
}

/// Serves until `stop` (Ctrl-C or SIGTERM), then lets requests in flight finish for
/// at most [`SHUTDOWN_GRACE`].
async fn serve_with_grace(
    listener: TcpListener,
    state: AppState,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let (signalled, grace) = oneshot::channel::<()>();
    let shutdown = async move {
        stop.await;
        tracing::info!("shutting down: finishing the requests in flight");
        let _ = signalled.send(());
    };
    tokio::select! {
        served = serve(listener, state, shutdown) => served.map_err(|err| err.to_string()),
        () = async { let _ = grace.await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}: exiting anyway");
            Ok(())
        }
    }
}

/// Serves the mock on `listener` until `shutdown` completes, then lets
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The business clock runs while the mock serves.
    let clock = tokio::spawn(crate::ticker::run(Arc::clone(&state.runner), Arc::clone(&state.store)));
    let served = axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await;
    clock.abort();
    served
}

/// Completes on Ctrl-C or SIGTERM. The signals are caught from the call on,
/// not from the first poll: a mock that listens for them before it prints its
/// banner stops cleanly (the state file and the log written) however soon
/// after the banner the signal comes. Call it inside a Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        let received = |caught: Option<Signal>| async move {
            match caught {
                Some(mut caught) => _ = caught.recv().await,
                None => std::future::pending::<()>().await,
            }
        };
        async move {
            tokio::select! {
                () = received(interrupt) => {},
                () = received(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// A mock running inside the current process on `127.0.0.1` and a port the
/// OS picks. Dropping it stops the server.
///
/// It runs on a Tokio runtime and a thread of its own, not on the caller's: its
/// timers (a webhook receiver's timeout, the business clock) keep time while the
/// caller's runtime is busy, and a test may call it with a blocking client.
#[derive(Debug)]
pub struct MockServer {
    address: SocketAddr,
    state: AppState,
    _stop: oneshot::Sender<()>,
}

impl MockServer {
    /// Starts a mock with `config` (its `bind` and `port` are ignored).
    ///
    /// # Panics
    /// When no port can be bound on 127.0.0.1, or `webhook_ca` cannot be
    /// read: nothing could run then.
    pub async fn start(config: Config) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let (started, ready) = oneshot::channel::<Result<(SocketAddr, AppState), String>>();
        // Two workers, as the binary has on two cores: a test suite starting one mock per test
        // on a machine of many cores does not start as many threads per mock.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("ar24-mock")
            .build()
            .unwrap_or_else(|err| panic!("the in-process AR24 mock could not start a runtime: {err}"));
        std::thread::Builder::new()
            .name("ar24-mock".into())
            .spawn(move || runtime.block_on(serve_in_process(config, started, stopped)))
            .unwrap_or_else(|err| panic!("the in-process AR24 mock could not start a thread: {err}"));
        let (address, state) = match ready.await {
            Ok(Ok(up)) => up,
            Ok(Err(err)) => panic!("the in-process AR24 mock: {err}"),
            Err(_) => panic!("the in-process AR24 mock stopped while starting"),
        };
        Self { address, state, _stop: stop }
    }

    /// The AR24 API base URL, `http://127.0.0.1:PORT/api/`: what replaces
    /// `https://sandbox.ar24.fr/api/` in a client.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/", self.address)
    }

    /// Same as [`MockServer::base_url`], named as in wiremock.
    pub fn uri(&self) -> String {
        self.base_url()
    }

    /// The root URL, `http://127.0.0.1:PORT`, under which `/_mock/` lives.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The socket address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.state.config
    }
}

/// The in-process mock's life on its own runtime: binds, reports the address
/// (or why it cannot run) through `started`, serves until `stopped`.
async fn serve_in_process(
    config: Config,
    started: oneshot::Sender<Result<(SocketAddr, AppState), String>>,
    stopped: oneshot::Receiver<()>,
) {
    let up = async {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|err| format!("could not bind a port on 127.0.0.1 ({err})"))?;
        let address = listener.local_addr().map_err(|err| err.to_string())?;
        let public_url = config.public_url_for(address);
        let state = AppState::new(config, &public_url).map_err(|err| err.to_string())?;
        state.plant_seed().map_err(|err| format!("its seed: {err}"))?;
        Ok::<_, String>((listener, address, state))
    };
    let (listener, address, state) = match up.await {
        Ok(up) => up,
        Err(err) => {
            let _ = started.send(Err(err));
            return;
        }
    };
    if started.send(Ok((address, state.clone()))).is_err() {
        return;
    }
    let shutdown = async {
        let _ = stopped.await;
    };
    if let Err(err) = serve(listener, state, shutdown).await {
        tracing::error!(%err, "the in-process AR24 mock stopped");
    }
}
