//! `hotline bench-load`: drives a daemon over gRPC with concurrent clients for a set time
//! (or number of calls) and reports throughput, latency percentiles and errors.
//!
//! One file per job: [`args`] (flags), [`target`] (the daemon and its connections),
//! [`runner`] (the clients and the clock), [`record`] and [`latency`] (what was seen),
//! [`report`] (table and JSON), [`server_use`] (what the daemon spent, from its metrics);
//! the scenarios [`echo`], [`intake`], [`pull`] and [`mixed`], with what they share:
//! [`backlog`] (work prepared before the clock), [`desk`] (a back-office's next step),
//! [`mix`] (the mixed shares) and [`claims`] (the double-claim check).

mod args;
mod backlog;
mod claims;
mod desk;
mod echo;
mod intake;
mod latency;
mod mix;
mod mixed;
mod progress;
mod pull;
mod record;
mod report;
mod runner;
mod server_use;
mod target;

use std::time::Duration;

use anyhow::bail;
use serde_json::{Map, Value};

pub use args::{BenchLoadArgs, Scenario};
use record::Record;
use report::Report;
use target::Target;

use crate::domain::UnitCatalog;
use crate::proto;
use crate::rules::Source;
use crate::synth::Generator;

/// What every scenario of one run shares.
pub struct Run {
    pub target: Target,
    pub concurrency: usize,
    /// Progress bars on stderr (never with --json).
    pub progress: bool,
    /// Tells this run's request ids and workers from those of earlier runs on the same daemon.
    id: String,
    seed: u64,
    /// Where synthetic requests take place: the units the in-process daemon loads too.
    units: UnitCatalog,
    /// The daemon's metrics, read around the clock (--server-metrics).
    probe: Option<server_use::Probe>,
}

impl Run {
    fn new(target: Target, args: &BenchLoadArgs) -> anyhow::Result<Run> {
        let units = match Source::resolve(None, crate::config::DEFAULT_UNITS_PATH) {
            Source::File(path) => crate::config::read_units(&path)?,
            Source::BuiltIn => crate::config::built_in_units(),
        };
        let id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        let probe = args
            .server_metrics
            .as_deref()
            .map(|addr| server_use::Probe::new(addr, args.token.clone()))
            .transpose()?;
        Ok(Run {
            target,
            concurrency: args.concurrency as usize,
            progress: !args.json,
            id,
            seed: args.seed,
            units,
            probe,
        })
    }

    /// Runs the clients on the clock; with --server-metrics, reads the daemon's use of
    /// CPU and memory just before and just after, so preparation (a backlog) is not in it.
    /// The second value is what the daemon spent, for [`Run::report`].
    async fn clock<C: runner::Client>(
        &self,
        clients: Vec<C>,
        args: &BenchLoadArgs,
    ) -> anyhow::Result<(runner::Finished<C>, Option<server_use::Spent>)> {
        let before = match &self.probe {
            Some(probe) => Some(probe.read().await?),
            None => None,
        };
        let finished = runner::run(clients, self.limits(args)).await?;
        let spent = match (&self.probe, before) {
            (Some(probe), Some(before)) => Some(server_use::Spent {
                before,
                after: probe.read().await?,
            }),
            _ => None,
        };
        Ok((finished, spent))
    }

    /// A seed of its own for each client and purpose, all derived from --seed.
    fn seed_for(&self, client: usize, purpose: &str) -> u64 {
        let salt = purpose.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        self.seed ^ salt ^ (client as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    fn generator(&self, client: usize, purpose: &str) -> Generator {
        Generator::with_units(self.seed_for(client, purpose), &self.units)
    }

    /// The call-centre agent client `client` plays.
    fn agent(&self, client: usize) -> proto::Actor {
        proto::Actor {
            unit: self.units.centre().id.clone(),
            person: format!("bench-agent-{client}"),
        }
    }

    /// The back-office worker client `client` plays (recorded in leases and events).
    fn worker(&self, client: usize) -> String {
        format!("bench-{}-w{client}", self.id)
    }

    /// Fresh CreateTicket request ids, never reused.
    fn request_ids(
        &self,
        client: usize,
        purpose: &str,
    ) -> impl Iterator<Item = String> + Send + 'static {
        let prefix = format!("bench-{}-{purpose}-{client}", self.id);
        (0u64..).map(move |n| format!("{prefix}-{n}"))
    }

    fn limits(&self, args: &BenchLoadArgs) -> runner::Limits {
        runner::Limits {
            duration: args.duration,
            requests: args.requests,
            rate: args.rate,
            progress: self.progress,
        }
    }

    fn report(
        &self,
        args: &BenchLoadArgs,
        record: &Record,
        elapsed: Duration,
        spent: Option<&server_use::Spent>,
    ) -> Report {
        let mut report = Report::new(
            args.scenario.name(),
            args.concurrency,
            &self.target.describe,
            record,
            elapsed,
        );
        if let Some(rate) = args.rate {
            report.extra("offered_rate", rate);
        }
        if let Some(spent) = spent {
            server_use::add_to(&mut report, spent);
        }
        report
    }
}

/// The counts recorded under `prefix` ("outcome.dispatch" → "dispatch").
fn counts_under(record: &Record, prefix: &str) -> Value {
    let counts: Map<String, Value> = record
        .counts
        .iter()
        .filter_map(|(k, n)| Some((k.strip_prefix(prefix)?.to_string(), Value::from(*n))))
        .collect();
    Value::Object(counts)
}

pub async fn run(args: BenchLoadArgs) -> anyhow::Result<()> {
    if args.duration.is_zero() {
        bail!("--duration must be longer than zero");
    }
    let run = Run::new(Target::open(&args).await?, &args)?;
    if let Some(probe) = &run.probe
        && args.backlog_size().is_some()
    {
        // A wrong --server-metrics fails now, not after a backlog of minutes; without a
        // backlog, the reading before the clock comes at once.
        probe.read().await?;
    }
    let outcome = match args.scenario {
        Scenario::Echo => echo::run(&run, &args).await,
        Scenario::Intake => intake::run(&run, &args).await,
        Scenario::Pull => pull::run(&run, &args).await,
        Scenario::Mixed => mixed::run(&run, &args).await,
    };
    let closed = run.target.close().await;
    let report = outcome?;
    if args.json {
        say!("{}", report.json_line()?);
    } else {
        say!("{}", report.tables());
    }
    closed?;
    if let Some(failure) = report.failure {
        bail!(failure);
    }
    Ok(())
}
