//! Writes a batch of ticket transitions in one transaction (see
//! [`group_commit`](super::group_commit)): a busy back office signs, answers and replies
//! to many tickets at once, and each of those steps is durable before it is acknowledged.
//!
//! First all together: each transition's version-checked update and event, then the
//! batch's rate entries summed per row, then one commit. A stale version is not an error
//! of the transaction (the update touches no row), so it is answered alone on the fast
//! path. If a statement fails, the transaction is rolled back and the batch written again
//! with each transition in a savepoint of its own, so the one at fault fails alone.
//!
//! Transitions go in in ticket-id order (a ticket's own in the order they were
//! submitted), so concurrent batches of other writers or replicas lock ticket rows in one
//! order and cannot deadlock; rate rows are written last, in key order, for the same reason.

use sqlx::{Acquire, AnyConnection, AnyPool, Row};

use super::group_commit::BatchWriter;
use super::multi_row::Style;
use super::rate_counts::{self, Additions};
use super::sql::{UPDATE_TICKET, bind_projection, insert_event};
use super::{StoreError, StoreResult};
use crate::domain::Ticket;
use crate::domain::Transition;
use crate::domain::rates_ledger::Entry;

/// A transition waiting for its batch, owned: the caller's borrows end at the queue.
pub(super) struct Change {
    pub before: Ticket,
    pub transition: Transition,
}

/// Writes batches of transitions through the store's writer pool.
pub(super) struct TransitionWriter {
    pub pool: AnyPool,
    pub style: Style,
}

impl BatchWriter for TransitionWriter {
    type Job = Change;
    type Done = ();
    const NAME: &'static str = "transition";
    const BATCH_SIZE_METRIC: &'static str = super::TRANSITION_BATCH_SIZE;

    async fn write(&self, changes: Vec<Change>) -> Vec<StoreResult<()>> {
        match write_batch(&self.pool, self.style, &changes).await {
            Ok(answers) => answers,
            // Nothing of the batch was committed: every caller learns why.
            Err(error) => vec![Err(error); changes.len()],
        }
    }
}

async fn write_batch(
    pool: &AnyPool,
    style: Style,
    changes: &[Change],
) -> StoreResult<Vec<StoreResult<()>>> {
    let mut order: Vec<usize> = (0..changes.len()).collect();
    // Stable: a ticket's transitions keep their order, so the second meets the first's
    // version and is answered as stale, as it would be written alone.
    order.sort_by_key(|&i| changes[i].before.id);
    let mut tx = pool.begin().await?;
    match write_together(&mut tx, style, changes, &order).await {
        Ok(answers) => {
            tx.commit().await?;
            return Ok(answers);
        }
        Err(error) => {
            tracing::warn!(%error, transitions = changes.len(),
                "a transition batch failed; writing it one by one");
            tx.rollback().await?;
        }
    }
    let mut tx = pool.begin().await?;
    let answers = write_one_by_one(&mut tx, style, changes, &order).await?;
    tx.commit().await?;
    Ok(answers)
}

/// The fast path: any database error fails the whole batch.
async fn write_together(
    conn: &mut AnyConnection,
    style: Style,
    changes: &[Change],
    order: &[usize],
) -> StoreResult<Vec<StoreResult<()>>> {
    let mut answers: Vec<StoreResult<()>> = (0..changes.len()).map(|_| Ok(())).collect();
    let mut additions = Additions::default();
    for &i in order {
        let change = &changes[i];
        match apply(conn, change).await? {
            Ok(entries) => add(&mut additions, &change.before, &entries),
            Err(refusal) => answers[i] = Err(refusal),
        }
    }
    additions.write(conn, style).await?;
    Ok(answers)
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
        match apply(&mut savepoint, change).await {
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
/// appends its event and opens or closes its callback task; answers the rate entries to add. The outer error is the database's;
/// the inner one refuses this transition alone (stale version, ticket gone).
async fn apply(conn: &mut AnyConnection, change: &Change) -> StoreResult<StoreResult<Vec<Entry>>> {
    let Change { before, transition } = change;
    let after = &transition.ticket;
    let updated = bind_projection(sqlx::query(UPDATE_TICKET), after)?
        .bind(after.keeps_lease_of(before))
        .bind(before.id)
        .bind(before.version)
        .execute(&mut *conn)
        .await?;
    if updated.rows_affected() != 1 {
        let current = sqlx::query("SELECT version FROM tickets WHERE id = $1")
            .bind(before.id)
            .fetch_optional(&mut *conn)
            .await?;
        return Ok(Err(match current {
            None => StoreError::NotFound(before.id),
            Some(row) => StoreError::VersionConflict {
                id: before.id,
                expected: before.version,
                current: row.try_get("version")?,
            },
        }));
    }
    let entries = rate_counts::for_transition(conn, before, &transition.event).await?;
    insert_event(conn, &transition.event, before.id).await?;
    super::callback_tasks::follow(conn, before, after).await?;
    Ok(Ok(entries))
}
