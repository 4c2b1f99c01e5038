//! The gRPC edge: tonic handlers that check input, call the domain, persist through the
//! store and answer with precise statuses. Handlers hold no state of their own beyond the
//! shared [`App`].

mod assessment;
mod callbacks;
mod caller;
mod calls;
mod center;
pub mod convert;
pub mod create_ticket;
mod diagnostics;
mod dispatch;
mod feedback;
mod intake;
pub mod knowledge;
mod leases;
pub mod linkage;
mod paging;
mod preview;
pub mod recent_tickets;
mod reload;
mod report;
mod status;

use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::Utc;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::domain::access::{self, Principal};
use crate::domain::lifecycle::{self, Command, Context};
use crate::domain::{Actor, State, Ticket, TicketId};
use crate::rules::{RulePaths, RuleSet};
use crate::store::{Store, StoreError};

pub use callbacks::CallbackApi;
pub use caller::{principal, shown};
pub use calls::CallApi;
pub use center::CenterApi;
pub use diagnostics::DiagnosticsApi;
pub use dispatch::DispatchApi;
pub use feedback::FeedbackApi;
pub use intake::IntakeApi;
pub use knowledge::{KnowledgeApi, KnowledgeState};
pub use leases::LeaseBook;
pub use linkage::LinkageApi;
pub use recent_tickets::RecentTickets;
pub use reload::{spawn_reload_loop, spawn_reloaders};
pub use report::ReportApi;
pub use status::invalid;

/// A ticket put on a unit's desk, announced to WatchAssigned streams after commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentNotice {
    pub ticket_id: TicketId,
    pub unit: String,
    pub version: i64,
    pub at: crate::domain::Timestamp,
}

/// State shared by all handlers.
pub struct App {
    pub store: Arc<dyn Store>,
    /// The rules in force; ReloadRules swaps in a new generation atomically.
    pub rules: ArcSwap<RuleSet>,
    /// Where ReloadRules reads the rule files from.
    pub rule_paths: RulePaths,
    pub assignments: broadcast::Sender<AssignmentNotice>,
    /// Cancelled when the daemon stops; long-lived streams end on it.
    pub shutdown: CancellationToken,
    /// Leases this daemon granted, given back when it stops.
    pub leases: LeaseBook,
    /// Tickets this replica last read or wrote, by version: commands skip the read.
    pub recent: RecentTickets,
    /// The knowledge base's search index on this replica.
    pub knowledge: KnowledgeState,
    /// The live API tokens, when the daemon authenticates; read again on ReloadRules and
    /// SIGHUP besides its own schedule.
    pub tokens: arc_swap::ArcSwapOption<crate::auth::cache::TokenCache>,
}

impl App {
    /// `remembered_tickets`: how many tickets to remember (see [`RecentTickets`]).
    pub fn new(
        store: Arc<dyn Store>,
        rules: RuleSet,
        rule_paths: RulePaths,
        shutdown: CancellationToken,
        remembered_tickets: usize,
    ) -> Arc<Self> {
        let (assignments, _) = broadcast::channel(1024);
        Arc::new(App {
            store,
            rules: ArcSwap::from_pointee(rules),
            rule_paths,
            assignments,
            shutdown,
            leases: LeaseBook::default(),
            recent: RecentTickets::new(remembered_tickets),
            knowledge: KnowledgeState::default(),
            tokens: arc_swap::ArcSwapOption::empty(),
        })
    }

    /// Reads the token table again now (a revocation takes effect at once).
    pub async fn refresh_tokens(&self, trigger: &'static str) {
        if let Some(tokens) = self.tokens.load_full() {
            match tokens.refresh().await {
                Ok(live) => tracing::info!(trigger, live, "tokens read again"),
                Err(error) => tracing::warn!(trigger, %error, "tokens not read again"),
            }
        }
    }

    /// Loads a ticket (or takes the one remembered at the caller's version), checks the
    /// caller's version, lets the domain decide, and persists the transition.
    pub async fn run(
        &self,
        ticket_id: TicketId,
        expected_version: i64,
        actor: Actor,
        command: Command,
        principal: &Principal,
    ) -> Result<Ticket, Status> {
        command.check_input()?;
        if ticket_id <= 0 {
            return Err(invalid("ticket_id", "must be a ticket id"));
        }
        if expected_version <= 0 {
            return Err(invalid(
                "expected_version",
                "is required: send the version you last read",
            ));
        }
        // The version the caller sent, remembered: decided on without a read. Whatever
        // refuses it (not on the desk, not allowed now, overtaken by another replica) is
        // decided again below on a fresh read, so the caller gets the answer a read gives.
        if let Some(before) = self.recent.at_version(ticket_id, expected_version)
            && access::ticket_scope(&principal.role, ticket_id, Some(&before)).is_ok()
        {
            match self
                .transit(&before, command.clone(), &actor, principal)
                .await
            {
                Ok(after) => return Ok(after),
                Err(Refusal::Store(StoreError::VersionConflict { .. })) => self.recent.overtaken(),
                Err(Refusal::Store(error)) => return Err(error.into()),
                Err(Refusal::Decided(_)) => {}
            }
        }
        // A unit learns nothing of a ticket not on its desk, not even its version.
        let before = self.visible_ticket(principal, ticket_id).await?;
        // Refuse a stale command before deciding anything; the store checks again on write.
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                id: ticket_id,
                expected: expected_version,
                current: before.version,
            }
            .into());
        }
        Ok(self.transit(&before, command, &actor, principal).await?)
    }

    /// Decides `command` on `before` and saves the transition (the store refuses it if
    /// `before` is no longer the stored version); answers the ticket after it.
    async fn transit(
        &self,
        before: &Ticket,
        command: Command,
        actor: &Actor,
        principal: &Principal,
    ) -> Result<Ticket, Refusal> {
        let rules = self.rules.load();
        let name = command.name();
        let transition =
            decide(&rules, before, command, actor, principal, now()).map_err(Refusal::Decided)?;
        self.store
            .save_transition(before, &transition)
            .await
            .map_err(Refusal::Store)?;
        crate::metrics::committed(before, &transition, name, &rules.units);
        let after = transition.ticket;
        if !after.keeps_lease_of(before) {
            self.leases.handed_on(after.id);
        }
        self.announce_if_assigned(Some(before), &after);
        self.recent.remember(&after);
        tracing::info!(ticket = after.id, command = name, from = %before.state, to = %after.state, unit = %actor.unit, principal = %principal.name, "transition");
        Ok(after)
    }

    /// Tells WatchAssigned streams about a ticket newly put on a unit's desk.
    pub fn announce_if_assigned(&self, before: Option<&Ticket>, after: &Ticket) {
        let newly_dispatched = after.state == State::Dispatched
            && before.is_none_or(|b| b.dispatched_at != after.dispatched_at);
        if let (true, Some(unit)) = (newly_dispatched, &after.assigned_unit) {
            // No receivers is fine: nobody is watching.
            let _ = self.assignments.send(AssignmentNotice {
                ticket_id: after.id,
                unit: unit.clone(),
                version: after.version,
                at: after.updated_at,
            });
        }
    }
}

/// Why [`App::transit`] did not move a ticket: the domain refused the command, or the
/// store the write.
enum Refusal {
    Decided(Status),
    Store(StoreError),
}

impl From<Refusal> for Status {
    fn from(refusal: Refusal) -> Status {
        match refusal {
            Refusal::Decided(status) => status,
            Refusal::Store(error) => error.into(),
        }
    }
}

/// The head every state-command request shares: which ticket, at which version, by whom.
pub trait TicketTarget {
    fn ticket_id(&self) -> TicketId;
    fn expected_version(&self) -> i64;
    fn actor(&self) -> Option<&crate::proto::Actor>;
}

macro_rules! ticket_target {
    ($($request:ty),* $(,)?) => {$(
        impl TicketTarget for $request {
            fn ticket_id(&self) -> TicketId { self.ticket_id }
            fn expected_version(&self) -> i64 { self.expected_version }
            fn actor(&self) -> Option<&crate::proto::Actor> { self.actor.as_ref() }
        }
    )*};
}

ticket_target!(
    crate::proto::TicketCommand,
    crate::proto::RequestExtensionRequest,
    crate::proto::ReplyRequest,
    crate::proto::DispatchRequest,
    crate::proto::ReviewReturnRequest,
    crate::proto::ReviewRequest,
    crate::proto::SuperviseRequest,
    crate::proto::ChaseUpRequest,
    crate::proto::ArchiveRequest,
    crate::proto::ExcludeFromRatesRequest,
    crate::proto::RecordCallbackRequest,
    crate::proto::MergeDuplicateRequest,
    crate::proto::TransferEmergencyRequest,
);

impl App {
    /// One state-command RPC: checks the actor, turns the request into a domain command
    /// (which may refuse bad fields), runs it and answers with the ticket after it.
    pub async fn execute<R: TicketTarget>(
        &self,
        request: tonic::Request<R>,
        command: impl FnOnce(R) -> Result<Command, Status>,
    ) -> Result<tonic::Response<crate::proto::TicketResponse>, Status> {
        let principal = caller::principal(&request)?;
        let request = request.into_inner();
        let actor = caller::actor(&principal, "actor", request.actor())?;
        let (id, version) = (request.ticket_id(), request.expected_version());
        let ticket = self
            .run(id, version, actor, command(request)?, &principal)
            .await?;
        Ok(ticket_response(&principal, &ticket))
    }
}

/// The current instant at the millisecond precision the stores keep, so what a handler
/// decides and what a later read returns are equal.
pub fn now() -> crate::domain::Timestamp {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(3)
}

/// Answer with the ticket after a command, as the caller may see it.
pub fn ticket_response(
    principal: &Principal,
    ticket: &Ticket,
) -> tonic::Response<crate::proto::TicketResponse> {
    tonic::Response::new(crate::proto::TicketResponse {
        ticket: Some(caller::shown(principal, ticket)),
    })
}

/// What the domain decides for `command` on `ticket`, by `actor` for `principal`, under
/// the rules in force: the one place a handler builds the life cycle's context.
pub fn decide(
    rules: &RuleSet,
    ticket: &Ticket,
    command: Command,
    actor: &Actor,
    principal: &Principal,
    now: crate::domain::Timestamp,
) -> Result<lifecycle::Transition, Status> {
    let ctx = Context {
        actor,
        principal: &principal.name,
        units: &rules.units,
        policy: &rules.policy,
        now,
    };
    Ok(lifecycle::apply(ticket, command, &ctx)?)
}
