//! Intake throughput straight on the store, without gRPC: `--concurrency` tasks call
//! `Store::create_ticket` in a closed loop for `--seconds`, then it prints tickets per
//! second and latency percentiles. A temporary SQLite file unless `--database-url` names
//! a database (for PostgreSQL, an empty one made for the run).
//!
//! `cargo run --release --example intake_store -- --concurrency 64 --seconds 5`

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use hotline::domain::intake::{self, Opened};
use hotline::domain::lifecycle::Context;
use hotline::domain::{
    Actor, Channel, Disposition, Intake, PolicyDomain, RequestType, Requester, Urgency,
};
use hotline::rules::{RulePaths, RuleSet};
use hotline::store::{Batching, NewTicket};

#[derive(Parser)]
#[command(about = "Concurrent CreateTicket throughput on the store alone")]
struct Args {
    /// Database to write to [default: a temporary SQLite file].
    #[arg(long)]
    database_url: Option<String>,
    /// Concurrent callers.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long to run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Most creates per transaction [default: the store's].
    #[arg(long)]
    max_batch: Option<usize>,
    /// Microseconds a writer lingers for more creates [default: the store's].
    #[arg(long)]
    linger_micros: Option<u64>,
    /// Batches written at once [default: the store's].
    #[arg(long)]
    writers: Option<usize>,
}

/// Streets of 玄武区 with the categories they take, so rate rows spread over a few keys.
const TARGETS: [(&str, &str, &str); 3] = [
    ("320102001", "xuanwu-01", "urban_rural_construction"),
    ("320102002", "xuanwu-02", "urban_management"),
    ("320102003", "xuanwu-03", "environmental_protection"),
];

fn opened(rules: &RuleSet, n: usize) -> Opened {
    let (region, unit, category) = TARGETS[n % TARGETS.len()];
    let intake = Intake {
        channel: Channel::Phone,
        line: "12345".into(),
        request_type: RequestType::Complaint,
        policy_domain: PolicyDomain::SocialAdministration,
        category: category.into(),
        topic: String::new(),
        urgency: Urgency::General,
        title: format!("{category}问题 {n}"),
        description: "市民反映小区门口道路破损积水，出行不便，请尽快处理。".into(),
        region: region.into(),
        address: "南京市玄武区中山路1号".into(),
        requester: Requester {
            name: "王女士".into(),
            phone: format!("138{:08}", n % 100_000_000),
            id_number: String::new(),
            confidential: false,
        },
    };
    let actor = Actor {
        unit: "centre".into(),
        person: "agent 01".into(),
    };
    let ctx = Context {
        actor: &actor,
        principal: "example",
        units: &rules.units,
        policy: &rules.policy,
        now: Utc::now(),
    };
    let dispatch = Disposition::Dispatch {
        unit: Some(unit.into()),
        co_units: Vec::new(),
    };
    intake::open(intake, dispatch, None, &ctx).expect("the domain accepts the bench's intake")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Warnings (a batch retried row by row, say) go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .init();
    let dir = tempfile::TempDir::new()?;
    let url = args.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("intake.db").display()
        )
    });
    let defaults = Batching::default();
    let batching = Batching {
        max_batch: args.max_batch.unwrap_or(defaults.max_batch),
        linger: args
            .linger_micros
            .map_or(defaults.linger, Duration::from_micros),
        writers: args.writers.unwrap_or(defaults.writers),
    };
    let store = hotline::store::open_with(&url, batching).await?;
    let rules = Arc::new(hotline::config::load_rule_set(&RulePaths::default())?);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for caller in 0..args.concurrency {
        let (store, rules) = (store.clone(), rules.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = caller;
            while Instant::now() < deadline {
                let opened = opened(&rules, n);
                let request_id = format!("bench-{caller}-{n}");
                let sent = Instant::now();
                store
                    .create_ticket(NewTicket {
                        ticket: &opened.ticket,
                        events: &opened.events,
                        request_id: &request_id,
                        fingerprint: "bench",
                    })
                    .await
                    .expect("create_ticket");
                latencies.push(sent.elapsed());
                n += 1_000_000;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let stats = store.intake_stats();
    println!(
        "{} {} callers, {batching:?}: {} tickets in {:.1} s = {:.0}/s; latency p50 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms; {:.1} per batch",
        store.backend(),
        args.concurrency,
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        stats.jobs as f64 / stats.batches.max(1) as f64,
    );
    store.close().await;
    Ok(())
}
