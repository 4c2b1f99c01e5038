//! `hotline callback …`: 回访, the requester's verdict on an answered ticket
//! (FeedbackService).

use clap::{ArgGroup, Args, Subcommand};

use super::args::{CentreActor, ClientArgs, TicketRef};
use super::connection::Client;
use super::vocabulary::SATISFACTION;
use crate::proto;

#[derive(Debug, Args)]
pub struct CallbackCommand {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: CallbackAction,
}

#[derive(Debug, Subcommand)]
enum CallbackAction {
    /// Record the callback: was the matter resolved, how satisfied is the requester. Closes
    /// the ticket (办结), or with --reopen sends an unresolved or dissatisfied one back for
    /// rework (重办).
    Record(RecordArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("outcome").required(true).args(["resolved", "unresolved"])))]
struct RecordArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// The requester says the matter is resolved (counts towards 解决率).
    #[arg(long)]
    resolved: bool,
    /// The requester says it is not resolved.
    #[arg(long)]
    unresolved: bool,
    /// 满意 satisfied, 基本满意 basically_satisfied, 不满意 dissatisfied, or declined
    /// (refused or unreachable: outside the satisfaction rate, never counted as dissatisfied).
    #[arg(long, value_parser = SATISFACTION.parser())]
    satisfaction: i32,
    /// Reopen the ticket for rework (重办) instead of closing it; only for an unresolved or
    /// dissatisfied verdict.
    #[arg(long)]
    reopen: bool,
    /// What the requester said.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    #[command(flatten)]
    actor: CentreActor,
}

impl CallbackCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        match self.action {
            CallbackAction::Record(args) => record(&client, args).await,
        }
    }
}

async fn record(client: &Client, args: RecordArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::RecordCallbackRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
                resolved: args.resolved,
                satisfaction: args.satisfaction,
                reopen: args.reopen,
                note: args.note.unwrap_or_default(),
            };
            client.feedback().record_callback(request).await
        })
        .await
}
