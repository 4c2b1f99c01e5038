//! A crash under load: `hotline serve` is killed with SIGKILL while agents create tickets
//! and back-offices pull and work them, then started again on the same database. Every
//! ticket and transition a client was told about is there exactly once, and the database
//! passes an integrity check — on SQLite and on PostgreSQL.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::daemon::{Daemon, TestDb};
use common::load::{Ledger, Load, OnError};
use common::server::{Backend, new_request};
use hotline::proto::{self, intake_service_client::IntakeServiceClient};

on_both_backends!(acknowledged_work_survives_sigkill);

const INTAKE_UNIT: &str = "urban-management";

async fn acknowledged_work_survives_sigkill(backend: Backend) {
    let db = TestDb::create(backend).await;
    let mut daemon = Daemon::start(&db.url, &[]).await;
    let channel = daemon.channel().await;
    let mut load = Load::default();
    load.intake(&channel, 4, INTAKE_UNIT, "crash", OnError::Stop);
    load.back_office(&channel, 2, INTAKE_UNIT, OnError::Stop);
    load.await_progress(60, 40, Duration::from_secs(20)).await;

    daemon.kill();
    let ledger = load.finish(Duration::from_secs(15)).await;
    // The calls under way when the daemon died failed; their work may or may not be stored.
    eprintln!(
        "{backend:?}: killed after {} creates and {} transitions were acknowledged; \
         {} calls were cut off",
        ledger.created.len(),
        ledger.transitions.len(),
        ledger.failures.len()
    );

    let restarted = Daemon::start(&db.url, &[]).await;
    let channel = restarted.channel().await;
    verify_acknowledged(&channel, &ledger).await;
    let mut restarted = restarted;
    restarted.signal("TERM");
    let exit = restarted.wait_exit(Duration::from_secs(15)).await;
    assert!(
        exit.is_some_and(|s| s.success()),
        "the restarted daemon stops cleanly: {exit:?}\n{}",
        restarted.log()
    );
    restarted.assert_no_panic();

    let checked = common::integrity::check(&db.url).await;
    assert!(
        checked.tickets as usize >= ledger.created.len(),
        "{checked:?} holds every acknowledged ticket ({})",
        ledger.created.len()
    );
    db.remove().await;
}

/// Every acknowledged create and transition, read back from the restarted daemon.
async fn verify_acknowledged(channel: &hotline::auth::client::AuthedChannel, ledger: &Ledger) {
    let mut intake = IntakeServiceClient::new(channel.clone());

    // A console retrying an acknowledged create gets the same ticket back, not a new one.
    for created in &ledger.created {
        let retry = intake
            .create_ticket(new_request(&created.request_id, Some(created.unit)))
            .await
            .unwrap_or_else(|e| panic!("retrying {}: {e}", created.request_id))
            .into_inner();
        assert!(
            !retry.created,
            "{} was acknowledged before the crash but made anew after it",
            created.request_id
        );
        assert_eq!(
            retry.ticket.map(|t| t.id),
            Some(created.ticket_id),
            "{} names the ticket it was acknowledged with",
            created.request_id
        );
    }

    // Each acknowledged transition is in its ticket's history once, at its version.
    let mut by_ticket: HashMap<i64, Vec<&common::load::Transition>> = HashMap::new();
    for t in &ledger.transitions {
        by_ticket.entry(t.ticket_id).or_default().push(t);
    }
    for (ticket_id, acknowledged) in by_ticket {
        let ticket = intake
            .get_ticket(proto::GetTicketRequest {
                ticket_id,
                include_history: true,
            })
            .await
            .unwrap_or_else(|e| panic!("ticket {ticket_id} after the restart: {e}"))
            .into_inner()
            .ticket
            .expect("a ticket");
        for t in acknowledged {
            let at_version: Vec<&str> = ticket
                .history
                .iter()
                .filter(|e| e.version == t.version)
                .map(|e| e.command.as_str())
                .collect();
            assert_eq!(
                at_version,
                vec![t.command],
                "ticket {ticket_id}: the acknowledged {} at version {}",
                t.command,
                t.version
            );
            assert!(ticket.version >= t.version);
        }
    }
}
