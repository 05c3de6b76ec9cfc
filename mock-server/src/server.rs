//! Serving the app: on a bound listener until a shutdown future completes,
//! and [`MockServer`], the in-process mock that tests start on a random port.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::app;
use crate::config::Config;
use crate::state::AppState;

/// Serves the mock on `listener` until `shutdown` completes, then lets
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
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
