//! `hotline unit …`: a handling unit's back office (DispatchService): take tickets off
//! the desk, sign (签收), contact the requester (响应), handle (办理), reply (反馈), or
//! dispute (退单), escalate (提级) and ask for more time (延期).

use clap::{Args, Subcommand};

use super::args::{ClientArgs, TicketRef, UnitActor};
use super::assignments::{self, PullArgs, WatchArgs};
use super::connection::Client;
use crate::proto;

#[derive(Debug, Args)]
pub struct UnitCommand {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: UnitAction,
}

#[derive(Debug, Subcommand)]
enum UnitAction {
    /// Lease the unit's open tickets for a while, so no other worker takes the same ones.
    Pull(PullArgs),
    /// Print each new assignment to the unit as it happens, until Ctrl-C.
    Watch(WatchArgs),
    /// 签收 sign: the unit accepts a dispatched ticket (first-receiver responsibility, 首接负责).
    Sign(Step),
    /// 响应 respond: the unit has contacted the requester.
    Respond(Step),
    /// 办理 handle: record handling progress; the first call moves the ticket to in_progress.
    Handle(Step),
    /// 退单 return: dispute the dispatch with a reason; the centre reviews it.
    Return(StepWithReason),
    /// 提级 escalate: hand the ticket up to the unit's parent (street → district → centre).
    Escalate(StepWithReason),
    /// Add a note to the ticket's history without changing its state.
    Note(StepWithReason),
    /// 延期 extend: ask the centre for more time, with a reason (the requester is told).
    Extend(ExtendArgs),
    /// 反馈 reply: submit the handling result for the centre's review (审核).
    Reply(ReplyArgs),
}

/// A state command that needs nothing but an optional note.
#[derive(Debug, Args)]
struct Step {
    #[command(flatten)]
    ticket: TicketRef,
    /// Note recorded with the event.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    actor: UnitActor,
}

/// A state command whose reason the daemon requires.
#[derive(Debug, Args)]
struct StepWithReason {
    #[command(flatten)]
    ticket: TicketRef,
    /// Why (required): recorded in the audit trail and shown to the centre.
    #[arg(long, value_name = "TEXT")]
    reason: String,
    #[command(flatten)]
    actor: UnitActor,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("length").required(true).args(["hours", "working_days"])))]
struct ExtendArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// Extra time in hours of natural time; the reply deadline may move at most the
    /// configured max_extension (default 10 working days).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    hours: Option<u32>,
    /// Extra time in working days on the calendar (weekends and holidays skipped).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    working_days: Option<u32>,
    /// Why the case needs more time.
    #[arg(long, value_name = "TEXT")]
    reason: String,
    #[command(flatten)]
    actor: UnitActor,
}

#[derive(Debug, Args)]
struct ReplyArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// The handling result, as the requester will hear it at callback.
    #[arg(long, value_name = "TEXT")]
    reply: String,
    #[command(flatten)]
    actor: UnitActor,
}

impl From<StepWithReason> for Step {
    fn from(s: StepWithReason) -> Self {
        Step {
            ticket: s.ticket,
            actor: s.actor,
            reason: Some(s.reason),
        }
    }
}

/// The DispatchService calls that take a plain [`proto::TicketCommand`].
#[derive(Debug, Clone, Copy)]
enum Verb {
    Sign,
    Respond,
    Handle,
    Return,
    Escalate,
    Note,
}

impl UnitCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        match self.action {
            UnitAction::Pull(args) => assignments::pull(&client, args).await,
            UnitAction::Watch(args) => assignments::watch(&client, args).await,
            UnitAction::Sign(s) => step(&client, Verb::Sign, s).await,
            UnitAction::Respond(s) => step(&client, Verb::Respond, s).await,
            UnitAction::Handle(s) => step(&client, Verb::Handle, s).await,
            UnitAction::Return(s) => step(&client, Verb::Return, s.into()).await,
            UnitAction::Escalate(s) => step(&client, Verb::Escalate, s.into()).await,
            UnitAction::Note(s) => step(&client, Verb::Note, s.into()).await,
            UnitAction::Extend(args) => extend(&client, args).await,
            UnitAction::Reply(args) => reply(&client, args).await,
        }
    }
}

async fn step(client: &Client, verb: Verb, step: Step) -> anyhow::Result<()> {
    client
        .transition(step.ticket, |ticket_id, expected_version| async move {
            let command = proto::TicketCommand {
                ticket_id,
                expected_version,
                actor: Some(step.actor.actor()),
                reason: step.reason.unwrap_or_default(),
            };
            let mut desk = client.dispatch();
            match verb {
                Verb::Sign => desk.sign(command).await,
                Verb::Respond => desk.respond(command).await,
                Verb::Handle => desk.handle(command).await,
                Verb::Return => desk.r#return(command).await,
                Verb::Escalate => desk.escalate(command).await,
                Verb::Note => desk.add_note(command).await,
            }
        })
        .await
}

async fn extend(client: &Client, args: ExtendArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::RequestExtensionRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
                hours: args.hours.unwrap_or_default(),
                working_days: args.working_days.unwrap_or_default(),
                reason: args.reason,
            };
            client.dispatch().request_extension(request).await
        })
        .await
}

async fn reply(client: &Client, args: ReplyArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::ReplyRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
                reply: args.reply,
            };
            client.dispatch().reply(request).await
        })
        .await
}
