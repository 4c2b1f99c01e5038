//! `hotline ticket …`: the agent console side (IntakeService): create, look up, search,
//! merge duplicates and hand emergencies over.

use clap::{Args, Subcommand};

use super::args::{AgentActor, ClientArgs, TicketRef};
use super::connection::Client;
use super::ticket_create::{self, CreateArgs};
use super::ticket_view;
use super::vocabulary::{EMERGENCY_LINE, TICKET_STATE};
use crate::proto;

#[derive(Debug, Args)]
pub struct TicketCommand {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: TicketAction,
}

#[derive(Debug, Subcommand)]
enum TicketAction {
    /// 受理: record a request and its intake outcome: dispatch (派单), the manual-dispatch
    /// queue, a direct answer, an emergency or utility transfer, a refusal, or a merge.
    Create(Box<CreateArgs>),
    /// Show one ticket: its fields (personal data masked) and, with --history, its audit trail.
    Show(ShowArgs),
    /// Find tickets by state, unit, region, category or supervision flag, oldest first.
    Search(SearchArgs),
    /// 并单: merge a duplicate into its parent ticket; it follows the parent from now on.
    Merge(MergeArgs),
    /// Hand a ticket that turned out to be an emergency to 110, 119, 120 or 122.
    Transfer(TransferArgs),
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// Ticket id.
    #[arg(value_name = "ID")]
    id: i64,
    /// Also list every event: version, time, command, state change, actor and reason.
    #[arg(long)]
    history: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Only tickets in this state; repeat for several.
    #[arg(long = "state", value_parser = TICKET_STATE.parser())]
    states: Vec<i32>,
    /// Only tickets assigned to this unit.
    #[arg(long)]
    unit: Option<String>,
    /// Only tickets about this region code.
    #[arg(long)]
    region: Option<String>,
    /// Only tickets of this category.
    #[arg(long)]
    category: Option<String>,
    /// Only tickets under supervision (督办).
    #[arg(long)]
    supervised: bool,
    /// Tickets per page, 1-200 [default: 50].
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// Continue after the page that printed this token.
    #[arg(long, value_name = "TOKEN")]
    page_token: Option<String>,
}

#[derive(Debug, Args)]
struct MergeArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// The open ticket this one repeats.
    #[arg(long, value_name = "PARENT")]
    into: i64,
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    agent: AgentActor,
}

#[derive(Debug, Args)]
struct TransferArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// 110 police, 119 fire, 120 medical or 122 traffic police.
    #[arg(long, value_parser = EMERGENCY_LINE.parser())]
    line: i32,
    #[arg(long)]
    reason: Option<String>,
    #[command(flatten)]
    agent: AgentActor,
}

impl TicketCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        match self.action {
            TicketAction::Create(args) => ticket_create::create(&client, *args).await,
            TicketAction::Show(args) => show(&client, args).await,
            TicketAction::Search(args) => search(&client, args.request()).await,
            TicketAction::Merge(args) => merge(&client, args).await,
            TicketAction::Transfer(args) => transfer(&client, args).await,
        }
    }
}

async fn show(client: &Client, args: ShowArgs) -> anyhow::Result<()> {
    let request = proto::GetTicketRequest {
        ticket_id: args.id,
        include_history: args.history,
    };
    let found = client.reply(client.intake().get_ticket(request).await)?;
    client.output.print(&found, |r| {
        let Some(ticket) = &r.ticket else {
            return String::new();
        };
        let card = ticket_view::card(ticket);
        if args.history && !ticket.alerts.is_empty() {
            format!(
                "{card}\n{}\n{}",
                ticket_view::history(&ticket.history),
                ticket_view::alerts(&ticket.alerts)
            )
        } else if args.history {
            format!("{card}\n{}", ticket_view::history(&ticket.history))
        } else {
            card.to_string()
        }
    })
}

impl SearchArgs {
    fn request(self) -> proto::SearchTicketsRequest {
        proto::SearchTicketsRequest {
            states: self.states,
            assigned_unit: self.unit.unwrap_or_default(),
            region: self.region.unwrap_or_default(),
            category: self.category.unwrap_or_default(),
            supervised_only: self.supervised,
            page_size: self.page_size.unwrap_or_default(),
            page_token: self.page_token.unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// Runs a search and prints one page, with the token for the next one.
pub async fn search(client: &Client, request: proto::SearchTicketsRequest) -> anyhow::Result<()> {
    let page = client.reply(client.intake().search_tickets(request).await)?;
    client.output.print(&page, |p| {
        let table = ticket_view::list(&p.tickets);
        match p.next_page_token.as_str() {
            "" => format!("{table}\n{} ticket(s)", p.tickets.len()),
            token => format!("{table}\nmore: --page-token {token}"),
        }
    })
}

async fn merge(client: &Client, args: MergeArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::MergeDuplicateRequest {
                ticket_id,
                expected_version,
                actor: Some(args.agent.actor()),
                parent_id: args.into,
                reason: args.reason.unwrap_or_default(),
            };
            client.intake().merge_duplicate(request).await
        })
        .await
}

async fn transfer(client: &Client, args: TransferArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::TransferEmergencyRequest {
                ticket_id,
                expected_version,
                actor: Some(args.agent.actor()),
                line: args.line,
                reason: args.reason.unwrap_or_default(),
            };
            client.intake().transfer_emergency(request).await
        })
        .await
}
