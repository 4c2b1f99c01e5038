//! `pull`: back-office workers of many units lease their tickets (PullAssigned) and walk
//! each through sign, respond, handle and reply. Throughput counts tickets claimed. After
//! the clock, every claimed ticket's events are read to prove nobody claimed one twice.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Instant;

use crate::auth::client::AuthedChannel;
use anyhow::Context as _;

use super::claims::{self, Claims};
use super::desk::{self, Step};
use super::record::Record;
use super::report::Report;
use super::runner::{Client, Flow};
use super::{BenchLoadArgs, Run, backlog};
use crate::proto::{self, dispatch_service_client::DispatchServiceClient};

/// Shown on stderr when the check finds double claims.
const SHOWN_DOUBLE_CLAIMS: usize = 10;

struct Desks {
    /// Units with backlog, busiest first.
    units: Vec<String>,
    /// Where the next worker whose unit ran dry goes.
    next_unit: AtomicUsize,
    /// Backlog tickets not claimed yet.
    unclaimed: AtomicI64,
    backlog: HashSet<i64>,
}

struct Worker {
    client: DispatchServiceClient<AuthedChannel>,
    name: String,
    desks: Arc<Desks>,
    unit: usize,
    batch: u32,
    held: VecDeque<proto::Ticket>,
    claims: Claims,
    dry_pulls: usize,
}

impl Worker {
    async fn work_on_held(&mut self, ticket: proto::Ticket, record: &mut Record) {
        let Some(step) = Step::next(ticket.state) else {
            return;
        };
        let Some(after) = desk::take(&mut self.client, step, &ticket, &self.name, record).await
        else {
            return;
        };
        if step == Step::Sign {
            self.claims.signed(ticket.id, &self.name);
        }
        if after.state == proto::TicketState::Replied as i32 {
            record.count("replied", 1);
        } else {
            self.held.push_front(after);
        }
    }

    async fn pull(&mut self, record: &mut Record) -> Flow {
        let unit = self.desks.units[self.unit].clone();
        let started = Instant::now();
        let answer = self
            .client
            .pull_assigned(proto::PullAssignedRequest {
                unit,
                worker: self.name.clone(),
                max_tickets: self.batch,
                lease_seconds: 0,
            })
            .await;
        let Some(pulled) = record.call("PullAssigned", started, answer) else {
            return Flow::Continue;
        };
        if pulled.tickets.is_empty() {
            self.dry_pulls += 1;
            if self.dry_pulls >= self.desks.units.len() {
                return Flow::Done;
            }
            self.unit =
                self.desks.next_unit.fetch_add(1, Ordering::Relaxed) % self.desks.units.len();
            return Flow::Continue;
        }
        self.dry_pulls = 0;
        record.count("claimed", pulled.tickets.len() as u64);
        for ticket in &pulled.tickets {
            self.claims.handed(ticket.id, &self.name);
            if self.desks.backlog.contains(&ticket.id) {
                self.desks.unclaimed.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.held.extend(pulled.tickets);
        Flow::Continue
    }
}

impl Client for Worker {
    async fn step(&mut self, record: &mut Record) -> Flow {
        if let Some(ticket) = self.held.pop_front() {
            self.work_on_held(ticket, record).await;
            return Flow::Continue;
        }
        if self.desks.unclaimed.load(Ordering::Relaxed) <= 0 {
            return Flow::Done;
        }
        self.pull(record).await
    }
}

pub async fn run(run: &Run, args: &BenchLoadArgs) -> anyhow::Result<Report> {
    let wanted = args.backlog_size().context("pull needs a backlog")?;
    let backlog = backlog::prepare(run, wanted).await?;
    let desks = Arc::new(Desks {
        units: backlog.units(),
        next_unit: AtomicUsize::new(run.concurrency),
        unclaimed: AtomicI64::new(backlog.tickets.len() as i64),
        backlog: backlog.ids(),
    });
    let workers = (0..run.concurrency)
        .map(|i| Worker {
            client: DispatchServiceClient::new(run.target.channel(i)),
            name: run.worker(i),
            desks: desks.clone(),
            unit: i % desks.units.len(),
            batch: args.batch,
            held: VecDeque::new(),
            claims: Claims::default(),
            dry_pulls: 0,
        })
        .collect();
    let started = std::time::SystemTime::now();
    let (done, spent) = run.clock(workers, args).await?;

    let mut claims = Claims::default();
    for worker in done.clients {
        claims.merge(worker.claims);
    }
    let signers =
        claims::signers(&run.target, &claims, started, run.concurrency, run.progress).await?;
    let double = claims::double_claims(&claims, &signers, &desks.backlog);

    let record = &done.record;
    let claimed = record.counted("claimed");
    let mut report = run.report(args, record, done.elapsed, spent.as_ref());
    report.throughput_in("tickets claimed", claimed, done.elapsed);
    report.extra("claimed", claimed);
    report.extra("replied", record.counted("replied"));
    report.extra("backlog", backlog.tickets.len());
    report.extra(
        "backlog_drained",
        desks.unclaimed.load(Ordering::Relaxed) <= 0,
    );
    report.extra("units", desks.units.len());
    report.extra("batch", args.batch);
    report.extra(
        "rpc_per_s",
        (report.requests as f64 / done.elapsed.as_secs_f64().max(1e-9)).round(),
    );
    report.extra("claims_checked", signers.len());
    report.extra("double_claims", double.len());
    if !double.is_empty() {
        for claim in double.iter().take(SHOWN_DOUBLE_CLAIMS) {
            eprintln!("double claim: ticket {}: {}", claim.ticket, claim.why);
        }
        report.failure = Some(format!(
            "{} of {} claimed tickets were claimed more than once",
            double.len(),
            signers.len()
        ));
    }
    Ok(report)
}
