//! Serving the app: on a bound listener until a shutdown future completes,
//! and [`MockServer`], the in-process mock that tests start on a random port.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::app;
use crate::config::{Command, Config};
use crate::persist::Unhurried;
use crate::state::AppState;
use crate::{healthcheck, persist};

/// After a shutdown signal, how long requests in flight may take before the mock exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The binary: runs a subcommand, or serves until Ctrl-C / SIGTERM, keeping
/// the state file if one is configured. Every failure is a sentence on stderr
/// and a non-zero exit, never a panic.
pub async fn run(config: Config) -> ExitCode {
    if let Some(Command::Healthcheck { url }) = &config.command {
        return healthcheck::run(url.as_deref(), config.port);
    }
    let state_file = config.state_file.clone();
    let loading = std::time::Instant::now();
    let saved = match state_file.as_deref().map(persist::load).transpose() {
        Ok(saved) => saved.flatten(),
        Err(err) => {
            eprintln!("ar24-mock: {err}");
            return ExitCode::FAILURE;
        }
    };
    let read = loading.elapsed();
    if let (Some(path), Some(persist::Saved { torn: Some((at, reason)), .. })) = (state_file.as_deref(), &saved) {
        tracing::warn!(
            "the state file {} ends with a record cut short ({reason}): it is dropped, everything before it is kept",
            path.display()
        );
        if let Err(err) = persist::drop_torn_tail(path, *at) {
            eprintln!("ar24-mock: cannot drop the cut-short record of the state file {}: {err}", path.display());
            return ExitCode::FAILURE;
        }
    }
    let listener = match TcpListener::bind(config.socket_addr()).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("ar24-mock: cannot listen on {}: {err}", config.socket_addr());
            return ExitCode::FAILURE;
        }
    };
    let public_url = config.public_url_for(listener.local_addr().unwrap_or(config.socket_addr()));
    let interval = Duration::from_millis(config.state_interval_ms());
    let banner = format!(
        "AR24 mock ready ({:?} auth)\n  API base URL : {public_url}/api/\n  token        : {}\n  private key  : {}\n  mailbox      : {public_url}/_mock/mailbox",
        config.auth, config.token, config.private_key
    );
    let mut state = AppState::new(config, &public_url);
    if let Some(saved) = &saved {
        state.make_room(saved.snapshot.users.len());
    }
    let continues = saved.as_ref().is_some_and(|s| s.is_log);
    if let Some(saved) = saved {
        match state.restore_empty(saved.snapshot) {
            Ok(users) => {
                let total = loading.elapsed();
                tracing::info!(
                    "state file loaded: {users} users in {} ms ({} ms to read it, {} ms to check and restore it)",
                    total.as_millis(),
                    read.as_millis(),
                    (total - read).as_millis()
                );
            }
            Err(slug) => {
                let file = state_file.as_deref().map(Path::display).map(|p| p.to_string()).unwrap_or_default();
                eprintln!(
                    "ar24-mock: the state file {file} is not a valid state: {} (it is left as it is)",
                    slug.message()
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let log = match state_file.as_deref().map(|path| open_log(&state, path, continues)).transpose() {
        Ok(log) => log,
        Err(err) => {
            eprintln!("ar24-mock: {err}");
            return ExitCode::FAILURE;
        }
    };
    // A closed stdout (a log collector gone) must not stop the mock: write errors are ignored.
    let _ = writeln!(std::io::stdout().lock(), "{banner}");

    let stop_writer = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer =
        match log.clone().map(|log| spawn_writer(state.clone(), log, interval, stop_writer.clone())).transpose() {
            Ok(writer) => writer,
            Err(err) => {
                eprintln!("ar24-mock: cannot start the state file's writer: {err}");
                return ExitCode::FAILURE;
            }
        };
    let (signalled, grace) = oneshot::channel::<()>();
    let shutdown = async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing the requests in flight");
        let _ = signalled.send(());
    };
    tokio::select! {
        served = serve(listener, state.clone(), shutdown) => {
            if let Err(err) = served {
                eprintln!("ar24-mock: {err}");
                return ExitCode::FAILURE;
            }
        }
        () = async { let _ = grace.await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}: exiting anyway");
        }
    }
    stop_writer.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(writer) = writer {
        let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    }
    if let Some(log) = log {
        let store = state.store.clone();
        let last = tokio::task::spawn_blocking(move || write_state(&store, &log, &persist::in_a_hurry())).await;
        if last.is_err() {
            tracing::error!("the last write of the state file stopped");
        }
    }
    ExitCode::SUCCESS
}

type SharedLog = std::sync::Arc<std::sync::Mutex<persist::StateLog>>;

/// The state file's writer; marks changes from now on. A log that already
/// holds the restored state is appended to, anything else is rewritten first.
fn open_log(state: &AppState, path: &Path, continues: bool) -> Result<SharedLog, String> {
    state.store.track_changes();
    // What the restore changed, the log holds already (or, when it does not
    // continue, rewrites whole at its first write).
    state.store.take_changes();
    let log = persist::StateLog::new(path, continues)
        .map_err(|err| format!("cannot open the state file {} to append: {err}", path.display()))?;
    Ok(std::sync::Arc::new(std::sync::Mutex::new(log)))
}

/// The state file's writer: a thread of its own that writes every
/// `interval` until `stop`, at a low CPU priority, so that rewriting a large
/// state takes idle time, not time from the API's answers.
fn spawn_writer(
    state: AppState,
    log: SharedLog,
    interval: Duration,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("state-file".into()).spawn(move || {
        if let Err(err) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19) {
            tracing::debug!(%err, "the state file's writer keeps the normal priority");
        }
        // Not stopping: the writer may pace a rewrite.
        let unhurried: Unhurried = Arc::new(move || !stop.load(std::sync::atomic::Ordering::SeqCst));
        let stopped = || !unhurried();
        while !stopped() {
            let due = std::time::Instant::now() + interval;
            while !stopped() && std::time::Instant::now() < due {
                std::thread::sleep(interval.min(Duration::from_millis(50)));
            }
            if !stopped() {
                write_state(&state.store, &log, &unhurried);
            }
        }
    })
}

/// Writes what changed to the state file; a failure is logged, the file
/// stays whole and the next write rewrites it.
fn write_state(store: &crate::store::Store, log: &SharedLog, unhurried: &Unhurried) {
    let written = log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).write_paced(store, unhurried);
    match written {
        Ok(persist::Written::Rewritten { records, bytes, millis }) => {
            tracing::info!("state file rewritten: {records} records, {bytes} bytes in {millis} ms");
        }
        Ok(_) => {}
        Err(err) => tracing::error!(%err, "cannot write the state file"),
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
    let clock = tokio::spawn(crate::dispatch::run_clock(state.clone()));
    let served = axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await;
    clock.abort();
    served
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// A mock running inside the current process on `127.0.0.1` and a port the
/// OS picks. Dropping it stops the server.
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
    /// When no port can be bound on 127.0.0.1: nothing could run then.
    pub async fn start(config: Config) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("the in-process AR24 mock could not bind a port on 127.0.0.1");
        let address = listener.local_addr().expect("a bound listener has an address");
        let public_url = config.public_url_for(address);
        let state = AppState::new(config, &public_url);
        let (stop, stopped) = oneshot::channel::<()>();
        let served = state.clone();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(err) = serve(listener, served, shutdown).await {
                tracing::error!(%err, "the in-process AR24 mock stopped");
            }
        });
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
