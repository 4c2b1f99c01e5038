//! DiagnosticsService: Echo, a call that does no work, served through the same layers as
//! the ticket services, so a load test can tell the stack's cost from the flow's.

use tonic::{Request, Response, Status};

use crate::proto::{self, diagnostics_service_server::DiagnosticsService};

pub struct DiagnosticsApi;

#[tonic::async_trait]
impl DiagnosticsService for DiagnosticsApi {
    async fn echo(
        &self,
        request: Request<proto::EchoRequest>,
    ) -> Result<Response<proto::EchoResponse>, Status> {
        Ok(Response::new(proto::EchoResponse {
            payload: request.into_inner().payload,
        }))
    }
}
