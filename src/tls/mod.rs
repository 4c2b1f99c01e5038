//! Optional TLS for the gRPC listener, with certificate reload without a restart: the
//! certificate, key and (for mutual TLS) client CA are read into a rustls `ServerConfig`
//! held in an `ArcSwap`; each new connection is accepted with the one in force, so a
//! reload (SIGHUP or a change of the files) applies to the next connection while open ones
//! keep theirs. A pair that does not load is refused with a logged error and the previous
//! one stays. tonic's own `ServerTlsConfig` is fixed at start, hence this.
//!
//! The crypto provider is `ring`, which builds with only a C compiler.

mod client;
mod incoming;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use arc_swap::ArcSwap;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio_rustls::TlsAcceptor;

pub use client::{ClientTls, client_config, endpoint};
pub use incoming::incoming;

/// Where the daemon's certificate chain, private key and optional client CA live (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// When set, clients must present a certificate signed by this CA (mutual TLS).
    pub client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// The files a change of which calls for a reload.
    pub fn paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.cert.clone(), self.key.clone()];
        paths.extend(self.client_ca.clone());
        paths
    }
}

/// The TLS configuration in force, and the files it comes from.
pub struct Tls {
    files: TlsFiles,
    config: ArcSwap<rustls::ServerConfig>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("files", &self.files).finish()
    }
}

impl Tls {
    /// Reads the files; any error names the file and what is wrong with it.
    pub fn load(files: TlsFiles) -> anyhow::Result<Arc<Tls>> {
        let config = server_config(&files)?;
        Ok(Arc::new(Tls {
            files,
            config: ArcSwap::from_pointee(config),
        }))
    }

    pub fn files(&self) -> &TlsFiles {
        &self.files
    }

    /// Reads the files again and swaps them in for new connections, or on any error keeps
    /// the configuration in force and logs why.
    pub fn reload(&self, trigger: &'static str) -> anyhow::Result<()> {
        match server_config(&self.files) {
            Ok(config) => {
                self.config.store(Arc::new(config));
                tracing::info!(trigger, cert = %self.files.cert.display(), "TLS certificate reloaded");
                crate::metrics::tls_reloaded(trigger, true);
                Ok(())
            }
            Err(e) => {
                tracing::error!(trigger, error = %format!("{e:#}"), "TLS certificate not reloaded; the previous one stays in force");
                crate::metrics::tls_reloaded(trigger, false);
                Err(e)
            }
        }
    }

    /// Reloads on SIGHUP and, with `watch`, when one of the files changes, until `stop`.
    pub fn spawn_reloader(
        self: &Arc<Self>,
        watch: bool,
        stop: tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<()> {
        let paths = if watch {
            self.files.paths()
        } else {
            Vec::new()
        };
        let tls = self.clone();
        crate::service::spawn_reload_loop(&paths, stop, move |trigger| {
            let _ = tls.reload(trigger);
        })
    }

    /// An acceptor with the configuration in force now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config.load_full())
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate of a PEM file, which must hold at least one.
pub(crate) fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading certificates from {}", path.display()))?;
    if certs.is_empty() {
        bail!("{}: no PEM certificate in it", path.display());
    }
    Ok(certs)
}

pub(crate) fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path)
        .with_context(|| format!("reading a PEM private key from {}", path.display()))
}

/// The rustls configuration for the files: HTTP/2 only (gRPC), TLS 1.2 and 1.3.
fn server_config(files: &TlsFiles) -> anyhow::Result<rustls::ServerConfig> {
    let certs = read_certs(&files.cert)?;
    let key = read_key(&files.key)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("the TLS provider supports no protocol version")?;
    let builder = match &files.client_ca {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in read_certs(path)? {
                roots
                    .add(cert)
                    .with_context(|| format!("{}: not a usable CA certificate", path.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider())
                .build()
                .with_context(|| format!("{}: no usable client CA", path.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).with_context(|| {
        format!(
            "{} and {} are not a certificate and its private key",
            files.cert.display(),
            files.key.display()
        )
    })?;
    // gRPC is HTTP/2; tonic's client insists on it being negotiated.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}
