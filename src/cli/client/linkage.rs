//! `hotline linkage …`: regional linkage (区域联动), the hand-offs this centre sent to
//! partner centres (LinkageService).

use clap::{Args, Subcommand, ValueEnum};

use super::args::ClientArgs;
use super::beijing;
use super::connection::Client;
use super::output::table;
use crate::proto;

#[derive(Debug, Args)]
pub struct LinkageCommand {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: LinkageAction,
}

#[derive(Debug, Subcommand)]
enum LinkageAction {
    /// Hand-offs to partner centres, newest first: pending ones with their attempts, next
    /// attempt and last error; sent ones with the partner's ticket id.
    List(ListArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StatusArg {
    Pending,
    Sent,
    Replied,
    Done,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only the hand-offs in this status.
    #[arg(long, value_enum)]
    status: Option<StatusArg>,
    /// At most this many, 1-500 [default: 100].
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

impl LinkageCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        match self.action {
            LinkageAction::List(args) => list(&client, args).await,
        }
    }
}

fn list_table(response: &proto::ListHandOffsResponse) -> String {
    let mut t = table(&[
        "Ticket",
        "Partner",
        "Status",
        "Attempts",
        "Next attempt",
        "Partner ticket",
        "Last error",
    ]);
    for h in &response.hand_offs {
        let partner_ticket = match h.partner_ticket_id {
            0 => "-".to_string(),
            id => id.to_string(),
        };
        let next = if h.status == "done" {
            "-".to_string()
        } else {
            beijing::format(h.next_attempt_at.as_ref())
        };
        t.add_row(vec![
            h.ticket_id.to_string(),
            h.partner.clone(),
            h.status.clone(),
            h.attempts.to_string(),
            next,
            partner_ticket,
            h.last_error.clone(),
        ]);
    }
    format!("{t}\n{} hand-off(s)", response.hand_offs.len())
}

async fn list(client: &Client, args: ListArgs) -> anyhow::Result<()> {
    let request = proto::ListHandOffsRequest {
        status: match args.status {
            None => "",
            Some(StatusArg::Pending) => "pending",
            Some(StatusArg::Sent) => "sent",
            Some(StatusArg::Replied) => "replied",
            Some(StatusArg::Done) => "done",
        }
        .into(),
        limit: args.limit.unwrap_or_default(),
    };
    let response = client.reply(client.linkage().list_hand_offs(request).await)?;
    client.output.print(&response, list_table)
}
