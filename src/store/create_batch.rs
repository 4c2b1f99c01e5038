//! Writes a batch of new tickets in one transaction (see [`group_commit`](super::group_commit)).
//!
//! First all together: the tickets in a few multi-row INSERTs ([`multi_row`]), then their
//! events likewise, then the batch's rate entries summed per row, then one commit. If any
//! statement fails, that transaction is rolled back and the batch is written again one
//! ticket at a time, each in a savepoint of its own, so the row at fault rolls back alone
//! and gets its own error while its neighbours commit. A failing row costs its batch one
//! retry; a healthy batch costs a handful of round trips, whatever its size.
//!
//! Rows go in in request-id order, so concurrent batches (PostgreSQL: other writers, other
//! replicas) wait for each other's request ids in one order, never in a cycle. A request
//! id that is already taken is looked up on the transaction's connection, so it also finds
//! the ticket an earlier create of the same batch just inserted.

use std::collections::HashMap;

use sqlx::{Acquire, AnyConnection, Row};

use super::group_commit::{BatchWriter, Written};
use super::log_sync::WriteConnection;
use super::multi_row::{self, Shapes, Style};
use super::projection::{CREATION_WIDTH, bind_projection_with_body, creation_columns};
use super::rate_counts::{self, Additions};
use super::sql::{
    AnyQuery, SELECT_BY_REQUEST_ID, insert_events, millis, ticket_body, ticket_from_row,
};
use super::{Created, NewTicket, StoreError, StoreResult};
use crate::domain::rates_ledger::Entry;
use crate::domain::{Event, Ticket, TicketId};

/// Inserts new tickets, skipping taken request ids; answers the ids of those it inserted.
static INSERT_TICKETS: Shapes = Shapes::new(|style, rows| {
    format!(
        "INSERT INTO tickets ({}) VALUES {} \
         ON CONFLICT (request_id) DO NOTHING RETURNING id, request_id",
        creation_columns(),
        multi_row::placeholders(style, rows, CREATION_WIDTH)
    )
});

/// A create waiting for its batch: owned (the caller's borrows end at the queue), with
/// the JSON body and the rate entries already computed on the caller's task, so the
/// writer only writes.
pub(super) struct NewRow {
    ticket: Ticket,
    body: String,
    events: Vec<Event>,
    request_id: String,
    fingerprint: String,
    entries: Vec<Entry>,
}

impl NewRow {
    pub fn prepare(new: NewTicket<'_>) -> StoreResult<Self> {
        Ok(NewRow {
            ticket: new.ticket.clone(),
            body: ticket_body(new.ticket)?,
            events: new.events.to_vec(),
            request_id: new.request_id.to_string(),
            fingerprint: new.fingerprint.to_string(),
            entries: rate_counts::for_new_ticket(new.events)?,
        })
    }

    fn bind<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let ticket = &self.ticket;
        bind_projection_with_body(query, ticket, self.body.clone())
            .bind(self.request_id.clone())
            .bind(self.fingerprint.clone())
            .bind(ticket.intake.channel.code())
            .bind(ticket.intake.line.clone())
            .bind(ticket.intake.request_type.code())
            .bind(millis(ticket.created_at))
            .bind(ticket.intake.requester.key())
    }

    fn created(&self, id: TicketId) -> Created {
        Created {
            ticket: Ticket {
                id,
                ..self.ticket.clone()
            },
            created: true,
        }
    }
}

/// Writes batches of creates through the store's write connection.
pub(super) struct CreateWriter {
    pub writer: WriteConnection,
    pub style: Style,
}

impl BatchWriter for CreateWriter {
    type Job = NewRow;
    type Done = Created;
    const NAME: &'static str = "intake";
    const BATCH_SIZE_METRIC: &'static str = super::INTAKE_BATCH_SIZE;

    async fn write(&self, rows: Vec<NewRow>) -> Written<Created> {
        let mut conn = match self.writer.acquire().await {
            Ok(conn) => conn,
            Err(error) => return Written::failed(error, rows.len()),
        };
        let outcome = write_batch(&mut conn, self.style, &rows).await;
        Written::new(outcome, conn.finish().await, rows.len())
    }
}

/// Answers keyed by the row's place in its batch.
type Answers = Vec<(usize, StoreResult<Created>)>;

/// Writes the batch; answers in the callers' order, and whether it went row by row.
async fn write_batch(
    conn: &mut AnyConnection,
    style: Style,
    rows: &[NewRow],
) -> StoreResult<(Vec<StoreResult<Created>>, bool)> {
    let mut order: Vec<(usize, &NewRow)> = rows.iter().enumerate().collect();
    order.sort_by(|(_, a), (_, b)| a.request_id.cmp(&b.request_id));
    let mut tx = conn.begin().await?;
    match write_together(&mut tx, style, &order).await {
        Ok(answers) => {
            tx.commit().await?;
            return Ok((in_callers_order(rows.len(), answers), false));
        }
        Err(error) => {
            // PostgreSQL may quote a value of the batch in its message.
            let error = crate::domain::pii::redact_text(&error.to_string());
            tracing::warn!(%error, rows = rows.len(), "an intake batch failed; writing it row by row");
            tx.rollback().await?;
        }
    }
    let mut tx = conn.begin().await?;
    let answers = write_one_by_one(&mut tx, style, &order).await?;
    tx.commit().await?;
    Ok((in_callers_order(rows.len(), answers), true))
}

fn in_callers_order(rows: usize, answers: Answers) -> Vec<StoreResult<Created>> {
    let mut slots: Vec<Option<StoreResult<Created>>> = (0..rows).map(|_| None).collect();
    for (i, answer) in answers {
        slots[i] = Some(answer);
    }
    slots
        .into_iter()
        .map(|slot| {
            slot.unwrap_or_else(|| {
                Err(StoreError::Database(
                    "a create of the batch got no answer".into(),
                ))
            })
        })
        .collect()
}

/// The fast path: every statement covers many rows. Any error fails it all.
async fn write_together(
    conn: &mut AnyConnection,
    style: Style,
    order: &[(usize, &NewRow)],
) -> StoreResult<Answers> {
    let mut inserted: HashMap<String, TicketId> = HashMap::new();
    let mut rest = order;
    for size in multi_row::chunks(order.len()) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let query = chunk.iter().fold(
            sqlx::query(INSERT_TICKETS.sql(style, size)),
            |q, (_, row)| row.bind(q),
        );
        for returned in query.fetch_all(&mut *conn).await? {
            inserted.insert(returned.try_get("request_id")?, returned.try_get("id")?);
        }
    }

    let mut answers = Vec::with_capacity(order.len());
    let mut events: Vec<(&Event, TicketId)> = Vec::new();
    let mut additions = Additions::default();
    for &(i, row) in order {
        // The first create of a request id made the row; a later one in the batch is a retry.
        let answer = match inserted.remove(&row.request_id) {
            Some(id) => {
                events.extend(row.events.iter().map(|e| (e, id)));
                let intake = &row.ticket.intake;
                additions.add(&intake.region, &intake.category, &row.entries);
                Ok(row.created(id))
            }
            None => retry_answer(row, find(conn, row).await?),
        };
        answers.push((i, answer));
    }

    insert_events(conn, style, &events).await?;
    additions.write(conn, style).await?;
    Ok(answers)
}

/// The careful path: each row in a savepoint, so a failing one rolls back alone.
async fn write_one_by_one(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    style: Style,
    order: &[(usize, &NewRow)],
) -> StoreResult<Answers> {
    let mut answers = Vec::with_capacity(order.len());
    let mut additions = Additions::default();
    for &(i, row) in order {
        let mut savepoint = (&mut *tx).begin().await?;
        let answer = insert_one(&mut savepoint, style, row).await;
        match &answer {
            Ok(Ok(created)) => {
                savepoint.commit().await?;
                if created.created {
                    let intake = &row.ticket.intake;
                    additions.add(&intake.region, &intake.category, &row.entries);
                }
            }
            _ => savepoint.rollback().await?,
        }
        answers.push((i, answer.and_then(|answer| answer)));
    }
    additions.write(tx, style).await?;
    Ok(answers)
}

/// Inserts the ticket and its events, or answers as a retry. The outer error is the
/// database's; the inner one refuses this create alone (a reused request id).
async fn insert_one(
    conn: &mut AnyConnection,
    style: Style,
    row: &NewRow,
) -> StoreResult<StoreResult<Created>> {
    let inserted = row
        .bind(sqlx::query(INSERT_TICKETS.sql(style, 1)))
        .fetch_optional(&mut *conn)
        .await?;
    let Some(inserted) = inserted else {
        return Ok(retry_answer(row, find(conn, row).await?));
    };
    let id: TicketId = inserted.try_get("id")?;
    let events: Vec<(&Event, TicketId)> = row.events.iter().map(|e| (e, id)).collect();
    insert_events(conn, style, &events).await?;
    Ok(Ok(row.created(id)))
}

/// The ticket holding the row's request id, with its stored fingerprint.
async fn find(conn: &mut AnyConnection, row: &NewRow) -> StoreResult<(Ticket, String)> {
    let found = sqlx::query(SELECT_BY_REQUEST_ID)
        .bind(row.request_id.clone())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::Database("request id conflict without a row".into()))?;
    Ok((
        ticket_from_row(&found)?,
        found.try_get("request_fingerprint")?,
    ))
}

/// A taken request id: the same request again is a retry and gets the stored ticket;
/// another request under the same id is refused.
fn retry_answer(row: &NewRow, (ticket, fingerprint): (Ticket, String)) -> StoreResult<Created> {
    if fingerprint != row.fingerprint {
        return Err(StoreError::RequestIdReused {
            request_id: row.request_id.clone(),
            ticket: ticket.id,
        });
    }
    Ok(Created {
        ticket,
        created: false,
    })
}
