//! FeedbackService: callback agents record the requester's verdict (回访).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::App;
use super::convert::ProtoEnum;
use crate::domain::Satisfaction;
use crate::domain::lifecycle::Command;
use crate::proto::{self, feedback_service_server::FeedbackService};

pub struct FeedbackApi(pub Arc<App>);

#[tonic::async_trait]
impl FeedbackService for FeedbackApi {
    async fn record_callback(
        &self,
        request: Request<proto::RecordCallbackRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        self.0
            .execute(request, |r| {
                Ok(Command::RecordCallback {
                    resolved: r.resolved,
                    satisfaction: Satisfaction::from_proto("satisfaction", r.satisfaction)?,
                    reopen: r.reopen,
                    note: r.note,
                })
            })
            .await
    }
}
