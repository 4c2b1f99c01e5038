//! `hotline serve`, `hotline migrate`, `hotline units` and `hotline rates`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::config::{self, FileConfig};
use crate::server::{self, ServerConfig};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Optional TOML file with the same keys (listen, metrics_listen, metrics, database_url,
    /// units, rules, routing, deadlines, assessment, calls, partners, shutdown_grace_seconds,
    /// scan_interval_seconds, rate_gauges_seconds, health_interval_seconds, intake_batch_max,
    /// intake_linger_micros, intake_writers, knowledge_review_days,
    /// knowledge_refresh_seconds, remembered_tickets, tls_cert, tls_key, tls_client_ca).
    #[arg(long, env = "HOTLINE_CONFIG")]
    config: Option<PathBuf>,
    /// gRPC listen address [default: 127.0.0.1:50051].
    #[arg(long, env = "HOTLINE_LISTEN")]
    listen: Option<SocketAddr>,
    /// Prometheus /metrics listen address [default: 127.0.0.1:9464].
    #[arg(long, env = "HOTLINE_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Serve no /metrics endpoint.
    #[arg(long)]
    no_metrics: bool,
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    rule_files: RuleFileArgs,
    /// Don't reload rule and TLS files when they change on disk (SIGHUP still reloads them).
    #[arg(long, env = "HOTLINE_NO_WATCH")]
    no_watch: bool,
    /// Seconds between two passes of the deadline scanner [default: 30].
    #[arg(long, env = "HOTLINE_SCAN_INTERVAL_SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    scan_interval_seconds: Option<u64>,
    /// Seconds from SIGTERM or Ctrl-C to exit: in-flight calls finish (then are cut off),
    /// leases this daemon granted are given back, the store is closed [default: 10].
    #[arg(long, env = "HOTLINE_SHUTDOWN_GRACE_SECONDS")]
    shutdown_grace_seconds: Option<u64>,
    /// Seconds between two pings of the database by the health probe; while it fails, the
    /// gRPC health service reports NOT_SERVING [default: 5].
    #[arg(long, env = "HOTLINE_HEALTH_INTERVAL_SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    health_interval_seconds: Option<u64>,
    /// Seconds between recomputations of the rate gauges from the database [default: 30].
    #[arg(long, env = "HOTLINE_RATE_GAUGES_SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    rate_gauges_seconds: Option<u64>,
    #[command(flatten)]
    intake: IntakeArgs,
    /// Days after which a published knowledge entry nobody reviewed is listed as stale
    /// (`hotline kb stale`) [default: 180].
    #[arg(long, env = "HOTLINE_KNOWLEDGE_REVIEW_DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    knowledge_review_days: Option<u32>,
    /// Seconds between checks of the database for knowledge entries changed by other
    /// replicas; the search index is rebuilt when they did [default: 30].
    #[arg(long, env = "HOTLINE_KNOWLEDGE_REFRESH_SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    knowledge_refresh_seconds: Option<u64>,
    /// Tickets this daemon remembers from its last reads and writes (a few KB each), so
    /// that a command on the version its caller saw skips reading the ticket again; 0
    /// remembers none [default: 8192].
    #[arg(long, env = "HOTLINE_REMEMBERED_TICKETS", value_parser = clap::value_parser!(u64).range(0..=MAX_REMEMBERED_TICKETS))]
    remembered_tickets: Option<u64>,
    #[command(flatten)]
    tls: TlsArgs,
    #[command(flatten)]
    auth: AuthArgs,
}

/// TLS for gRPC: off unless a certificate and its key are given. SIGHUP, and a change of
/// the files (unless --no-watch), reload them for new connections without a restart.
#[derive(Debug, Args)]
#[command(next_help_heading = "TLS")]
pub struct TlsArgs {
    /// PEM certificate chain of the daemon (with --tls-key).
    #[arg(long, env = "HOTLINE_TLS_CERT", value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate (with --tls-cert).
    #[arg(long, env = "HOTLINE_TLS_KEY", value_name = "PEM")]
    tls_key: Option<PathBuf>,
    /// PEM CA certificate(s): clients must present a certificate signed by one (mutual TLS).
    #[arg(long, env = "HOTLINE_TLS_CLIENT_CA", value_name = "PEM")]
    tls_client_ca: Option<PathBuf>,
}

impl TlsArgs {
    /// Flags win over the `--config` file's keys; the certificate and key come together.
    fn files(&self, file: &FileConfig) -> anyhow::Result<Option<crate::tls::TlsFiles>> {
        let cert = self.tls_cert.clone().or(file.tls_cert.clone());
        let key = self.tls_key.clone().or(file.tls_key.clone());
        let client_ca = self.tls_client_ca.clone().or(file.tls_client_ca.clone());
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(crate::tls::TlsFiles {
                cert,
                key,
                client_ca,
            })),
            (None, None) if client_ca.is_none() => Ok(None),
            (None, None) => anyhow::bail!(
                "--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first"
            ),
            _ => anyhow::bail!(
                "--tls-cert and --tls-key go together: give both for TLS, or neither for plain-text gRPC"
            ),
        }
    }
}

/// Who may call: every RPC needs `authorization: Bearer <token>` (`hotline token create`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Authentication")]
pub struct AuthArgs {
    /// `tokens`, or `none` to let anyone act as an admin (local experiments only; the
    /// daemon warns loudly) [default: tokens].
    #[arg(long, env = "HOTLINE_AUTH", value_enum, default_value_t = AuthChoice::Tokens)]
    auth: AuthChoice,
    /// Seconds between two readings of the token table: a revoked token is refused within
    /// this (at once on SIGHUP or ReloadRules) [default: 5].
    #[arg(long, env = "HOTLINE_TOKEN_REFRESH_SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    token_refresh_seconds: Option<u64>,
    /// Health checking needs a token too (default: open, for probes).
    #[arg(long, env = "HOTLINE_AUTH_HEALTH")]
    auth_health: bool,
    /// Reflection needs a token too (default: open, so grpcurl can list the API).
    #[arg(long, env = "HOTLINE_AUTH_REFLECTION")]
    auth_reflection: bool,
    /// /metrics needs a centre or admin token too (Prometheus: `authorization` with a
    /// bearer token; default: open).
    #[arg(long, env = "HOTLINE_AUTH_METRICS")]
    auth_metrics: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AuthChoice {
    Tokens,
    None,
}

impl AuthArgs {
    fn config(&self) -> crate::auth::AuthConfig {
        crate::auth::AuthConfig {
            mode: match self.auth {
                AuthChoice::Tokens => crate::auth::AuthMode::Tokens,
                AuthChoice::None => crate::auth::AuthMode::None,
            },
            refresh: self
                .token_refresh_seconds
                .map_or(crate::auth::DEFAULT_REFRESH, std::time::Duration::from_secs),
            health_needs_token: self.auth_health,
            reflection_needs_token: self.auth_reflection,
            metrics_needs_token: self.auth_metrics,
        }
    }
}

/// Group commit: concurrent CreateTicket calls share one transaction (one fsync), and so do
/// concurrent state commands and concurrent PullAssigned calls, each kind with writers of
/// its own; each call is answered once its batch is committed.
#[derive(Debug, Args)]
#[command(next_help_heading = "Intake batching (group commit)")]
pub struct IntakeArgs {
    /// Most creates (or transitions, or pulls) written in one transaction [default: 256].
    #[arg(long, env = "HOTLINE_INTAKE_BATCH_MAX", value_parser = clap::value_parser!(u64).range(1..=4096))]
    intake_batch_max: Option<u64>,
    /// Microseconds a writer waits for more writes before writing a batch; 0 writes what
    /// queued while the previous batch committed [default: 0].
    #[arg(long, env = "HOTLINE_INTAKE_LINGER_MICROS", value_parser = clap::value_parser!(u64).range(0..=100_000))]
    intake_linger_micros: Option<u64>,
    /// Batches of each kind written at once, each on its own connection (PostgreSQL;
    /// SQLite has one writer) [default: 1].
    #[arg(long, env = "HOTLINE_INTAKE_WRITERS", value_parser = clap::value_parser!(u64).range(1..=16))]
    intake_writers: Option<u64>,
}

impl IntakeArgs {
    /// Flags (and their environment variables) win over the `--config` file's keys.
    fn batching(&self, file: &FileConfig) -> crate::store::Batching {
        let defaults = crate::store::Batching::default();
        crate::store::Batching {
            max_batch: self
                .intake_batch_max
                .map(|n| n as usize)
                .or(file.intake_batch_max)
                .unwrap_or(defaults.max_batch),
            linger: self
                .intake_linger_micros
                .or(file.intake_linger_micros)
                .map_or(defaults.linger, std::time::Duration::from_micros),
            writers: self
                .intake_writers
                .map(|n| n as usize)
                .or(file.intake_writers)
                .unwrap_or(defaults.writers),
        }
    }
}

/// The rule files; each defaults to `config/<name>.toml` if present, else the copy built
/// into the binary.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Rule files (reloaded on SIGHUP, on change, or by ReloadRules)")]
pub struct RuleFileArgs {
    /// Unit catalogue [default: config/units.toml].
    #[arg(long, env = "HOTLINE_UNITS", value_name = "FILE")]
    pub units: Option<PathBuf>,
    /// Classification rules [default: config/rules.toml].
    #[arg(long, env = "HOTLINE_RULES", value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Dispatch catalogue [default: config/routing.toml].
    #[arg(long, env = "HOTLINE_ROUTING", value_name = "FILE")]
    pub routing: Option<PathBuf>,
    /// Time limits and working-day calendar [default: config/deadlines.toml].
    #[arg(long, env = "HOTLINE_DEADLINES", value_name = "FILE")]
    pub deadlines: Option<PathBuf>,
    /// Rate weights, callback policy and targets [default: config/assessment.toml].
    #[arg(long, env = "HOTLINE_ASSESSMENT", value_name = "FILE")]
    pub assessment: Option<PathBuf>,
    /// Call lines, their targets, missed-call window, callback channels [default: config/calls.toml].
    #[arg(long, env = "HOTLINE_CALLS", value_name = "FILE")]
    pub calls: Option<PathBuf>,
    /// Partner centres of regional linkage (区域联动) [default: config/partners.toml].
    #[arg(long, env = "HOTLINE_PARTNERS", value_name = "FILE")]
    pub partners: Option<PathBuf>,
}

impl RuleFileArgs {
    /// Flags (and their environment variables) win over the `--config` file's keys.
    pub fn paths(self, file: &FileConfig) -> crate::rules::RulePaths {
        crate::rules::RulePaths {
            units: self.units.or_else(|| file.units.clone()),
            rules: self.rules.or_else(|| file.rules.clone()),
            routing: self.routing.or_else(|| file.routing.clone()),
            deadlines: self.deadlines.or_else(|| file.deadlines.clone()),
            assessment: self.assessment.or_else(|| file.assessment.clone()),
            calls: self.calls.or_else(|| file.calls.clone()),
            partners: self.partners.or_else(|| file.partners.clone()),
        }
    }
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// sqlite://FILE?mode=rwc or postgres://USER@HOST:PORT/DB [default: sqlite://hotline.db?mode=rwc].
    #[arg(long, env = "HOTLINE_DATABASE_URL")]
    database_url: Option<String>,
}

impl DatabaseArgs {
    /// The URL given, or the default database.
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| config::DEFAULT_DATABASE_URL.to_string())
    }
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum UnitsCommand {
    /// Validate a units file and report the first error with its line and key.
    Check {
        /// File to check [default: config/units.toml].
        #[arg(default_value = config::DEFAULT_UNITS_PATH)]
        file: PathBuf,
    },
    /// List the units of a catalogue.
    List {
        /// File to read [default: config/units.toml if present, else the built-in copy].
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RatesCommand {
    /// Recompute the rate counts from the event log and replace them, reporting how many
    /// rows were wrong (0: the counts kept by each transition were exact). Rate writes
    /// wait while it runs. Use it after an upgrade from a version without the counts.
    Rebuild(MigrateArgs),
    /// Validate an assessment file (weights, callback policy, targets) and show it.
    Assessment {
        /// File to read [default: config/assessment.toml if present, else the built-in copy].
        file: Option<PathBuf>,
    },
}

/// At a few KB a ticket, a few GB: more is a typo, not a plan.
const MAX_REMEMBERED_TICKETS: u64 = 1_000_000;

/// The flag wins over the `--config` file's key, which gets the flag's bounds.
fn remembered_tickets(flag: Option<u64>, file: &FileConfig) -> anyhow::Result<usize> {
    let Some(count) = flag.or(file.remembered_tickets) else {
        return Ok(crate::service::recent_tickets::DEFAULT_CAPACITY);
    };
    anyhow::ensure!(
        count <= MAX_REMEMBERED_TICKETS,
        "remembered_tickets = {count} is more than {MAX_REMEMBERED_TICKETS} tickets"
    );
    Ok(usize::try_from(count)?)
}

fn parse_addr(value: &str) -> SocketAddr {
    value.parse().expect("default addresses are valid")
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let file = match &args.config {
        Some(path) => FileConfig::read(path)?,
        None => FileConfig::default(),
    };
    let metrics_enabled = !args.no_metrics && file.metrics.unwrap_or(true);
    let rule_paths = args.rule_files.paths(&file);
    let intake_batching = args.intake.batching(&file);
    let tls = args.tls.files(&file)?;
    let remembered_tickets = remembered_tickets(args.remembered_tickets, &file)?;
    let config = ServerConfig {
        grpc_addr: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| parse_addr(config::DEFAULT_GRPC_ADDR)),
        metrics_addr: metrics_enabled.then(|| {
            args.metrics_listen
                .or(file.metrics_listen)
                .unwrap_or_else(|| parse_addr(config::DEFAULT_METRICS_ADDR))
        }),
        database_url: args
            .database
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| config::DEFAULT_DATABASE_URL.to_string()),
        rule_paths,
        watch_rules: !args.no_watch,
        tls,
        rate_gauges_every: args
            .rate_gauges_seconds
            .or(file.rate_gauges_seconds)
            .map(std::time::Duration::from_secs)
            .unwrap_or(server::DEFAULT_RATE_GAUGES_EVERY),
        shutdown_grace: args
            .shutdown_grace_seconds
            .or(file.shutdown_grace_seconds)
            .map(std::time::Duration::from_secs)
            .unwrap_or(server::DEFAULT_SHUTDOWN_GRACE),
        scan_interval: args
            .scan_interval_seconds
            .or(file.scan_interval_seconds)
            .map(std::time::Duration::from_secs)
            .unwrap_or(crate::jobs::deadline_scanner::DEFAULT_INTERVAL),
        health_interval: args
            .health_interval_seconds
            .or(file.health_interval_seconds)
            .map(std::time::Duration::from_secs)
            .unwrap_or(crate::jobs::health_probe::DEFAULT_INTERVAL),
        intake_batching,
        knowledge_review_days: args
            .knowledge_review_days
            .or(file.knowledge_review_days)
            .unwrap_or(crate::service::knowledge::DEFAULT_REVIEW_EVERY_DAYS),
        knowledge_refresh: args
            .knowledge_refresh_seconds
            .or(file.knowledge_refresh_seconds)
            .map(std::time::Duration::from_secs)
            .unwrap_or(crate::service::knowledge::DEFAULT_REFRESH_INTERVAL),
        auth: args.auth.config(),
        remembered_tickets,
    };
    let running = server::start(config).await?;
    // A banner for people and scripts; ignore a closed stderr rather than panic.
    let _ = writeln!(
        std::io::stderr(),
        "hotline: gRPC on {}, metrics on {}, {} store",
        running.grpc_addr,
        running
            .metrics_addr
            .map(|a| format!("http://{a}/metrics"))
            .unwrap_or_else(|| "(off)".into()),
        running.store.backend()
    );
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight calls");
    running.shutdown().await
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let url = args
        .database
        .database_url
        .unwrap_or_else(|| config::DEFAULT_DATABASE_URL.to_string());
    let store = crate::store::open(&url).await?;
    say!("{} schema is up to date", store.backend());
    store.close().await;
    Ok(())
}

pub async fn rates(command: RatesCommand) -> anyhow::Result<()> {
    match command {
        RatesCommand::Rebuild(args) => {
            let url = args
                .database
                .database_url
                .unwrap_or_else(|| config::DEFAULT_DATABASE_URL.to_string());
            let store = crate::store::open(&url).await?;
            let report = store.rebuild_rate_counts().await;
            store.close().await;
            let r = report?;
            say!(
                "rate counts rebuilt from {} events of {} tickets: {} rows, {} changed",
                r.events,
                r.tickets,
                r.rows,
                r.rows_changed
            );
            Ok(())
        }
        RatesCommand::Assessment { file } => {
            let rules = config::load_rule_set(&crate::rules::RulePaths {
                assessment: file,
                ..Default::default()
            })?;
            print!("{}", assessment_table(&rules));
            Ok(())
        }
    }
}

/// The assessment in force, as people read it.
fn assessment_table(rules: &crate::rules::RuleSet) -> String {
    use crate::domain::UnitKind;
    let a = &rules.assessment;
    let callbacks = rules.policy.callbacks;
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "unit class",
        "响应率 target",
        "解决率 target",
        "满意率 target",
    ]);
    for kind in [
        UnitKind::SubCentre,
        UnitKind::Department,
        UnitKind::District,
        UnitKind::Street,
        UnitKind::Enterprise,
    ] {
        let t = a.targets.for_kind(kind);
        let pct = |v: f64| format!("{:.1}%", v * 100.0);
        table.add_row([
            kind.to_string(),
            pct(t.response),
            pct(t.resolution),
            pct(t.satisfaction),
        ]);
    }
    let c = &a.composite;
    let h = &a.hot_issues;
    format!(
        "{}: valid\n满意率 = (满意 + {} × 基本满意) ÷ callbacks in scope\n\
         reopen_when_dissatisfied = {}, reopen_when_unresolved = {}\n{table}\n\
         monthly score = 100 × ({} × 响应率 + {} × 解决率 + {} × 满意率) − min({}, \
         {} × overdue + {} × improper returns)\n\
         hot issues: at least {} requests, top {}; repeats: at least {} requests, top {}\n",
        rules
            .source_of("assessment")
            .map(ToString::to_string)
            .unwrap_or_default(),
        a.weights.basically_satisfied,
        reopen_code(callbacks.when_dissatisfied),
        reopen_code(callbacks.when_unresolved),
        c.response,
        c.resolution,
        c.satisfaction,
        c.max_deduction,
        c.overdue_points,
        c.improper_return_points,
        h.min_volume,
        h.top,
        h.repeat_min_requests,
        h.repeat_top,
    )
}

/// The value as the assessment file spells it.
fn reopen_code(reopen: crate::domain::policy::Reopen) -> String {
    serde_json::to_value(reopen)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn units(command: UnitsCommand) -> anyhow::Result<()> {
    match command {
        UnitsCommand::Check { file } => {
            let catalog = config::read_units(&file)?;
            say!("{}: {} units, valid", file.display(), catalog.len());
            Ok(())
        }
        UnitsCommand::List { file, json } => {
            let source = crate::rules::Source::resolve(file.as_deref(), config::DEFAULT_UNITS_PATH);
            let catalog = config::units_from(&source)?;
            if json {
                let units: Vec<_> = catalog.iter().collect();
                say!("{}", serde_json::to_string_pretty(&units)?);
                return Ok(());
            }
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            table.set_header(["id", "kind", "name", "parent", "region", "hotline"]);
            for unit in catalog.iter() {
                table.add_row([
                    unit.id.as_str(),
                    unit.kind.into(),
                    unit.name.as_str(),
                    unit.parent.as_deref().unwrap_or(""),
                    unit.region.as_deref().unwrap_or(""),
                    unit.hotline.as_deref().unwrap_or(""),
                ]);
            }
            say!("{table}");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(remembered: Option<u64>) -> FileConfig {
        FileConfig {
            remembered_tickets: remembered,
            ..FileConfig::default()
        }
    }

    #[test]
    fn remembered_tickets_come_from_the_flag_then_the_file_then_the_default() {
        let default = crate::service::recent_tickets::DEFAULT_CAPACITY;
        assert_eq!(remembered_tickets(None, &file(None)).unwrap(), default);
        assert_eq!(remembered_tickets(None, &file(Some(0))).unwrap(), 0);
        assert_eq!(remembered_tickets(Some(100), &file(Some(0))).unwrap(), 100);
        let error = remembered_tickets(None, &file(Some(5_000_000))).unwrap_err();
        assert!(error.to_string().contains("5000000"), "{error}");
    }
}
