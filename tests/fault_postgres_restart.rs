//! PostgreSQL goes away under load and comes back: a `hotline serve` process on a
//! PostgreSQL server of the test's own (its own data directory and port, stopped with
//! `pg_ctl stop -m immediate`) answers every call with UNAVAILABLE within a bound — no
//! hang, no panic — reports NOT_SERVING on the health service, and serves again by itself
//! once the database is back, without a restart.

mod common;

use std::time::{Duration, Instant};

use common::daemon::{Daemon, await_health, health};
use common::load::{Load, OnError};
use common::own_postgres::OwnPostgres;
use common::server::new_request;
use hotline::proto::{self, intake_service_client::IntakeServiceClient};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;

/// The longest a call may take to fail while the database is down: the pool's 2 s
/// acquire timeout, plus room for a busy machine.
const FAIL_FAST: Duration = Duration::from_secs(3);
const UNIT: &str = "urban-management";
const INTAKE: &str = "hotline.v1.IntakeService";

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .expect("blocking work")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_rides_out_a_postgres_restart() {
    let mut pg = blocking(OwnPostgres::start).await;
    let mut daemon = Daemon::start(&pg.url(), &["--health-interval-seconds", "1"]).await;
    let channel = daemon.channel().await;
    assert_eq!(health(&channel, "").await.unwrap(), ServingStatus::Serving);

    let mut load = Load::default();
    load.intake(&channel, 3, UNIT, "fault", OnError::KeepGoing);
    load.back_office(&channel, 1, UNIT, OnError::KeepGoing);
    load.await_progress(20, 8, Duration::from_secs(20)).await;

    // The database disappears, as in a crash or a failover.
    pg = blocking(move || {
        pg.stop_immediately();
        pg
    })
    .await;
    let stopped = Instant::now();
    let noticed = await_health(
        &channel,
        "",
        ServingStatus::NotServing,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        health(&channel, INTAKE).await.unwrap(),
        ServingStatus::NotServing
    );
    let mut intake = IntakeServiceClient::new(channel.clone());
    for (i, rpc) in ["create", "get", "create"].into_iter().enumerate() {
        let sent = Instant::now();
        let answer = match rpc {
            "create" => intake
                .create_ticket(new_request(&format!("while-down-{i}"), Some(UNIT)))
                .await
                .map(drop),
            _ => intake
                .get_ticket(proto::GetTicketRequest {
                    ticket_id: 1,
                    include_history: true,
                })
                .await
                .map(drop),
        };
        let took = sent.elapsed();
        let status = answer.expect_err("the database is down");
        assert_eq!(status.code(), Code::Unavailable, "{rpc}: {status:?}");
        assert!(took < FAIL_FAST, "{rpc} took {took:?} to fail");
    }
    let down_for = stopped.elapsed();

    // It comes back; the daemon notices and serves again without a restart.
    pg = blocking(move || {
        pg.resume();
        pg
    })
    .await;
    let back_after = await_health(
        &channel,
        "",
        ServingStatus::Serving,
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(
        health(&channel, INTAKE).await.unwrap(),
        ServingStatus::Serving
    );
    let created = intake
        .create_ticket(new_request("after-restart", Some(UNIT)))
        .await
        .expect("creates succeed again")
        .into_inner();
    assert!(created.created);
    let (creates, transitions) = load.progress();
    load.await_progress(creates + 10, transitions + 4, Duration::from_secs(20))
        .await;
    let ledger = load.finish(Duration::from_secs(10)).await;
    eprintln!(
        "NOT_SERVING {noticed:?} after the stop, down for {down_for:?}, SERVING {back_after:?} \
         after the start; {} creates and {} transitions acknowledged, {} calls failed, the \
         slowest in {:?}",
        ledger.created.len(),
        ledger.transitions.len(),
        ledger.failures.len(),
        ledger
            .failures
            .iter()
            .map(|f| f.took)
            .max()
            .unwrap_or_default()
    );

    // Under load, too, every failure was a prompt UNAVAILABLE.
    assert!(!ledger.failures.is_empty(), "the load ran into the outage");
    for failure in &ledger.failures {
        assert_eq!(failure.code, Code::Unavailable, "{failure:?}");
        assert!(failure.took < FAIL_FAST, "{failure:?}");
    }
    // Nothing acknowledged was lost.
    for created in &ledger.created {
        intake
            .get_ticket(proto::GetTicketRequest {
                ticket_id: created.ticket_id,
                include_history: false,
            })
            .await
            .unwrap_or_else(|e| panic!("{} is stored: {e}", created.request_id));
    }

    assert!(daemon.is_running(), "the daemon stayed up");
    daemon.assert_no_panic();
    daemon.signal("TERM");
    let exit = daemon.wait_exit(Duration::from_secs(15)).await;
    assert!(
        exit.is_some_and(|s| s.success()),
        "{exit:?}\n{}",
        daemon.log()
    );
    drop(pg);
}
