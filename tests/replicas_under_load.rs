//! Three `hotline serve` replicas on one PostgreSQL database under load: agents create
//! tickets through all three, 66 back-office pullers spread over them compete for the same
//! unit's tickets, and tickets nobody signs go overdue within seconds while every replica
//! runs a deadline scanner each second. Then, from the database, the clients' ledger and
//! the daemons' logs:
//! - no double claims: no ticket leased to two workers, no ticket signed twice in one
//!   assignment, every acknowledged transition in the log once;
//! - one deadline scanner: one advisory lock holder throughout, warnings only from that
//!   replica, each recorded once, and every neglected ticket warned at every level;
//! - consistent rates: GetRates from each replica identical, matching the ledger, and the
//!   aggregates equal to a rebuild from the events;
//! - every acknowledged create present once, and the integrity check passes.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use common::daemon::Daemon;
use common::load::{Ledger, Load, OnError};
use common::postgres::TestDatabase;
use common::rates::this_month;
use common::server::new_request;
use hotline::auth::client::AuthedChannel;
use hotline::domain::deadline::DeadlineKind;
use hotline::domain::warning::WarningLevel;
use hotline::proto::intake_service_client::IntakeServiceClient;
use sqlx::{Connection, PgConnection, Row};

/// The unit whose tickets the pullers work, and the one nobody works.
const WORKED: &str = "urban-management";
const NEGLECTED: &str = "xuanwu-01";

/// General tickets must be signed within 2 s (yellow at 1.5 s, red at 1.8 s); responding
/// and replying have hours, so every response counts as in time.
const DEADLINES: &str = r#"
[general]
sign = "2s"
respond = "1h"
reply = "2h"
"#;

const REPLICAS: usize = 3;
const AGENTS_PER_REPLICA: usize = 2;
const PULLERS_PER_REPLICA: usize = 22;
/// The load runs at least this long, and until the clients were told of this much work
/// (a busy machine takes longer; past `LOAD_LIMIT` the test fails).
const LOAD_FOR: Duration = Duration::from_secs(3);
const ENOUGH_CREATES: usize = 100;
const ENOUGH_TRANSITIONS: usize = 100;
const ENOUGH_NEGLECTED: usize = 8;
const LOAD_LIMIT: Duration = Duration::from_secs(40);
/// One neglected ticket this often, through the replicas in turn.
const NEGLECT_EVERY: Duration = Duration::from_millis(250);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_under_load_claim_once_scan_once_and_agree() {
    let dir = tempfile::tempdir().unwrap();
    let deadlines = dir.path().join("deadlines.toml");
    std::fs::write(&deadlines, DEADLINES).unwrap();
    let db = TestDatabase::create().await;
    let flags = [
        "--deadlines",
        deadlines.to_str().expect("a UTF-8 temporary path"),
        "--scan-interval-seconds",
        "1",
    ];
    let mut daemons = Vec::new();
    for _ in 0..REPLICAS {
        daemons.push(Daemon::start(&db.url, &flags).await);
    }
    let mut channels = Vec::new();
    for daemon in &daemons {
        channels.push(daemon.channel().await);
    }
    let mut admin = PgConnection::connect(&db.url).await.unwrap();

    let mut load = Load::default();
    load.set_idle_pause(Duration::from_millis(500));
    for (i, channel) in channels.iter().enumerate() {
        let tag = format!("replica{i}");
        load.intake(
            channel,
            AGENTS_PER_REPLICA,
            WORKED,
            &tag,
            OnError::KeepGoing,
        );
        load.back_office(channel, PULLERS_PER_REPLICA, WORKED, OnError::KeepGoing);
    }
    let mut neglected = Vec::new();
    let mut lock_holders = Vec::new();
    let started = Instant::now();
    loop {
        let (creates, transitions) = load.progress();
        let enough = creates >= ENOUGH_CREATES
            && transitions >= ENOUGH_TRANSITIONS
            && neglected.len() >= ENOUGH_NEGLECTED;
        if enough && started.elapsed() >= LOAD_FOR {
            break;
        }
        assert!(
            started.elapsed() < LOAD_LIMIT,
            "after {LOAD_LIMIT:?}: {creates} creates, {transitions} transitions and {} \
             neglected tickets",
            neglected.len()
        );
        let channel = &channels[neglected.len() % REPLICAS];
        neglected.push(create_neglected(channel, neglected.len()).await);
        lock_holders.push(scanner_lock_holders(&mut admin).await);
        tokio::time::sleep(NEGLECT_EVERY).await;
    }
    let ledger = load.finish(Duration::from_secs(15)).await;
    let mut latencies: Vec<Duration> = ledger.created.iter().map(|c| c.answered - c.sent).collect();
    latencies.sort();
    eprintln!(
        "load for {:?}: {} creates (median {:?}), {} pulls and {} transitions acknowledged, \
         {} neglected tickets",
        started.elapsed(),
        ledger.created.len(),
        latencies.get(latencies.len() / 2),
        ledger.pulls.len(),
        ledger.transitions.len(),
        neglected.len()
    );
    assert!(
        ledger.failures.is_empty(),
        "no call fails under load: {:?}",
        ledger.failures
    );
    assert!(
        lock_holders.iter().all(|&n| n == 1),
        "one session holds the scanner lock at every sample: {lock_holders:?}"
    );

    await_neglected_overdue(&mut admin, &neglected).await;
    assert_rates_agree(&channels, &ledger, neglected.len()).await;

    for daemon in &mut daemons {
        daemon.signal("TERM");
    }
    for daemon in &mut daemons {
        let exit = daemon.wait_exit(Duration::from_secs(15)).await;
        assert!(
            exit.is_some_and(|s| s.success()),
            "a replica stops cleanly: {exit:?}\n{}",
            daemon.log()
        );
        daemon.assert_no_panic();
    }
    let alerts = assert_no_double_alerts(&mut admin).await;
    assert_one_scanner(&daemons, alerts);
    assert_claimed_once(&mut admin, &ledger).await;
    assert_acknowledged_once(&mut admin, &ledger, neglected.len()).await;
    admin.close().await.unwrap();

    let checked = common::integrity::check(&db.url).await;
    assert_eq!(
        checked.tickets as usize,
        ledger.created.len() + neglected.len()
    );
    db.drop_db().await;
}

/// A ticket for the unit no puller serves; answers its id.
async fn create_neglected(channel: &AuthedChannel, n: usize) -> i64 {
    IntakeServiceClient::new(channel.clone())
        .create_ticket(new_request(&format!("neglected-{n}"), Some(NEGLECTED)))
        .await
        .expect("a neglected ticket is created")
        .into_inner()
        .ticket
        .expect("a ticket")
        .id
}

/// Sessions holding an advisory lock on this database: the deadline scanner's.
async fn scanner_lock_holders(admin: &mut PgConnection) -> i64 {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(admin)
    .await
    .unwrap()
    .get("n")
}

/// Waits until the scanner recorded yellow, red and overdue for every neglected ticket's
/// sign deadline; then checks they are those three, at its sign due instant.
async fn await_neglected_overdue(admin: &mut PgConnection, neglected: &[i64]) {
    let wanted = 3 * neglected.len() as i64;
    let started = Instant::now();
    loop {
        let recorded: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM deadline_alerts a JOIN tickets t ON t.id = a.ticket_id \
             WHERE t.assigned_unit = $1 AND a.deadline = $2",
        )
        .bind(NEGLECTED)
        .bind(DeadlineKind::Sign.code())
        .fetch_one(&mut *admin)
        .await
        .unwrap()
        .get("n");
        if recorded == wanted {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the scanners recorded {recorded} of the {wanted} warnings of neglected tickets"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = sqlx::query(
        "SELECT a.ticket_id, a.level, a.due_at, t.sign_due_at FROM deadline_alerts a \
         JOIN tickets t ON t.id = a.ticket_id WHERE t.assigned_unit = $1 AND a.deadline = $2",
    )
    .bind(NEGLECTED)
    .bind(DeadlineKind::Sign.code())
    .fetch_all(&mut *admin)
    .await
    .unwrap();
    let mut levels: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for row in &rows {
        assert_eq!(
            row.get::<i64, _>("due_at"),
            row.get::<i64, _>("sign_due_at"),
            "a warning for the ticket's sign due instant"
        );
        levels
            .entry(row.get("ticket_id"))
            .or_default()
            .push(row.get("level"));
    }
    let mut all_three: Vec<String> = [
        WarningLevel::Yellow,
        WarningLevel::Red,
        WarningLevel::Overdue,
    ]
    .iter()
    .map(|l| l.code().to_string())
    .collect();
    all_three.sort();
    for id in neglected {
        let mut got = levels.remove(id).unwrap_or_default();
        got.sort();
        assert_eq!(got, all_three, "the warnings of neglected ticket {id}");
    }
}

/// GetRates from every replica is the same, and counts what the clients were told.
async fn assert_rates_agree(channels: &[AuthedChannel], ledger: &Ledger, neglected: usize) {
    let first = this_month(channels[0].clone()).await;
    for (i, channel) in channels.iter().enumerate().skip(1) {
        assert_eq!(
            this_month(channel.clone()).await,
            first,
            "replica {i} reports other rates than replica 0"
        );
    }
    let row = |unit: &str| {
        first
            .iter()
            .find(|r| r.key == unit)
            .unwrap_or_else(|| panic!("no rates row for {unit}: {first:?}"))
    };
    let responded = ledger
        .transitions
        .iter()
        .filter(|t| t.command == "respond")
        .count();
    let worked = row(WORKED);
    assert_eq!(worked.dispatched as usize, ledger.created.len());
    assert_eq!(worked.responded_in_time as usize, responded);
    let idle = row(NEGLECTED);
    assert_eq!(idle.dispatched as usize, neglected);
    assert_eq!(idle.responded_in_time, 0);
    assert_eq!(first.len(), 2, "rows for the two units only: {first:?}");
}

/// No warning twice for one ticket, deadline, due instant and level (the table's unique
/// key says so too; a scanner racing another would meet it as a conflict, which the next
/// check catches in the logs). Answers how many warnings were recorded.
async fn assert_no_double_alerts(admin: &mut PgConnection) -> i64 {
    let twice = sqlx::query(
        "SELECT ticket_id, deadline, due_at, level FROM deadline_alerts \
         GROUP BY ticket_id, deadline, due_at, level HAVING COUNT(*) > 1",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap();
    assert!(twice.is_empty(), "{} warnings recorded twice", twice.len());
    sqlx::query("SELECT COUNT(*) AS n FROM deadline_alerts")
        .fetch_one(&mut *admin)
        .await
        .unwrap()
        .get("n")
}

/// Exactly one replica took the scanner lock and never lost it, and it alone logged the
/// warnings: as many as the database holds.
fn assert_one_scanner(daemons: &[Daemon], alerts: i64) {
    let logs: Vec<String> = daemons.iter().map(Daemon::log).collect();
    let count = |log: &str, what: &str| log.lines().filter(|l| l.contains(what)).count();
    let scanners: Vec<usize> = (0..logs.len())
        .filter(|&i| count(&logs[i], "now runs the deadline scanner") > 0)
        .collect();
    assert_eq!(
        scanners.len(),
        1,
        "replicas that ran the scanner: {scanners:?}"
    );
    let scanner = scanners[0];
    assert_eq!(count(&logs[scanner], "now runs the deadline scanner"), 1);
    for (i, log) in logs.iter().enumerate() {
        assert_eq!(
            count(log, "lost the deadline scanner lock"),
            0,
            "replica {i}"
        );
        let warnings = count(log, "deadline warning");
        if i == scanner {
            assert_eq!(warnings as i64, alerts, "warnings logged by the scanner");
        } else {
            assert_eq!(warnings, 0, "replica {i} recorded warnings too");
        }
    }
}

/// Every pulled ticket went to one worker, and no ticket was signed twice while assigned
/// once: a new assignment (an event entering `dispatched`) is the only thing that lets a
/// ticket be signed again.
async fn assert_claimed_once(admin: &mut PgConnection, ledger: &Ledger) {
    let mut workers: HashMap<i64, HashSet<&str>> = HashMap::new();
    for pull in &ledger.pulls {
        workers
            .entry(pull.ticket_id)
            .or_default()
            .insert(pull.worker.as_str());
    }
    let shared: Vec<_> = workers.iter().filter(|(_, w)| w.len() > 1).collect();
    assert!(
        shared.is_empty(),
        "tickets leased to two workers: {shared:?}"
    );

    let events = sqlx::query(
        "SELECT ticket_id, command, to_state FROM ticket_events ORDER BY ticket_id, version",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap();
    let mut signs: HashMap<i64, usize> = HashMap::new();
    for event in &events {
        let ticket: i64 = event.get("ticket_id");
        if event.get::<String, _>("to_state") == "dispatched" {
            signs.insert(ticket, 0);
        }
        if event.get::<String, _>("command") == "sign" {
            let n = signs.entry(ticket).or_default();
            *n += 1;
            assert_eq!(*n, 1, "ticket {ticket} signed twice in one assignment");
        }
    }
    let signed = ledger
        .transitions
        .iter()
        .filter(|t| t.command == "sign")
        .count();
    assert_eq!(signs.values().sum::<usize>(), signed, "signs in the log");
    assert!(signed > 0, "the pullers signed nothing");
}

/// Every acknowledged create is one ticket under its request id, every acknowledged
/// transition its ticket's event at that version, and no other unit step was written.
async fn assert_acknowledged_once(admin: &mut PgConnection, ledger: &Ledger, neglected: usize) {
    let tickets: HashMap<String, i64> = sqlx::query("SELECT request_id, id FROM tickets")
        .fetch_all(&mut *admin)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("request_id"), r.get("id")))
        .collect();
    assert_eq!(tickets.len(), ledger.created.len() + neglected);
    for created in &ledger.created {
        assert_eq!(
            tickets.get(&created.request_id),
            Some(&created.ticket_id),
            "{} names the ticket it was acknowledged with",
            created.request_id
        );
    }
    let events: HashMap<(i64, i64), String> =
        sqlx::query("SELECT ticket_id, version, command FROM ticket_events")
            .fetch_all(&mut *admin)
            .await
            .unwrap()
            .iter()
            .map(|r| ((r.get("ticket_id"), r.get("version")), r.get("command")))
            .collect();
    for t in &ledger.transitions {
        assert_eq!(
            events.get(&(t.ticket_id, t.version)).map(String::as_str),
            Some(t.command),
            "ticket {}: the acknowledged {} at version {}",
            t.ticket_id,
            t.command,
            t.version
        );
    }
    let unit_steps = events
        .values()
        .filter(|c| ["sign", "respond", "handle", "reply"].contains(&c.as_str()))
        .count();
    assert_eq!(
        unit_steps,
        ledger.transitions.len(),
        "no unit step in the log that no client was told about"
    );
}
