//! `mixed`: the centre's day in miniature (shares in [`super::mix`]): agents take requests,
//! back-offices pull and work their tickets, the centre reviews replies and calls the
//! requesters back, and people look tickets and rates up, all at once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::auth::client::AuthedChannel;

use super::desk::{self, Step};
use super::intake::take_request;
use super::mix::{self, Op};
use super::record::Record;
use super::report::Report;
use super::runner::{Client, Flow};
use super::{BenchLoadArgs, Run, backlog};
use crate::cli::client::beijing;
use crate::proto::{
    self, TicketState, center_service_client::CenterServiceClient,
    dispatch_service_client::DispatchServiceClient, feedback_service_client::FeedbackServiceClient,
    intake_service_client::IntakeServiceClient, report_service_client::ReportServiceClient,
};
use crate::synth::Generator;

/// Tickets a back-office leases at a time in the mix.
const PULL_BATCH: u32 = 5;

/// Work passed between the roles.
struct Board {
    /// A unit per ticket put on its desk: where a back-office goes to pull.
    desks: Mutex<VecDeque<String>>,
    /// Replies waiting for the centre's review.
    replied: Mutex<VecDeque<proto::Ticket>>,
    /// Reviewed replies waiting for the callback.
    reviewed: Mutex<VecDeque<proto::Ticket>>,
    lowest_id: AtomicI64,
    highest_id: AtomicI64,
    month: (prost_types::Timestamp, prost_types::Timestamp),
}

impl Board {
    fn seen(&self, ticket: &proto::Ticket) {
        self.lowest_id.fetch_min(ticket.id, Ordering::Relaxed);
        self.highest_id.fetch_max(ticket.id, Ordering::Relaxed);
        if ticket.state == TicketState::Dispatched as i32 && !ticket.assigned_unit.is_empty() {
            push(&self.desks, ticket.assigned_unit.clone());
        }
    }
}

fn push<T>(queue: &Mutex<VecDeque<T>>, item: T) {
    queue.lock().expect("queue lock").push_back(item);
}

fn pop<T>(queue: &Mutex<VecDeque<T>>) -> Option<T> {
    queue.lock().expect("queue lock").pop_front()
}

struct Operator {
    intake: IntakeServiceClient<AuthedChannel>,
    dispatch: DispatchServiceClient<AuthedChannel>,
    centre: CenterServiceClient<AuthedChannel>,
    feedback: FeedbackServiceClient<AuthedChannel>,
    report: ReportServiceClient<AuthedChannel>,
    requests: Generator,
    request_ids: Box<dyn Iterator<Item = String> + Send>,
    agent: proto::Actor,
    worker: String,
    rng: fastrand::Rng,
    held: VecDeque<proto::Ticket>,
    board: Arc<Board>,
}

impl Operator {
    async fn intake(&mut self, record: &mut Record) {
        let request_id = self.request_ids.next().expect("request ids never run out");
        let request = self
            .requests
            .next_request()
            .create_request(request_id, self.agent.clone());
        if let Some(ticket) = take_request(&mut self.intake, request, record).await {
            self.board.seen(&ticket);
        }
    }

    /// The next step on a held ticket, or a pull at a desk with work; false if neither.
    async fn back_office(&mut self, record: &mut Record) -> bool {
        if let Some(ticket) = self.held.pop_front() {
            if let Some(step) = Step::next(ticket.state)
                && let Some(after) =
                    desk::take(&mut self.dispatch, step, &ticket, &self.worker, record).await
            {
                if after.state == TicketState::Replied as i32 {
                    push(&self.board.replied, after);
                } else {
                    self.held.push_front(after);
                }
            }
            return true;
        }
        let Some(unit) = pop(&self.board.desks) else {
            return false;
        };
        let started = Instant::now();
        let answer = self
            .dispatch
            .pull_assigned(proto::PullAssignedRequest {
                unit,
                worker: self.worker.clone(),
                max_tickets: PULL_BATCH,
                lease_seconds: 0,
            })
            .await;
        if let Some(pulled) = record.call("PullAssigned", started, answer) {
            self.held.extend(pulled.tickets);
        }
        true
    }

    /// The callback of a reviewed reply, or the review of a reply; false if neither waits.
    async fn callback(&mut self, record: &mut Record) -> bool {
        let centre = proto::Actor {
            unit: self.agent.unit.clone(),
            person: self.worker.clone(),
        };
        if let Some(ticket) = pop(&self.board.reviewed) {
            let satisfaction = match self.rng.u32(..100) {
                0..75 => proto::Satisfaction::Satisfied,
                75..90 => proto::Satisfaction::BasicallySatisfied,
                90..95 => proto::Satisfaction::Dissatisfied,
                _ => proto::Satisfaction::Declined,
            };
            let started = Instant::now();
            let answer = self
                .feedback
                .record_callback(proto::RecordCallbackRequest {
                    ticket_id: ticket.id,
                    expected_version: ticket.version,
                    actor: Some(centre),
                    // A declined callback gives no verdict on resolution.
                    resolved: matches!(
                        satisfaction,
                        proto::Satisfaction::Satisfied | proto::Satisfaction::BasicallySatisfied
                    ),
                    satisfaction: satisfaction as i32,
                    reopen: false,
                    note: "回访来电人".into(),
                })
                .await;
            record.call("RecordCallback", started, answer);
            return true;
        }
        let Some(ticket) = pop(&self.board.replied) else {
            return false;
        };
        let started = Instant::now();
        let answer = self
            .centre
            .review_reply(proto::ReviewRequest {
                ticket_id: ticket.id,
                expected_version: ticket.version,
                actor: Some(centre),
                approve: true,
                reason: String::new(),
            })
            .await;
        if let Some(reviewed) = record
            .call("ReviewReply", started, answer)
            .and_then(|r| r.ticket)
        {
            push(&self.board.reviewed, reviewed);
        }
        true
    }

    /// Looks up a ticket created during the run; false before there is one.
    async fn get_ticket(&mut self, record: &mut Record) -> bool {
        let highest = self.board.highest_id.load(Ordering::Relaxed);
        if highest <= 0 {
            return false;
        }
        let lowest = self.board.lowest_id.load(Ordering::Relaxed).min(highest);
        let started = Instant::now();
        let answer = self
            .intake
            .get_ticket(proto::GetTicketRequest {
                ticket_id: self.rng.i64(lowest..=highest),
                include_history: self.rng.bool(),
            })
            .await;
        record.call("GetTicket", started, answer);
        true
    }

    async fn get_rates(&mut self, record: &mut Record) {
        let (from, to) = self.board.month;
        let started = Instant::now();
        let answer = self
            .report
            .get_rates(proto::GetRatesRequest {
                from: Some(from),
                to: Some(to),
                group_by: proto::RateGrouping::Unit as i32,
                ..Default::default()
            })
            .await;
        record.call("GetRates", started, answer);
    }
}

impl Client for Operator {
    async fn step(&mut self, record: &mut Record) -> Flow {
        let chosen = mix::pick(self.rng.u32(..100));
        let had_work = match chosen {
            Op::Intake => {
                self.intake(record).await;
                true
            }
            Op::BackOffice => self.back_office(record).await,
            Op::Callback => self.callback(record).await,
            Op::GetTicket => self.get_ticket(record).await,
            Op::GetRates => {
                self.get_rates(record).await;
                true
            }
        };
        let done = if had_work {
            chosen
        } else {
            self.intake(record).await;
            Op::Intake
        };
        record.count(&format!("ops.{}", done.name()), 1);
        Flow::Continue
    }
}

pub async fn run(run: &Run, args: &BenchLoadArgs) -> anyhow::Result<Report> {
    let wanted = args.backlog_size().unwrap_or_default();
    let backlog = backlog::prepare(run, wanted).await?;
    let (month_start, month_end) = beijing::current_month();
    let board = Arc::new(Board {
        desks: Mutex::new(
            backlog
                .tickets
                .iter()
                .map(|(_, unit)| unit.clone())
                .collect(),
        ),
        replied: Mutex::default(),
        reviewed: Mutex::default(),
        lowest_id: AtomicI64::new(
            backlog
                .tickets
                .iter()
                .map(|(id, _)| *id)
                .min()
                .unwrap_or(i64::MAX),
        ),
        highest_id: AtomicI64::new(backlog.tickets.iter().map(|(id, _)| *id).max().unwrap_or(0)),
        month: (
            beijing::start_of_day(month_start),
            beijing::end_of_day(month_end),
        ),
    });
    let clients = (0..run.concurrency)
        .map(|i| {
            let channel = run.target.channel(i);
            Operator {
                intake: IntakeServiceClient::new(channel.clone()),
                dispatch: DispatchServiceClient::new(channel.clone()),
                centre: CenterServiceClient::new(channel.clone()),
                feedback: FeedbackServiceClient::new(channel.clone()),
                report: ReportServiceClient::new(channel),
                requests: run.generator(i, "mixed"),
                request_ids: Box::new(run.request_ids(i, "mixed")),
                agent: run.agent(i),
                worker: run.worker(i),
                rng: fastrand::Rng::with_seed(run.seed_for(i, "mix")),
                held: VecDeque::new(),
                board: board.clone(),
            }
        })
        .collect();
    let (done, spent) = run.clock(clients, args).await?;
    let mut report = run.report(args, &done.record, done.elapsed, spent.as_ref());
    report.extra("ops", super::counts_under(&done.record, "ops."));
    report.extra("outcomes", super::counts_under(&done.record, "outcome."));
    report.extra("backlog", backlog.tickets.len());
    Ok(report)
}
