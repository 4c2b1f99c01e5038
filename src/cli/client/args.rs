//! Flags shared by the client commands: where the daemon is, how to print, which ticket
//! and version, and who is acting (every action is attributed to a unit and a person).

use clap::Args;

use crate::proto;

#[derive(Debug, Args)]
#[command(next_help_heading = "Daemon")]
pub struct ClientArgs {
    /// gRPC address of the hotline daemon (`hotline serve`); https:// with --tls-ca.
    #[arg(
        long,
        global = true,
        env = "HOTLINE_SERVER",
        default_value = "http://127.0.0.1:50051",
        value_name = "URL"
    )]
    pub server: String,
    /// Print the response as canonical protobuf JSON (grpcurl's mapping) instead of a table;
    /// personal data is not masked there.
    #[arg(long, global = true)]
    pub json: bool,
    /// PEM CA certificate that signed the daemon's certificate, for an https:// --server.
    #[arg(long, global = true, env = "HOTLINE_TLS_CA", value_name = "PEM")]
    pub tls_ca: Option<std::path::PathBuf>,
    /// This client's PEM certificate, for a daemon that requires one (mutual TLS).
    #[arg(
        long,
        global = true,
        env = "HOTLINE_CLIENT_TLS_CERT",
        value_name = "PEM"
    )]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(
        long,
        global = true,
        env = "HOTLINE_CLIENT_TLS_KEY",
        value_name = "PEM"
    )]
    pub tls_key: Option<std::path::PathBuf>,
    /// API token sent as `authorization: Bearer …` (`hotline token create`).
    #[arg(
        long,
        global = true,
        env = "HOTLINE_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
}

impl ClientArgs {
    pub fn tls(&self) -> crate::tls::ClientTls {
        crate::tls::ClientTls {
            ca: self.tls_ca.clone(),
            cert: self.tls_cert.clone(),
            key: self.tls_key.clone(),
        }
    }
}

/// The ticket a state command acts on, and the version the caller saw.
#[derive(Debug, Clone, Copy, Args)]
pub struct TicketRef {
    /// Ticket id.
    #[arg(value_name = "ID")]
    pub id: i64,
    /// The ticket version you last saw (optimistic concurrency): if someone changed the
    /// ticket since, the daemon refuses with ABORTED. Without it the current version is
    /// read first (GetTicket), so the command applies to the ticket as it is now.
    #[arg(long, value_name = "N")]
    pub expect_version: Option<i64>,
}

/// A call-centre agent (ticket commands).
#[derive(Debug, Args)]
#[command(next_help_heading = "Acting as")]
pub struct AgentActor {
    /// Unit the agent works for.
    #[arg(long, default_value = "centre", value_name = "UNIT")]
    pub agent_unit: String,
    /// The agent, recorded in the audit trail.
    #[arg(
        long,
        env = "HOTLINE_PERSON",
        default_value = "agent",
        value_name = "PERSON"
    )]
    pub agent: String,
}

/// Centre staff (dispatch, reviews, supervision, callbacks).
#[derive(Debug, Args)]
#[command(next_help_heading = "Acting as")]
pub struct CentreActor {
    /// Unit acting as the centre.
    #[arg(long, default_value = "centre", value_name = "UNIT")]
    pub as_unit: String,
    /// The operator, recorded in the audit trail.
    #[arg(
        long,
        env = "HOTLINE_PERSON",
        default_value = "operator",
        value_name = "PERSON"
    )]
    pub person: String,
}

/// A handling unit's back-office worker.
#[derive(Debug, Args)]
#[command(next_help_heading = "Acting as")]
pub struct UnitActor {
    /// The handling unit acting (an id from config/units.toml).
    #[arg(long, value_name = "UNIT")]
    pub unit: String,
    /// The handler, recorded in the audit trail.
    #[arg(
        long,
        env = "HOTLINE_PERSON",
        default_value = "handler",
        value_name = "PERSON"
    )]
    pub person: String,
}

impl AgentActor {
    pub fn actor(&self) -> proto::Actor {
        proto::Actor {
            unit: self.agent_unit.clone(),
            person: self.agent.clone(),
        }
    }
}

impl CentreActor {
    pub fn actor(&self) -> proto::Actor {
        proto::Actor {
            unit: self.as_unit.clone(),
            person: self.person.clone(),
        }
    }
}

impl UnitActor {
    pub fn actor(&self) -> proto::Actor {
        proto::Actor {
            unit: self.unit.clone(),
            person: self.person.clone(),
        }
    }
}
