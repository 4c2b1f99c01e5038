//! A back-office worker's next move on a ticket it has pulled, through the closed loop up
//! to the reply: sign (签收) → respond (响应) → handle (办理) → reply (反馈).

use std::time::Instant;

use crate::auth::client::AuthedChannel;

use super::record::Record;
use crate::proto::{self, TicketState, dispatch_service_client::DispatchServiceClient};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Sign,
    Respond,
    Handle,
    Reply,
}

impl Step {
    /// What the life-cycle lets the assigned unit do next; `None` when the ticket is not
    /// (or no longer) its to move on.
    pub fn next(state: i32) -> Option<Step> {
        match TicketState::try_from(state).ok()? {
            TicketState::Dispatched => Some(Step::Sign),
            TicketState::Signed => Some(Step::Respond),
            TicketState::Responded => Some(Step::Handle),
            TicketState::InProgress => Some(Step::Reply),
            _ => None,
        }
    }

    /// The RPC's name, as reports show it.
    pub fn call(self) -> &'static str {
        match self {
            Step::Sign => "Sign",
            Step::Respond => "Respond",
            Step::Handle => "Handle",
            Step::Reply => "Reply",
        }
    }
}

/// Takes the step on `ticket` as `worker` of its assigned unit; the ticket after it, or
/// `None` if the call failed (recorded).
pub async fn take(
    client: &mut DispatchServiceClient<AuthedChannel>,
    step: Step,
    ticket: &proto::Ticket,
    worker: &str,
    record: &mut Record,
) -> Option<proto::Ticket> {
    let actor = Some(proto::Actor {
        unit: ticket.assigned_unit.clone(),
        person: worker.to_string(),
    });
    let command = |reason: &str| proto::TicketCommand {
        ticket_id: ticket.id,
        expected_version: ticket.version,
        actor: actor.clone(),
        reason: reason.to_string(),
    };
    let started = Instant::now();
    let answer = match step {
        Step::Sign => client.sign(command("")).await,
        Step::Respond => {
            client
                .respond(command("已电话联系来电人，约定上门核实"))
                .await
        }
        Step::Handle => client.handle(command("已安排工作人员到现场处理")).await,
        Step::Reply => {
            client
                .reply(proto::ReplyRequest {
                    ticket_id: ticket.id,
                    expected_version: ticket.version,
                    actor: actor.clone(),
                    reply: "经现场核查，反映的问题已处理完毕，已电话告知来电人。".into(),
                })
                .await
        }
    };
    record.call(step.call(), started, answer)?.ticket
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_up_to_the_reply() {
        let next = |s: TicketState| Step::next(s as i32);
        assert_eq!(next(TicketState::Dispatched), Some(Step::Sign));
        assert_eq!(next(TicketState::Signed), Some(Step::Respond));
        assert_eq!(next(TicketState::Responded), Some(Step::Handle));
        assert_eq!(next(TicketState::InProgress), Some(Step::Reply));
        for done in [
            TicketState::Replied,
            TicketState::ReturnRequested,
            TicketState::Closed,
            TicketState::Received,
        ] {
            assert_eq!(next(done), None, "{done:?}");
        }
        assert_eq!(Step::next(999), None);
    }
}
