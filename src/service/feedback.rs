//! FeedbackService: callback agents record the requester's verdict (回访).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{self, ProtoEnum};
use super::{App, ticket_response};
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
        let r = request.into_inner();
        let actor = convert::actor("actor", r.actor.as_ref())?;
        let satisfaction = Satisfaction::from_proto("satisfaction", r.satisfaction)?;
        let command = Command::RecordCallback {
            resolved: r.resolved,
            satisfaction,
            reopen: r.reopen,
            note: r.note,
        };
        let ticket = self
            .0
            .run(r.ticket_id, r.expected_version, actor, command)
            .await?;
        if let Some(callback) = &ticket.callback {
            crate::metrics::callback(callback.satisfaction.code(), callback.resolved);
        }
        Ok(ticket_response(&ticket))
    }
}
