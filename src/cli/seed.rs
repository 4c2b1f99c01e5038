//! `hotline seed`: bulk load of realistic historical tickets, for sizing and benchmarks.
//! Generator threads make tickets with the real domain code ([`crate::seed`]) while this
//! task writes them, a block per transaction ([`Store::import_tickets`]), over a bounded
//! channel so that memory stays flat whatever the count.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::client::output;
use super::daemon::{DatabaseArgs, RuleFileArgs};
use crate::config::{self, FileConfig};
use crate::domain::{TicketId, Timestamp};
use crate::seed::{Plan, Seeder};
use crate::store::{ImportedTicket, Store};

#[derive(Debug, Args)]
#[command(
    after_help = "Tickets come from the real classifier, dispatch catalogue and \
state machine with the rule files below; `hotline rates rebuild` afterwards finds the rate \
counts exact. The same flags and --seed give the same tickets."
)]
pub struct SeedArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// How many tickets to add.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    tickets: u64,
    /// Months of history, ending now (or at --until).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
    months: u32,
    /// Seed of the generator: the same seed and flags give the same tickets.
    #[arg(long, default_value_t = 12345)]
    seed: u64,
    /// Share of the tickets still open on a unit's desk (dispatched, signed, responded or
    /// in progress), from 0 to 1: extra requests of the last 5 days, so pulls have work.
    #[arg(long, default_value_t = 0.03, value_parser = share)]
    open_share: f64,
    /// Tickets per transaction.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=20_000))]
    batch: u64,
    /// End of the history, RFC 3339 (e.g. 2026-03-31T18:00:00+08:00) [default: now].
    #[arg(long, value_name = "TIME")]
    until: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Generator threads [default: the number of CPUs].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    threads: Option<u32>,
    /// Add to a database that already holds tickets (new ids follow the highest one).
    #[arg(long)]
    append: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    rule_files: RuleFileArgs,
}

fn share(value: &str) -> Result<f64, String> {
    let share: f64 = value
        .parse()
        .map_err(|_| format!("`{value}` is not a number"))?;
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!("{share} is not between 0 and 1"))
    }
}

/// A SQLite URL that creates its file when missing (`mode=rwc`), unless it names a mode:
/// seeding mostly starts a new database.
fn creating(url: &str) -> String {
    if !url.starts_with("sqlite:") || url.contains("mode=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

/// What was seeded.
#[derive(Debug, Default, Serialize)]
struct Summary {
    backend: &'static str,
    tickets: u64,
    events: u64,
    first_id: TicketId,
    last_id: TicketId,
    /// Earliest creation instant seeded.
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    /// Tickets on a unit's desk (pullable).
    open: u64,
    states: BTreeMap<String, u64>,
    outcomes: BTreeMap<String, u64>,
    seconds: f64,
    tickets_per_second: f64,
}

impl Summary {
    fn add(&mut self, batch: &[ImportedTicket]) {
        for t in batch {
            let ticket = &t.ticket;
            self.tickets += 1;
            self.events += t.events.len() as u64;
            self.open += u64::from(ticket.state.is_pullable());
            *self.states.entry(ticket.state.to_string()).or_default() += 1;
            *self
                .outcomes
                .entry(ticket.disposition.code().to_string())
                .or_default() += 1;
            self.from = Some(
                self.from
                    .map_or(ticket.created_at, |f| f.min(ticket.created_at)),
            );
        }
    }

    fn table(&self) -> String {
        let thousands = |n: u64| {
            let digits = n.to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        };
        let day = |t: Option<Timestamp>| t.map(|t| t.format("%Y-%m-%d").to_string());
        let summary = output::fields(vec![
            ("backend", self.backend.to_string()),
            ("tickets", thousands(self.tickets)),
            ("ids", format!("{}–{}", self.first_id, self.last_id)),
            (
                "history",
                format!(
                    "{} to {}",
                    day(self.from).unwrap_or_default(),
                    day(self.until).unwrap_or_default()
                ),
            ),
            ("events", thousands(self.events)),
            ("open on units' desks", thousands(self.open)),
            (
                "time",
                format!(
                    "{:.1} s, {} tickets/s",
                    self.seconds,
                    thousands(self.tickets_per_second as u64)
                ),
            ),
        ]);
        let mut counts = output::table(&["state", "tickets", "outcome", "tickets"]);
        let states: Vec<_> = self.states.iter().collect();
        let outcomes: Vec<_> = self.outcomes.iter().collect();
        for i in 0..states.len().max(outcomes.len()) {
            let cell = |list: &[(&String, &u64)], i: usize| {
                list.get(i)
                    .map(|(k, v)| (k.to_string(), thousands(**v)))
                    .unwrap_or_default()
            };
            let (state, n) = cell(&states, i);
            let (outcome, m) = cell(&outcomes, i);
            counts.add_row([state, n, outcome, m]);
        }
        format!("{summary}\n{counts}")
    }
}

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let rules = Arc::new(config::load_rule_set(
        &args.rule_files.clone().paths(&FileConfig::default()),
    )?);
    let json = args.json;
    let store = crate::store::open(&creating(&args.database.url())).await?;
    let outcome = seed(store.as_ref(), rules, &args).await;
    store.close().await;
    let summary = outcome?;
    if json {
        say!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        say!("{}", summary.table());
    }
    Ok(())
}

/// Wait, with a bounded channel, for this many blocks per generator thread.
const QUEUED_BLOCKS_PER_THREAD: usize = 2;

async fn seed(
    store: &dyn Store,
    rules: Arc<crate::rules::RuleSet>,
    args: &SeedArgs,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let highest = store.max_ticket_id().await?;
    if highest > 0 && !args.append {
        anyhow::bail!(
            "the database already holds tickets (ids up to {highest}): add --append to seed \
             more after them"
        );
    }
    let until = args
        .until
        .map(|t| t.to_utc())
        .unwrap_or_else(crate::service::now);
    let plan = Plan {
        tickets: args.tickets,
        first_id: highest + 1,
        months: args.months,
        seed: args.seed,
        open_share: args.open_share,
        until,
        block: args.batch,
    };
    let seeder = Arc::new(Seeder::new(plan, rules)?);
    let threads = args
        .threads
        .map(|n| n as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<anyhow::Result<Vec<ImportedTicket>>>(
        threads * QUEUED_BLOCKS_PER_THREAD,
    );
    let blocks = seeder.blocks();
    let workers: Vec<_> = (0..threads as u64)
        .map(|worker| {
            let (seeder, sender) = (seeder.clone(), sender.clone());
            std::thread::Builder::new()
                .name(format!("seed-{worker}"))
                .spawn(move || {
                    for block in (worker..blocks).step_by(threads) {
                        let tickets = seeder.block(block);
                        let failed = tickets.is_err();
                        // The writer stopped (an error): nothing more to do.
                        if sender.blocking_send(tickets).is_err() || failed {
                            break;
                        }
                    }
                })
                .context("starting a generator thread")
        })
        .collect::<anyhow::Result<_>>()?;
    drop(sender);

    let bar = ProgressBar::new(args.tickets);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/{human_len} tickets, \
             {per_sec}, ETA {eta}",
        )?
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut summary = Summary {
        backend: store.backend(),
        first_id: highest + 1,
        last_id: highest + args.tickets as TicketId,
        until: Some(until),
        ..Summary::default()
    };
    let written = async {
        while let Some(tickets) = receiver.recv().await {
            let tickets = tickets?;
            store.import_tickets(&tickets).await?;
            summary.add(&tickets);
            bar.inc(tickets.len() as u64);
        }
        anyhow::Ok(())
    }
    .await;
    bar.finish_and_clear();
    // Unblocks generators waiting to send, so they see the channel closed and stop.
    drop(receiver);
    let panicked = workers.into_iter().any(|w| w.join().is_err());
    written?;
    anyhow::ensure!(
        !panicked && summary.tickets == args.tickets,
        "a generator thread failed: {} of {} tickets were written",
        summary.tickets,
        args.tickets
    );
    store.refresh_statistics().await?;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.tickets_per_second = summary.tickets as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::creating;

    #[test]
    fn sqlite_files_are_created_unless_a_mode_is_given() {
        assert_eq!(creating("sqlite:x.db"), "sqlite:x.db?mode=rwc");
        assert_eq!(
            creating("sqlite://data/x.db?cache=shared"),
            "sqlite://data/x.db?cache=shared&mode=rwc"
        );
        assert_eq!(creating("sqlite://x.db?mode=ro"), "sqlite://x.db?mode=ro");
        assert_eq!(creating("postgres://u@h/db"), "postgres://u@h/db");
    }
}
