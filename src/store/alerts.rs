//! Deadline queries, all answered through the indexes of migration 0002: the scanner's
//! cursor (`tickets_next_alert`), overdue and warned tickets by level (`tickets_next_due`,
//! `tickets_red`, `tickets_yellow`), per-unit counts (`tickets_open_by_unit`), and the
//! warnings recorded once each in `deadline_alerts`.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::conditions::Conditions;
use super::sql::{from_millis, millis, opt_millis, ticket_from_row};
use super::{Overdue, RecordedAlert, StoreError, StoreResult, UnitDeadlineCounts};
use crate::domain::deadline::running_deadlines;
use crate::domain::warning::{Alert, WarningLevel};
use crate::domain::{Ticket, TicketId, Timestamp};

/// The projected instant a ticket reaches each level at.
fn level_column(level: WarningLevel) -> &'static str {
    match level {
        WarningLevel::Yellow => "yellow_at",
        WarningLevel::Red => "red_at",
        WarningLevel::Overdue => "next_due_at",
    }
}

fn list_overdue_query(
    unit: Option<&str>,
    level: WarningLevel,
    now: Timestamp,
    limit: u32,
) -> (Conditions, String) {
    let mut c = Conditions::default();
    c.and(&format!("{} <=", level_column(level)), millis(now))
        .and_some("assigned_unit =", unit);
    let limit = c.param(i64::from(limit));
    let sql = format!(
        "SELECT id, version, body, next_due_at, yellow_at, red_at FROM tickets \
         WHERE 1 = 1{} ORDER BY next_due_at, id LIMIT {limit}",
        c.sql()
    );
    (c, sql)
}

pub async fn list_overdue(
    pool: &AnyPool,
    unit: Option<&str>,
    level: WarningLevel,
    now: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Overdue>> {
    let (c, sql) = list_overdue_query(unit, level, now, limit);
    let now_ms = millis(now);
    let mut listed = Vec::new();
    for row in c.query(sql).fetch_all(pool).await? {
        let ticket = ticket_from_row(&row)?;
        let reached = |column: &str| -> StoreResult<bool> {
            Ok(row
                .try_get::<Option<i64>, _>(column)?
                .is_some_and(|at| at <= now_ms))
        };
        let level = if reached("next_due_at")? {
            WarningLevel::Overdue
        } else if reached("red_at")? {
            WarningLevel::Red
        } else {
            WarningLevel::Yellow
        };
        let (missed, due_at) = running_deadlines(&ticket)
            .into_iter()
            .next()
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "ticket {} has a due instant projected but no running deadline",
                    ticket.id
                ))
            })?;
        listed.push(Overdue {
            ticket,
            missed,
            due_at,
            level,
        });
    }
    Ok(listed)
}

/// The scanner's batch: rows whose cursor has fallen, earliest first.
const TICKETS_TO_CHECK: &str = "SELECT id, version, body FROM tickets \
     WHERE next_alert_at <= $1 ORDER BY next_alert_at, id LIMIT $2";

pub async fn tickets_to_check(
    pool: &AnyPool,
    now: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Ticket>> {
    let rows = sqlx::query(TICKETS_TO_CHECK)
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    rows.iter().map(ticket_from_row).collect()
}

const INSERT_ALERT: &str = "INSERT INTO deadline_alerts \
     (ticket_id, deadline, due_at, level, unit, reached_at, recorded_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (ticket_id, deadline, due_at, level) DO NOTHING";

pub async fn record(
    pool: &AnyPool,
    ticket: &Ticket,
    alerts: &[Alert],
    next_check: Option<Timestamp>,
    recorded_at: Timestamp,
) -> StoreResult<Option<Vec<Alert>>> {
    let mut tx = pool.begin().await?;
    // The cursor moves first: the row lock (PostgreSQL) or the write lock (SQLite) keeps
    // a concurrent transition out until the warnings are in, and a ticket that moved on
    // since it was read gets no warnings computed from its old state.
    let moved = sqlx::query("UPDATE tickets SET next_alert_at = $1 WHERE id = $2 AND version = $3")
        .bind(opt_millis(next_check))
        .bind(ticket.id)
        .bind(ticket.version)
        .execute(&mut *tx)
        .await?;
    if moved.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(None);
    }
    let mut new = Vec::new();
    for alert in alerts {
        let inserted = sqlx::query(INSERT_ALERT)
            .bind(ticket.id)
            .bind(alert.deadline.code())
            .bind(millis(alert.due_at))
            .bind(alert.level.code())
            .bind(ticket.assigned_unit.clone())
            .bind(millis(alert.reached_at))
            .bind(millis(recorded_at))
            .execute(&mut *tx)
            .await?;
        if inserted.rows_affected() == 1 {
            new.push(*alert);
        }
    }
    tx.commit().await?;
    Ok(Some(new))
}

fn parse<T: std::str::FromStr>(what: &str, code: &str) -> StoreResult<T> {
    code.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown {what} `{code}`")))
}

fn alert_from_row(row: &AnyRow) -> StoreResult<RecordedAlert> {
    Ok(RecordedAlert {
        ticket_id: row.try_get("ticket_id")?,
        alert: Alert {
            deadline: parse("deadline", &row.try_get::<String, _>("deadline")?)?,
            due_at: from_millis(row.try_get("due_at")?)?,
            level: parse("warning level", &row.try_get::<String, _>("level")?)?,
            reached_at: from_millis(row.try_get("reached_at")?)?,
        },
        unit: row.try_get("unit")?,
        recorded_at: from_millis(row.try_get("recorded_at")?)?,
    })
}

pub async fn of_ticket(pool: &AnyPool, ticket_id: TicketId) -> StoreResult<Vec<RecordedAlert>> {
    let rows = sqlx::query(
        "SELECT ticket_id, deadline, due_at, level, unit, reached_at, recorded_at \
         FROM deadline_alerts WHERE ticket_id = $1 ORDER BY reached_at, id",
    )
    .bind(ticket_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(alert_from_row).collect()
}

fn unit_counts_query(unit: Option<&str>, now: Timestamp) -> (Conditions, String) {
    let mut c = Conditions::default();
    let now = c.param(millis(now));
    c.and_some("assigned_unit =", unit);
    // `next_due_at IS NOT NULL` is the partial index's condition: a deadline runs, so the
    // ticket is on its unit's desk.
    let sql = format!(
        "SELECT COALESCE(assigned_unit, '') AS unit, COUNT(*) AS open, \
         COUNT(*) FILTER (WHERE next_due_at <= {now}) AS overdue, \
         COUNT(*) FILTER (WHERE supervised) AS supervised, \
         COUNT(*) FILTER (WHERE chase_up_count > 0) AS chased_up, \
         CAST(COALESCE(SUM(chase_up_count), 0) AS BIGINT) AS chase_ups \
         FROM tickets WHERE next_due_at IS NOT NULL{} \
         GROUP BY assigned_unit ORDER BY unit",
        c.sql()
    );
    (c, sql)
}

pub async fn unit_counts(
    pool: &AnyPool,
    unit: Option<&str>,
    now: Timestamp,
) -> StoreResult<Vec<UnitDeadlineCounts>> {
    let (c, sql) = unit_counts_query(unit, now);
    let count = |row: &AnyRow, column: &str| -> StoreResult<u64> {
        Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or_default())
    };
    c.query(sql)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(UnitDeadlineCounts {
                unit: row.try_get("unit")?,
                open: count(row, "open")?,
                overdue: count(row, "overdue")?,
                supervised: count(row, "supervised")?,
                chased_up: count(row, "chased_up")?,
                chase_ups: count(row, "chase_ups")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::any::AnyPoolOptions;

    /// A migrated in-memory SQLite database (one connection: each has its own memory).
    async fn sqlite() -> AnyPool {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        crate::store::sqlite::MIGRATOR.run(&pool).await.unwrap();
        pool
    }

    /// SQLite's plan for `sql`, one step a line.
    async fn plan(pool: &AnyPool, c: &Conditions, sql: &str) -> String {
        c.query(format!("EXPLAIN QUERY PLAN {sql}"))
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String, _>("detail").unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[track_caller]
    fn assert_indexed(plan: &str, index: &str) {
        assert!(plan.contains(index), "{index} in:\n{plan}");
        for step in plan.lines().filter(|l| l.contains("tickets")) {
            assert!(step.contains("INDEX"), "a full scan of tickets:\n{plan}");
        }
    }

    #[tokio::test]
    async fn the_deadline_queries_read_through_their_indexes() {
        let pool = sqlite().await;
        let now = chrono::Utc::now();
        let mut scan = Conditions::default();
        scan.param(millis(now));
        scan.param(10);
        assert_indexed(
            &plan(&pool, &scan, TICKETS_TO_CHECK).await,
            "tickets_next_alert",
        );
        for (level, index) in [
            (WarningLevel::Overdue, "tickets_next_due"),
            (WarningLevel::Red, "tickets_red"),
            (WarningLevel::Yellow, "tickets_yellow"),
        ] {
            let (c, sql) = list_overdue_query(None, level, now, 100);
            assert_indexed(&plan(&pool, &c, &sql).await, index);
        }
        let (c, sql) = list_overdue_query(Some("xuanwu-01"), WarningLevel::Overdue, now, 100);
        assert_indexed(&plan(&pool, &c, &sql).await, "INDEX");
        for unit in [None, Some("xuanwu-01")] {
            let (c, sql) = unit_counts_query(unit, now);
            assert_indexed(
                &plan(&pool, &c, &sql).await,
                "USING COVERING INDEX tickets_open_by_unit",
            );
        }
    }
}
