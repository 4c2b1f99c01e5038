//! `hotline callback …`: 回访, the requester's verdict on an answered ticket
//! (FeedbackService), and the callback tasks channel adapters work on (CallbackService).

use clap::{ArgGroup, Args, Subcommand, ValueEnum};

use super::args::{CentreActor, ClientArgs, TicketRef};
use super::beijing;
use super::connection::Client;
use super::output::table;
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
    /// Callback tasks waiting for a channel adapter (phone agents, SMS gateway, voice
    /// survey), oldest first, with their unanswered attempts.
    Tasks(TasksArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ChannelArg {
    Phone,
    Sms,
    Voice,
}

#[derive(Debug, Args)]
struct TasksArgs {
    /// Only the tasks waiting in this channel.
    #[arg(long, value_enum)]
    channel: Option<ChannelArg>,
    /// At most this many tasks, 1-1000 [default: 100].
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
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
            CallbackAction::Tasks(args) => tasks(&client, args).await,
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

fn channel_name(value: i32) -> &'static str {
    match proto::CallbackChannel::try_from(value) {
        Ok(proto::CallbackChannel::Phone) => "phone",
        Ok(proto::CallbackChannel::Sms) => "sms",
        Ok(proto::CallbackChannel::Voice) => "voice",
        _ => "-",
    }
}

fn tasks_table(response: &proto::ListCallbackTasksResponse) -> String {
    let mut t = table(&[
        "Ticket",
        "Channel",
        "Attempts",
        "Since",
        "Leased to",
        "Last outcome",
    ]);
    for task in &response.tasks {
        t.add_row(vec![
            task.ticket_id.to_string(),
            channel_name(task.channel).to_string(),
            task.attempts.to_string(),
            beijing::format(task.created_at.as_ref()),
            task.lease_owner.clone(),
            task.last_outcome.clone(),
        ]);
    }
    format!("{t}\n{} open callback task(s)", response.tasks.len())
}

async fn tasks(client: &Client, args: TasksArgs) -> anyhow::Result<()> {
    let request = proto::ListCallbackTasksRequest {
        channel: match args.channel {
            None => proto::CallbackChannel::Unspecified,
            Some(ChannelArg::Phone) => proto::CallbackChannel::Phone,
            Some(ChannelArg::Sms) => proto::CallbackChannel::Sms,
            Some(ChannelArg::Voice) => proto::CallbackChannel::Voice,
        } as i32,
        limit: args.limit.unwrap_or_default(),
    };
    let response = client.reply(client.callbacks().list_callback_tasks(request).await)?;
    client.output.print(&response, tasks_table)
}
