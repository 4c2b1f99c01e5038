//! Arbitrary bytes as a CreateTicketRequest, through the checks, conversion, triage and
//! intake outcome CreateTicket applies (`service::create_ticket`), without a server: every
//! refusal is a precise status, every acceptance a ticket the API can answer with.

use super::shipped_rules;
use crate::domain::{Disposition, State, validate};
use crate::proto;
use crate::service::{convert, create_ticket};
use chrono::DateTime;
use prost::Message;
use tonic::Code;

/// The `create_request` fuzz target's check of one input.
pub fn create_request(data: &[u8]) {
    // Bytes prost refuses (bad wire format, invalid UTF-8) never reach the handler.
    let Ok(request) = proto::CreateTicketRequest::decode(data) else {
        return;
    };
    let now = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
    match open(&request, now) {
        Ok(opened) => {
            let answer = convert::ticket(&opened.ticket);
            let _ = answer.encode_to_vec();
            assert_eq!(opened.events[0].command, "create");
        }
        Err(status) => assert!(
            matches!(
                status.code(),
                Code::InvalidArgument | Code::PermissionDenied | Code::FailedPrecondition
            ),
            "unexpected {status:?}"
        ),
    }
}

fn open(
    request: &proto::CreateTicketRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<crate::domain::intake::Opened, tonic::Status> {
    let rules = shipped_rules();
    validate::request_id("request_id", &request.request_id)?;
    let draft = create_ticket::draft(request, rules)?;
    let proposed = draft.triage.disposition.clone();
    let decision = draft.decide(proposed, &request.override_reason)?;
    // The handler looks the parent up; odd ids stand for a missing one.
    let parent_state = match decision.disposition {
        Disposition::Merge { parent } if parent % 2 == 0 => Some(State::InProgress),
        _ => None,
    };
    create_ticket::open(draft, decision, parent_state, rules, now, "token:fuzz")
}
