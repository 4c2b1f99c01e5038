//! Writes a batch of ticket transitions in one transaction (see
//! [`group_commit`](super::group_commit)): a busy back office signs, answers and replies
//! to many tickets at once, and each of those steps is durable before it is acknowledged.
//!
//! First all together, in a few multi-row statements whatever the batch's size: the
//! version-checked updates of the tickets (`UPDATE … FROM` a `VALUES` list, answering the
//! ids it updated), then the events of those that went in, the callback tasks they open,
//! and the batch's rate entries summed per row; then one commit. A stale version is not
//! an error of the transaction (its row is simply not updated), so it is answered alone
//! on the fast path. If a statement fails, the transaction is rolled back and the batch
//! written again with each transition in a savepoint of its own, so the one at fault
//! fails alone.
//!
//! Transitions go in in ticket-id order (a ticket's own in the order they were
//! submitted; a second transition of a ticket in one batch goes in a later round of
//! updates, since one statement updates a row once), so concurrent batches of other
//! writers or replicas lock ticket rows in one order and cannot deadlock; rate rows are
//! written last, in key order, for the same reason. On SQLite, which locks the whole
//! database rather than rows, a round's updates are grouped by the columns they change
//! (see [`Columns`]), each group in ticket-id order.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use sqlx::{Acquire, AnyConnection, AssertSqlSafe, Row};

use super::callback_tasks::{self, TaskChange};
use super::group_commit::{BatchWriter, Written};
use super::log_sync::WriteConnection;
use super::multi_row::{self, Style};
use super::projection::{PROJECTED, PROJECTION_COLUMNS, Projected, column_index, projection};
use super::rate_counts::{self, Additions};
use super::sql::{AnyQuery, Dialect, insert_events, ticket_body};
use super::{StoreError, StoreResult};
use crate::domain::rates_ledger::Entry;
use crate::domain::{Event, Ticket, TicketId, Transition};

/// A transition waiting for its batch: owned (the caller's borrows end at the queue),
/// with the ticket's JSON body serialised, its columns projected and those to set chosen
/// (see [`Columns`]) on the caller's task, so the one writer task only writes.
pub(super) struct Change {
    pub before: Ticket,
    pub transition: Transition,
    body: String,
    after: [Projected; PROJECTED],
    changed: Columns,
}

impl Change {
    pub fn prepare(
        dialect: Dialect,
        before: &Ticket,
        transition: &Transition,
    ) -> StoreResult<Self> {
        let after = projection(&transition.ticket);
        let changed = match dialect {
            Dialect::Sqlite => Columns::changed(&projection(before), &after),
            Dialect::Postgres => Columns::ALL,
        };
        Ok(Change {
            before: before.clone(),
            transition: transition.clone(),
            body: ticket_body(&transition.ticket)?,
            after,
            changed,
        })
    }

    /// Binds one row of [`update_sql`] for the columns it sets: those columns, the body,
    /// whether the lease stays, the ticket and the version the transition was decided on.
    fn bind<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let after = &self.transition.ticket;
        self.changed
            .indexes()
            // Cloned: a batch that fails is bound again, one change at a time.
            .fold(query, |q, i| self.after[i].clone().bind(q))
            .bind(self.body.clone())
            .bind(after.keeps_lease_of(&self.before))
            .bind(self.before.id)
            .bind(self.before.version)
    }
}

/// The projected columns an UPDATE sets besides the body: bit `i` for
/// `PROJECTION_COLUMNS[i]`.
///
/// SQLite rewrites the entries of every index that names a column of an UPDATE's SET
/// list (as a key or in a partial index's condition), even when the value stays the
/// same. So on SQLite a transition sets the [`INDEXED`] columns only when it changed
/// them: a step that changes the state alone (handle, say) leaves the deadline indexes
/// untouched. The other columns are always set, which costs no index and keeps the
/// statement shapes few (a pull's four steps make two). PostgreSQL decides by value (a
/// changed indexed column means a new entry in every index either way), so there every
/// transition sets every column, in one statement shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Columns(u32);

/// The projected columns some index of `tickets` names, on both backends (a test reads
/// SQLite's schema to keep this list true). A column left out of it costs index writes
/// on SQLite, never a wrong row.
const INDEXED: [&str; 12] = [
    "state",
    "category",
    "region",
    "assigned_unit",
    "merged_into",
    "supervised",
    "reply_due_at",
    "next_due_at",
    "yellow_at",
    "red_at",
    "next_alert_at",
    "chase_up_count",
];

const fn bit(name: &str) -> u32 {
    1 << column_index(name)
}

const INDEXED_BITS: u32 = {
    let mut bits = 0;
    let mut i = 0;
    while i < INDEXED.len() {
        bits |= bit(INDEXED[i]);
        i += 1;
    }
    bits
};

/// The running deadline and its warning instants, as projected.
const WATCH_BITS: u32 = bit("next_due_at") | bit("yellow_at") | bit("red_at");
const NEXT_DUE: usize = column_index("next_due_at");

impl Columns {
    const ALL: Columns = Columns((1 << PROJECTED) - 1);

    /// The indexed columns whose projection differs, every other column, and always the
    /// scanner's cursor: every save puts it back at the first warning instant (the
    /// scanner moves it on without a new version, and which warnings are left depends on
    /// every running deadline, not only on the projected one).
    ///
    /// A ticket whose body has no running deadline also gets its deadline columns set:
    /// tickets saved before migration 0002 have no deadline in their body, but that
    /// migration filled their columns in from the due instants, so their stored columns
    /// are not what the body projects until a save writes them.
    fn changed(before: &[Projected], after: &[Projected]) -> Columns {
        let mut bits = before
            .iter()
            .zip(after)
            .enumerate()
            .filter(|(_, (was, is))| was != is)
            .fold(bit("next_alert_at"), |bits, (i, _)| bits | 1 << i);
        if before[NEXT_DUE] == Projected::Int(None) {
            bits |= WATCH_BITS;
        }
        Columns(bits | (Self::ALL.0 & !INDEXED_BITS))
    }

    fn indexes(self) -> impl Iterator<Item = usize> {
        (0..PROJECTED).filter(move |i| self.0 & (1 << i) != 0)
    }

    fn names(self) -> impl Iterator<Item = &'static str> {
        self.indexes()
            .map(|i| PROJECTION_COLUMNS[i])
            .chain(std::iter::once(PROJECTION_COLUMNS[PROJECTED]))
    }
}

/// Updates tickets, each only if still at the version its transition was decided on;
/// answers the ids it updated. Each `VALUES` row is the columns set (`columns`, then the
/// body), whether the lease stays (only while the ticket stays on the same unit's desk),
/// the ticket's id and the version decided on. A CTE names the `VALUES` columns: SQLite
/// cannot alias them in FROM. Built once per shape and kept: the shapes are the column
/// sets transitions change (a few per kind of step) times the chunk sizes.
fn update_sql(style: Style, columns: Columns, rows: usize) -> Arc<str> {
    type Shape = (Style, Columns, usize);
    static BUILT: LazyLock<Mutex<HashMap<Shape, Arc<str>>>> = LazyLock::new(Mutex::default);
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    built
        .entry((style, columns, rows))
        .or_insert_with(|| {
            let names: Vec<&str> = columns.names().collect();
            let set: Vec<String> = names.iter().map(|c| format!("{c} = v.{c}")).collect();
            format!(
                "WITH v ({}, keep_lease, ticket_id, decided_on) AS (VALUES {}) UPDATE tickets \
                 SET {}, \
                 lease_owner = CASE WHEN v.keep_lease THEN tickets.lease_owner ELSE NULL END, \
                 lease_until = CASE WHEN v.keep_lease THEN tickets.lease_until ELSE NULL END \
                 FROM v WHERE tickets.id = v.ticket_id AND tickets.version = v.decided_on \
                 RETURNING id",
                names.join(", "),
                multi_row::placeholders(style, rows, names.len() + 3),
                set.join(", ")
            )
            .into()
        })
        .clone()
}

/// Writes batches of transitions through the store's write connection.
pub(super) struct TransitionWriter {
    pub writer: WriteConnection,
    pub style: Style,
}

impl BatchWriter for TransitionWriter {
    type Job = Change;
    type Done = ();
    const NAME: &'static str = "transition";
    const BATCH_SIZE_METRIC: &'static str = super::TRANSITION_BATCH_SIZE;

    async fn write(&self, changes: Vec<Change>) -> Written<()> {
        let mut conn = match self.writer.acquire().await {
            Ok(conn) => conn,
            Err(error) => return Written::failed(error, changes.len()),
        };
        let outcome = write_batch(&mut conn, self.style, &changes).await;
        Written::new(outcome, conn.finish().await, changes.len())
    }
}

/// Writes the batch; answers in the changes' order, and whether it went one by one.
async fn write_batch(
    conn: &mut AnyConnection,
    style: Style,
    changes: &[Change],
) -> StoreResult<(Vec<StoreResult<()>>, bool)> {
    let mut order: Vec<usize> = (0..changes.len()).collect();
    // Stable: a ticket's transitions keep their order, so the second meets the first's
    // version and is answered as stale, as it would be written alone.
    order.sort_by_key(|&i| changes[i].before.id);
    let mut tx = conn.begin().await?;
    match write_together(&mut tx, style, changes, &order).await {
        Ok(answers) => {
            tx.commit().await?;
            return Ok((answers, false));
        }
        Err(error) => {
            tracing::warn!(%error, transitions = changes.len(),
                "a transition batch failed; writing it one by one");
            tx.rollback().await?;
        }
    }
    let mut tx = conn.begin().await?;
    let answers = write_one_by_one(&mut tx, style, changes, &order).await?;
    tx.commit().await?;
    Ok((answers, true))
}

/// The fast path: a few multi-row statements for the whole batch. Any database error
/// fails it all.
async fn write_together(
    conn: &mut AnyConnection,
    style: Style,
    changes: &[Change],
    order: &[usize],
) -> StoreResult<Vec<StoreResult<()>>> {
    let mut answers: Vec<StoreResult<()>> = (0..changes.len()).map(|_| Ok(())).collect();
    let mut additions = Additions::default();
    let mut events: Vec<(&Event, TicketId)> = Vec::new();
    let mut opened: Vec<(TicketId, i64)> = Vec::new();
    for round in rounds(changes, order) {
        let updated = update_tickets(conn, style, changes, &round).await?;
        for &i in &round {
            let change = &changes[i];
            let (before, after) = (&change.before, &change.transition.ticket);
            if !updated.contains(&before.id) {
                answers[i] = Err(refusal(conn, before).await?);
                continue;
            }
            let event = &change.transition.event;
            add(
                &mut additions,
                before,
                &rate_counts::for_transition(conn, before, event).await?,
            );
            events.push((event, before.id));
            match callback_tasks::change(before, after) {
                Some(TaskChange::Open { at }) => opened.push((before.id, at)),
                Some(TaskChange::Close { outcome }) => {
                    callback_tasks::close(conn, before.id, &outcome).await?
                }
                None => {}
            }
        }
    }
    insert_events(conn, style, &events).await?;
    callback_tasks::open(conn, style, &opened).await?;
    additions.write(conn, style).await?;
    Ok(answers)
}

/// The batch's transitions in rounds of at most one per ticket, each in ticket-id order:
/// a ticket's second transition in the batch meets its first's version in the next round.
fn rounds(changes: &[Change], order: &[usize]) -> Vec<Vec<usize>> {
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    let mut seen: HashMap<TicketId, usize> = HashMap::new();
    for &i in order {
        let round = seen
            .entry(changes[i].before.id)
            .and_modify(|r| *r += 1)
            .or_insert(0);
        if *round == rounds.len() {
            rounds.push(Vec::new());
        }
        rounds[*round].push(i);
    }
    rounds
}

/// Updates the round's tickets; answers the ids it updated. Changes that set the same
/// columns share statements, in ticket-id order within each.
async fn update_tickets(
    conn: &mut AnyConnection,
    style: Style,
    changes: &[Change],
    round: &[usize],
) -> StoreResult<HashSet<TicketId>> {
    let mut updated = HashSet::with_capacity(round.len());
    let mut shapes: Vec<(Columns, Vec<usize>)> = Vec::new();
    for &i in round {
        let columns = changes[i].changed;
        match shapes.iter_mut().find(|(c, _)| *c == columns) {
            Some((_, rows)) => rows.push(i),
            None => shapes.push((columns, vec![i])),
        }
    }
    for (columns, rows) in &shapes {
        for chunk in multi_row::split(rows, multi_row::MAX_ROWS) {
            let statement = update_sql(style, *columns, chunk.len());
            let query = chunk
                .iter()
                .fold(sqlx::query(AssertSqlSafe(statement)), |q, &i| {
                    changes[i].bind(q)
                });
            for row in query.fetch_all(&mut *conn).await? {
                updated.insert(row.try_get("id")?);
            }
        }
    }
    Ok(updated)
}

/// The careful path: each transition in a savepoint, so a failing one rolls back alone.
async fn write_one_by_one(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    style: Style,
    changes: &[Change],
    order: &[usize],
) -> StoreResult<Vec<StoreResult<()>>> {
    let mut answers: Vec<StoreResult<()>> = (0..changes.len()).map(|_| Ok(())).collect();
    let mut additions = Additions::default();
    for &i in order {
        let change = &changes[i];
        let mut savepoint = (&mut *tx).begin().await?;
        match apply(&mut savepoint, style, change).await {
            Ok(Ok(entries)) => {
                savepoint.commit().await?;
                add(&mut additions, &change.before, &entries);
            }
            Ok(Err(refusal)) | Err(refusal) => {
                savepoint.rollback().await?;
                answers[i] = Err(refusal);
            }
        }
    }
    additions.write(tx, style).await?;
    Ok(answers)
}

fn add(additions: &mut Additions, before: &Ticket, entries: &[Entry]) {
    additions.add(&before.intake.region, &before.intake.category, entries);
}

/// Updates the ticket if it is still at the version the transition was decided on,
/// appends its event and opens or closes its callback task; answers the rate entries to
/// add. The outer error is the database's; the inner one refuses this transition alone
/// (stale version, ticket gone).
async fn apply(
    conn: &mut AnyConnection,
    style: Style,
    change: &Change,
) -> StoreResult<StoreResult<Vec<Entry>>> {
    let Change {
        before, transition, ..
    } = change;
    if update_tickets(conn, style, std::slice::from_ref(change), &[0])
        .await?
        .is_empty()
    {
        return Ok(Err(refusal(conn, before).await?));
    }
    let entries = rate_counts::for_transition(conn, before, &transition.event).await?;
    insert_events(conn, style, &[(&transition.event, before.id)]).await?;
    callback_tasks::follow(conn, before, &transition.ticket).await?;
    Ok(Ok(entries))
}

/// Why a ticket was not updated: it is gone, or another change moved its version on.
async fn refusal(conn: &mut AnyConnection, before: &Ticket) -> StoreResult<StoreError> {
    let current = sqlx::query("SELECT version FROM tickets WHERE id = $1")
        .bind(before.id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match current {
        None => StoreError::NotFound(before.id),
        Some(row) => StoreError::VersionConflict {
            id: before.id,
            expected: before.version,
            current: row.try_get("version")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// Every projected column SQLite's indexes on `tickets` name (keys and conditions) is
    /// in [`INDEXED`], and every column there is named by some index.
    #[tokio::test]
    async fn indexed_lists_the_columns_the_schema_indexes() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite");
        super::super::sqlite::MIGRATOR
            .run(&mut conn)
            .await
            .expect("migrations");
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets' \
             AND sql IS NOT NULL",
        )
        .fetch_all(&mut conn)
        .await
        .expect("the schema");
        assert!(indexes.len() >= 10, "{indexes:?}");
        let named: HashSet<&str> = indexes
            .iter()
            .flat_map(|sql| sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
            .collect();
        let projected = &PROJECTION_COLUMNS[..PROJECTED];
        let indexed: Vec<&str> = projected
            .iter()
            .copied()
            .filter(|c| named.contains(c))
            .collect();
        let mut listed = INDEXED.to_vec();
        listed.sort_by_key(|c| column_index(c));
        assert_eq!(indexed, listed);
    }

    #[test]
    fn a_change_sets_the_indexed_columns_it_changed_and_every_other() {
        let projected = |state: &str, region: &str| {
            let mut columns: Vec<Projected> = (0..PROJECTED)
                .map(|i| Projected::Int(Some(i as i64)))
                .collect();
            columns[column_index("state")] = Projected::Text(Some(state.into()));
            columns[column_index("region")] = Projected::Text(Some(region.into()));
            columns
        };
        let before = projected("signed", "320102");
        let set: Vec<&str> = Columns::changed(&before, &projected("responded", "320102"))
            .names()
            .collect();
        assert!(
            set.contains(&"state") && set.contains(&"next_alert_at"),
            "{set:?}"
        );
        assert!(
            set.contains(&"version") && set.contains(&"closed_at"),
            "{set:?}"
        );
        assert!(
            !set.contains(&"region") && !set.contains(&"next_due_at"),
            "{set:?}"
        );
        assert_eq!(set.last(), Some(&"body"));
        let moved = Columns::changed(&before, &projected("signed", "320104"));
        assert!(moved.names().any(|c| c == "region"));
        assert!(!moved.names().any(|c| c == "state"));
        // A body without a running deadline: its deadline columns are written whatever
        // the comparison says (rows that migration 0002 filled in).
        let mut no_deadline = projected("replied", "320102");
        no_deadline[NEXT_DUE] = Projected::Int(None);
        let set: Vec<&str> = Columns::changed(&no_deadline, &no_deadline.clone())
            .names()
            .collect();
        for column in ["next_due_at", "yellow_at", "red_at"] {
            assert!(set.contains(&column), "{set:?}");
        }
        assert!(!set.contains(&"state"), "{set:?}");
    }
}
