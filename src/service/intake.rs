//! IntakeService: agent consoles create tickets and look them up.

use std::sync::Arc;

use prost::Message;
use sha2::{Digest, Sha256};
use strum::IntoEnumIterator;
use tonic::{Code, Request, Response, Status};

use super::convert::{self, ProtoEnum};
use super::create_ticket;
use super::{App, invalid};

use crate::domain::access::{self, Principal};
use crate::domain::lifecycle::Command;
use crate::domain::{Disposition, Intake, Requester, State, TicketId, Timestamp, validate};
use crate::proto::{self, intake_service_server::IntakeService};
use crate::store::{Created, NewTicket, StoreError, TicketFilter};
use crate::triage::Triage;

pub struct IntakeApi(pub Arc<App>);

/// SearchTickets pages.
const PAGES: super::paging::PageLimits = super::paging::PageLimits {
    default: 50,
    max: 200,
};
/// How far back a repeated request looks for the open ticket it repeats.
const REPEAT_WINDOW_DAYS: i64 = 90;

/// Digest of everything the console sent, to tell a retry from a reused request id.
fn fingerprint(request: &proto::CreateTicketRequest) -> String {
    let digest = Sha256::digest(request.encode_to_vec());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl App {
    /// Validates the request, applies its intake outcome and stores the new ticket (or
    /// finds the one a retry of it created). The decisions are [`create_ticket`]'s; this
    /// adds the look-ups and the write.
    async fn open_ticket(
        &self,
        request: &proto::CreateTicketRequest,
        fingerprint: &str,
        principal: &Principal,
    ) -> Result<Created, Status> {
        // One generation of rules for the whole decision, even if a reload lands meanwhile.
        let rules = self.rules.load_full();
        let now = super::now();
        let draft = create_ticket::draft(request, &rules)?;
        let proposed = self
            .with_repeat(
                draft.triage.disposition.clone(),
                &draft.triage,
                &draft.intake,
                now,
            )
            .await?;
        let (decision, citation) = match request.answered_with_entry {
            0 => (draft.decide(proposed, &request.override_reason)?, None),
            entry => {
                let live = self.live_entry(entry).await?;
                let (decision, citation) =
                    create_ticket::answer_with(&draft, &proposed, &live, &rules, now)?;
                (decision, Some(citation))
            }
        };
        let parent_state = match decision.disposition {
            Disposition::Merge { parent } => self.state_of(parent).await?,
            _ => None,
        };
        let mut opened =
            create_ticket::open(draft, decision, parent_state, &rules, now, &principal.name)?;
        if let Some(citation) = citation {
            create_ticket::cite(&mut opened, citation);
        }
        Ok(self
            .store
            .create_ticket(NewTicket {
                ticket: &opened.ticket,
                events: &opened.events,
                request_id: &request.request_id,
                fingerprint,
            })
            .await?)
    }

    /// Turns a proposed dispatch into a merge when the text says it repeats an earlier
    /// request and the requester has an open ticket in the same category (并单).
    async fn with_repeat(
        &self,
        proposed: Disposition,
        triage: &Triage,
        intake: &Intake,
        now: Timestamp,
    ) -> Result<Disposition, Status> {
        let parent = self
            .repeat_of(
                triage.classification.repeat_hint,
                &intake.requester,
                &intake.category,
                now,
            )
            .await?;
        Ok(match (proposed, parent) {
            (Disposition::Dispatch { .. }, Some(parent)) => Disposition::Merge { parent },
            (proposed, _) => proposed,
        })
    }

    /// The open ticket a request repeats: only when its text says it is a repeat, and
    /// only among the same requester's tickets in the same category.
    pub(super) async fn repeat_of(
        &self,
        repeat_hint: bool,
        requester: &Requester,
        category: &str,
        now: Timestamp,
    ) -> Result<Option<TicketId>, Status> {
        let Some(key) = requester.key().filter(|_| repeat_hint) else {
            return Ok(None);
        };
        let since = now - chrono::Duration::days(REPEAT_WINDOW_DAYS);
        Ok(self.store.find_open_repeat(&key, category, since).await?)
    }

    /// The published content of the entry an agent answers with: NOT_FOUND if there is no
    /// such entry, FAILED_PRECONDITION if nothing of it is published.
    async fn live_entry(&self, id: i64) -> Result<crate::knowledge::LiveEntry, Status> {
        if id < 0 {
            return Err(invalid("answered_with_entry", "must be an entry id"));
        }
        if let Some(live) = self.store.live_entry(id).await? {
            return Ok(live);
        }
        let entry = self.store.get_entry(id).await?;
        Err(Status::failed_precondition(format!(
            "answered_with_entry: entry {id} is {} and has no published answer",
            entry.status
        )))
    }

    /// The state of a ticket, or `None` if there is no such ticket.
    async fn state_of(&self, id: i64) -> Result<Option<State>, Status> {
        match self.store.get_ticket(id).await {
            Ok(t) => Ok(Some(t.state)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[tonic::async_trait]
impl IntakeService for IntakeApi {
    async fn create_ticket(
        &self,
        request: Request<proto::CreateTicketRequest>,
    ) -> Result<Response<proto::CreateTicketResponse>, Status> {
        let principal = super::principal(&request)?;
        let request = request.into_inner();
        let app = &self.0;
        validate::request_id("request_id", &request.request_id)?;
        let fingerprint = fingerprint(&request);
        let created = match app.open_ticket(&request, &fingerprint, &principal).await {
            Ok(created) => created,
            // The database failed, not the request: say so at once (a look-up would only
            // wait for the same database again).
            Err(failure) if matches!(failure.code(), Code::Unavailable | Code::Internal) => {
                return Err(failure);
            }
            // Refused now, yet perhaps a retry of a request accepted earlier (the catalogue
            // may have changed since): answer as the first attempt was answered. The store
            // itself answers retries that are accepted again, so this look-up stays off the
            // normal path.
            Err(refusal) => match app.store.find_by_request_id(&request.request_id).await? {
                Some((ticket, stored)) if stored == fingerprint => Created {
                    ticket,
                    created: false,
                },
                Some((ticket, _)) => {
                    return Err(StoreError::RequestIdReused {
                        request_id: request.request_id,
                        ticket: ticket.id,
                    }
                    .into());
                }
                None => return Err(refusal),
            },
        };
        if created.created {
            let ticket = &created.ticket;
            let desk = request.actor.as_ref().map_or("", |a| a.unit.as_str());
            crate::metrics::ticket_opened(ticket, desk, &app.rules.load().units);
            app.announce_if_assigned(None, ticket);
            tracing::info!(ticket = ticket.id, outcome = ticket.disposition.code(), state = %ticket.state, "ticket created");
            // Masked by its Debug: enough to tell callers apart when following one up.
            tracing::debug!(ticket = ticket.id, requester = ?ticket.intake.requester, "ticket requester");
        }
        Ok(Response::new(proto::CreateTicketResponse {
            ticket: Some(super::shown(&principal, &created.ticket)),
            created: created.created,
        }))
    }

    async fn preview_classification(
        &self,
        request: Request<proto::PreviewClassificationRequest>,
    ) -> Result<Response<proto::PreviewClassificationResponse>, Status> {
        Ok(Response::new(self.0.preview(request.into_inner()).await?))
    }

    async fn get_ticket(
        &self,
        request: Request<proto::GetTicketRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        let principal = super::principal(&request)?;
        let request = request.into_inner();
        if request.ticket_id <= 0 {
            return Err(invalid("ticket_id", "must be a ticket id"));
        }
        let store = &self.0.store;
        let ticket = self.0.visible_ticket(&principal, request.ticket_id).await?;
        let mut reply = super::shown(&principal, &ticket);
        if let Some(parent) = ticket.merged_into {
            // A merged duplicate follows its parent's progress.
            reply.followed_state = store.get_ticket(parent).await?.state.to_proto();
        }
        reply.merged_children = store.merged_children(ticket.id).await?;
        if request.include_history {
            reply.history = store
                .history(ticket.id)
                .await?
                .iter()
                .map(convert::event)
                .collect();
            reply.alerts = store
                .alerts(ticket.id)
                .await?
                .iter()
                .map(convert::alert)
                .collect();
        }
        Ok(Response::new(proto::TicketResponse {
            ticket: Some(reply),
        }))
    }

    async fn search_tickets(
        &self,
        request: Request<proto::SearchTicketsRequest>,
    ) -> Result<Response<proto::SearchTicketsResponse>, Status> {
        let principal = super::principal(&request)?;
        let request = request.into_inner();
        let super::paging::Page {
            size: limit,
            after_id,
        } = PAGES.page(request.page_size, &request.page_token)?;
        // No more entries than there are states: a longer list can only repeat some.
        validate::list_len("states", request.states.len(), State::iter().count())?;
        let states = request
            .states
            .iter()
            .map(|s| State::from_proto("states", *s))
            .collect::<Result<Vec<_>, _>>()?;
        let optional = |field: &str, value: &str| -> Result<Option<String>, Status> {
            validate::label(field, value, false)?;
            Ok((!value.is_empty()).then(|| value.to_string()))
        };
        let created_from = request
            .created_from
            .as_ref()
            .map(|t| convert::timestamp_from_proto("created_from", t))
            .transpose()?;
        let created_to = request
            .created_to
            .as_ref()
            .map(|t| convert::timestamp_from_proto("created_to", t))
            .transpose()?;
        validate::period("created_to", created_from, created_to)?;
        let filter = TicketFilter {
            states,
            // A unit searches its own desk only (as lead unit).
            assigned_unit: access::unit_scope(
                &principal.role,
                "assigned_unit",
                optional("assigned_unit", &request.assigned_unit)?
                    .as_deref()
                    .unwrap_or_default(),
            )?,
            region: optional("region", &request.region)?,
            category: optional("category", &request.category)?,
            created_from,
            created_to,
            supervised_only: request.supervised_only,
            after_id,
            limit: limit + 1,
        };
        let mut tickets = self.0.store.search(&filter).await?;
        let next_page_token = if tickets.len() > limit as usize {
            tickets.truncate(limit as usize);
            tickets.last().map(|t| t.id.to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(proto::SearchTicketsResponse {
            tickets: tickets
                .iter()
                .map(|t| super::shown(&principal, t))
                .collect(),
            next_page_token,
        }))
    }

    async fn merge_duplicate(
        &self,
        request: Request<proto::MergeDuplicateRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        let app = &self.0;
        let (child, parent) = (request.get_ref().ticket_id, request.get_ref().parent_id);
        if parent <= 0 {
            return Err(invalid("parent_id", "must be a ticket id"));
        }
        // Checked before the look-ups below, which would otherwise answer first.
        validate::text(
            "reason",
            &request.get_ref().reason,
            validate::MAX_NOTE_CHARS,
            false,
        )?;
        let parent_state = app
            .state_of(parent)
            .await?
            .ok_or_else(|| Status::not_found(format!("parent ticket {parent} not found")))?;
        if !app.store.merged_children(child).await?.is_empty() {
            return Err(Status::failed_precondition(format!(
                "ticket {child} has duplicates merged into it; merge ticket {parent} into it instead"
            )));
        }
        app.execute(request, |r| {
            Ok(Command::MergeInto {
                parent,
                parent_state,
                reason: r.reason,
            })
        })
        .await
    }

    async fn transfer_emergency(
        &self,
        request: Request<proto::TransferEmergencyRequest>,
    ) -> Result<Response<proto::TicketResponse>, Status> {
        self.0
            .execute(request, |r| {
                Ok(Command::Transfer {
                    to: Disposition::EmergencyTransfer {
                        line: ProtoEnum::from_proto("line", r.line)?,
                    },
                    reason: r.reason,
                })
            })
            .await
    }
}
