//! CenterService: the 12345 centre dispatches, reviews, supervises and reloads config.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{App, UnitsSource, convert, ticket_response};
use crate::domain::lifecycle::Command;
use crate::proto::{self, center_service_server::CenterService};

pub struct CenterApi(pub Arc<App>);

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

#[tonic::async_trait]
impl CenterService for CenterApi {
    async fn dispatch(
        &self,
        request: Request<proto::DispatchRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        let r = request.into_inner();
        let actor = convert::actor("actor", r.actor.as_ref())?;
        let command = Command::Dispatch {
            unit: r.unit,
            co_units: r.co_units,
            reason: r.reason,
        };
        Ok(ticket_response(
            &self
                .0
                .run(r.ticket_id, r.expected_version, actor, command)
                .await?,
        ))
    }

    async fn review_return(
        &self,
        request: Request<proto::ReviewReturnRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        let r = request.into_inner();
        let actor = convert::actor("actor", r.actor.as_ref())?;
        let command = Command::ReviewReturn {
            approve: r.approve,
            reassign_to: non_empty(r.reassign_to),
            co_units: r.co_units,
            reason: r.reason,
        };
        Ok(ticket_response(
            &self
                .0
                .run(r.ticket_id, r.expected_version, actor, command)
                .await?,
        ))
    }

    async fn review_reply(
        &self,
        request: Request<proto::ReviewRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        let r = request.into_inner();
        let actor = convert::actor("actor", r.actor.as_ref())?;
        let command = Command::ReviewReply {
            approve: r.approve,
            reason: r.reason,
        };
        Ok(ticket_response(
            &self
                .0
                .run(r.ticket_id, r.expected_version, actor, command)
                .await?,
        ))
    }

    async fn review_extension(
        &self,
        request: Request<proto::ReviewRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        let r = request.into_inner();
        let actor = convert::actor("actor", r.actor.as_ref())?;
        let command = Command::ReviewExtension {
            approve: r.approve,
            reason: r.reason,
        };
        Ok(ticket_response(
            &self
                .0
                .run(r.ticket_id, r.expected_version, actor, command)
                .await?,
        ))
    }

    async fn supervise(
        &self,
        request: Request<proto::SuperviseRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        let r = request.into_inner();
        let actor = convert::actor("actor", r.actor.as_ref())?;
        let command = Command::Supervise {
            on: r.supervised,
            note: r.note,
        };
        Ok(ticket_response(
            &self
                .0
                .run(r.ticket_id, r.expected_version, actor, command)
                .await?,
        ))
    }

    async fn archive(
        &self,
        request: Request<proto::ArchiveRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        let r = request.into_inner();
        let actor = convert::actor("actor", r.actor.as_ref())?;
        Ok(ticket_response(
            &self
                .0
                .run(r.ticket_id, r.expected_version, actor, Command::Archive)
                .await?,
        ))
    }

    async fn reload_rules(
        &self,
        _request: Request<proto::ReloadRulesRequest>,
    ) -> Result<Response<proto::ReloadRulesResponse>, Status> {
        let (catalog, source) = match &self.0.units_source {
            UnitsSource::File(path) => {
                let catalog = crate::config::read_units(path).map_err(|e| {
                    // The old catalogue stays live.
                    Status::failed_precondition(format!("units not reloaded: {e:#}"))
                })?;
                (catalog, path.display().to_string())
            }
            UnitsSource::BuiltIn => (crate::config::built_in_units(), "built-in".to_string()),
        };
        let count = catalog.len() as u32;
        self.0.units.store(Arc::new(catalog));
        tracing::info!(units = count, source = %source, "units reloaded");
        Ok(Response::new(proto::ReloadRulesResponse {
            units: count,
            units_source: source,
        }))
    }
}
