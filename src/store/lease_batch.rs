//! Leases a batch of PullAssigned calls in one transaction (see
//! [`group_commit`](super::group_commit)). A lease is a write: the pulled tickets must not
//! be handed to another worker, even after a restart, so each pull used to pay a commit
//! (an fsync) of its own; back offices pulling at once now share one.
//!
//! The pulls of a batch run one after another inside the transaction, each seeing the
//! leases of those before it, so no two are handed the same ticket (PostgreSQL also skips
//! rows that other writers or replicas hold). A pull changes no ticket but its lease and
//! cannot be refused row by row; if a statement fails, the whole batch fails with it and
//! nothing was leased, so every caller may simply pull again.

use std::sync::LazyLock;

use sqlx::{Acquire, AnyConnection, Row};

use super::group_commit::{BatchWriter, Written};
use super::log_sync::WriteConnection;
use super::sql::{Dialect, PULLABLE_STATES, millis, ticket_from_row};
use super::{StoreError, StoreResult};
use crate::domain::{Ticket, Timestamp};

/// One PullAssigned call waiting for its batch, owned.
pub(super) struct Pull {
    pub unit: String,
    pub worker: String,
    pub max: u32,
    pub now: Timestamp,
    pub lease_until: Timestamp,
}

/// Writes batches of pulls through the store's write connection.
pub(super) struct LeaseWriter {
    pub writer: WriteConnection,
    pub dialect: Dialect,
}

impl BatchWriter for LeaseWriter {
    type Job = Pull;
    type Done = Vec<Ticket>;
    const NAME: &'static str = "lease";
    const BATCH_SIZE_METRIC: &'static str = super::LEASE_BATCH_SIZE;

    async fn write(&self, pulls: Vec<Pull>) -> Written<Vec<Ticket>> {
        let mut conn = match self.writer.acquire().await {
            Ok(conn) => conn,
            Err(error) => return Written::failed(error, pulls.len()),
        };
        let outcome = write_batch(&mut conn, self.dialect, &pulls).await;
        Written::new(outcome, conn.finish().await, pulls.len())
    }
}

/// Starts a batch's transaction on PostgreSQL, in the same round trip as `BEGIN`: the
/// pulls use the generic plan of their statement, planned once per connection.
///
/// PostgreSQL plans a prepared statement for each call's values while that plan is
/// costed well below the generic one, and a generic `LIMIT $5` is costed as a tenth of
/// the unit's queue: once a unit's queue held a few thousand tickets (a million stored),
/// every pull was planned anew, 0.3 ms of a 1.3 ms call. The generic plan is the same
/// scan of `tickets_pull` in the queue's order. `LOCAL`: it ends with the transaction,
/// so no other statement on the connection is planned this way.
const BEGIN_WITH_GENERIC_PLANS: &str = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan";

/// Leases for each pull in turn; answers in the pulls' order.
async fn write_batch(
    conn: &mut AnyConnection,
    dialect: Dialect,
    pulls: &[Pull],
) -> StoreResult<(Vec<StoreResult<Vec<Ticket>>>, bool)> {
    let sql = pull_sql(dialect);
    let mut tx = match dialect {
        Dialect::Sqlite => conn.begin().await?,
        Dialect::Postgres => sqlx::Connection::begin_with(conn, BEGIN_WITH_GENERIC_PLANS).await?,
    };
    let mut answers = Vec::with_capacity(pulls.len());
    for pull in pulls {
        answers.push(Ok(lease(&mut tx, sql, pull).await?));
    }
    tx.commit().await?;
    Ok((answers, false))
}

/// Leases up to `max` of the unit's pullable tickets whose lease is free or ran out, the
/// nearest reply deadline first. Built once per dialect.
fn pull_sql(dialect: Dialect) -> &'static str {
    static SQLITE: LazyLock<String> = LazyLock::new(|| build_pull_sql(Dialect::Sqlite));
    static POSTGRES: LazyLock<String> = LazyLock::new(|| build_pull_sql(Dialect::Postgres));
    match dialect {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    }
}

fn build_pull_sql(dialect: Dialect) -> String {
    // SQLite serialises writers, so only PostgreSQL needs to skip rows others hold.
    let lock = match dialect {
        Dialect::Sqlite => "",
        Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
    };
    format!(
        "UPDATE tickets SET lease_owner = $1, lease_until = $2 WHERE id IN (\
         SELECT id FROM tickets WHERE assigned_unit = $3 AND state IN {PULLABLE_STATES} \
         AND (lease_until IS NULL OR lease_until <= $4) \
         ORDER BY reply_due_at, id LIMIT $5 {lock}) RETURNING id, version, body, reply_due_at"
    )
}

async fn lease(
    conn: &mut AnyConnection,
    sql: &'static str,
    pull: &Pull,
) -> StoreResult<Vec<Ticket>> {
    let rows = sqlx::query(sql)
        .bind(pull.worker.clone())
        .bind(millis(pull.lease_until))
        .bind(pull.unit.clone())
        .bind(millis(pull.now))
        .bind(i64::from(pull.max))
        .fetch_all(&mut *conn)
        .await?;
    let mut tickets = rows
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<Option<i64>, _>("reply_due_at")?,
                ticket_from_row(row)?,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // RETURNING has no order; restore the one the rows were chosen in.
    tickets.sort_by_key(|(due, t)| (due.is_none(), *due, t.id));
    Ok(tickets.into_iter().map(|(_, t)| t).collect())
}

#[cfg(test)]
#[path = "lease_batch_tests.rs"]
mod tests;
