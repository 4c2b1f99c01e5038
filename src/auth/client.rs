//! The clients' side: a channel that sends `authorization: Bearer <token>` on every call,
//! used by the CLI, `bench-load` and tests.

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Adds the bearer token, if there is one, to every request.
#[derive(Debug, Clone, Default)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Bearer {
    /// `None` sends no credentials (a daemon with `--auth none`).
    pub fn new(token: Option<&str>) -> anyhow::Result<Bearer> {
        token
            .map(|t| {
                format!("Bearer {}", t.trim()).parse().map_err(|_| {
                    anyhow::anyhow!("the token holds characters a header cannot carry")
                })
            })
            .transpose()
            .map(Bearer)
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A channel whose calls carry a token.
pub type AuthedChannel = InterceptedService<Channel, Bearer>;

/// `channel` with `token` on every call.
pub fn authed(channel: Channel, token: Option<&str>) -> anyhow::Result<AuthedChannel> {
    Ok(InterceptedService::new(channel, Bearer::new(token)?))
}
