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
//! updates, since one statement updates a row once), so concurrent batches of other writers or replicas lock ticket rows in one
//! order and cannot deadlock; rate rows are written last, in key order, for the same reason.

use std::collections::{HashMap, HashSet};

use sqlx::{Acquire, AnyConnection, Row};

use super::callback_tasks::{self, TaskChange};
use super::group_commit::{BatchWriter, Written};
use super::log_sync::WriteConnection;
use super::multi_row::{self, Shapes, Style};
use super::rate_counts::{self, Additions};
use super::sql::{
    AnyQuery, PROJECTION_COLUMNS, bind_projection_with_body, insert_events, ticket_body,
};
use super::{StoreError, StoreResult};
use crate::domain::rates_ledger::Entry;
use crate::domain::{Event, Ticket, TicketId, Transition};

/// A transition waiting for its batch: owned (the caller's borrows end at the queue),
/// with the ticket's JSON body already serialised on the caller's task, so the one
/// writer task only writes.
pub(super) struct Change {
    pub before: Ticket,
    pub transition: Transition,
    body: String,
}

impl Change {
    pub fn prepare(before: &Ticket, transition: &Transition) -> StoreResult<Self> {
        Ok(Change {
            before: before.clone(),
            transition: transition.clone(),
            body: ticket_body(&transition.ticket)?,
        })
    }

    /// Binds one row of [`UPDATE_TICKETS`]: the projection, whether the lease stays, the
    /// ticket and the version the transition was decided on.
    fn bind<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let after = &self.transition.ticket;
        bind_projection_with_body(query, after, self.body.clone())
            .bind(after.keeps_lease_of(&self.before))
            .bind(self.before.id)
            .bind(self.before.version)
    }
}

/// Updates tickets, each only if still at the version its transition was decided on;
/// answers the ids it updated. Each `VALUES` row is the projection
/// ([`PROJECTION_COLUMNS`]), whether the lease stays (only while the ticket stays on the
/// same unit's desk), the ticket's id and the version decided on. A CTE names the
/// `VALUES` columns: SQLite cannot alias them in FROM.
static UPDATE_TICKETS: Shapes = Shapes::new(|style, rows| {
    let set: Vec<String> = PROJECTION_COLUMNS
        .iter()
        .map(|c| format!("{c} = v.{c}"))
        .collect();
    format!(
        "WITH v ({}, keep_lease, ticket_id, decided_on) AS (VALUES {}) UPDATE tickets SET {}, \
         lease_owner = CASE WHEN v.keep_lease THEN tickets.lease_owner ELSE NULL END, \
         lease_until = CASE WHEN v.keep_lease THEN tickets.lease_until ELSE NULL END \
         FROM v WHERE tickets.id = v.ticket_id AND tickets.version = v.decided_on RETURNING id",
        PROJECTION_COLUMNS.join(", "),
        multi_row::placeholders(style, rows, PROJECTION_COLUMNS.len() + 3),
        set.join(", ")
    )
});

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

/// Runs [`UPDATE_TICKETS`] over the round; answers the ids it updated.
async fn update_tickets(
    conn: &mut AnyConnection,
    style: Style,
    changes: &[Change],
    round: &[usize],
) -> StoreResult<HashSet<TicketId>> {
    let mut updated = HashSet::with_capacity(round.len());
    for chunk in multi_row::split(round, multi_row::MAX_ROWS) {
        let query = chunk.iter().fold(
            sqlx::query(UPDATE_TICKETS.sql(style, chunk.len())),
            |q, &i| changes[i].bind(q),
        );
        for row in query.fetch_all(&mut *conn).await? {
            updated.insert(row.try_get("id")?);
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
