//! DispatchService: department and sub-centre back-offices pull and work their tickets.

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::convert::timestamp;
use super::{App, invalid};
use crate::domain::access::{self, Principal};
use crate::domain::lifecycle::Command;
use crate::domain::validate;
use crate::proto::{self, dispatch_service_server::DispatchService};

pub struct DispatchApi(pub Arc<App>);

const DEFAULT_PULL: u32 = 10;
const MAX_PULL: u32 = 100;
const DEFAULT_LEASE_SECONDS: u32 = 300;
const LEASE_SECONDS: std::ops::RangeInclusive<u32> = 10..=3600;

impl DispatchApi {
    /// The unit a pull or watch is for: a unit token's own (named or left empty), or the
    /// one an admin names; it must be in the catalogue.
    fn desk(&self, principal: &Principal, unit: &str) -> Result<String, Status> {
        let unit = access::unit_scope(&principal.role, "unit", unit)?.unwrap_or_default();
        validate::unit("unit", &unit, &self.0.rules.load().units)?;
        Ok(unit)
    }
}

type Answer = Result<Response<proto::TicketResponse>, Status>;

type AssignmentStream = Pin<Box<dyn Stream<Item = Result<proto::Assignment, Status>> + Send>>;

#[tonic::async_trait]
impl DispatchService for DispatchApi {
    async fn pull_assigned(
        &self,
        request: Request<proto::PullAssignedRequest>,
    ) -> Result<Response<proto::PullAssignedResponse>, Status> {
        let principal = super::principal(&request)?;
        let mut request = request.into_inner();
        request.unit = self.desk(&principal, &request.unit)?;
        validate::label("worker", &request.worker, true)?;
        let max = match request.max_tickets {
            0 => DEFAULT_PULL,
            n if n <= MAX_PULL => n,
            n => {
                return Err(invalid(
                    "max_tickets",
                    format!("{n} is over the limit of {MAX_PULL}"),
                ));
            }
        };
        let lease_seconds = match request.lease_seconds {
            0 => DEFAULT_LEASE_SECONDS,
            n if LEASE_SECONDS.contains(&n) => n,
            n => {
                return Err(invalid(
                    "lease_seconds",
                    format!(
                        "{n} is outside {}..={}",
                        LEASE_SECONDS.start(),
                        LEASE_SECONDS.end()
                    ),
                ));
            }
        };
        let now = super::now();
        let lease_until = now + chrono::Duration::seconds(i64::from(lease_seconds));
        let tickets = self
            .0
            .store
            .pull_assigned(&request.unit, &request.worker, max, now, lease_until)
            .await?;
        self.0.leases.granted(
            &request.worker,
            lease_until,
            tickets.iter().map(|t| t.id),
            now,
        );
        crate::metrics::pulled(tickets.len());
        for ticket in &tickets {
            self.0.recent.remember(ticket);
        }
        Ok(Response::new(proto::PullAssignedResponse {
            tickets: tickets
                .iter()
                .map(|t| super::shown(&principal, t))
                .collect(),
            lease_until: Some(timestamp(lease_until)),
        }))
    }

    type WatchAssignedStream = AssignmentStream;

    async fn watch_assigned(
        &self,
        request: Request<proto::WatchAssignedRequest>,
    ) -> Result<Response<Self::WatchAssignedStream>, Status> {
        let principal = super::principal(&request)?;
        let unit = self.desk(&principal, &request.into_inner().unit)?;
        // The stream ends when the daemon shuts down, so it never holds the shutdown up.
        let shutdown = self.0.shutdown.clone().cancelled_owned();
        let stream =
            BroadcastStream::new(self.0.assignments.subscribe()).filter_map(move |notice| {
                match notice {
                    Ok(n) if n.unit == unit => Some(Ok(proto::Assignment {
                        ticket_id: n.ticket_id,
                        unit: n.unit,
                        version: n.version,
                        at: Some(timestamp(n.at)),
                    })),
                    Ok(_) => None,
                    // A slow watcher missed notices; PullAssigned still finds every ticket.
                    Err(lagged) => {
                        tracing::warn!(%lagged, unit = %unit, "assignment watcher lagged");
                        None
                    }
                }
            });
        Ok(Response::new(Box::pin(
            futures_util::StreamExt::take_until(stream, shutdown),
        )))
    }

    async fn sign(&self, request: Request<proto::TicketCommand>) -> Answer {
        self.0
            .execute(request, |r| {
                // Optional and not recorded, yet still input: held to the rules of a note.
                validate::text("reason", &r.reason, validate::MAX_NOTE_CHARS, false)?;
                Ok(Command::Sign)
            })
            .await
    }

    async fn r#return(&self, request: Request<proto::TicketCommand>) -> Answer {
        self.0
            .execute(request, |r| Ok(Command::RequestReturn { reason: r.reason }))
            .await
    }

    async fn respond(&self, request: Request<proto::TicketCommand>) -> Answer {
        self.0
            .execute(request, |r| Ok(Command::Respond { note: r.reason }))
            .await
    }

    async fn handle(&self, request: Request<proto::TicketCommand>) -> Answer {
        self.0
            .execute(request, |r| Ok(Command::Handle { note: r.reason }))
            .await
    }

    async fn request_extension(&self, request: Request<proto::RequestExtensionRequest>) -> Answer {
        self.0
            .execute(request, |r| {
                Ok(Command::RequestExtension {
                    hours: r.hours,
                    working_days: r.working_days,
                    reason: r.reason,
                })
            })
            .await
    }

    async fn escalate(&self, request: Request<proto::TicketCommand>) -> Answer {
        self.0
            .execute(request, |r| Ok(Command::Escalate { reason: r.reason }))
            .await
    }

    async fn reply(&self, request: Request<proto::ReplyRequest>) -> Answer {
        self.0
            .execute(request, |r| Ok(Command::Reply { reply: r.reply }))
            .await
    }

    async fn add_note(&self, request: Request<proto::TicketCommand>) -> Answer {
        self.0
            .execute(request, |r| Ok(Command::AddNote { note: r.reason }))
            .await
    }
}
