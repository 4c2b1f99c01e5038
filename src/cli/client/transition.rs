//! The shape every state command shares: find the version to send, call the RPC, print
//! the ticket it answers with.

use std::future::Future;

use anyhow::Context as _;
use tonic::{Response, Status};

use super::args::TicketRef;
use super::connection::Client;
use super::ticket_view;
use crate::proto;

impl Client {
    /// The version a state command sends: `--expect-version`, else the ticket's current one.
    async fn expected_version(&self, ticket: TicketRef) -> anyhow::Result<i64> {
        if let Some(version) = ticket.expect_version {
            return Ok(version);
        }
        let request = proto::GetTicketRequest {
            ticket_id: ticket.id,
            include_history: false,
        };
        let current = self.reply(self.intake().get_ticket(request).await)?;
        current
            .ticket
            .map(|t| t.version)
            .context("the daemon answered GetTicket without a ticket")
    }

    /// Resolves the version, lets `send` call the RPC with the ticket id and that version,
    /// and prints the ticket after the transition.
    pub async fn transition<F, Fut>(&self, ticket: TicketRef, send: F) -> anyhow::Result<()>
    where
        F: FnOnce(i64, i64) -> Fut,
        Fut: Future<Output = Result<Response<proto::TicketResponse>, Status>>,
    {
        let version = self.expected_version(ticket).await?;
        let after = self.reply(send(ticket.id, version).await)?;
        self.output.print(&after, |r| {
            ticket_view::list(r.ticket.as_slice()).to_string()
        })
    }
}
