//! The tower layer in front of every gRPC service: reads `authorization: Bearer <token>`,
//! finds the token's principal, applies the role × RPC matrix
//! ([`access::may_call`]) and puts the [`Principal`] on the request for the handlers.
//! A missing, unknown or revoked token is UNAUTHENTICATED with one message for all three
//! (no hint which); a role the matrix refuses is PERMISSION_DENIED. Health checking and
//! reflection are open unless configured closed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::HeaderMap;
use tonic::Status;

use super::cache::TokenCache;
use super::{AuthConfig, AuthMode};
use crate::domain::access::{self, CallDecision, Principal};

const HEALTH: &str = "/grpc.health.v1.Health/";
const REFLECTION: [&str; 2] = [
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

/// The one answer to missing and bad credentials alike.
const UNAUTHENTICATED: &str =
    "a valid token is required: send `authorization: Bearer <token>` (see `hotline token create`)";

/// What the layer decides with: the settings and the tokens.
pub struct Gate {
    config: AuthConfig,
    tokens: Option<Arc<TokenCache>>,
}

impl Gate {
    /// `tokens` is required unless the mode is [`AuthMode::None`].
    pub fn new(config: AuthConfig, tokens: Option<Arc<TokenCache>>) -> Gate {
        Gate { config, tokens }
    }

    fn is_open(&self, path: &str) -> bool {
        (path.starts_with(HEALTH) && !self.config.health_needs_token)
            || (REFLECTION.iter().any(|p| path.starts_with(p))
                && !self.config.reflection_needs_token)
    }

    /// The principal to put on the request (`None` for an open endpoint), or the status
    /// to answer with instead.
    pub async fn admit(
        &self,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Principal>, Status> {
        if self.config.mode == AuthMode::None {
            return Ok(Some(Principal::unauthenticated()));
        }
        if self.is_open(path) {
            return Ok(None);
        }
        let presented = bearer(headers).ok_or_else(|| Status::unauthenticated(UNAUTHENTICATED))?;
        let tokens = self
            .tokens
            .as_ref()
            .ok_or_else(|| Status::unauthenticated(UNAUTHENTICATED))?;
        let principal = tokens
            .authenticate(presented)
            .await
            .ok_or_else(|| Status::unauthenticated(UNAUTHENTICATED))?;
        match access::may_call(&principal.role, path) {
            CallDecision::Allowed | CallDecision::NotInApi => Ok(Some(principal)),
            CallDecision::Denied => Err(Status::permission_denied(format!(
                "role `{}` may not call {}",
                principal.role,
                path.trim_start_matches('/')
            ))),
        }
    }
}

/// The token of `authorization: Bearer <token>` (the scheme in any case).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[derive(Clone)]
pub struct AuthLayer {
    gate: Arc<Gate>,
}

impl AuthLayer {
    pub fn new(gate: Gate) -> Self {
        AuthLayer {
            gate: Arc::new(gate),
        }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            gate: self.gate.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    gate: Arc<Gate>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for Auth<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        // The clone that was made ready serves this call; the fresh clone waits for the
        // next poll_ready (tower's usual hand-over).
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let gate = self.gate.clone();
        Box::pin(async move {
            match gate.admit(request.uri().path(), request.headers()).await {
                Ok(principal) => {
                    if let Some(principal) = principal {
                        request.extensions_mut().insert(principal);
                    }
                    inner.call(request).await
                }
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn bearer_tokens_are_read_in_any_case() {
        assert_eq!(bearer(&headers("Bearer hl_x")), Some("hl_x"));
        assert_eq!(bearer(&headers("bearer  hl_x ")), Some("hl_x"));
        assert_eq!(bearer(&headers("Basic dXNlcg==")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn open_endpoints_follow_the_config_and_none_admits_all_as_admin() {
        let closed = Gate::new(AuthConfig::default(), None);
        let open = closed
            .admit("/grpc.health.v1.Health/Check", &HeaderMap::new())
            .await;
        assert!(matches!(open, Ok(None)), "{open:?}");
        let e = closed
            .admit("/hotline.v1.IntakeService/GetTicket", &HeaderMap::new())
            .await
            .unwrap_err();
        assert_eq!(e.code(), tonic::Code::Unauthenticated);
        let strict = Gate::new(
            AuthConfig {
                health_needs_token: true,
                reflection_needs_token: true,
                ..AuthConfig::default()
            },
            None,
        );
        for path in [
            "/grpc.health.v1.Health/Check",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        ] {
            let e = strict.admit(path, &HeaderMap::new()).await.unwrap_err();
            assert_eq!(e.code(), tonic::Code::Unauthenticated, "{path}");
        }
        let none = Gate::new(
            AuthConfig {
                mode: AuthMode::None,
                ..AuthConfig::default()
            },
            None,
        );
        let principal = none
            .admit("/hotline.v1.DiagnosticsService/Echo", &HeaderMap::new())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(principal, Principal::unauthenticated());
    }
}
