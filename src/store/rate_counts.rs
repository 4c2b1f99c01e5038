//! The rate aggregate: entries added in the writers' transactions, summed for GetRates,
//! and rebuilt from the event log. Entries come from the pure ledger ([`rates_ledger`]);
//! this module only moves them in and out of SQL.
//!
//! Two grains hold the same counts: `rate_counts` per local day and `rate_counts_monthly`
//! per month. A query reads whole months from the monthly table and only the days at the
//! edges of its period from the daily one, so a month's report sums about thirty times
//! fewer rows.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use super::conditions::Conditions;
use super::multi_row::{self, Shapes, Style};
use super::sql::{Dialect, SELECT_EVENT, event_from_row};
use super::{RateGrouping, RatePeriod, RateQuery, RateRow, RebuildReport, StoreError, StoreResult};
use crate::domain::rates::RateCounts;
use crate::domain::rates_ledger::{
    self, Account, Entry, RateDelta, UnreadableEvent, day_from_key, day_key, next_month,
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

/// One of the two tables of counts; days order before months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Grain {
    /// `rate_counts`, keyed by `day` = yyyymmdd.
    Day,
    /// `rate_counts_monthly`, keyed by `month` = yyyymm.
    Month,
}

const GRAINS: [Grain; 2] = [Grain::Day, Grain::Month];

impl Grain {
    fn table(self) -> &'static str {
        match self {
            Grain::Day => "rate_counts",
            Grain::Month => "rate_counts_monthly",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Month => "month",
        }
    }

    fn key(self, day: NaiveDate) -> i64 {
        match self {
            Grain::Day => day_key(day),
            Grain::Month => day_key(day) / 100,
        }
    }

    /// Adds entries to `rows` distinct rows (a [`multi_row`] chunk), creating each row on
    /// first use. `excluded` is the row proposed for insertion (SQLite and PostgreSQL share
    /// this syntax).
    fn upsert(self, style: Style, rows: usize) -> &'static str {
        static DAY: Shapes = Shapes::new(|style, rows| upsert_sql(Grain::Day, style, rows));
        static MONTH: Shapes = Shapes::new(|style, rows| upsert_sql(Grain::Month, style, rows));
        match self {
            Grain::Day => DAY.sql(style, rows),
            Grain::Month => MONTH.sql(style, rows),
        }
    }
}

fn upsert_sql(grain: Grain, style: Style, rows: usize) -> String {
    let (table, column) = (grain.table(), grain.column());
    let sums: Vec<String> = COUNTERS
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({column}, unit, region, category, {}) VALUES {} \
         ON CONFLICT ({column}, unit, region, category) DO UPDATE SET {}",
        COUNTERS.join(", "),
        multi_row::placeholders(style, rows, 4 + COUNTERS.len()),
        sums.join(", ")
    )
}

impl From<UnreadableEvent> for StoreError {
    fn from(error: UnreadableEvent) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

/// Entries of one transaction summed per row, so a batch of new tickets costs one upsert
/// per row it touches rather than one per ticket.
#[derive(Debug, Default)]
pub struct Additions {
    rows: BTreeMap<(Grain, RowKey), RateDelta>,
}

impl Additions {
    /// Adds the entries of a ticket in `region` and `category`.
    pub fn add(&mut self, region: &str, category: &str, entries: &[Entry]) {
        for grain in GRAINS {
            for entry in entries {
                let key = (
                    grain.key(entry.day),
                    entry.unit.clone(),
                    region.to_string(),
                    category.to_string(),
                );
                self.rows.entry((grain, key)).or_default().add(&entry.delta);
            }
        }
    }

    /// Upserts the rows in key order, all daily rows before any monthly one, so that
    /// concurrent writers lock rows in one global order and cannot deadlock.
    pub async fn write(&self, conn: &mut AnyConnection, style: Style) -> StoreResult<()> {
        for grain in GRAINS {
            let rows: Vec<_> = self.rows.iter().filter(|((g, _), _)| *g == grain).collect();
            let mut rest = &rows[..];
            for size in multi_row::chunks(rows.len()) {
                let (chunk, tail) = rest.split_at(size);
                rest = tail;
                let mut query = sqlx::query(grain.upsert(style, size));
                for ((_, (key, unit, region, category)), delta) in chunk {
                    query = query
                        .bind(*key)
                        .bind(unit.clone())
                        .bind(region.clone())
                        .bind(category.clone());
                    query = counters(delta).into_iter().fold(query, |q, v| q.bind(v));
                }
                query.execute(&mut *conn).await?;
            }
        }
        Ok(())
    }
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
            "the rate counts sum to {sum} {column}; run `hotline rates rebuild`"
        ))
    })
}

fn add_counts(total: &mut RateCounts, more: &RateCounts) {
    total.dispatched += more.dispatched;
    total.responded_in_time += more.responded_in_time;
    total.callbacks += more.callbacks;
    total.declined += more.declined;
    total.resolved += more.resolved;
    total.satisfied += more.satisfied;
    total.basically_satisfied += more.basically_satisfied;
    total.dissatisfied += more.dissatisfied;
}

/// The period label of a row from its yyyymmdd (by day) or yyyymm (by month) key.
fn period_label(period: RatePeriod, key: i64) -> StoreResult<String> {
    let bad = || StoreError::Corrupt(format!("rate counts period key {key} is not a date"));
    Ok(match period {
        RatePeriod::Whole => String::new(),
        RatePeriod::Day => day_from_key(key).ok_or_else(bad)?.to_string(),
        RatePeriod::Month => day_from_key(key * 100 + 1)
            .ok_or_else(bad)?
            .format("%Y-%m")
            .to_string(),
    })
}

/// `[from, to)` cut into the grains that cover it: the days before the first whole month,
/// the whole months, the days after the last one. Split by day, everything is days.
fn pieces(
    from: NaiveDate,
    to: NaiveDate,
    period: RatePeriod,
) -> Vec<(Grain, NaiveDate, NaiveDate)> {
    let first_whole = if from.day() == 1 {
        from
    } else {
        next_month(from)
    };
    let after_whole = to.with_day(1).expect("every month has a first day");
    if period == RatePeriod::Day || first_whole >= after_whole {
        return vec![(Grain::Day, from, to)];
    }
    [
        (Grain::Day, from, first_whole),
        (Grain::Month, first_whole, after_whole),
        (Grain::Day, after_whole, to),
    ]
    .into_iter()
    .filter(|(_, start, end)| start < end)
    .collect()
}

/// Sums the counts over the query's days, one row per period and group.
pub async fn query(reader: &AnyPool, query: &RateQuery) -> StoreResult<Vec<RateRow>> {
    let key = match query.group_by {
        RateGrouping::Unit => "unit",
        RateGrouping::Region => "region",
        RateGrouping::Category => "category",
    };
    // SUM of BIGINT is NUMERIC on PostgreSQL; cast back so both backends read i64.
    let sums: Vec<String> = COUNTERS
        .iter()
        .map(|col| format!("CAST(SUM({col}) AS BIGINT) AS {col}"))
        .collect();
    let mut groups: BTreeMap<(i64, String), RateCounts> = BTreeMap::new();
    for (grain, start, end) in pieces(query.from, query.to, query.period) {
        let column = grain.column();
        let period = match (query.period, grain) {
            (RatePeriod::Whole, _) => "CAST(0 AS BIGINT)".to_string(),
            (RatePeriod::Day, _) | (RatePeriod::Month, Grain::Month) => column.to_string(),
            (RatePeriod::Month, Grain::Day) => format!("{column} / 100"),
        };
        let mut c = Conditions::default();
        c.and(&format!("{column} >="), grain.key(start))
            .and(&format!("{column} <"), grain.key(end))
            .and_some("unit =", query.unit.as_deref())
            .and_some("region =", query.region.as_deref())
            .and_some("category =", query.category.as_deref());
        let sql = format!(
            "SELECT {period} AS period, {key} AS k, {} FROM {} WHERE 1 = 1{} \
             GROUP BY {period}, {key}",
            sums.join(", "),
            grain.table(),
            c.sql()
        );
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
            let group = (row.try_get("period")?, row.try_get("k")?);
            add_counts(groups.entry(group).or_default(), &counts);
        }
    }
    let mut rows = Vec::new();
    for ((period, key), counts) in groups {
        // Retractions can leave rows that count nothing.
        if counts != RateCounts::default() {
            rows.push(RateRow {
                period: period_label(query.period, period)?,
                key,
                counts,
            });
        }
    }
    rows.sort_by(|a, b| (&a.period, &a.key).cmp(&(&b.period, &b.key)));
    Ok(rows)
}

/// (period key, unit, region, category).
type RowKey = (i64, String, String, String);

/// Tickets replayed per round trip during a rebuild.
const REBUILD_PAGE: i64 = 500;
/// Rows per INSERT of counts (12 values each, well under both backends' limits).
const INSERT_BATCH: usize = 256;

/// The non-zero rows of one table.
async fn read_table(
    conn: &mut AnyConnection,
    grain: Grain,
) -> StoreResult<BTreeMap<RowKey, [i64; 8]>> {
    let sql = format!(
        "SELECT {} AS k, unit, region, category, {} FROM {}",
        grain.column(),
        COUNTERS.join(", "),
        grain.table()
    );
    let mut rows = BTreeMap::new();
    for row in sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *conn)
        .await?
    {
        let mut values = [0; 8];
        for (value, column) in values.iter_mut().zip(COUNTERS) {
            *value = row.try_get(column)?;
        }
        if values != [0; 8] {
            let key = (
                row.try_get("k")?,
                row.try_get("unit")?,
                row.try_get("region")?,
                row.try_get("category")?,
            );
            rows.insert(key, values);
        }
    }
    Ok(rows)
}

/// Replaces a table's rows.
async fn write_table(
    conn: &mut AnyConnection,
    dialect: Dialect,
    grain: Grain,
    rows: &BTreeMap<RowKey, [i64; 8]>,
) -> StoreResult<()> {
    let table = grain.table();
    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
        .execute(&mut *conn)
        .await?;
    let rows: Vec<(&RowKey, [i64; 8])> = rows.iter().map(|(k, v)| (k, *v)).collect();
    insert_rows(conn, dialect, grain, &rows, false).await
}

/// Inserts rows, at most [`INSERT_BATCH`] per statement; with `add`, a row that exists
/// gets the values added to its counts (keys must then be distinct within the rows).
async fn insert_rows(
    conn: &mut AnyConnection,
    dialect: Dialect,
    grain: Grain,
    rows: &[(&RowKey, [i64; 8])],
    add: bool,
) -> StoreResult<()> {
    let (table, column) = (grain.table(), grain.column());
    let on_conflict = if add {
        let sums: Vec<String> = COUNTERS
            .iter()
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
            .collect();
        format!(
            " ON CONFLICT ({column}, unit, region, category) DO UPDATE SET {}",
            sums.join(", ")
        )
    } else {
        String::new()
    };
    for batch in multi_row::split(rows, INSERT_BATCH) {
        let sql = format!(
            "INSERT INTO {table} ({column}, unit, region, category, {}) VALUES {}{on_conflict}",
            COUNTERS.join(", "),
            multi_row::placeholders(dialect.placeholders(), batch.len(), 4 + COUNTERS.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((key, unit, region, category), values) in batch {
            query = query
                .bind(*key)
                .bind(unit.clone())
                .bind(region.clone())
                .bind(category.clone());
            for value in values {
                query = query.bind(*value);
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The daily rows summed per month.
fn monthly_of(daily: &BTreeMap<RowKey, RateDelta>) -> BTreeMap<RowKey, RateDelta> {
    let mut monthly: BTreeMap<RowKey, RateDelta> = BTreeMap::new();
    for ((day, unit, region, category), delta) in daily {
        let key = (day / 100, unit.clone(), region.clone(), category.clone());
        monthly.entry(key).or_default().add(delta);
    }
    monthly
}

/// The entries of many tickets summed per daily row, so that a bulk import adds each row
/// once instead of once per ticket.
#[derive(Debug, Default)]
pub struct Totals {
    daily: BTreeMap<RowKey, RateDelta>,
}

impl Totals {
    pub fn add(&mut self, ticket: &Ticket, entries: &[Entry]) {
        for entry in entries {
            let key = (
                day_key(entry.day),
                entry.unit.clone(),
                ticket.intake.region.clone(),
                ticket.intake.category.clone(),
            );
            self.daily.entry(key).or_default().add(&entry.delta);
        }
    }
}

/// Adds the totals to both grains: daily rows before monthly ones, each in key order, the
/// order [`add`] locks rows in. Rows that sum to nothing are left out.
pub async fn add_totals(
    conn: &mut AnyConnection,
    dialect: Dialect,
    totals: &Totals,
) -> StoreResult<()> {
    let monthly = monthly_of(&totals.daily);
    for (grain, rows) in [(Grain::Day, &totals.daily), (Grain::Month, &monthly)] {
        let rows: Vec<(&RowKey, [i64; 8])> = rows
            .iter()
            .filter(|(_, delta)| !delta.is_zero())
            .map(|(key, delta)| (key, counters(delta)))
            .collect();
        insert_rows(conn, dialect, grain, &rows, true).await?;
    }
    Ok(())
}

/// Replays every ticket's events through the ledger and replaces both tables, holding off
/// concurrent rate writes: SQLite takes the write lock at once (`BEGIN IMMEDIATE`);
/// PostgreSQL locks the tables against writers (transitions that add entries wait; their
/// events are not committed yet, so they are not replayed either, and land afterwards).
pub async fn rebuild(writer: &AnyPool, dialect: Dialect) -> StoreResult<RebuildReport> {
    let mut tx = match dialect {
        Dialect::Sqlite => writer.begin_with("BEGIN IMMEDIATE").await?,
        Dialect::Postgres => {
            let mut tx = writer.begin().await?;
            sqlx::query("LOCK TABLE rate_counts, rate_counts_monthly IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
            tx
        }
    };

    let mut report = RebuildReport::default();
    let mut daily: BTreeMap<RowKey, RateDelta> = BTreeMap::new();
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
                    daily.entry(key).or_default().add(&entry.delta);
                }
            }
            report.tickets += 1;
        }
        after_id = last_id;
    }

    let monthly = monthly_of(&daily);
    for (grain, rebuilt) in [(Grain::Day, daily), (Grain::Month, monthly)] {
        let rebuilt: BTreeMap<RowKey, [i64; 8]> = rebuilt
            .into_iter()
            .map(|(key, delta)| (key, counters(&delta)))
            .filter(|(_, values)| *values != [0; 8])
            .collect();
        let before = read_table(&mut tx, grain).await?;
        report.rows_changed += before
            .keys()
            .chain(rebuilt.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|key| before.get(*key) != rebuilt.get(*key))
            .count() as u64;
        if grain == Grain::Day {
            report.rows = rebuilt.len() as u64;
        }
        write_table(&mut tx, dialect, grain, &rebuilt).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Warns when the event log has counted work but the counts are empty: a database
/// upgraded from before they existed, whose rates read zero until rebuilt.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, month, day).unwrap()
    }

    fn dispatched(day: NaiveDate, unit: &str, n: i64) -> Entry {
        Entry {
            day,
            unit: unit.into(),
            delta: RateDelta {
                dispatched: n,
                ..RateDelta::default()
            },
        }
    }

    #[test]
    fn additions_sum_per_row_days_before_months() {
        let mut additions = Additions::default();
        additions.add("r1", "c1", &[dispatched(d(3, 2), "u1", 1)]);
        additions.add("r1", "c1", &[dispatched(d(3, 2), "u1", 1)]);
        additions.add("r1", "c2", &[dispatched(d(3, 3), "u1", 1)]);
        additions.add("r1", "c1", &[dispatched(d(2, 28), "u2", -1)]);
        let rows: Vec<(Grain, i64, &str, &str, i64)> = additions
            .rows
            .iter()
            .map(|((grain, (key, unit, _, category)), delta)| {
                (
                    *grain,
                    *key,
                    unit.as_str(),
                    category.as_str(),
                    delta.dispatched,
                )
            })
            .collect();
        use Grain::{Day, Month};
        assert_eq!(
            rows,
            vec![
                (Day, 20260228, "u2", "c1", -1),
                (Day, 20260302, "u1", "c1", 2),
                (Day, 20260303, "u1", "c2", 1),
                (Month, 202602, "u2", "c1", -1),
                (Month, 202603, "u1", "c1", 2),
                (Month, 202603, "u1", "c2", 1),
            ]
        );
    }

    #[test]
    fn whole_months_are_read_from_the_monthly_grain() {
        use Grain::{Day as D, Month as M};
        use RatePeriod::{Day, Month, Whole};
        let cases = [
            // Inside one month: days only.
            ((d(3, 2), d(3, 9), Whole), vec![(D, d(3, 2), d(3, 9))]),
            ((d(3, 1), d(3, 31), Month), vec![(D, d(3, 1), d(3, 31))]),
            // Exactly a month.
            ((d(3, 1), d(4, 1), Whole), vec![(M, d(3, 1), d(4, 1))]),
            // Edges and whole months between them.
            (
                (d(2, 28), d(5, 3), Month),
                vec![
                    (D, d(2, 28), d(3, 1)),
                    (M, d(3, 1), d(5, 1)),
                    (D, d(5, 1), d(5, 3)),
                ],
            ),
            // By day, always days.
            ((d(3, 1), d(5, 1), Day), vec![(D, d(3, 1), d(5, 1))]),
        ];
        for ((from, to, period), expected) in cases {
            assert_eq!(
                pieces(from, to, period),
                expected,
                "{from}..{to} {period:?}"
            );
        }
    }
}
