//! A unit's incoming work: `unit pull` leases open tickets, `unit watch` streams new
//! assignments as the centre makes them.

use anyhow::bail;
use clap::Args;
use tokio_stream::StreamExt;

use super::beijing;
use super::connection::Client;
use super::output::Output;
use super::ticket_view;
use crate::proto;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// The unit whose desk to pull from.
    #[arg(long, value_name = "UNIT")]
    unit: String,
    /// Who holds the lease.
    #[arg(
        long,
        env = "HOTLINE_PERSON",
        default_value = "handler",
        value_name = "WORKER"
    )]
    worker: String,
    /// At most this many tickets, 1-100 [default: 10].
    #[arg(long, value_name = "N")]
    max: Option<u32>,
    /// How long other workers will not get these tickets, 10-3600 [default: 300].
    #[arg(long, value_name = "S")]
    lease_seconds: Option<u32>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The unit whose new assignments to print.
    #[arg(long, value_name = "UNIT")]
    unit: String,
}

pub async fn pull(client: &Client, args: PullArgs) -> anyhow::Result<()> {
    let request = proto::PullAssignedRequest {
        unit: args.unit,
        worker: args.worker,
        max_tickets: args.max.unwrap_or_default(),
        lease_seconds: args.lease_seconds.unwrap_or_default(),
    };
    let leased = client.reply(client.dispatch().pull_assigned(request).await)?;
    client.output.print(&leased, |l| {
        format!(
            "{}\n{} ticket(s) leased until {}",
            ticket_view::list(&l.tickets),
            l.tickets.len(),
            beijing::format(l.lease_until.as_ref())
        )
    })
}

fn describe(a: &proto::Assignment) -> String {
    format!(
        "{}  ticket {} assigned to {} (version {})",
        beijing::format_clock(a.at.as_ref()),
        a.ticket_id,
        a.unit,
        a.version
    )
}

pub async fn watch(client: &Client, args: WatchArgs) -> anyhow::Result<()> {
    let request = proto::WatchAssignedRequest {
        unit: args.unit.clone(),
    };
    let mut stream = client.reply(client.dispatch().watch_assigned(request).await)?;
    if client.output == Output::Table {
        eprintln!("watching assignments to {}; Ctrl-C to stop", args.unit);
    }
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            next = stream.next() => match next {
                Some(Ok(assignment)) => client.output.print_line(&assignment, describe)?,
                Some(Err(status)) => return Err(client.rpc_error(&status)),
                None => bail!("the daemon closed the assignment stream"),
            },
        }
    }
}
