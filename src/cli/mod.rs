//! Command-line interface: `serve` and `migrate` run the daemon side; the other commands
//! are gRPC clients of a running daemon, with aligned tables for people and `--json` for
//! scripts.

mod daemon;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "hotline",
    version,
    about = "12345 government service hotline: ticket flow daemon and clients"
)]
pub struct Cli {
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `hotline=debug`.
    #[arg(long, global = true, env = "HOTLINE_LOG", default_value = "info")]
    pub log: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: gRPC API, health, reflection and /metrics.
    Serve(daemon::ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(daemon::MigrateArgs),
    /// Inspect and validate the unit catalogue (config/units.toml).
    #[command(subcommand)]
    Units(daemon::UnitsCommand),
}

pub fn init_tracing(cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr so that stdout stays clean for tables and JSON.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => daemon::serve(args).await,
        Command::Migrate(args) => daemon::migrate(args).await,
        Command::Units(command) => daemon::units(command),
    }
}
