//! `ar24-mock healthcheck`: asks a running mock for `/_mock/health`, for
//! container health checks in images that have no curl.
//!
//! A minimal HTTP/1.1 GET over a TCP stream: the mock binary carries no HTTP
//! client, and this only ever talks to a mock.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long the whole check may take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Why a mock is not healthy.
#[derive(Debug, thiserror::Error)]
pub enum Unhealthy {
    /// The URL is not `http://host:port/path`.
    #[error("{0} is not an http:// URL with a host")]
    BadUrl(String),
    /// Nothing answered.
    #[error("cannot reach {url}: {source}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// What failed.
        source: std::io::Error,
    },
    /// Something answered, but not a healthy mock.
    #[error("{url} answered: {answer}")]
    BadAnswer {
        /// The URL asked.
        url: String,
        /// The first line and body of the answer.
        answer: String,
    },
}

/// The subcommand: checks `url`, or the mock on `port` of this host; says why when unhealthy.
pub fn run(url: Option<&str>, port: u16) -> std::process::ExitCode {
    let url = url.map_or_else(|| format!("http://127.0.0.1:{port}/_mock/health"), str::to_owned);
    match check(&url) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ar24-mock healthcheck: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Checks the mock at `url` (`http://host:port/_mock/health`).
pub fn check(url: &str) -> Result<(), Unhealthy> {
    let rest = url.strip_prefix("http://").ok_or_else(|| Unhealthy::BadUrl(url.to_owned()))?;
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    if authority.is_empty() {
        return Err(Unhealthy::BadUrl(url.to_owned()));
    }
    let with_port = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
    let unreachable = |source| Unhealthy::Unreachable { url: url.to_owned(), source };
    let address =
        with_port.to_socket_addrs().map_err(unreachable)?.next().ok_or_else(|| Unhealthy::BadUrl(url.to_owned()))?;
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(unreachable)?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(unreachable)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(unreachable)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut answer = String::new();
    stream.take(64 * 1024).read_to_string(&mut answer).map_err(unreachable)?;
    let status_ok = answer.lines().next().is_some_and(|line| line.split_whitespace().nth(1) == Some("200"));
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
    let body_ok = serde_json::from_str::<serde_json::Value>(body.trim()).is_ok_and(|json| json["status"] == "ok");
    if status_ok && body_ok {
        Ok(())
    } else {
        let first = answer.lines().next().unwrap_or("nothing").to_owned();
        Err(Unhealthy::BadAnswer { url: url.to_owned(), answer: format!("{first} {}", body.trim()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_is_not_http_is_refused() {
        assert!(matches!(check("https://127.0.0.1:1/_mock/health"), Err(Unhealthy::BadUrl(_))));
        assert!(matches!(check("http:///_mock/health"), Err(Unhealthy::BadUrl(_))));
    }

    #[test]
    fn nothing_listening_is_unreachable() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let result = check(&format!("http://127.0.0.1:{port}/_mock/health"));
        assert!(matches!(result, Err(Unhealthy::Unreachable { .. })), "{result:?}");
    }
}
