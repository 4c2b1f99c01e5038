//! What the monthly assessment reads besides the rate counts: the incidents held against
//! each unit (overdue warnings, improper returns), request volumes per category and place,
//! and repeat requesters. Each is one grouped query over an index range of one month
//! (`migrations/*/0009_monthly_assessment.sql`, `tickets_created_at`).

use std::collections::BTreeMap;

use sqlx::{AnyPool, Row};

use super::sql::millis;
use super::{RepeatRequester, StoreError, StoreResult, TicketVolume, UnitIncidents};
use crate::domain::Timestamp;

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
    let overdue = sqlx::query(
        "SELECT unit, COUNT(*) AS n FROM deadline_alerts \
         WHERE level = 'overdue' AND reached_at >= $1 AND reached_at < $2 AND unit IS NOT NULL \
         GROUP BY unit",
    )
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
    let reviews = sqlx::query(
        "SELECT details FROM ticket_events \
         WHERE command = 'review_return' AND at >= $1 AND at < $2",
    )
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
    let rows = sqlx::query(
        "SELECT category, region, COUNT(*) AS n FROM tickets \
         WHERE created_at >= $1 AND created_at < $2 \
         GROUP BY category, region ORDER BY category, region",
    )
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
    let rows = sqlx::query(
        "SELECT requester_key, category, COUNT(*) AS n, MAX(id) AS latest FROM tickets \
         WHERE created_at >= $1 AND created_at < $2 AND requester_key IS NOT NULL \
         GROUP BY requester_key, category HAVING COUNT(*) >= $3 \
         ORDER BY COUNT(*) DESC, MAX(id) DESC LIMIT $4",
    )
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
