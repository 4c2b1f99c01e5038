//! The flags of `hotline bench-load`.

use std::time::Duration;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// DiagnosticsService.Echo: the gRPC stack alone, the baseline.
    Echo,
    /// CreateTicket with synthetic requests (classified and routed by the server).
    Intake,
    /// Back-offices of many units: PullAssigned, then Sign, Respond, Handle and Reply each
    /// ticket. Throughput counts tickets claimed; double claims are checked from the events.
    Pull,
    /// The real mix: 40% intake, 30% back-office steps (pull, sign, respond, handle, reply),
    /// 10% centre review and callbacks on replied tickets, 15% GetTicket, 5% GetRates for
    /// this month. An operation with nothing to work on yet is an intake instead.
    Mixed,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 && rate <= 1e6 => Ok(rate),
        _ => Err(format!(
            "`{text}` is not a rate between 0 and 1,000,000 calls per second"
        )),
    }
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Echo => "echo",
            Scenario::Intake => "intake",
            Scenario::Pull => "pull",
            Scenario::Mixed => "mixed",
        }
    }
}

/// `hotline bench-load` (its help text is on the command in `cli/mod.rs`).
#[derive(Debug, Args)]
pub struct BenchLoadArgs {
    /// What the clients do.
    #[arg(long, value_enum, default_value = "echo")]
    pub scenario: Scenario,
    /// How long the clock runs: 30s, 2m, 500ms…
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Clients calling at once, each waiting for its answer before the next call.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// Calls per second in all, spread evenly over the clients (each paced at
    /// rate / concurrency), to measure latency at a given load rather than at saturation.
    /// A client whose answer comes late catches up at once, so an overloaded server shows
    /// in the latencies. Unset: each client calls again as soon as it is answered.
    #[arg(long, value_name = "PER_SECOND", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Stop after this many calls even if the clock is still running.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: Option<u64>,
    /// A running daemon to drive (127.0.0.1:50051, [::1]:50051, localhost:50051) instead of
    /// one started in-process. Loopback only: a benchmark across a network measures the
    /// network.
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// The --addr daemon's metrics listener (HOST:PORT, as `serve --metrics-listen`): read
    /// before and after the clock, to report the CPU the daemon spent per request and its
    /// memory. With auth on, --token must be a centre's or an admin's.
    #[arg(long, value_name = "HOST:PORT", requires = "addr")]
    pub server_metrics: Option<String>,
    /// PEM CA certificate of a TLS daemon, for an https:// --addr.
    #[arg(long, value_name = "PEM", requires = "addr")]
    pub tls_ca: Option<std::path::PathBuf>,
    /// API token for --addr (an admin's, so every scenario's calls pass); ignored without
    /// --addr: the in-process daemon makes its own.
    #[arg(
        long,
        env = "HOTLINE_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Database of the in-process daemon [default: SQLite in a temporary directory,
    /// removed afterwards]. The benchmark writes tickets into it.
    #[arg(long, value_name = "URL", conflicts_with = "addr")]
    pub database_url: Option<String>,
    /// pull and mixed: dispatched tickets created (through CreateTicket) before the clock
    /// starts [default: pull: 5,000 per second of --duration, or --requests; mixed: 10 per
    /// client]. A pull run ends early when its backlog is drained.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub backlog: Option<u64>,
    /// pull: tickets leased per PullAssigned call (max_tickets, 1..100).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub batch: u32,
    /// HTTP/2 connections the clients share.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub connections: u32,
    /// echo: bytes of payload each call carries there and back.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub payload_bytes: u32,
    /// Seed of the synthetic requests: the same seed sends the same texts.
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    /// Print one JSON object (the last line on stdout) instead of tables; no progress bars.
    #[arg(long)]
    pub json: bool,
}

impl BenchLoadArgs {
    pub fn tls(&self) -> crate::tls::ClientTls {
        crate::tls::ClientTls {
            ca: self.tls_ca.clone(),
            ..Default::default()
        }
    }

    /// Dispatched tickets to prepare before the clock starts, if the scenario needs any.
    pub fn backlog_size(&self) -> Option<u64> {
        match self.scenario {
            Scenario::Echo | Scenario::Intake => None,
            Scenario::Pull => Some(self.backlog.unwrap_or_else(|| match self.requests {
                Some(n) => n,
                None => PULL_BACKLOG_PER_SECOND * self.duration.as_secs().max(1),
            })),
            Scenario::Mixed => Some(
                self.backlog
                    .unwrap_or(MIXED_BACKLOG_PER_CLIENT * u64::from(self.concurrency)),
            ),
        }
    }
}

/// The pull target rate: a backlog that lasts the run at that rate.
const PULL_BACKLOG_PER_SECOND: u64 = 5_000;
/// Enough for the first back-office steps of a mixed run before its own intake feeds them.
const MIXED_BACKLOG_PER_CLIENT: u64 = 10;

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: BenchLoadArgs,
    }

    fn parse(args: &[&str]) -> BenchLoadArgs {
        Cli::try_parse_from(std::iter::once("bench-load").chain(args.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn the_interface_of_the_issue_parses() {
        let args = parse(&[
            "--scenario",
            "mixed",
            "--duration",
            "30s",
            "--concurrency",
            "64",
            "--addr",
            "127.0.0.1:50051",
            "--json",
        ]);
        assert_eq!(args.scenario, Scenario::Mixed);
        assert_eq!(args.duration, Duration::from_secs(30));
        assert_eq!(args.concurrency, 64);
        assert!(args.json);
        assert_eq!(args.backlog_size(), Some(640));
    }

    #[test]
    fn a_pull_backlog_lasts_the_run_or_the_request_budget() {
        assert_eq!(
            parse(&["--scenario", "pull", "--duration", "2s"]).backlog_size(),
            Some(10_000)
        );
        let bounded = parse(&["--scenario", "pull", "--requests", "300"]);
        assert_eq!(bounded.backlog_size(), Some(300));
        assert_eq!(parse(&["--scenario", "echo"]).backlog_size(), None);
    }

    #[test]
    fn an_external_daemon_has_its_own_database() {
        let cli = Cli::try_parse_from([
            "bench-load",
            "--addr",
            "127.0.0.1:1",
            "--database-url",
            "sqlite://x.db",
        ]);
        assert!(cli.is_err());
    }
}
