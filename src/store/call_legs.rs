//! Call legs over SQL: the legs, their hourly aggregates and the missed-call queue (see
//! [`CallStore`](super::calls::CallStore) for the contract).

use std::collections::BTreeMap;

use chrono::Duration;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use super::StoreResult;
use super::calls::{CallGrouping, CallStatsQuery, CallStatsRow, LegsReported, MissedCall};
use super::sql::{from_millis, millis, opt_millis};
use crate::domain::Timestamp;
use crate::domain::calls::{CallCounts, CallLeg, LegEnd, WAIT_BUCKETS};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Local days are UTC+8 (see `rates_ledger`).
const LOCAL_OFFSET_MS: i64 = 8 * HOUR_MS;

/// The start of the UTC hour an instant falls in, in epoch milliseconds.
fn hour_of(at: Timestamp) -> i64 {
    millis(at).div_euclid(HOUR_MS) * HOUR_MS
}

/// What tells a retry from a reuse of the leg id, without a second copy of the number.
fn fingerprint(leg: &CallLeg) -> String {
    let (answered, abandoned) = match leg.end {
        LegEnd::Answered(at) => (Some(at), None),
        LegEnd::Abandoned(at) => (None, Some(at)),
    };
    let text = format!(
        "{}|{}|{}|{:?}|{}|{:?}|{:?}",
        leg.line,
        leg.caller.as_deref().unwrap_or_default(),
        leg.agent.as_deref().unwrap_or_default(),
        leg.ticket_id,
        millis(leg.offered_at),
        opt_millis(answered),
        opt_millis(abandoned),
    );
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

pub async fn report(
    writer: &AnyPool,
    legs: &[CallLeg],
    short_abandon: Duration,
    missed_within: Duration,
    now: Timestamp,
) -> StoreResult<LegsReported> {
    let mut tx = writer.begin().await?;
    let mut new = Vec::with_capacity(legs.len());
    let mut sums: BTreeMap<(String, i64), CallCounts> = BTreeMap::new();
    for (i, leg) in legs.iter().enumerate() {
        let print = fingerprint(leg);
        if !insert_leg(&mut tx, leg, &print, now).await? {
            let stored: String = sqlx::query("SELECT fingerprint FROM call_legs WHERE leg_id = $1")
                .bind(leg.leg_id.clone())
                .fetch_one(&mut *tx)
                .await?
                .try_get("fingerprint")?;
            if stored != print {
                tx.rollback().await?;
                return Ok(LegsReported::Conflict(i));
            }
            new.push(false);
            continue;
        }
        new.push(true);
        sums.entry((leg.line.clone(), hour_of(leg.offered_at)))
            .or_default()
            .add(&CallCounts::of_leg(leg, short_abandon));
        follow_missed(&mut tx, leg, short_abandon, missed_within).await?;
    }
    for ((line, hour), counts) in &sums {
        add_counts(&mut tx, line, *hour, counts).await?;
    }
    tx.commit().await?;
    Ok(LegsReported::Written(new))
}

async fn insert_leg(
    conn: &mut AnyConnection,
    leg: &CallLeg,
    print: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let (answered, abandoned) = match leg.end {
        LegEnd::Answered(at) => (Some(millis(at)), None),
        LegEnd::Abandoned(at) => (None, Some(millis(at))),
    };
    let inserted = sqlx::query(
        "INSERT INTO call_legs (leg_id, line, caller, agent, ticket_id, offered_at, \
         answered_at, abandoned_at, fingerprint, reported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (leg_id) DO NOTHING",
    )
    .bind(leg.leg_id.clone())
    .bind(leg.line.clone())
    .bind(leg.caller.clone())
    .bind(leg.agent.clone())
    .bind(leg.ticket_id)
    .bind(millis(leg.offered_at))
    .bind(answered)
    .bind(abandoned)
    .bind(print.to_string())
    .bind(millis(now))
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Keeps the missed-call queue in step with a new leg.
async fn follow_missed(
    conn: &mut AnyConnection,
    leg: &CallLeg,
    short_abandon: Duration,
    missed_within: Duration,
) -> StoreResult<()> {
    let Some(caller) = &leg.caller else {
        return Ok(());
    };
    match leg.end {
        LegEnd::Answered(_) => {
            sqlx::query(
                "UPDATE missed_calls SET cleared_at = $1, cleared_by = 'call' \
                 WHERE caller = $2 AND cleared_at IS NULL AND abandoned_at <= $1",
            )
            .bind(millis(leg.offered_at))
            .bind(caller.clone())
            .execute(&mut *conn)
            .await?;
        }
        LegEnd::Abandoned(at) if !leg.is_short_abandon(short_abandon) => {
            // Legs may arrive out of order: the caller may have got through already.
            let through = sqlx::query(
                "SELECT leg_id FROM call_legs WHERE caller = $1 AND answered_at IS NOT NULL \
                 AND offered_at >= $2 LIMIT 1",
            )
            .bind(caller.clone())
            .bind(millis(at))
            .fetch_optional(&mut *conn)
            .await?;
            if through.is_none() {
                sqlx::query(
                    "INSERT INTO missed_calls (leg_id, line, caller, abandoned_at, due_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(leg.leg_id.clone())
                .bind(leg.line.clone())
                .bind(caller.clone())
                .bind(millis(at))
                .bind(millis(at + missed_within))
                .execute(&mut *conn)
                .await?;
            }
        }
        LegEnd::Abandoned(_) => {}
    }
    Ok(())
}

async fn add_counts(
    conn: &mut AnyConnection,
    line: &str,
    hour: i64,
    c: &CallCounts,
) -> StoreResult<()> {
    let n = |v: u64| v as i64;
    sqlx::query(
        "INSERT INTO call_counts (line, hour, offered, answered, answered_in_15s, abandoned, \
         short_abandoned, wait_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (line, hour) DO UPDATE SET \
         offered = call_counts.offered + excluded.offered, \
         answered = call_counts.answered + excluded.answered, \
         answered_in_15s = call_counts.answered_in_15s + excluded.answered_in_15s, \
         abandoned = call_counts.abandoned + excluded.abandoned, \
         short_abandoned = call_counts.short_abandoned + excluded.short_abandoned, \
         wait_ms = call_counts.wait_ms + excluded.wait_ms",
    )
    .bind(line.to_string())
    .bind(hour)
    .bind(n(c.offered))
    .bind(n(c.answered))
    .bind(n(c.answered_in_15s))
    .bind(n(c.abandoned))
    .bind(n(c.short_abandoned))
    .bind(n(c.wait_ms))
    .execute(&mut *conn)
    .await?;
    for (bucket, &calls) in c.wait_buckets.iter().enumerate() {
        if calls == 0 {
            continue;
        }
        sqlx::query(
            "INSERT INTO call_wait_buckets (line, hour, bucket, calls) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (line, hour, bucket) DO UPDATE SET \
             calls = call_wait_buckets.calls + excluded.calls",
        )
        .bind(line.to_string())
        .bind(hour)
        .bind(bucket as i64)
        .bind(n(calls))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The period a stored hour belongs to, as SQL over the `hour` column.
fn period_sql(query: &CallStatsQuery) -> String {
    match query.group {
        CallGrouping::Whole => format!("CAST({} AS BIGINT)", millis(query.from)),
        CallGrouping::Day => {
            format!("((hour + {LOCAL_OFFSET_MS}) / {DAY_MS}) * {DAY_MS} - {LOCAL_OFFSET_MS}")
        }
        CallGrouping::Hour => "hour".to_string(),
    }
}

pub async fn stats(reader: &AnyPool, query: &CallStatsQuery) -> StoreResult<Vec<CallStatsRow>> {
    let period = period_sql(query);
    // Hours that start in [from, to): the first is the one from falls in, if it starts there.
    let from = millis(query.from).div_euclid(HOUR_MS) * HOUR_MS;
    let from = if from < millis(query.from) {
        from + HOUR_MS
    } else {
        from
    };
    let line_filter = if query.line.is_some() {
        " AND line = $3"
    } else {
        ""
    };
    let counts_sql = format!(
        "SELECT line, {period} AS period, CAST(SUM(offered) AS BIGINT) AS offered, \
         CAST(SUM(answered) AS BIGINT) AS answered, \
         CAST(SUM(answered_in_15s) AS BIGINT) AS answered_in_15s, \
         CAST(SUM(abandoned) AS BIGINT) AS abandoned, \
         CAST(SUM(short_abandoned) AS BIGINT) AS short_abandoned, \
         CAST(SUM(wait_ms) AS BIGINT) AS wait_ms \
         FROM call_counts WHERE hour >= $1 AND hour < $2{line_filter} \
         GROUP BY line, {period} ORDER BY line, {period}"
    );
    let buckets_sql = format!(
        "SELECT line, {period} AS period, bucket, CAST(SUM(calls) AS BIGINT) AS calls \
         FROM call_wait_buckets WHERE hour >= $1 AND hour < $2{line_filter} \
         GROUP BY line, {period}, bucket"
    );
    let run = |sql: String| {
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(from)
            .bind(millis(query.to));
        if let Some(line) = &query.line {
            q = q.bind(line.clone());
        }
        q
    };
    let rows = run(counts_sql).fetch_all(reader).await?;
    let mut out: BTreeMap<(String, i64), CallCounts> = BTreeMap::new();
    for row in &rows {
        let get = |col: &str| -> StoreResult<u64> { Ok(row.try_get::<i64, _>(col)?.max(0) as u64) };
        let counts = CallCounts {
            offered: get("offered")?,
            answered: get("answered")?,
            answered_in_15s: get("answered_in_15s")?,
            abandoned: get("abandoned")?,
            short_abandoned: get("short_abandoned")?,
            wait_ms: get("wait_ms")?,
            wait_buckets: [0; WAIT_BUCKETS],
        };
        out.insert((row.try_get("line")?, row.try_get("period")?), counts);
    }
    for row in run(buckets_sql).fetch_all(reader).await? {
        let key: (String, i64) = (row.try_get("line")?, row.try_get("period")?);
        let bucket: i64 = row.try_get("bucket")?;
        let calls: i64 = row.try_get("calls")?;
        if let (Some(counts), Ok(i)) = (out.get_mut(&key), usize::try_from(bucket))
            && i < WAIT_BUCKETS
        {
            counts.wait_buckets[i] = calls.max(0) as u64;
        }
    }
    out.into_iter()
        .map(|((line, period), counts)| {
            Ok(CallStatsRow {
                line,
                period_start: from_millis(period)?,
                counts,
            })
        })
        .collect()
}

const SELECT_MISSED: &str = "SELECT leg_id, line, caller, abandoned_at, due_at, cleared_at, \
     cleared_by, agent FROM missed_calls";

fn missed_from_row(row: &AnyRow) -> StoreResult<MissedCall> {
    Ok(MissedCall {
        leg_id: row.try_get("leg_id")?,
        line: row.try_get("line")?,
        caller: row.try_get("caller")?,
        abandoned_at: from_millis(row.try_get("abandoned_at")?)?,
        due_at: from_millis(row.try_get("due_at")?)?,
        cleared_at: row
            .try_get::<Option<i64>, _>("cleared_at")?
            .map(from_millis)
            .transpose()?,
        cleared_by: row.try_get("cleared_by")?,
        agent: row.try_get("agent")?,
    })
}

pub async fn list_missed(
    reader: &AnyPool,
    line: Option<&str>,
    now: Timestamp,
    limit: u32,
) -> StoreResult<Vec<MissedCall>> {
    let line_filter = if line.is_some() { " AND line = $3" } else { "" };
    let sql = format!(
        "{SELECT_MISSED} WHERE cleared_at IS NULL AND due_at <= $1{line_filter} \
         ORDER BY due_at, leg_id LIMIT $2"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(millis(now))
        .bind(i64::from(limit));
    if let Some(line) = line {
        q = q.bind(line.to_string());
    }
    q.fetch_all(reader)
        .await?
        .iter()
        .map(missed_from_row)
        .collect()
}

/// Missed calls due and not cleared at `now`, per line: the gauge of the queue.
pub async fn missed_per_line(reader: &AnyPool, now: Timestamp) -> StoreResult<Vec<(String, u64)>> {
    let rows = sqlx::query(
        "SELECT line, CAST(COUNT(*) AS BIGINT) AS calls FROM missed_calls \
         WHERE cleared_at IS NULL AND due_at <= $1 GROUP BY line ORDER BY line",
    )
    .bind(millis(now))
    .fetch_all(reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("line")?,
                r.try_get::<i64, _>("calls")?.max(0) as u64,
            ))
        })
        .collect()
}

pub async fn record_callback(
    writer: &AnyPool,
    leg_id: &str,
    agent: &str,
    note: &str,
    now: Timestamp,
) -> StoreResult<Option<MissedCall>> {
    let mut tx = writer.begin().await?;
    let Some(row) = sqlx::query(AssertSqlSafe(format!("{SELECT_MISSED} WHERE leg_id = $1")))
        .bind(leg_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(None);
    };
    let missed = missed_from_row(&row)?;
    if missed.cleared_at.is_some() {
        return Ok(Some(missed));
    }
    // The call reached the number: every call it missed is answered by it.
    sqlx::query(
        "UPDATE missed_calls SET cleared_at = $1, cleared_by = 'callback', agent = $2, note = $3 \
         WHERE caller = $4 AND cleared_at IS NULL AND (abandoned_at <= $1 OR leg_id = $5)",
    )
    .bind(millis(now))
    .bind(agent.to_string())
    .bind(note.to_string())
    .bind(missed.caller.clone())
    .bind(leg_id.to_string())
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT_MISSED} WHERE leg_id = $1")))
        .bind(leg_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(missed_from_row(&row)?))
}
