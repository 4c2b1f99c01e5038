//! The rate aggregate (`rate_counts`): entries added in the writers' transactions, summed
//! for GetRates, and rebuilt from the event log. Entries come from the pure ledger
//! ([`rates_ledger`]); this module only moves them in and out of SQL.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use super::conditions::Conditions;
use super::sql::{Dialect, SELECT_EVENT, event_from_row};
use super::{RateGrouping, RatePeriod, RateQuery, RateRow, RebuildReport, StoreError, StoreResult};
use crate::domain::rates::RateCounts;
use crate::domain::rates_ledger::{
    self, Account, Entry, RateDelta, UnreadableEvent, day_from_key, day_key,
};
use crate::domain::{Event, Ticket};

/// The counters, in the order of [`RateDelta`]'s fields.
const COUNTERS: [&str; 8] = [
    "dispatched",
    "responded_in_time",
    "callbacks",
    "declined",
    "resolved",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
];

fn counters(d: &RateDelta) -> [i64; 8] {
    [
        d.dispatched,
        d.responded_in_time,
        d.callbacks,
        d.declined,
        d.resolved,
        d.satisfied,
        d.basically_satisfied,
        d.dissatisfied,
    ]
}

/// Adds one entry to its row, creating the row on first use. `excluded` is the row that
/// was proposed for insertion (SQLite and PostgreSQL share this syntax).
static UPSERT: LazyLock<String> = LazyLock::new(|| {
    let placeholders: Vec<String> = (5..=12).map(|n| format!("${n}")).collect();
    let sums: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = rate_counts.{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO rate_counts (day, unit, region, category, {}) \
         VALUES ($1, $2, $3, $4, {}) \
         ON CONFLICT (day, unit, region, category) DO UPDATE SET {}",
        COUNTERS.join(", "),
        placeholders.join(", "),
        sums.join(", ")
    )
});

impl From<UnreadableEvent> for StoreError {
    fn from(error: UnreadableEvent) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

/// Adds a ticket's entries to the aggregate. Entries arrive merged per (day, unit) and in
/// that order, so concurrent writers lock rows in one order.
pub async fn add(conn: &mut AnyConnection, ticket: &Ticket, entries: &[Entry]) -> StoreResult<()> {
    for entry in entries {
        let query = sqlx::query(UPSERT.as_str())
            .bind(day_key(entry.day))
            .bind(entry.unit.clone())
            .bind(ticket.intake.region.clone())
            .bind(ticket.intake.category.clone());
        counters(&entry.delta)
            .into_iter()
            .fold(query, |q, v| q.bind(v))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The entries of a new ticket's opening events.
pub fn for_new_ticket(events: &[Event]) -> StoreResult<Vec<Entry>> {
    let mut account = Account::default();
    let mut entries = Vec::new();
    for event in events {
        entries.extend(account.post(event)?);
    }
    Ok(entries)
}

/// The entries of one transition. Leaving the scope retracts what the ticket counted, so
/// only then is its history read (inside the writer's transaction, after the ticket row
/// was locked by its update).
pub async fn for_transition(
    conn: &mut AnyConnection,
    before: &Ticket,
    event: &Event,
) -> StoreResult<Vec<Entry>> {
    let mut account = if rates_ledger::leaves_scope(event) && before.in_rates_scope() {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_EVENT} WHERE ticket_id = $1 AND version < $2 ORDER BY version"
        )))
        .bind(before.id)
        .bind(event.version)
        .fetch_all(&mut *conn)
        .await?;
        let history = rows
            .iter()
            .map(event_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Account::replay(&history)?
    } else {
        Account::resume(before)
    };
    Ok(account.post(event)?)
}

fn count(row: &AnyRow, column: &str) -> StoreResult<u64> {
    let sum: i64 = row.try_get(column)?;
    u64::try_from(sum).map_err(|_| {
        StoreError::Corrupt(format!(
            "rate_counts sums to {sum} {column}; run `hotline rates rebuild`"
        ))
    })
}

/// The period key of a row: `2026-03-02`, `2026-03`, or empty.
fn period_label(period: RatePeriod, key: i64) -> StoreResult<String> {
    let bad = || StoreError::Corrupt(format!("rate_counts day key {key} is not a date"));
    Ok(match period {
        RatePeriod::Whole => String::new(),
        RatePeriod::Day => day_from_key(key).ok_or_else(bad)?.to_string(),
        RatePeriod::Month => day_from_key(key * 100 + 1)
            .ok_or_else(bad)?
            .format("%Y-%m")
            .to_string(),
    })
}

/// Sums the aggregate over the query's days, one row per period and group.
pub async fn query(reader: &AnyPool, query: &RateQuery) -> StoreResult<Vec<RateRow>> {
    let key = match query.group_by {
        RateGrouping::Unit => "unit",
        RateGrouping::Region => "region",
        RateGrouping::Category => "category",
    };
    let period = match query.period {
        RatePeriod::Whole => "CAST(0 AS BIGINT)",
        RatePeriod::Day => "day",
        RatePeriod::Month => "day / 100",
    };
    let mut c = Conditions::default();
    c.and("day >=", day_key(query.from))
        .and("day <", day_key(query.to))
        .and_some("unit =", query.unit.as_deref())
        .and_some("region =", query.region.as_deref())
        .and_some("category =", query.category.as_deref());
    // SUM of BIGINT is NUMERIC on PostgreSQL; cast back so both backends read i64.
    let sums: Vec<String> = COUNTERS
        .iter()
        .map(|col| format!("CAST(SUM({col}) AS BIGINT) AS {col}"))
        .collect();
    let sql = format!(
        "SELECT {period} AS period, {key} AS k, {} FROM rate_counts WHERE 1 = 1{} \
         GROUP BY {period}, {key}",
        sums.join(", "),
        c.sql()
    );
    let mut rows = Vec::new();
    for row in c.query(sql).fetch_all(reader).await? {
        let counts = RateCounts {
            dispatched: count(&row, "dispatched")?,
            responded_in_time: count(&row, "responded_in_time")?,
            callbacks: count(&row, "callbacks")?,
            declined: count(&row, "declined")?,
            resolved: count(&row, "resolved")?,
            satisfied: count(&row, "satisfied")?,
            basically_satisfied: count(&row, "basically_satisfied")?,
            dissatisfied: count(&row, "dissatisfied")?,
        };
        // Retractions can leave rows that count nothing.
        if counts == RateCounts::default() {
            continue;
        }
        rows.push(RateRow {
            period: period_label(query.period, row.try_get("period")?)?,
            key: row.try_get("k")?,
            counts,
        });
    }
    rows.sort_by(|a, b| (&a.period, &a.key).cmp(&(&b.period, &b.key)));
    Ok(rows)
}

/// (day key, unit, region, category).
type RowKey = (i64, String, String, String);

/// Tickets replayed per round trip during a rebuild.
const REBUILD_PAGE: i64 = 500;
/// Rows per INSERT during a rebuild (12 values each, well under both backends' limits).
const INSERT_BATCH: usize = 400;

/// Replays every ticket's events through the ledger and replaces the aggregate, holding
/// off concurrent rate writes: SQLite takes the write lock at once (`BEGIN IMMEDIATE`),
/// PostgreSQL locks the table against writers (transitions that add entries wait; their
/// events are not yet committed, so they are not replayed either, and land afterwards).
pub async fn rebuild(writer: &AnyPool, dialect: Dialect) -> StoreResult<RebuildReport> {
    let mut tx = match dialect {
        Dialect::Sqlite => writer.begin_with("BEGIN IMMEDIATE").await?,
        Dialect::Postgres => {
            let mut tx = writer.begin().await?;
            sqlx::query("LOCK TABLE rate_counts IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
            tx
        }
    };
    let mut before: BTreeMap<RowKey, [i64; 8]> = BTreeMap::new();
    let columns = COUNTERS.join(", ");
    let sql = format!("SELECT day, unit, region, category, {columns} FROM rate_counts");
    for row in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *tx)
        .await?
    {
        let mut values = [0; 8];
        for (value, column) in values.iter_mut().zip(COUNTERS) {
            *value = row.try_get(column)?;
        }
        let key = (
            row.try_get("day")?,
            row.try_get("unit")?,
            row.try_get("region")?,
            row.try_get("category")?,
        );
        before.insert(key, values);
    }

    let mut report = RebuildReport::default();
    let mut after: BTreeMap<RowKey, RateDelta> = BTreeMap::new();
    let mut after_id = 0_i64;
    loop {
        let tickets = sqlx::query(
            "SELECT id, region, category FROM tickets WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(REBUILD_PAGE)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = tickets.last() else { break };
        let last_id: i64 = last.try_get("id")?;
        let events = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_EVENT} WHERE ticket_id > $1 AND ticket_id <= $2 ORDER BY ticket_id, version"
        )))
        .bind(after_id)
        .bind(last_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(event_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
        let mut by_ticket: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
        for event in events {
            by_ticket.entry(event.ticket_id).or_default().push(event);
        }
        for ticket in &tickets {
            let id: i64 = ticket.try_get("id")?;
            let region: String = ticket.try_get("region")?;
            let category: String = ticket.try_get("category")?;
            let mut account = Account::default();
            for event in by_ticket.remove(&id).unwrap_or_default() {
                report.events += 1;
                for entry in account.post(&event)? {
                    let key = (
                        day_key(entry.day),
                        entry.unit,
                        region.clone(),
                        category.clone(),
                    );
                    after.entry(key).or_default().add(&entry.delta);
                }
            }
            report.tickets += 1;
        }
        after_id = last_id;
    }

    let after: BTreeMap<RowKey, [i64; 8]> = after
        .into_iter()
        .map(|(key, delta)| (key, counters(&delta)))
        .filter(|(_, values)| *values != [0; 8])
        .collect();
    before.retain(|_, values| *values != [0; 8]);
    report.rows = after.len() as u64;
    report.rows_changed = before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|key| before.get(*key) != after.get(*key))
        .count() as u64;

    sqlx::query("DELETE FROM rate_counts")
        .execute(&mut *tx)
        .await?;
    let rows: Vec<(&RowKey, &[i64; 8])> = after.iter().collect();
    for batch in rows.chunks(INSERT_BATCH) {
        let mut c = Conditions::default();
        let tuples: Vec<String> = batch
            .iter()
            .map(|((day, unit, region, category), values)| {
                let mut marks = vec![
                    c.param(*day),
                    c.param(unit.as_str()),
                    c.param(region.as_str()),
                    c.param(category.as_str()),
                ];
                marks.extend(values.iter().map(|v| c.param(*v)));
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO rate_counts (day, unit, region, category, {columns}) VALUES {}",
            tuples.join(", ")
        );
        c.query(sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Warns when the event log has counted work but the aggregate is empty: a database
/// upgraded from before the aggregate existed, whose rates read zero until rebuilt.
pub async fn warn_if_unbuilt(pool: &AnyPool) -> StoreResult<()> {
    let counted =
        sqlx::query("SELECT 1 AS x FROM ticket_events WHERE command = 'dispatch' LIMIT 1")
            .fetch_optional(pool)
            .await?
            .is_some();
    let built = sqlx::query("SELECT 1 AS x FROM rate_counts LIMIT 1")
        .fetch_optional(pool)
        .await?
        .is_some();
    if counted && !built {
        tracing::warn!(
            "the rate counts are empty but tickets were dispatched: run `hotline rates rebuild` \
             to compute them from the event log"
        );
    }
    Ok(())
}
