//! Migration 0002 on a database that already holds tickets: their first running deadline,
//! warning instants (default fractions) and scanner cursor are filled in from the due
//! columns, so the scanner and ListOverdue see them without waiting for their next save.

mod common;

use common::old_schema;
use common::postgres::TestDatabase;
use sqlx::{AnyPool, Row};

const HOUR: i64 = 3_600_000;

/// (state, sign, respond, reply) due instants, dispatched at 0.
const TICKETS: [(&str, i64, i64, i64); 4] = [
    ("dispatched", 24 * HOUR, 24 * HOUR, 168 * HOUR),
    ("signed", 24 * HOUR, 20 * HOUR, 168 * HOUR),
    ("in_progress", 24 * HOUR, 24 * HOUR, 168 * HOUR),
    ("closed", 24 * HOUR, 24 * HOUR, 168 * HOUR),
];

async fn before_and_after(pool: &AnyPool, first: &str, second: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(first))
        .execute(pool)
        .await
        .unwrap();
    for (i, (state, sign, respond, reply)) in TICKETS.iter().enumerate() {
        sqlx::query(
            "INSERT INTO tickets (version, state, request_id, request_fingerprint, channel, line, \
             request_type, outcome, category, region, urgency, assigned_unit, supervised, \
             created_at, updated_at, dispatched_at, sign_due_at, respond_due_at, reply_due_at, body) \
             VALUES (2, $1, $2, 'fp', 'phone', '12345', 'complaint', 'dispatch', '路灯', \
             '320102001', 'general', 'xuanwu-01', $3, 0, 0, 0, $4, $5, $6, '{}')",
        )
        .bind(state.to_string())
        .bind(format!("req-{i}"))
        .bind(false)
        .bind(*sign)
        .bind(*respond)
        .bind(*reply)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(second))
        .execute(pool)
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT next_due_at, yellow_at, red_at, next_alert_at, chase_up_count FROM tickets \
         ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.get::<Option<i64>, _>("next_due_at"),
                r.get::<Option<i64>, _>("yellow_at"),
                r.get::<Option<i64>, _>("red_at"),
                r.get::<Option<i64>, _>("next_alert_at"),
                r.get::<i64, _>("chase_up_count"),
            )
        })
        .collect();
    let window = |due: i64| (Some(due), Some(due * 3 / 4), Some(due * 9 / 10), Some(0), 0);
    assert_eq!(
        got,
        vec![
            window(24 * HOUR),  // dispatched: the sign deadline first
            window(20 * HOUR),  // signed: respond, due before the reply
            window(168 * HOUR), // in progress: the reply
            (None, None, None, None, 0),
        ]
    );
}

#[tokio::test]
async fn sqlite_tickets_saved_before_0002_get_their_deadline_columns() {
    let dir = tempfile::tempdir().unwrap();
    let pool = old_schema::sqlite_in(&dir).await;
    before_and_after(
        &pool,
        include_str!("../migrations/sqlite/0001_tickets.sql"),
        include_str!("../migrations/sqlite/0002_deadlines.sql"),
    )
    .await;
    pool.close().await;
}

#[tokio::test]
async fn postgres_tickets_saved_before_0002_get_their_deadline_columns() {
    let db = TestDatabase::create().await;
    let pool = old_schema::one_connection(&db.url).await;
    before_and_after(
        &pool,
        include_str!("../migrations/postgres/0001_tickets.sql"),
        include_str!("../migrations/postgres/0002_deadlines.sql"),
    )
    .await;
    pool.close().await;
    db.drop_db().await;
}
