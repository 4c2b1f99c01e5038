//! `intake`: agents take synthetic requests (CreateTicket, a new request id each); the
//! server classifies, routes and stores them.

use std::time::Instant;

use crate::auth::client::AuthedChannel;

use super::record::Record;
use super::report::Report;
use super::runner::{Client, Flow};
use super::{BenchLoadArgs, Run};
use crate::proto::{self, disposition, intake_service_client::IntakeServiceClient};
use crate::synth::Generator;

struct Agent {
    client: IntakeServiceClient<AuthedChannel>,
    requests: Generator,
    request_ids: Box<dyn Iterator<Item = String> + Send>,
    actor: proto::Actor,
}

/// The outcome code of a created ticket, as the report counts it.
pub fn outcome(ticket: &proto::Ticket) -> &'static str {
    match ticket.disposition.as_ref().and_then(|d| d.outcome.as_ref()) {
        Some(disposition::Outcome::Dispatch(to)) if to.unit.is_empty() => "manual_queue",
        Some(disposition::Outcome::Dispatch(_)) => "dispatch",
        Some(disposition::Outcome::AnswerDirectly(_)) => "answer_directly",
        Some(disposition::Outcome::EmergencyTransfer(_)) => "emergency_transfer",
        Some(disposition::Outcome::UtilityTransfer(_)) => "utility_transfer",
        Some(disposition::Outcome::LegalChannel(_)) => "legal_channel",
        Some(disposition::Outcome::Explain(_)) => "explain",
        Some(disposition::Outcome::Merge(_)) => "merge",
        Some(disposition::Outcome::ReferPolice(_)) => "refer_police",
        None => "none",
    }
}

/// Takes one request; the created ticket, if the call succeeded.
pub async fn take_request(
    client: &mut IntakeServiceClient<AuthedChannel>,
    request: proto::CreateTicketRequest,
    record: &mut Record,
) -> Option<proto::Ticket> {
    let started = Instant::now();
    let answer = client.create_ticket(request).await;
    let created = record.call("CreateTicket", started, answer)?;
    let ticket = created.ticket?;
    record.count(&format!("outcome.{}", outcome(&ticket)), 1);
    Some(ticket)
}

impl Client for Agent {
    async fn step(&mut self, record: &mut Record) -> Flow {
        let request_id = self.request_ids.next().expect("request ids never run out");
        let request = self
            .requests
            .next_request()
            .create_request(request_id, self.actor.clone());
        take_request(&mut self.client, request, record).await;
        Flow::Continue
    }
}

pub async fn run(run: &Run, args: &BenchLoadArgs) -> anyhow::Result<Report> {
    let clients = (0..run.concurrency)
        .map(|i| Agent {
            client: IntakeServiceClient::new(run.target.channel(i)),
            requests: run.generator(i, "intake"),
            request_ids: Box::new(run.request_ids(i, "intake")),
            actor: run.agent(i),
        })
        .collect();
    let (done, spent) = run.clock(clients, args).await?;
    let mut report = run.report(args, &done.record, done.elapsed, spent.as_ref());
    report.extra("outcomes", super::counts_under(&done.record, "outcome."));
    Ok(report)
}
