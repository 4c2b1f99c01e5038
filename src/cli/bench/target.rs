//! The daemon under load: one started in this process, or a running one on loopback, and
//! the HTTP/2 connections the clients share.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::args::BenchLoadArgs;
use crate::auth::client::{AuthedChannel, authed};
use crate::domain::access::Role;
use crate::server::{self, RunningServer, ServerConfig};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Clients have stopped calling when the daemon is stopped; nothing is worth waiting for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct Target {
    channels: Vec<AuthedChannel>,
    /// What is being driven, for the report: "in-process, sqlite" or the address.
    pub describe: String,
    daemon: Option<RunningServer>,
    // Removed (with the database in it) when the target is dropped.
    _scratch: Option<tempfile::TempDir>,
}

/// `host:port` with an optional `http://` or `https://` (TLS, with --tls-ca), if the host
/// is a loopback address or `localhost`: the scheme, host and port, or why not.
pub fn loopback(addr: &str) -> anyhow::Result<(&'static str, String, u16)> {
    let (scheme, bare) = match addr.strip_prefix("https://") {
        Some(bare) => ("https", bare),
        None => ("http", addr.strip_prefix("http://").unwrap_or(addr)),
    };
    if bare.contains("://") {
        bail!(
            "--addr `{addr}`: bench-load speaks HTTP/2 (http:// or https://) to a daemon on this machine; give HOST:PORT"
        );
    }
    let (host, port) = bare
        .rsplit_once(':')
        .with_context(|| format!("--addr `{addr}` needs a port, e.g. 127.0.0.1:50051"))?;
    let port: u16 = port
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("--addr `{addr}`: `{port}` is not a port number"))?;
    let unbracketed = host.trim_start_matches('[').trim_end_matches(']');
    let is_loopback = match unbracketed.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => unbracketed.eq_ignore_ascii_case("localhost"),
    };
    if !is_loopback {
        bail!(
            "--addr `{addr}` is not a loopback address: bench-load only drives a daemon on this \
             machine (127.0.0.1, [::1] or localhost), since across a network it would measure \
             the network"
        );
    }
    Ok((scheme, host.to_string(), port))
}

/// The addresses `host:port` (from [`loopback`]) resolves to, every one of them loopback:
/// `localhost` must not resolve to another machine either. `flag` and `addr` name the
/// option and its value in messages.
pub async fn resolve_loopback(
    flag: &str,
    addr: &str,
    host: &str,
    port: u16,
) -> anyhow::Result<Vec<SocketAddr>> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .with_context(|| format!("resolving {flag} `{addr}`"))?
        .collect();
    if let Some(remote) = resolved.iter().find(|a| !a.ip().is_loopback()) {
        bail!("{flag} `{addr}` resolves to {remote}, which is not loopback");
    }
    Ok(resolved)
}

impl Target {
    pub async fn open(args: &BenchLoadArgs) -> anyhow::Result<Target> {
        let (uri, describe, daemon, scratch, token) = match &args.addr {
            Some(addr) => {
                let (scheme, host, port) = loopback(addr)?;
                resolve_loopback("--addr", addr, &host, port).await?;
                (
                    format!("{scheme}://{host}:{port}"),
                    format!("{scheme}://{host}:{port}"),
                    None,
                    None,
                    args.token.clone(),
                )
            }
            None => {
                let (url, scratch) = match &args.database_url {
                    Some(url) => (url.clone(), None),
                    None => {
                        let dir = tempfile::Builder::new()
                            .prefix("hotline-bench-")
                            .tempdir()
                            .context("creating a temporary directory for the database")?;
                        let url = format!(
                            "sqlite://{}?mode=rwc",
                            dir.path().join("bench.db").display()
                        );
                        (url, Some(dir))
                    }
                };
                let daemon = server::start(ServerConfig {
                    shutdown_grace: SHUTDOWN_GRACE,
                    ..ServerConfig::local(url.clone())
                })
                .await
                .context("starting the in-process daemon")?;
                // Its clients call as an admin of their own making: every scenario's RPCs.
                let name = format!("bench-load-{}", uuid::Uuid::new_v4().simple());
                let (_, token) = crate::auth::issue(&*daemon.store, &name, &Role::Admin).await?;
                daemon.refresh_tokens().await;
                let describe = format!(
                    "in-process daemon, {}{}",
                    crate::store::backend_name(&url),
                    if scratch.is_some() {
                        " (temporary)"
                    } else {
                        ""
                    }
                );
                (
                    format!("http://{}", daemon.grpc_addr),
                    describe,
                    Some(daemon),
                    scratch,
                    Some(token),
                )
            }
        };
        let endpoint = crate::tls::endpoint(&uri, &args.tls())
            .context("--addr")?
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true);
        let mut channels = Vec::new();
        for _ in 0..args.connections {
            // One connect() is one connection: clients spread over them.
            let channel = endpoint.connect().await.with_context(|| {
                format!(
                    "cannot reach the hotline daemon at {uri}; is `hotline serve` running there?"
                )
            })?;
            channels.push(authed(channel, token.as_deref())?);
        }
        Ok(Target {
            channels,
            describe,
            daemon,
            _scratch: scratch,
        })
    }

    /// The connection client `i` uses.
    pub fn channel(&self, i: usize) -> AuthedChannel {
        self.channels[i % self.channels.len()].clone()
    }

    /// Stops the in-process daemon, if there is one.
    pub async fn close(self) -> anyhow::Result<()> {
        drop(self.channels);
        if let Some(daemon) = self.daemon {
            daemon.shutdown().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_accepted() {
        for (addr, scheme, host, port) in [
            ("127.0.0.1:50051", "http", "127.0.0.1", 50051),
            ("http://127.0.0.1:50051", "http", "127.0.0.1", 50051),
            ("https://127.0.0.1:50051", "https", "127.0.0.1", 50051),
            ("127.0.0.2:9", "http", "127.0.0.2", 9),
            ("[::1]:50051", "http", "[::1]", 50051),
            ("localhost:50051", "http", "localhost", 50051),
            ("http://LOCALHOST:1/", "http", "LOCALHOST", 1),
        ] {
            assert_eq!(
                loopback(addr).unwrap(),
                (scheme, host.to_string(), port),
                "{addr}"
            );
        }
    }

    #[test]
    fn other_addresses_are_refused_with_the_reason() {
        for addr in [
            "10.0.0.5:50051",
            "example.com:50051",
            "[2001:db8::1]:50051",
            "0.0.0.0:50051",
        ] {
            let error = loopback(addr).unwrap_err().to_string();
            assert!(error.contains("not a loopback address"), "{addr}: {error}");
        }
        assert!(
            loopback("127.0.0.1")
                .unwrap_err()
                .to_string()
                .contains("needs a port")
        );
        assert!(
            loopback("ftp://127.0.0.1:21")
                .unwrap_err()
                .to_string()
                .contains("HOST:PORT")
        );
        assert!(
            loopback("127.0.0.1:http")
                .unwrap_err()
                .to_string()
                .contains("not a port")
        );
    }
}
