//! `hotline token create|list|revoke`: the daemon's API tokens, managed directly in the
//! database (like `hotline rates rebuild`), so the first admin token can be made before
//! any daemon runs. A running daemon sees a new token at once and a revoked one within
//! its refresh interval.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::json;

use super::daemon::DatabaseArgs;
use crate::domain::access::Role;
use crate::domain::{Timestamp, validate};
use crate::store::{ApiToken, Store};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret on stdout, once (only its SHA-256 is stored):
    /// `export HOTLINE_TOKEN=$(hotline token create --name me --role admin)`.
    Create(CreateArgs),
    /// List the tokens: id, name, role, the secret's last four characters, created and
    /// revoked (never a secret).
    List(ListArgs),
    /// Revoke a token by name or id. A running daemon refuses it within its refresh
    /// interval (--token-refresh-seconds), at once after SIGHUP.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A name for the token, recorded on every event it causes (`token:NAME`).
    #[arg(long)]
    name: String,
    /// agent, unit:<unit id>, centre or admin (see README.md, Security).
    #[arg(long)]
    role: String,
    /// Unit catalogue that `unit:<id>` is checked against [default: config/units.toml if
    /// present, else the built-in copy].
    #[arg(long, env = "HOTLINE_UNITS", value_name = "FILE")]
    units: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Print JSON (with the secret in `token`) instead of the bare secret.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The token's name or id.
    #[arg(value_name = "NAME|ID")]
    token: String,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Print JSON instead of a sentence.
    #[arg(long)]
    json: bool,
}

pub async fn run(command: TokenCommand) -> anyhow::Result<()> {
    let url = match &command {
        TokenCommand::Create(a) => a.database.url(),
        TokenCommand::List(a) => a.database.url(),
        TokenCommand::Revoke(a) => a.database.url(),
    };
    // Checked before the database is opened (and perhaps created).
    let role = match &command {
        TokenCommand::Create(args) => Some(checked_role(args)?),
        _ => None,
    };
    let store = crate::store::open(&url).await?;
    let result = match command {
        TokenCommand::Create(args) => create(&*store, &args, &role.expect("checked")).await,
        TokenCommand::List(args) => list(&*store, args.json).await,
        TokenCommand::Revoke(args) => revoke(&*store, &args).await,
    };
    store.close().await;
    result
}

fn checked_role(args: &CreateArgs) -> anyhow::Result<Role> {
    validate::label("--name", &args.name, true)?;
    let role = Role::parse(&args.role).map_err(|e| anyhow::anyhow!("--{e}"))?;
    if let Role::Unit(unit) = &role {
        let source =
            crate::rules::Source::resolve(args.units.as_deref(), crate::config::DEFAULT_UNITS_PATH);
        let units = crate::config::units_from(&source)?;
        validate::unit("--role unit", unit, &units)?;
    }
    Ok(role)
}

async fn create(store: &dyn Store, args: &CreateArgs, role: &Role) -> anyhow::Result<()> {
    let (token, secret) = crate::auth::issue(store, &args.name, role).await?;
    if args.json {
        let mut shown = token_json(&token);
        shown["token"] = json!(secret);
        say!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        // The secret alone on stdout, for `$(…)`; the words for people on stderr.
        say!("{secret}");
        eprintln!(
            "token `{}` ({}, id {}) created. This is the only time its secret is shown: \
             keep it safe, pass it as HOTLINE_TOKEN or --token.",
            token.name, token.role, token.id
        );
    }
    Ok(())
}

async fn list(store: &dyn Store, json: bool) -> anyhow::Result<()> {
    let tokens = store.list_tokens().await?;
    if json {
        let shown: Vec<_> = tokens.iter().map(token_json).collect();
        say!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["id", "name", "role", "secret", "created", "revoked"]);
    for token in &tokens {
        table.add_row([
            token.id.to_string(),
            token.name.clone(),
            token.role.to_string(),
            format!("…{}", token.hint),
            beijing(token.created_at),
            token.revoked_at.map(beijing).unwrap_or_default(),
        ]);
    }
    say!("{table}");
    Ok(())
}

async fn revoke(store: &dyn Store, args: &RevokeArgs) -> anyhow::Result<()> {
    let token = store
        .revoke_token(&args.token, crate::service::now())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no token is named or numbered `{}`", args.token))?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&token_json(&token))?);
    } else {
        say!(
            "token `{}` ({}) revoked at {}; a running daemon refuses it within its refresh \
             interval, at once after SIGHUP",
            token.name,
            token.role,
            token.revoked_at.map(beijing).unwrap_or_default()
        );
    }
    Ok(())
}

fn token_json(token: &ApiToken) -> serde_json::Value {
    json!({
        "id": token.id,
        "name": token.name,
        "role": token.role.to_string(),
        "hint": token.hint,
        "created_at": token.created_at.to_rfc3339(),
        "revoked_at": token.revoked_at.map(|t| t.to_rfc3339()),
    })
}

/// An instant in Beijing time, as the other tables show them.
fn beijing(at: Timestamp) -> String {
    super::client::beijing::format(Some(&prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }))
}
