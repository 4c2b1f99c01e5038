//! CenterService: the 12345 centre dispatches, reviews, supervises and reloads config.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{App, UnitsSource};
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

    async fn archive(&self, request: Request<proto::ArchiveRequest>) -> Answer {
        self.0.execute(request, |_| Ok(Command::Archive)).await
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
