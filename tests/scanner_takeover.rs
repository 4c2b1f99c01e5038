//! Two deadline scanners (two replicas) on one PostgreSQL database: only the one holding
//! the advisory lock scans; when its database session dies, the other takes over, and the
//! warnings they record between them are still recorded once each.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::postgres::TestDatabase;
use hotline::config::load_rule_set;
use hotline::domain::intake;
use hotline::domain::lifecycle::Context;
use hotline::domain::{
    Actor, Channel, Disposition, Intake, PolicyDomain, RequestType, Requester, Urgency,
};
use hotline::jobs::deadline_scanner::DeadlineScanner;
use hotline::rules::RulePaths;
use hotline::service::App;
use hotline::store::{NewTicket, Store};
use sqlx::{Connection, PgConnection, Row};
use tokio_util::sync::CancellationToken;

async fn replica(url: &str) -> (Arc<dyn Store>, DeadlineScanner) {
    let store = hotline::store::open(url).await.expect("store opens");
    let paths = RulePaths::default();
    let rules = load_rule_set(&paths).expect("shipped rules");
    let app = App::new(
        store.clone(),
        rules,
        paths,
        CancellationToken::new(),
        hotline::service::recent_tickets::DEFAULT_CAPACITY,
    );
    (store, DeadlineScanner::new(app))
}

/// A general ticket dispatched to a street 30 days ago: every warning of its sign,
/// respond and reply deadlines has fallen.
async fn long_overdue_ticket(store: &dyn Store) -> i64 {
    let rules = load_rule_set(&RulePaths::default()).unwrap();
    let centre = Actor {
        unit: "centre".into(),
        person: "agent".into(),
    };
    let ctx = Context {
        actor: &centre,
        principal: "token:test",
        units: &rules.units,
        policy: &rules.policy,
        now: hotline::service::now() - chrono::Duration::days(30),
    };
    let form = Intake {
        channel: Channel::Phone,
        line: "12345".into(),
        request_type: RequestType::Complaint,
        policy_domain: PolicyDomain::PublicServices,
        category: "urban_rural_construction".into(),
        topic: "municipal_facilities".into(),
        urgency: Urgency::General,
        title: "路灯不亮".into(),
        description: "小区路灯不亮".into(),
        region: "320102001".into(),
        address: String::new(),
        requester: Requester::default(),
    };
    let to_street = Disposition::Dispatch {
        unit: Some("xuanwu-01".into()),
        co_units: vec![],
    };
    let opened = intake::open(form, to_street, None, &ctx).unwrap();
    store
        .create_ticket(NewTicket {
            ticket: &opened.ticket,
            events: &opened.events,
            request_id: "takeover-1",
            fingerprint: "fp",
        })
        .await
        .unwrap()
        .ticket
        .id
}

/// Ends the database session holding the advisory lock, as a crashed replica's would end.
async fn kill_lock_holder(url: &str) {
    let mut admin = PgConnection::connect(url).await.unwrap();
    let killed = sqlx::query(
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_locks \
         WHERE locktype = 'advisory' AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(killed.len(), 1, "exactly one session holds the lock");
    assert!(killed[0].get::<bool, _>("killed"));
    admin.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_takes_over_when_the_lock_holder_dies() {
    let db = TestDatabase::create().await;
    let (store_a, mut a) = replica(&db.url).await;
    let (store_b, mut b) = replica(&db.url).await;
    let ticket = long_overdue_ticket(&*store_a).await;

    let first = a.run_once(Utc::now()).await.unwrap();
    assert!(first.scanned);
    assert_eq!(
        (first.checked, first.alerts),
        (1, 9),
        "3 deadlines × 3 levels"
    );
    let idle = b.run_once(Utc::now()).await.unwrap();
    assert!(!idle.scanned, "the lock is held by the other replica");

    kill_lock_holder(&db.url).await;
    // The server ends the session asynchronously: B gets the lock once it is gone.
    let started = std::time::Instant::now();
    loop {
        if b.run_once(Utc::now()).await.unwrap().scanned {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "B never took the lock over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = a.run_once(Utc::now()).await.unwrap();
    assert!(
        !after.scanned,
        "A noticed it lost its session and stays idle"
    );
    assert_eq!(
        store_b.alerts(ticket).await.unwrap().len(),
        9,
        "no warning was recorded twice"
    );

    a.release().await;
    b.release().await;
    store_a.close().await;
    store_b.close().await;
    db.drop_db().await;
}
