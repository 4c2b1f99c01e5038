//! An integrity check of a hotline database, as after a crash: the engine's own checks
//! (SQLite), every ticket's events numbered 1..=version without a gap, no event without
//! its ticket, no request id twice, and rate aggregates equal to a rebuild from the log.

use sqlx::{AnyConnection, Connection, Row};

/// What the database holds, once it passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub tickets: i64,
    pub events: i64,
}

async fn rows(conn: &mut AnyConnection, sql: &'static str) -> Vec<sqlx::any::AnyRow> {
    sqlx::query(sql)
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("`{sql}`: {e}"))
}

/// Panics with every problem found; the database must not be in use by a daemon.
pub async fn check(url: &str) -> Checked {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    let mut problems = Vec::new();

    if url.starts_with("sqlite:") {
        let verdict: Vec<String> = rows(&mut conn, "PRAGMA integrity_check")
            .await
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
        if verdict != ["ok"] {
            problems.push(format!("PRAGMA integrity_check: {verdict:?}"));
        }
        let dangling = rows(&mut conn, "PRAGMA foreign_key_check").await.len();
        if dangling > 0 {
            problems.push(format!("PRAGMA foreign_key_check: {dangling} rows"));
        }
    }

    // Per ticket: its events must be exactly versions 1..=version.
    let gaps = rows(
        &mut conn,
        "SELECT t.id, t.version, COUNT(e.id) AS events, MIN(e.version) AS first, \
         MAX(e.version) AS last FROM tickets t LEFT JOIN ticket_events e ON e.ticket_id = t.id \
         GROUP BY t.id, t.version \
         HAVING COUNT(e.id) <> t.version OR MIN(e.version) <> 1 OR MAX(e.version) <> t.version \
         ORDER BY t.id LIMIT 20",
    )
    .await;
    for r in &gaps {
        problems.push(format!(
            "ticket {} at version {} has {} events, versions {:?}..={:?}",
            r.get::<i64, _>("id"),
            r.get::<i64, _>("version"),
            r.get::<i64, _>("events"),
            r.get::<Option<i64>, _>("first"),
            r.get::<Option<i64>, _>("last"),
        ));
    }
    let orphans: i64 = rows(
        &mut conn,
        "SELECT COUNT(*) AS n FROM ticket_events e \
         WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = e.ticket_id)",
    )
    .await[0]
        .get("n");
    if orphans > 0 {
        problems.push(format!("{orphans} events without their ticket"));
    }
    let reused: i64 = rows(
        &mut conn,
        "SELECT COUNT(*) AS n FROM (SELECT request_id FROM tickets \
         GROUP BY request_id HAVING COUNT(*) > 1) AS twice",
    )
    .await[0]
        .get("n");
    if reused > 0 {
        problems.push(format!("{reused} request ids hold more than one ticket"));
    }
    let tickets: i64 = rows(&mut conn, "SELECT COUNT(*) AS n FROM tickets").await[0].get("n");
    let events: i64 = rows(&mut conn, "SELECT COUNT(*) AS n FROM ticket_events").await[0].get("n");
    let _ = conn.close().await;

    let store = hotline::store::open(url)
        .await
        .unwrap_or_else(|e| panic!("opening {url}: {e:#}"));
    let rebuilt = store.rebuild_rate_counts().await;
    store.close().await;
    let rebuilt = rebuilt.expect("rebuild_rate_counts");
    if rebuilt.rows_changed != 0 {
        problems.push(format!(
            "the rate aggregates differ from a rebuild in {} rows",
            rebuilt.rows_changed
        ));
    }
    assert!(
        problems.is_empty(),
        "integrity check of {url} failed:\n{}",
        problems.join("\n")
    );
    Checked { tickets, events }
}
