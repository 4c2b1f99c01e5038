//! Command-line interface: `serve`, `migrate` and `seed` run the daemon side; the other commands
//! are gRPC clients of a running daemon, with aligned tables for people and `--json` for
//! scripts.

/// `println!` for command output: a reader that went away (`hotline units list | head -1`)
/// ends the command quietly, as with any Unix tool, instead of a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

mod bench;
mod client;
mod daemon;
mod deadlines;
mod seed;
mod token;
mod triage;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "hotline",
    version,
    about = "12345 government service hotline: ticket flow daemon and clients"
)]
pub struct Cli {
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `hotline=debug` [default: info;
    /// warn for bench-load, whose in-process daemon would log every call].
    #[arg(long, global = true, env = "HOTLINE_LOG")]
    pub log: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: gRPC API, health, reflection and /metrics.
    Serve(Box<daemon::ServeArgs>),
    /// Create or upgrade the database schema, then exit.
    Migrate(daemon::MigrateArgs),
    /// Inspect and validate the unit catalogue (config/units.toml).
    #[command(subcommand)]
    Units(daemon::UnitsCommand),
    /// Classify a request's text as the server would: outcome, type, domain, category,
    /// topic, and the rules that matched (local rule files; no daemon needed).
    Classify(triage::ClassifyArgs),
    /// Classify and route a request's text: the handling unit, co-units and copies.
    Route(triage::RouteArgs),
    /// Inspect and validate the time limits and calendar (config/deadlines.toml).
    #[command(subcommand)]
    Deadlines(deadlines::DeadlinesCommand),
    /// The rate counts in the database (rebuild) and the assessment file (config/assessment.toml).
    #[command(subcommand)]
    Rates(daemon::RatesCommand),
    /// Bulk-load realistic historical tickets (months of closed loops, some still open) into
    /// the database, for sizing and benchmarks.
    Seed(seed::SeedArgs),
    /// Agent console: create (受理), show, search, merge (并单) and transfer tickets.
    Ticket(client::TicketCommand),
    /// A handling unit's back office: pull, watch, sign (签收), respond, handle, reply (反馈),
    /// return (退单), escalate (提级), extend (延期).
    Unit(client::UnitCommand),
    /// The 12345 centre: dispatch (派单/改派), review returns, replies and extensions,
    /// supervise (督办), archive, and the centre's queue.
    Centre(client::CentreCommand),
    /// Callbacks (回访): record the requester's verdict (closes or reopens the ticket), and
    /// the callback tasks waiting in the phone, SMS and voice channels.
    Callback(client::CallbackCommand),
    /// Regional linkage (区域联动): hand-offs to partner centres, pending or sent.
    Linkage(client::LinkageCommand),
    /// Call lines (话务): per-line statistics, and the missed-call callback queue (漏接回拨).
    Calls(client::CallsCommand),
    /// The three rates (三率) by unit, region or category, the overdue list, supervision, and
    /// the monthly assessment (月度考核).
    Report(client::ReportCommand),
    /// Knowledge base (知识库): import and export CSV, search, list stale entries.
    Kb(client::KbCommand),
    /// Ask the daemon's health service whether it serves (exit status 0 if SERVING).
    Health(client::HealthCommand),
    /// API tokens: create (the secret is shown once), list, revoke. Works on the database
    /// directly, so the first admin token can be made before the daemon starts.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Load test: concurrent gRPC clients for a set time; throughput, p50/p90/p99/max
    /// latency and errors (scenarios echo, intake, pull, mixed).
    ///
    /// Without --addr it starts a daemon in this process, on a temporary SQLite database (or
    /// --database-url), and stops it at the end; with --addr it drives a running daemon on
    /// loopback. With --json the last line on stdout is one JSON object: throughput,
    /// p50_ms, p90_ms, p99_ms, max_ms, errors, requests, scenario, concurrency, duration_s,
    /// per-call figures and the scenario's own (outcomes, claimed, double_claims…). A pull
    /// run that finds a double claim exits with an error.
    BenchLoad(bench::BenchLoadArgs),
}

pub fn init_tracing(cli: &Cli) {
    use std::io::IsTerminal;
    let default = match cli.command {
        Command::BenchLoad(_) => "warn",
        _ => "info",
    };
    let mut directives = cli.log.clone().unwrap_or_else(|| default.to_string());
    if matches!(cli.command, Command::Seed(_)) {
        // Bulk INSERTs outlast sqlx's slow-statement threshold by design, and its warning
        // prints the whole statement.
        directives.push_str(",sqlx::query=error");
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr so that stdout stays clean for tables and JSON. A log write that
    // fails (stderr closed, collector gone) is dropped: reporting it would itself write to
    // stderr and panic, taking a request, or the daemon, down with it.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false)
        .init();
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => daemon::serve(*args).await,
        Command::Migrate(args) => daemon::migrate(args).await,
        Command::Units(command) => daemon::units(command),
        Command::Classify(args) => triage::classify(args),
        Command::Route(args) => triage::route(args),
        Command::Deadlines(command) => deadlines::run(command),
        Command::Rates(command) => daemon::rates(command).await,
        Command::Seed(args) => seed::run(args).await,
        Command::Ticket(command) => command.run().await,
        Command::Unit(command) => command.run().await,
        Command::Centre(command) => command.run().await,
        Command::Callback(command) => command.run().await,
        Command::Calls(command) => command.run().await,
        Command::Linkage(command) => command.run().await,
        Command::Report(command) => command.run().await,
        Command::Kb(command) => command.run().await,
        Command::Health(command) => command.run().await,
        Command::Token(command) => token::run(command).await,
        Command::BenchLoad(args) => bench::run(args).await,
    }
}

/// Writes one line of command output (see `say!`).
pub(crate) fn write_stdout(args: std::fmt::Arguments) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: writing the output: {e}");
            std::process::exit(1);
        }
    }
}
