//! Authentication at the gRPC edge: bearer tokens ([`secret`]), the daemon's in-memory
//! copy of the token table ([`cache`]), the tower layer that turns a request's
//! `authorization` header into a [`Principal`](crate::domain::access::Principal) and
//! applies the role × RPC matrix ([`layer`]), and the clients' side ([`client`]).
//! Who may do what is decided in [`crate::domain::access`].

pub mod cache;
pub mod client;
pub mod layer;
pub mod secret;

use std::time::Duration;

use crate::domain::access::Role;
use crate::store::{ApiToken, NewToken, Store};

/// Makes a token: a fresh secret, stored as its digest. Answers the stored token and the
/// secret, which exists nowhere else from then on.
pub async fn issue(
    store: &dyn Store,
    name: &str,
    role: &Role,
) -> anyhow::Result<(ApiToken, String)> {
    let secret = secret::generate()?;
    let token = store
        .create_token(NewToken {
            name,
            role,
            secret_hash: &secret::digest_hex(&secret),
            hint: &secret::hint(&secret),
            created_at: crate::service::now(),
        })
        .await?;
    Ok((token, secret))
}

/// How the daemon authenticates its callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Every RPC needs `authorization: Bearer <token>` of a live token (the default).
    #[default]
    Tokens,
    /// No authentication: every caller is an admin. For local experiments only.
    None,
}

/// Authentication settings of a daemon ([`crate::server::ServerConfig::auth`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthConfig {
    pub mode: AuthMode,
    /// How often the token table is read again: a revoked token is refused within this.
    pub refresh: Duration,
    /// Health checking needs a token too (default: open, for probes and load balancers).
    pub health_needs_token: bool,
    /// Reflection needs a token too (default: open, so grpcurl can list the API).
    pub reflection_needs_token: bool,
    /// `/metrics` needs a centre or admin token too (default: open, for Prometheus).
    pub metrics_needs_token: bool,
}

/// Default for [`AuthConfig::refresh`].
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5);

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            mode: AuthMode::Tokens,
            refresh: DEFAULT_REFRESH,
            health_needs_token: false,
            reflection_needs_token: false,
            metrics_needs_token: false,
        }
    }
}
