//! The client side, for the CLI's commands and `bench-load --addr`: an `https://` address
//! is verified against the CA given with `--tls-ca` (no system trust store is consulted),
//! and with `--tls-cert`/`--tls-key` the client proves who it is (mutual TLS).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

/// The TLS flags of a client.
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    /// PEM file of the CA that signed the daemon's certificate.
    pub ca: Option<PathBuf>,
    /// The client's own certificate and key, for a daemon that asks for one.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

fn read(flag: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{flag}: reading {}", path.display()))
}

/// The rustls settings of `tls`, whose files are read (and checked to hold PEM) now.
pub fn client_config(tls: &ClientTls) -> anyhow::Result<ClientTlsConfig> {
    let Some(ca) = &tls.ca else {
        bail!(
            "an https:// address needs --tls-ca FILE: the PEM CA certificate that signed the daemon's certificate"
        );
    };
    super::read_certs(ca).context("--tls-ca")?;
    let mut config =
        ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read("--tls-ca", ca)?));
    match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => {
            super::read_certs(cert).context("--tls-cert")?;
            super::read_key(key).context("--tls-key")?;
            config = config.identity(Identity::from_pem(
                read("--tls-cert", cert)?,
                read("--tls-key", key)?,
            ));
        }
        (None, None) => {}
        _ => bail!("--tls-cert and --tls-key go together: give both or neither"),
    }
    Ok(config)
}

/// An endpoint for `url` (`http://` or `https://`) with the TLS flags checked against
/// its scheme: TLS settings for a plain-text address are a mistake worth naming.
pub fn endpoint(url: &str, tls: &ClientTls) -> anyhow::Result<Endpoint> {
    let endpoint = Endpoint::from_shared(url.to_string())
        .with_context(|| format!("`{url}` is not a URL such as http://127.0.0.1:50051"))?;
    if url.starts_with("https://") {
        return endpoint
            .tls_config(client_config(tls)?)
            .with_context(|| format!("TLS settings for `{url}`"));
    }
    if tls.ca.is_some() || tls.cert.is_some() || tls.key.is_some() {
        bail!("--tls-ca, --tls-cert and --tls-key need an https:// address, not `{url}`");
    }
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_and_flags_must_agree() {
        let none = ClientTls::default();
        assert!(endpoint("http://127.0.0.1:50051", &none).is_ok());
        let e = endpoint("https://127.0.0.1:50051", &none).unwrap_err();
        assert!(format!("{e:#}").contains("--tls-ca"), "{e:#}");
        let ca = ClientTls {
            ca: Some("ca.pem".into()),
            ..ClientTls::default()
        };
        let e = endpoint("http://127.0.0.1:50051", &ca).unwrap_err();
        assert!(format!("{e:#}").contains("https://"), "{e:#}");
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let tls = ClientTls {
            ca: Some("no-such-ca.pem".into()),
            ..ClientTls::default()
        };
        let e = endpoint("https://127.0.0.1:50051", &tls).unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains("--tls-ca") && text.contains("no-such-ca.pem"),
            "{text}"
        );
    }
}
