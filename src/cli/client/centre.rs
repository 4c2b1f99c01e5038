//! `hotline centre …`: the 12345 centre (CenterService): manual dispatch and 改派, review
//! of returns, replies and extensions, 督办 supervision and 催办 chase-ups, archiving, and
//! its work queue.

use clap::{ArgGroup, Args, Subcommand};

use super::args::{CentreActor, ClientArgs, TicketRef};
use super::connection::Client;
use super::ticket;
use super::vocabulary::EXCLUSION_REASON;
use crate::proto;

#[derive(Debug, Args)]
pub struct CentreCommand {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: CentreAction,
}

#[derive(Debug, Subcommand)]
enum CentreAction {
    /// 派单: dispatch a queued ticket to a lead unit, or 改派 reassign one (reason required).
    Dispatch(DispatchArgs),
    /// Review a 退单 return: approve (reassign, or back to the queue) or reject (the unit keeps it).
    ReviewReturn(ReviewReturnArgs),
    /// 审核 review a unit's reply: accept (on to callback) or send back for rework (重办).
    ReviewReply(ReviewReplyArgs),
    /// Review a 延期 extension request: approve (the reply deadline moves) or reject.
    ReviewExtension(ReviewExtensionArgs),
    /// 督办: put a ticket under supervision with a note, or take it off with --off.
    Supervise(SuperviseArgs),
    /// 催办: press the unit holding a supervised or overdue ticket to act (counted).
    ChaseUp(ChaseUpArgs),
    /// 归档: archive a closed ticket.
    Archive(ArchiveArgs),
    /// 甄别: take a ticket out of the three rates (unreasonable, invalid or duplicate);
    /// what it counted is taken back.
    Exclude(ExcludeArgs),
    /// What waits for the centre: tickets to dispatch (received), returns to review
    /// (return_requested) and replies to review (replied).
    Queue(QueueArgs),
    /// Re-read config/units.toml and config/deadlines.toml in the daemon; a bad file is
    /// refused and the old rules stay.
    Reload,
}

#[derive(Debug, Args)]
struct DispatchArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// Lead unit (主办).
    #[arg(long, value_name = "UNIT")]
    to: String,
    /// Co-handling units (协办); repeat for several.
    #[arg(long = "co-unit", value_name = "UNIT")]
    co_units: Vec<String>,
    /// Why; required when reassigning (改派) a ticket a unit already holds.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("verdict").required(true).args(["approve", "reject"])))]
struct ReviewReturnArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// The return is justified: reassign (--reassign-to) or put back in the queue.
    #[arg(long)]
    approve: bool,
    /// The return is not justified: the unit keeps the ticket (counted against the unit).
    #[arg(long)]
    reject: bool,
    /// With --approve: the new lead unit; without it the ticket goes back to the queue.
    #[arg(long, value_name = "UNIT", requires = "approve")]
    reassign_to: Option<String>,
    /// With --reassign-to: co-handling units; repeat for several.
    #[arg(long = "co-unit", value_name = "UNIT", requires = "reassign_to")]
    co_units: Vec<String>,
    /// The verdict's reason.
    #[arg(long, value_name = "TEXT")]
    reason: String,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("verdict").required(true).args(["accept", "send_back"])))]
struct ReviewReplyArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// The reply is good: the ticket waits for the callback (回访).
    #[arg(long)]
    accept: bool,
    /// The reply is not good enough: back to the unit for rework (重办); needs --reason.
    #[arg(long, requires = "reason")]
    send_back: bool,
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("verdict").required(true).args(["approve", "reject"])))]
struct ReviewExtensionArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// Grant the extra time.
    #[arg(long)]
    approve: bool,
    /// Refuse it; needs --reason.
    #[arg(long, requires = "reason")]
    reject: bool,
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
struct SuperviseArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// The supervision note (why the centre chases this ticket).
    #[arg(long, value_name = "TEXT")]
    note: String,
    /// Clear the supervision flag instead of setting it.
    #[arg(long)]
    off: bool,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
struct ChaseUpArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// What the centre asks of the unit.
    #[arg(long, value_name = "TEXT")]
    note: String,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
struct ArchiveArgs {
    #[command(flatten)]
    ticket: TicketRef,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
struct ExcludeArgs {
    #[command(flatten)]
    ticket: TicketRef,
    /// unreasonable (不合理诉求), invalid (无效工单) or duplicate (重复工单).
    #[arg(long, value_parser = EXCLUSION_REASON.parser())]
    reason: i32,
    /// What the review found.
    #[arg(long, value_name = "TEXT")]
    note: String,
    #[command(flatten)]
    actor: CentreActor,
}

#[derive(Debug, Args)]
struct QueueArgs {
    /// Tickets per page, 1-200 [default: 50].
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// Continue after the page that printed this token.
    #[arg(long, value_name = "TOKEN")]
    page_token: Option<String>,
}

impl CentreCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let client = self.client.connect().await?;
        match self.action {
            CentreAction::Dispatch(args) => dispatch(&client, args).await,
            CentreAction::ReviewReturn(args) => review_return(&client, args).await,
            CentreAction::ReviewReply(args) => review(&client, Review::Reply, args.into()).await,
            CentreAction::ReviewExtension(args) => {
                review(&client, Review::Extension, args.into()).await
            }
            CentreAction::Supervise(args) => supervise(&client, args).await,
            CentreAction::ChaseUp(args) => chase_up(&client, args).await,
            CentreAction::Archive(args) => archive(&client, args).await,
            CentreAction::Exclude(args) => exclude(&client, args).await,
            CentreAction::Queue(args) => queue(&client, args).await,
            CentreAction::Reload => reload(&client).await,
        }
    }
}

async fn dispatch(client: &Client, args: DispatchArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::DispatchRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
                unit: args.to,
                co_units: args.co_units,
                reason: args.reason.unwrap_or_default(),
            };
            client.centre().dispatch(request).await
        })
        .await
}

async fn review_return(client: &Client, args: ReviewReturnArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::ReviewReturnRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
                approve: args.approve,
                reassign_to: args.reassign_to.unwrap_or_default(),
                co_units: args.co_units,
                reason: args.reason,
            };
            client.centre().review_return(request).await
        })
        .await
}

/// The two reviews that share ReviewRequest.
#[derive(Debug, Clone, Copy)]
enum Review {
    Reply,
    Extension,
}

/// A review's outcome, whichever flags spelled it.
struct Verdict {
    ticket: TicketRef,
    actor: CentreActor,
    approve: bool,
    reason: Option<String>,
}

impl From<ReviewReplyArgs> for Verdict {
    fn from(args: ReviewReplyArgs) -> Self {
        Verdict {
            ticket: args.ticket,
            actor: args.actor,
            approve: args.accept,
            reason: args.reason,
        }
    }
}

impl From<ReviewExtensionArgs> for Verdict {
    fn from(args: ReviewExtensionArgs) -> Self {
        Verdict {
            ticket: args.ticket,
            actor: args.actor,
            approve: args.approve,
            reason: args.reason,
        }
    }
}

async fn review(client: &Client, kind: Review, verdict: Verdict) -> anyhow::Result<()> {
    client
        .transition(verdict.ticket, |ticket_id, expected_version| async move {
            let request = proto::ReviewRequest {
                ticket_id,
                expected_version,
                actor: Some(verdict.actor.actor()),
                approve: verdict.approve,
                reason: verdict.reason.unwrap_or_default(),
            };
            match kind {
                Review::Reply => client.centre().review_reply(request).await,
                Review::Extension => client.centre().review_extension(request).await,
            }
        })
        .await
}

async fn supervise(client: &Client, args: SuperviseArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::SuperviseRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
                supervised: !args.off,
                note: args.note,
            };
            client.centre().supervise(request).await
        })
        .await
}

async fn chase_up(client: &Client, args: ChaseUpArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::ChaseUpRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
                note: args.note,
            };
            client.centre().chase_up(request).await
        })
        .await
}

async fn archive(client: &Client, args: ArchiveArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::ArchiveRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
            };
            client.centre().archive(request).await
        })
        .await
}

async fn exclude(client: &Client, args: ExcludeArgs) -> anyhow::Result<()> {
    client
        .transition(args.ticket, |ticket_id, expected_version| async move {
            let request = proto::ExcludeFromRatesRequest {
                ticket_id,
                expected_version,
                actor: Some(args.actor.actor()),
                reason: args.reason,
                note: args.note,
            };
            client.centre().exclude_from_rates(request).await
        })
        .await
}

/// The states in which a ticket waits for the centre.
const WAITING_FOR_CENTRE: [proto::TicketState; 3] = [
    proto::TicketState::Received,
    proto::TicketState::ReturnRequested,
    proto::TicketState::Replied,
];

async fn queue(client: &Client, args: QueueArgs) -> anyhow::Result<()> {
    let request = proto::SearchTicketsRequest {
        states: WAITING_FOR_CENTRE.iter().map(|s| *s as i32).collect(),
        page_size: args.page_size.unwrap_or_default(),
        page_token: args.page_token.unwrap_or_default(),
        ..Default::default()
    };
    ticket::search(client, request).await
}

async fn reload(client: &Client) -> anyhow::Result<()> {
    let reloaded = client.reply(
        client
            .centre()
            .reload_rules(proto::ReloadRulesRequest {})
            .await,
    )?;
    client.output.print(&reloaded, |r| {
        let files: Vec<String> = r
            .files
            .iter()
            .map(|f| match f.version.as_str() {
                "" => format!("{} from {}", f.name, f.source),
                version => format!("{} from {} ({version})", f.name, f.source),
            })
            .collect();
        format!("{} units; {}", r.units, files.join("; "))
    })
}
