//! LinkageService: the partner side of a hand-off (AcceptHandOff, GetHandOffProgress) and
//! the origin's view of the hand-offs it sent (ListHandOffs). A hand-off opens a ticket
//! through the normal intake, as a CreateTicket whose request id is made of the hand-off
//! id: so a retry after a lost answer finds the ticket the first attempt opened, and the
//! request id records where the ticket came from.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{self, ProtoEnum};
use super::{App, IntakeApi, invalid};
use crate::domain::{Disposition, State, validate};
use crate::proto::{self, intake_service_server::IntakeService, linkage_service_server};
use crate::store::linkage::HandOffRow;

pub struct LinkageApi(pub Arc<App>);

/// Room for the `linkage:` prefix within a request id.
const MAX_HAND_OFF_ID_CHARS: usize = 100;
const MAX_PAGE_SIZE: u32 = 500;
const DEFAULT_PAGE_SIZE: u32 = 100;

/// The request id a hand-off's ticket is created under.
pub fn request_id_of(hand_off_id: &str) -> String {
    format!("linkage:{hand_off_id}")
}

fn check_hand_off_id(value: &str) -> Result<(), Status> {
    validate::request_id("hand_off_id", value)?;
    if value.len() > MAX_HAND_OFF_ID_CHARS {
        return Err(invalid(
            "hand_off_id",
            format!("must be at most {MAX_HAND_OFF_ID_CHARS} characters"),
        ));
    }
    Ok(())
}

fn hand_off(row: &HandOffRow) -> proto::HandOff {
    proto::HandOff {
        hand_off_id: row.hand_off_id.clone(),
        ticket_id: row.ticket_id,
        partner: row.partner.clone(),
        status: row.status.clone(),
        attempts: row.attempts,
        next_attempt_at: Some(convert::timestamp(row.next_attempt_at)),
        last_error: row.last_error.clone().unwrap_or_default(),
        partner_ticket_id: row.partner_ticket_id.unwrap_or_default(),
        created_at: Some(convert::timestamp(row.created_at)),
        sent_at: row.sent_at.map(convert::timestamp),
    }
}

#[tonic::async_trait]
impl linkage_service_server::LinkageService for LinkageApi {
    async fn accept_hand_off(
        &self,
        request: Request<proto::AcceptHandOffRequest>,
    ) -> Result<Response<proto::AcceptHandOffResponse>, Status> {
        let principal = super::principal(&request)?;
        let r = request.into_inner();
        check_hand_off_id(&r.hand_off_id)?;
        validate::label("origin", &r.origin, true)?;
        if r.origin_ticket_id <= 0 {
            return Err(invalid("origin_ticket_id", "must be a ticket id"));
        }
        let centre = self.0.rules.load().units.centre().id.clone();
        // Intake on this side decides the outcome: the origin's classification is its own.
        let create = proto::CreateTicketRequest {
            request_id: request_id_of(&r.hand_off_id),
            actor: Some(proto::Actor {
                unit: centre,
                person: format!("linkage:{}", r.origin),
            }),
            channel: r.channel,
            title: r.title,
            description: r.description,
            region: r.region,
            address: r.address,
            requester: r.requester,
            ..Default::default()
        };
        // The partner's credential stands behind the ticket it hands over.
        let mut create = Request::new(create);
        create.extensions_mut().insert(principal);
        let created = IntakeApi(self.0.clone())
            .create_ticket(create)
            .await?
            .into_inner();
        let ticket = created
            .ticket
            .ok_or_else(|| Status::internal("intake answered without a ticket"))?;
        tracing::info!(
            hand_off = %r.hand_off_id,
            origin = %r.origin,
            origin_ticket = r.origin_ticket_id,
            ticket = ticket.id,
            created = created.created,
            "hand-off accepted"
        );
        Ok(Response::new(proto::AcceptHandOffResponse {
            partner_ticket_id: ticket.id,
            created: created.created,
        }))
    }

    async fn get_hand_off_progress(
        &self,
        request: Request<proto::GetHandOffProgressRequest>,
    ) -> Result<Response<proto::GetHandOffProgressResponse>, Status> {
        let r = request.into_inner();
        check_hand_off_id(&r.hand_off_id)?;
        let Some((ticket, _)) = self
            .0
            .store
            .find_by_request_id(&request_id_of(&r.hand_off_id))
            .await?
        else {
            return Err(Status::not_found(format!(
                "no hand-off `{}` was accepted here",
                r.hand_off_id
            )));
        };
        // A ticket finished at intake has its answer in the outcome, not in a reply.
        let reply = match (&ticket.disposition, ticket.state) {
            _ if !ticket.reply.is_empty() => ticket.reply.clone(),
            (Disposition::AnswerDirectly { answer }, _) => answer.clone(),
            (Disposition::Explain { explanation, .. }, State::Refused) => explanation.clone(),
            (Disposition::LegalChannel { advice, .. }, State::Refused) => advice.clone(),
            _ => String::new(),
        };
        Ok(Response::new(proto::GetHandOffProgressResponse {
            partner_ticket_id: ticket.id,
            state: ticket.state.to_proto(),
            reply,
            assigned_unit: ticket.assigned_unit.clone().unwrap_or_default(),
        }))
    }

    async fn list_hand_offs(
        &self,
        request: Request<proto::ListHandOffsRequest>,
    ) -> Result<Response<proto::ListHandOffsResponse>, Status> {
        let r = request.into_inner();
        let status = r.status.trim();
        if !matches!(status, "" | "pending" | "sent" | "replied" | "done") {
            return Err(invalid(
                "status",
                "must be empty, pending, sent, replied or done",
            ));
        }
        let limit = match r.limit {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let rows = self
            .0
            .store
            .list_hand_offs((!status.is_empty()).then_some(status), limit)
            .await?;
        Ok(Response::new(proto::ListHandOffsResponse {
            hand_offs: rows.iter().map(hand_off).collect(),
        }))
    }
}
