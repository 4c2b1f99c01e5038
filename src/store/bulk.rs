//! Bulk loading for `hotline seed`: whole histories written in one transaction per batch,
//! with multi-row INSERTs and the batch's rate entries summed in memory and added once per
//! aggregate row. Rows, events and counts are the ones the live writers store (the
//! projection is [`bind_projection`]'s, the entries the ledger's), so a later
//! `hotline rates rebuild` finds nothing to change.

use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};

use super::log_sync::WriteConnection;
use super::multi_row;
use super::projection::{CREATION_WIDTH, bind_projection, creation_columns};
use super::rate_counts::{self, Totals};
use super::sql::{Dialect, insert_events, millis};
use super::{ImportedTicket, StoreError, StoreResult};
use crate::domain::{Event, TicketId};

/// Tickets per INSERT: a few thousand bound values, well under SQLite's limit of 32,766
/// and PostgreSQL's of 65,535; larger statements save no measurable time.
const TICKETS_PER_STATEMENT: usize = 128;
const _: () = assert!(TICKETS_PER_STATEMENT * (CREATION_WIDTH + 1) <= 32_766);

/// SQLite page cache for the import session (KiB, as a negative cache_size): the tickets'
/// secondary indexes are updated out of order, and the default 2 MiB cache makes each
/// batch re-read them from disk. Durability settings stay those of the store.
const SQLITE_IMPORT_CACHE_KIB: i64 = 256 * 1024;

pub async fn max_ticket_id(pool: &AnyPool) -> StoreResult<TicketId> {
    let row = sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM tickets")
        .fetch_one(pool)
        .await?;
    Ok(row.try_get("id")?)
}

/// Refuses a history that the live flow could not have written.
fn check(imported: &ImportedTicket) -> StoreResult<()> {
    let ticket = &imported.ticket;
    let refuse =
        |why: String| StoreError::Database(format!("cannot import ticket {}: {why}", ticket.id));
    if ticket.id <= 0 {
        return Err(refuse("it has no id".into()));
    }
    for (i, event) in imported.events.iter().enumerate() {
        if event.version != i as i64 + 1 {
            return Err(refuse(format!(
                "event {} has version {}, not {}",
                i + 1,
                event.version,
                i + 1
            )));
        }
    }
    match imported.events.last() {
        Some(last) if last.version == ticket.version && last.to_state == ticket.state => Ok(()),
        Some(last) => Err(refuse(format!(
            "its history ends at version {} in {}, the ticket is at version {} in {}",
            last.version, last.to_state, ticket.version, ticket.state
        ))),
        None => Err(refuse("it has no events".into())),
    }
}

async fn insert_tickets(
    conn: &mut AnyConnection,
    dialect: Dialect,
    tickets: &[ImportedTicket],
) -> StoreResult<()> {
    for chunk in multi_row::split(tickets, TICKETS_PER_STATEMENT) {
        // The creation's columns, then the id the caller chose.
        let sql = format!(
            "INSERT INTO tickets ({}, id) VALUES {}",
            creation_columns(),
            multi_row::placeholders(dialect.placeholders(), chunk.len(), CREATION_WIDTH + 1)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for imported in chunk {
            let ticket = &imported.ticket;
            query = bind_projection(query, ticket)?
                .bind(imported.request_id.clone())
                .bind(imported.fingerprint.clone())
                .bind(ticket.intake.channel.code())
                .bind(ticket.intake.line.clone())
                .bind(ticket.intake.request_type.code())
                .bind(millis(ticket.created_at))
                .bind(ticket.intake.requester.key())
                .bind(ticket.id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn events_of(tickets: &[ImportedTicket]) -> Vec<(&Event, TicketId)> {
    tickets
        .iter()
        .flat_map(|t| t.events.iter().map(move |e| (e, t.ticket.id)))
        .collect()
}

pub async fn import(
    writer: &WriteConnection,
    dialect: Dialect,
    tickets: &[ImportedTicket],
) -> StoreResult<()> {
    let Some(last_id) = tickets.iter().map(|t| t.ticket.id).max() else {
        return Ok(());
    };
    let mut totals = Totals::default();
    for imported in tickets {
        check(imported)?;
        totals.add(
            &imported.ticket,
            &rate_counts::for_new_ticket(&imported.events)?,
        );
    }
    let mut conn = writer.acquire_unbatched().await?;
    match dialect {
        Dialect::Sqlite => {
            sqlx::query(AssertSqlSafe(format!(
                "PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}"
            )))
            .execute(&mut *conn)
            .await?;
        }
        Dialect::Postgres => {
            // First, and outside the transaction (setval is not rolled back anyway): a
            // ticket created meanwhile draws an id past the batch instead of colliding.
            sqlx::query(
                "SELECT setval(seq, GREATEST($1, COALESCE(pg_sequence_last_value(seq), 1))) \
                 FROM (SELECT pg_get_serial_sequence('tickets', 'id')::regclass AS seq) s",
            )
            .bind(last_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    insert_tickets(&mut tx, dialect, tickets).await?;
    insert_events(&mut tx, dialect.placeholders(), &events_of(tickets)).await?;
    rate_counts::add_totals(&mut tx, dialect, &totals).await?;
    super::callback_tasks::open_for_imported(&mut tx, dialect.placeholders(), tickets).await?;
    tx.commit().await?;
    Ok(())
}
