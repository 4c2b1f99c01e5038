//! Graceful shutdown of a real `hotline serve` process: on SIGTERM during load it stops
//! accepting connections, finishes the calls in flight, gives back the leases its pulls
//! granted, and exits 0 within the grace period (`--shutdown-grace-seconds`).
//!
//! To have calls certainly in flight at the signal, the test holds a write lock on the
//! tickets table from a connection of its own: the daemon's creates wait on it, inside
//! the daemon, until the test lets go.

mod common;

use std::time::{Duration, Instant};

use common::daemon::{Daemon, TestDb};
use common::load::{Load, OnError};
use common::server::{Backend, new_request};
use hotline::auth::client::AuthedChannel as Channel;
use hotline::proto::{
    self, dispatch_service_client::DispatchServiceClient,
    intake_service_client::IntakeServiceClient,
};
use sqlx::{AnyConnection, Connection};
use tonic::Code;

on_both_backends!(sigterm_finishes_calls_in_flight_and_gives_back_leases);

const GRACE: Duration = Duration::from_secs(5);
const LOAD_UNIT: &str = "market-12315";
const LEASED_UNIT: &str = "urban-management";
/// Clients creating tickets when the signal comes.
const CLIENTS: usize = 6;

/// A connection holding a write lock on `tickets`: writers wait, readers do not.
struct WriteLock(AnyConnection);

impl WriteLock {
    async fn take(url: &str) -> WriteLock {
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(url)
            .await
            .expect("a connection of our own");
        let lock = if url.starts_with("sqlite:") {
            "BEGIN EXCLUSIVE"
        } else {
            "BEGIN; LOCK TABLE tickets IN EXCLUSIVE MODE"
        };
        sqlx::raw_sql(lock)
            .execute(&mut conn)
            .await
            .expect("take the lock");
        WriteLock(conn)
    }

    async fn release(mut self) {
        sqlx::raw_sql("COMMIT")
            .execute(&mut self.0)
            .await
            .expect("release the lock");
        let _ = self.0.close().await;
    }
}

async fn pull(channel: &Channel, worker: &str) -> Vec<i64> {
    DispatchServiceClient::new(channel.clone())
        .pull_assigned(proto::PullAssignedRequest {
            unit: LEASED_UNIT.into(),
            worker: worker.into(),
            max_tickets: 10,
            lease_seconds: 600,
        })
        .await
        .expect("pull")
        .into_inner()
        .tickets
        .iter()
        .map(|t| t.id)
        .collect()
}

/// Waits until a new TCP connection to `addr` is refused; false if it never is.
async fn refuses_connections(addr: std::net::SocketAddr, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

async fn sigterm_finishes_calls_in_flight_and_gives_back_leases(backend: Backend) {
    let db = TestDb::create(backend).await;
    let grace = GRACE.as_secs().to_string();
    let mut daemon = Daemon::start(&db.url, &["--shutdown-grace-seconds", &grace]).await;
    let channel = daemon.channel().await;

    // A back-office worker holds leases, granted by this daemon, on three tickets.
    let mut intake = IntakeServiceClient::new(channel.clone());
    let mut leased_tickets = Vec::new();
    for i in 0..3 {
        let created = intake
            .create_ticket(new_request(&format!("leased-{i}"), Some(LEASED_UNIT)))
            .await
            .expect("create")
            .into_inner();
        leased_tickets.push(created.ticket.expect("a ticket").id);
    }
    assert_eq!(pull(&channel, "worker-1").await, leased_tickets);
    assert!(pull(&channel, "worker-2").await.is_empty(), "leased");

    // Load; then the lock, so that every client's next create waits inside the daemon.
    let mut load = Load::default();
    load.intake(&channel, CLIENTS, LOAD_UNIT, "term", OnError::Stop);
    load.await_progress(CLIENTS * 3, 0, Duration::from_secs(20))
        .await;
    let lock = WriteLock::take(&db.url).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (before_signal, _) = load.progress();

    let signalled = Instant::now();
    daemon.signal("TERM");
    let refused = refuses_connections(daemon.grpc, Duration::from_secs(2)).await;
    assert!(
        daemon.is_running(),
        "the daemon waits for its calls in flight"
    );
    lock.release().await;
    let exit = daemon.wait_exit(GRACE + Duration::from_secs(2)).await;
    let took = signalled.elapsed();
    let ledger = load.finish(Duration::from_secs(10)).await;

    assert!(refused, "new connections are refused after SIGTERM");
    let exit = exit.unwrap_or_else(|| panic!("no exit within the grace period:\n{}", daemon.log()));
    assert_eq!(exit.code(), Some(0), "exit status; log:\n{}", daemon.log());
    assert!(
        took < GRACE + Duration::from_secs(1),
        "exited {took:?} after SIGTERM; the grace is {GRACE:?}"
    );
    daemon.assert_no_panic();

    // The creates waiting at the signal were answered, and answered OK.
    let finished_in_flight = ledger
        .created
        .iter()
        .filter(|c| c.sent < signalled && c.answered > signalled)
        .count();
    assert!(
        finished_in_flight >= CLIENTS,
        "every client had a create in flight at the signal; {finished_in_flight} finished \
         ({before_signal} acknowledged before)"
    );
    // Only calls sent after the signal failed, and only because the connection was gone
    // (the client's transport reports that as UNAVAILABLE or CANCELLED).
    for failure in &ledger.failures {
        assert!(
            failure.sent > signalled && matches!(failure.code, Code::Unavailable | Code::Cancelled),
            "a call during shutdown: {failure:?}"
        );
    }

    // After a restart every acknowledged ticket is there, and the leases are free at once.
    let restarted = Daemon::start(&db.url, &[]).await;
    let channel = restarted.channel().await;
    let mut intake = IntakeServiceClient::new(channel.clone());
    for created in &ledger.created {
        let got = intake
            .get_ticket(proto::GetTicketRequest {
                ticket_id: created.ticket_id,
                include_history: false,
            })
            .await;
        assert!(got.is_ok(), "{} is stored: {got:?}", created.request_id);
    }
    assert_eq!(
        pull(&channel, "worker-2").await,
        leased_tickets,
        "the stopped daemon gave its leases back"
    );
    drop(restarted);
    db.remove().await;
}

/// A call that outlives the grace period is cut off, and the daemon still exits 0 in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_outliving_the_grace_are_cut_off() {
    let db = TestDb::create(Backend::Sqlite).await;
    let mut daemon = Daemon::start(&db.url, &["--shutdown-grace-seconds", "1"]).await;
    let channel = daemon.channel().await;
    let lock = WriteLock::take(&db.url).await;
    let mut stuck = IntakeServiceClient::new(channel.clone());
    let call = tokio::spawn(async move {
        stuck
            .create_ticket(new_request("stuck", Some(LOAD_UNIT)))
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    daemon.signal("TERM");
    let exit = daemon.wait_exit(Duration::from_secs(4)).await;
    let took = signalled.elapsed();
    lock.release().await;
    let exit = exit.unwrap_or_else(|| panic!("no exit:\n{}", daemon.log()));
    assert_eq!(exit.code(), Some(0), "log:\n{}", daemon.log());
    assert!(
        took < Duration::from_secs(2),
        "exited {took:?} after SIGTERM"
    );
    let answer = call.await.expect("the client task");
    assert!(answer.is_err(), "the stuck call was cut off: {answer:?}");
    assert!(
        daemon.log().contains("outlived the grace period"),
        "{}",
        daemon.log()
    );
}
