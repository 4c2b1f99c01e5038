//! PostgreSQL only: the pull statement keeps one generic plan per connection instead of
//! being planned anew on every call (see `BEGIN_WITH_GENERIC_PLANS`). The plan counts are
//! the connection's own, so the batch is written here on a connection the test holds.

use chrono::DateTime;
use sqlx::{AnyConnection, Connection, Row};

use super::{Pull, write_batch};
use crate::store::sql::Dialect;

// The integration tests' throw-away databases: this test needs one and nothing else.
#[allow(dead_code)]
#[path = "../../tests/common/postgres.rs"]
mod test_database;

/// Tickets of one unit, every one leased to another worker until far ahead, so a pull
/// finds none: for such values PostgreSQL's plan of the call is far cheaper than the
/// generic one, the case in which it kept planning each call.
const HELD_QUEUE: &str = "INSERT INTO tickets (id, version, state, request_id, \
     request_fingerprint, channel, line, request_type, outcome, category, region, urgency, \
     supervised, created_at, updated_at, body, assigned_unit, reply_due_at, lease_owner, \
     lease_until) \
     SELECT i, 1, 'dispatched', 'req-' || i, 'f', 'phone', '12345', 'complaint', 'dispatch', \
     'noise', 'street', 'general', false, 0, 0, '{}', 'desk', i, 'other', 4102444800000 \
     FROM generate_series(1, 5000) AS i";

const PLANS: &str = "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
     WHERE statement LIKE 'UPDATE tickets SET lease_owner%'";

#[tokio::test]
async fn postgres_plans_the_pull_once_per_connection() {
    let db = test_database::TestDatabase::create().await;
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&db.url).await.expect("connect");
    crate::store::postgres::MIGRATOR
        .run(&mut conn)
        .await
        .expect("migrate");
    sqlx::raw_sql(HELD_QUEUE)
        .execute(&mut conn)
        .await
        .expect("queue");
    sqlx::raw_sql("ANALYZE tickets")
        .execute(&mut conn)
        .await
        .expect("analyze");

    let now = DateTime::from_timestamp_millis(1_780_000_000_000).expect("now");
    let pull = || Pull {
        unit: "desk".into(),
        worker: "w1".into(),
        max: 1,
        now,
        lease_until: now + chrono::Duration::minutes(5),
    };
    // PostgreSQL weighs the generic plan after five of the call's own.
    for _ in 0..8 {
        let (answers, _) = write_batch(&mut conn, Dialect::Postgres, &[pull()])
            .await
            .expect("pull");
        assert!(answers[0].as_ref().expect("answer").is_empty(), "all held");
    }

    let plans = sqlx::query(PLANS)
        .fetch_one(&mut conn)
        .await
        .expect("plans");
    let generic: i64 = plans.try_get("generic_plans").expect("generic");
    let custom: i64 = plans.try_get("custom_plans").expect("custom");
    assert_eq!(
        (generic, custom),
        (8, 0),
        "the pull was planned for its values {custom} times in 8 calls"
    );
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&mut conn)
        .await
        .expect("show");
    assert_eq!(
        mode, "auto",
        "the setting ends with the batch's transaction"
    );

    conn.close().await.expect("close");
    db.drop_db().await;
}
