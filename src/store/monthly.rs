//! What the monthly assessment reads besides the rate counts: the incidents held against
//! each unit (overdue warnings, improper returns), request volumes per category and place,
//! and repeat requesters. Each is one grouped query over an index range of one month
//! (`migrations/*/0009_monthly_assessment.sql`, `tickets_created_at`).

use std::collections::BTreeMap;

use sqlx::{AnyPool, Row};

use super::sql::millis;
use super::{RepeatRequester, StoreError, StoreResult, TicketVolume, UnitIncidents};
use crate::domain::Timestamp;

// The predicates repeat the partial indexes' (`level = 'overdue'`, `command =
// 'review_return'`) so the planners use them.
const OVERDUE_BY_UNIT: &str = "SELECT unit, COUNT(*) AS n FROM deadline_alerts \
     WHERE level = 'overdue' AND reached_at >= $1 AND reached_at < $2 AND unit IS NOT NULL \
     GROUP BY unit";
const RETURN_REVIEWS: &str = "SELECT details FROM ticket_events \
     WHERE command = 'review_return' AND at >= $1 AND at < $2";
const VOLUMES: &str = "SELECT category, region, COUNT(*) AS n FROM tickets \
     WHERE created_at >= $1 AND created_at < $2 \
     GROUP BY category, region ORDER BY category, region";
const REPEATS: &str = "SELECT requester_key, category, COUNT(*) AS n, MAX(id) AS latest \
     FROM tickets WHERE created_at >= $1 AND created_at < $2 AND requester_key IS NOT NULL \
     GROUP BY requester_key, category HAVING COUNT(*) >= $3 \
     ORDER BY COUNT(*) DESC, MAX(id) DESC LIMIT $4";

fn count(row: &sqlx::any::AnyRow, column: &str) -> StoreResult<u64> {
    let n: i64 = row.try_get(column)?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n} of {column}")))
}

pub async fn unit_incidents(
    pool: &AnyPool,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<UnitIncidents>> {
    let mut units: BTreeMap<String, UnitIncidents> = BTreeMap::new();
    let overdue = sqlx::query(OVERDUE_BY_UNIT)
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(pool)
        .await?;
    for row in &overdue {
        let unit: String = row.try_get("unit")?;
        units
            .entry(unit.clone())
            .or_insert_with(|| UnitIncidents::new(unit))
            .overdue += count(row, "n")?;
    }
    // Reviews of returns are few; which were rejected, and whose, is in the event details.
    let reviews = sqlx::query(RETURN_REVIEWS)
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(pool)
        .await?;
    for row in &reviews {
        let details: String = row.try_get("details")?;
        let details: serde_json::Value = serde_json::from_str(&details)
            .map_err(|e| StoreError::Corrupt(format!("event details: {e}")))?;
        if details["improper_return"] != serde_json::Value::Bool(true) {
            continue;
        }
        let Some(unit) = details["unit"].as_str() else {
            continue;
        };
        units
            .entry(unit.to_string())
            .or_insert_with(|| UnitIncidents::new(unit.to_string()))
            .improper_returns += 1;
    }
    Ok(units.into_values().collect())
}

pub async fn ticket_volumes(
    pool: &AnyPool,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<TicketVolume>> {
    let rows = sqlx::query(VOLUMES)
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(TicketVolume {
                category: row.try_get("category")?,
                region: row.try_get("region")?,
                tickets: count(row, "n")?,
            })
        })
        .collect()
}

pub async fn repeat_requesters(
    pool: &AnyPool,
    from: Timestamp,
    to: Timestamp,
    min_requests: u64,
    limit: u32,
) -> StoreResult<Vec<RepeatRequester>> {
    let rows = sqlx::query(REPEATS)
        .bind(millis(from))
        .bind(millis(to))
        .bind(i64::try_from(min_requests).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(RepeatRequester {
                requester_key: row.try_get("requester_key")?,
                category: row.try_get("category")?,
                tickets: count(row, "n")?,
                latest: row.try_get("latest")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::any::AnyPoolOptions;

    #[tokio::test]
    async fn a_month_is_read_through_indexes_never_a_whole_table() {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        crate::store::sqlite::MIGRATOR.run(&pool).await.unwrap();
        for (sql, table, index) in [
            (
                OVERDUE_BY_UNIT,
                "deadline_alerts",
                "deadline_alerts_overdue",
            ),
            (
                RETURN_REVIEWS,
                "ticket_events",
                "ticket_events_review_return",
            ),
            (VOLUMES, "tickets", "tickets_created_at"),
            (REPEATS, "tickets", "tickets_created_at"),
        ] {
            let plan: Vec<String> =
                sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                    .bind(0i64)
                    .bind(1i64)
                    .bind(2i64)
                    .bind(10i64)
                    .fetch_all(&pool)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| row.try_get::<String, _>("detail").unwrap())
                    .collect();
            let plan = plan.join("\n");
            assert!(plan.contains(index), "{index} in:\n{plan}");
            for step in plan.lines().filter(|l| l.contains(table)) {
                assert!(step.contains("INDEX"), "a full scan of {table}:\n{plan}");
            }
        }
    }
}
