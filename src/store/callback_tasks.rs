//! Callback tasks over SQL (see [`CallStore`](super::calls::CallStore)). A task is opened
//! by the transition that puts a ticket in awaiting_callback and closed by the one that
//! takes it out, in that transition's transaction ([`follow`]): so an adapter never
//! pulls a task whose ticket was already called back, and no ticket awaits a callback
//! without a task. Deriving the queue from the tickets instead would put the leases and
//! attempt counts on the tickets table, or join it on every pull.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use super::StoreResult;
use super::calls::{CallbackTask, OpenAttempt};
use super::multi_row::{self, Shapes, Style};
use super::sql::{Dialect, SqlStore, from_millis, millis};
use crate::domain::{State, Ticket, TicketId, Timestamp};

const COLUMNS: &str = "ticket_id, status, channel, attempts, created_at, not_before, \
     lease_owner, lease_until, last_outcome, last_reply";

fn task_from_row(row: &AnyRow) -> StoreResult<CallbackTask> {
    let instant = |col: &str| -> StoreResult<Option<Timestamp>> {
        row.try_get::<Option<i64>, _>(col)?
            .map(from_millis)
            .transpose()
    };
    Ok(CallbackTask {
        ticket_id: row.try_get("ticket_id")?,
        status: row.try_get("status")?,
        channel: row.try_get("channel")?,
        attempts: row.try_get::<i64, _>("attempts")?.clamp(0, u32::MAX.into()) as u32,
        created_at: from_millis(row.try_get("created_at")?)?,
        not_before: from_millis(row.try_get("not_before")?)?,
        lease_owner: row.try_get("lease_owner")?,
        lease_until: instant("lease_until")?,
        last_outcome: row.try_get("last_outcome")?,
        last_reply: row.try_get("last_reply")?,
    })
}

/// What a transition does to its ticket's callback task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TaskChange {
    /// The ticket now awaits its callback: open (or reopen) the task from this instant.
    Open { at: i64 },
    /// The ticket left awaiting_callback: the task is done, with this outcome.
    Close { outcome: String },
}

/// Whether the transition moves the ticket in or out of awaiting_callback. A ticket
/// reopened (重办) and replied again gets a fresh task.
pub(super) fn change(before: &Ticket, after: &Ticket) -> Option<TaskChange> {
    let was = before.state == State::AwaitingCallback;
    let is = after.state == State::AwaitingCallback;
    if is && !was {
        Some(TaskChange::Open {
            at: millis(after.updated_at),
        })
    } else if was && !is {
        let outcome = after
            .callback
            .as_ref()
            .map_or(after.state.code(), |c| c.satisfaction.code());
        Some(TaskChange::Close {
            outcome: outcome.to_string(),
        })
    } else {
        None
    }
}

/// Opens or closes the ticket's task as the transition moves it in or out of
/// awaiting_callback.
pub async fn follow(conn: &mut AnyConnection, before: &Ticket, after: &Ticket) -> StoreResult<()> {
    match change(before, after) {
        Some(TaskChange::Open { at }) => open(conn, Style::Numbered, &[(before.id, at)]).await,
        Some(TaskChange::Close { outcome }) => close(conn, before.id, &outcome).await,
        None => Ok(()),
    }
}

/// Opens the tasks of `(ticket, instant)`, a few rows per statement; a task that exists
/// (the ticket was called back before and reopened) starts afresh.
pub(super) async fn open(
    conn: &mut AnyConnection,
    style: Style,
    tasks: &[(TicketId, i64)],
) -> StoreResult<()> {
    static OPEN: Shapes = Shapes::new(|style, rows| {
        format!(
            "INSERT INTO callback_tasks (ticket_id, status, attempts, created_at, not_before) \
             VALUES {} ON CONFLICT (ticket_id) DO UPDATE SET \
             status = 'open', channel = NULL, attempts = 0, created_at = excluded.created_at, \
             not_before = excluded.not_before, lease_owner = NULL, lease_until = NULL, \
             last_outcome = NULL, last_reply = NULL",
            multi_row::placeholders(style, rows, 5)
        )
    });
    for chunk in multi_row::split(tasks, multi_row::MAX_ROWS) {
        chunk
            .iter()
            .fold(sqlx::query(OPEN.sql(style, chunk.len())), |q, &(id, at)| {
                q.bind(id).bind("open").bind(0_i64).bind(at).bind(at)
            })
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Marks the ticket's task done with the transition's outcome.
pub(super) async fn close(
    conn: &mut AnyConnection,
    id: TicketId,
    outcome: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE callback_tasks SET status = 'done', lease_owner = NULL, lease_until = NULL, \
         last_outcome = $1 WHERE ticket_id = $2",
    )
    .bind(outcome.to_string())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Opens the tasks of imported tickets that await their callback.
pub(super) async fn open_for_imported(
    conn: &mut AnyConnection,
    style: Style,
    tickets: &[super::ImportedTicket],
) -> StoreResult<()> {
    let awaiting: Vec<(TicketId, i64)> = tickets
        .iter()
        .map(|t| &t.ticket)
        .filter(|t| t.state == State::AwaitingCallback)
        .map(|t| (t.id, millis(t.updated_at)))
        .collect();
    open(conn, style, &awaiting).await
}

pub async fn pull(
    store: &SqlStore,
    channel: &str,
    first_channel: &str,
    worker: &str,
    max: u32,
    now: Timestamp,
    lease_until: Timestamp,
) -> StoreResult<Vec<CallbackTask>> {
    // SQLite serialises writers, so only PostgreSQL needs to skip rows others hold.
    let lock = match store.dialect {
        Dialect::Sqlite => "",
        Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
    };
    let sql = format!(
        "UPDATE callback_tasks SET lease_owner = $1, lease_until = $2 WHERE ticket_id IN (\
         SELECT ticket_id FROM callback_tasks WHERE status = 'open' \
         AND COALESCE(channel, $3) = $4 AND not_before <= $5 \
         AND (lease_until IS NULL OR lease_until <= $5) \
         ORDER BY created_at, ticket_id LIMIT $6 {lock}) RETURNING {COLUMNS}"
    );
    let mut tx = store.writer.begin().await?;
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(worker.to_string())
        .bind(millis(lease_until))
        .bind(first_channel.to_string())
        .bind(channel.to_string())
        .bind(millis(now))
        .bind(i64::from(max))
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut tasks = rows
        .iter()
        .map(task_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    // RETURNING has no order; restore the one the rows were chosen in.
    tasks.sort_by_key(|t| (t.created_at, t.ticket_id));
    Ok(tasks)
}

pub async fn get(reader: &AnyPool, ticket_id: TicketId) -> StoreResult<Option<CallbackTask>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM callback_tasks WHERE ticket_id = $1"
    )))
    .bind(ticket_id)
    .fetch_optional(reader)
    .await?;
    row.as_ref().map(task_from_row).transpose()
}

pub async fn record_attempt(
    writer: &AnyPool,
    ticket_id: TicketId,
    worker: &str,
    attempt: &OpenAttempt,
    now: Timestamp,
) -> StoreResult<Option<CallbackTask>> {
    let held = "WHERE ticket_id = $1 AND status = 'open' AND lease_owner = $2 AND lease_until > $3";
    let query = match attempt {
        OpenAttempt::NoAnswer { retry_at } => sqlx::query(AssertSqlSafe(format!(
            "UPDATE callback_tasks SET attempts = attempts + 1, not_before = $4, \
             lease_owner = NULL, lease_until = NULL, last_outcome = 'no_answer' {held} \
             RETURNING {COLUMNS}"
        )))
        .bind(ticket_id)
        .bind(worker.to_string())
        .bind(millis(now))
        .bind(millis(*retry_at)),
        OpenAttempt::Handover { channel, reply } => sqlx::query(AssertSqlSafe(format!(
            "UPDATE callback_tasks SET channel = $4, last_reply = $5, not_before = $3, \
             lease_owner = NULL, lease_until = NULL, last_outcome = 'unclear' {held} \
             RETURNING {COLUMNS}"
        )))
        .bind(ticket_id)
        .bind(worker.to_string())
        .bind(millis(now))
        .bind(channel.clone())
        .bind(reply.clone()),
    };
    let mut tx = writer.begin().await?;
    let row = query.fetch_optional(&mut *tx).await?;
    tx.commit().await?;
    row.as_ref().map(task_from_row).transpose()
}

pub async fn list_open(
    reader: &AnyPool,
    channel: Option<(&str, &str)>,
    limit: u32,
) -> StoreResult<Vec<CallbackTask>> {
    let filter = if channel.is_some() {
        " AND COALESCE(channel, $2) = $3"
    } else {
        ""
    };
    let mut q = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM callback_tasks WHERE status = 'open'{filter} \
         ORDER BY created_at, ticket_id LIMIT $1"
    )))
    .bind(i64::from(limit));
    if let Some((channel, first)) = channel {
        q = q.bind(first.to_string()).bind(channel.to_string());
    }
    q.fetch_all(reader)
        .await?
        .iter()
        .map(task_from_row)
        .collect()
}
