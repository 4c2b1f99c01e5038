//! CenterService: the 12345 centre dispatches, reviews, supervises and reloads config.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::App;
use super::convert::ProtoEnum;
use crate::domain::ExclusionReason;
use crate::domain::lifecycle::Command;
use crate::proto::{self, TicketResponse, center_service_server::CenterService};

pub struct CenterApi(pub Arc<App>);

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

type Answer = Result<Response<TicketResponse>, Status>;

#[tonic::async_trait]
impl CenterService for CenterApi {
    async fn dispatch(&self, request: Request<proto::DispatchRequest>) -> Answer {
        self.0
            .execute(request, |r| {
                Ok(Command::Dispatch {
                    unit: r.unit,
                    co_units: r.co_units,
                    reason: r.reason,
                })
            })
            .await
    }

    async fn review_return(&self, request: Request<proto::ReviewReturnRequest>) -> Answer {
        self.0
            .execute(request, |r| {
                Ok(Command::ReviewReturn {
                    approve: r.approve,
                    reassign_to: non_empty(r.reassign_to),
                    co_units: r.co_units,
                    reason: r.reason,
                })
            })
            .await
    }

    async fn review_reply(&self, request: Request<proto::ReviewRequest>) -> Answer {
        self.0
            .execute(request, |r| {
                Ok(Command::ReviewReply {
                    approve: r.approve,
                    reason: r.reason,
                })
            })
            .await
    }

    async fn review_extension(&self, request: Request<proto::ReviewRequest>) -> Answer {
        self.0
            .execute(request, |r| {
                Ok(Command::ReviewExtension {
                    approve: r.approve,
                    reason: r.reason,
                })
            })
            .await
    }

    async fn supervise(&self, request: Request<proto::SuperviseRequest>) -> Answer {
        self.0
            .execute(request, |r| {
                Ok(Command::Supervise {
                    on: r.supervised,
                    note: r.note,
                })
            })
            .await
    }

    async fn chase_up(&self, request: Request<proto::ChaseUpRequest>) -> Answer {
        self.0
            .execute(request, |r| Ok(Command::ChaseUp { note: r.note }))
            .await
    }

    async fn archive(&self, request: Request<proto::ArchiveRequest>) -> Answer {
        self.0.execute(request, |_| Ok(Command::Archive)).await
    }

    async fn exclude_from_rates(&self, request: Request<proto::ExcludeFromRatesRequest>) -> Answer {
        self.0
            .execute(request, |r| {
                Ok(Command::ExcludeFromRates {
                    reason: ExclusionReason::from_proto("reason", r.reason)?,
                    note: r.note,
                })
            })
            .await
    }

    async fn reload_rules(
        &self,
        _request: Request<proto::ReloadRulesRequest>,
    ) -> Result<Response<proto::ReloadRulesResponse>, Status> {
        // A bad file is refused as a whole; the rules in force stay live.
        let rules = self
            .0
            .reload_rules("rpc")
            .map_err(|e| Status::failed_precondition(format!("rules not reloaded: {e:#}")))?;
        self.0.refresh_tokens("rpc").await;
        Ok(Response::new(proto::ReloadRulesResponse {
            units: rules.units.len() as u32,
            units_source: rules
                .source_of("units")
                .map(ToString::to_string)
                .unwrap_or_default(),
            files: rules
                .files
                .iter()
                .map(|f| proto::RuleFile {
                    name: f.name.to_string(),
                    source: f.source.to_string(),
                    version: f.version.clone(),
                })
                .collect(),
        }))
    }
}
