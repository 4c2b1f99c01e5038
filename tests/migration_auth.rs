//! Migration 0006 on a database that already holds events: they keep every column and
//! read `legacy` as their principal; the log stays append-only, and a new event must name
//! its principal.

mod common;

use common::old_schema;
use common::postgres::TestDatabase;
use sqlx::{AnyPool, Row};

async fn run(pool: &AnyPool, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await
        .unwrap();
}

async fn events_before_0006_read_legacy(pool: &AnyPool, before: &[&str], auth: &str) {
    for file in before {
        run(pool, file).await;
    }
    sqlx::query(
        "INSERT INTO tickets (version, state, request_id, request_fingerprint, channel, line, \
         request_type, outcome, category, region, urgency, assigned_unit, supervised, \
         created_at, updated_at, body) \
         VALUES (1, 'received', 'req-1', 'fp', 'phone', '12345', 'complaint', 'dispatch', \
         '路灯', '320102001', 'general', NULL, $1, 0, 0, '{}')",
    )
    .bind(false)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO ticket_events (ticket_id, version, command, from_state, to_state, \
         actor_unit, actor_person, at, reason, details) \
         VALUES (1, 1, 'create', NULL, 'received', 'centre', 'agent-1', 0, '', '{}')",
    )
    .execute(pool)
    .await
    .unwrap();
    run(pool, auth).await;

    let row = sqlx::query("SELECT actor_person, principal FROM ticket_events")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>("actor_person"), "agent-1");
    assert_eq!(row.get::<String, _>("principal"), "legacy");
    // Still append-only.
    let rewrite = sqlx::query("UPDATE ticket_events SET principal = 'token:forged'")
        .execute(pool)
        .await
        .unwrap_err();
    assert!(rewrite.to_string().contains("append-only"), "{rewrite}");
    // A new event names its principal.
    let insert = |principal: &'static str| {
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, version, command, from_state, to_state, \
             actor_unit, actor_person, at, reason, details, principal) \
             VALUES (1, 2, 'dispatch', 'received', 'dispatched', 'centre', 'agent-1', 0, '', \
             '{}', $1)",
        )
        .bind(principal)
        .execute(pool)
    };
    let blank = insert(" ").await.unwrap_err();
    assert!(
        blank
            .to_string()
            .contains("ticket_events_name_the_principal"),
        "{blank}"
    );
    insert("token:desk-1").await.unwrap();
}

#[tokio::test]
async fn sqlite_events_before_0006_read_legacy() {
    let dir = tempfile::tempdir().unwrap();
    let pool = old_schema::sqlite_in(&dir).await;
    events_before_0006_read_legacy(
        &pool,
        &[
            include_str!("../migrations/sqlite/0001_tickets.sql"),
            include_str!("../migrations/sqlite/0002_deadlines.sql"),
            include_str!("../migrations/sqlite/0003_rates.sql"),
            include_str!("../migrations/sqlite/0004_repeat_lookup.sql"),
            include_str!("../migrations/sqlite/0005_event_actor.sql"),
        ],
        include_str!("../migrations/sqlite/0006_auth.sql"),
    )
    .await;
    pool.close().await;
}

#[tokio::test]
async fn postgres_events_before_0006_read_legacy() {
    let db = TestDatabase::create().await;
    let pool = old_schema::one_connection(&db.url).await;
    events_before_0006_read_legacy(
        &pool,
        &[
            include_str!("../migrations/postgres/0001_tickets.sql"),
            include_str!("../migrations/postgres/0002_deadlines.sql"),
            include_str!("../migrations/postgres/0003_rates.sql"),
            include_str!("../migrations/postgres/0004_repeat_lookup.sql"),
            include_str!("../migrations/postgres/0005_event_actor.sql"),
        ],
        include_str!("../migrations/postgres/0006_auth.sql"),
    )
    .await;
    pool.close().await;
    db.drop_db().await;
}
