//! The store over SQL, shared by SQLite and PostgreSQL through sqlx's `Any` driver: one
//! set of queries (`$N` placeholders work on both), with the few dialect differences
//! (row locking for pulls) chosen by [`Dialect`]. Creates are group-committed
//! ([`group_commit`](super::group_commit), [`create_batch`](super::create_batch)).

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use sqlx::AnyPool;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::conditions::Conditions;
use super::create_batch::{CreateWriter, NewRow};
use super::group_commit::{Batching, GroupCommit};
use super::lease_batch::{LeaseWriter, Pull};
use super::log_sync::WriteConnection;
use super::multi_row::{self, Shapes, Style};
use super::rate_counts;
use super::transition_batch::{Change, TransitionWriter};
use super::wal_checkpoint::Checkpointer;
use super::{
    BatchStats, Created, EntryFilter, ImportedTicket, JobLock, NewTicket, Overdue, RateQuery,
    RateRow, RebuildReport, RecordedAlert, RepeatRequester, Store, StoreError, StoreResult,
    TicketFilter, TicketVolume, UnitDeadlineCounts, UnitIncidents, alerts, bulk, job_lock,
    knowledge, monthly,
};
use crate::domain::warning::{Alert, WarningLevel};
use crate::domain::{Actor, Event, State, Ticket, TicketId, Timestamp, Transition};
use crate::knowledge::{Entry, EntryId, LiveEntry, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The placeholders of multi-row statements (see [`multi_row`]).
    pub(super) fn placeholders(self) -> Style {
        match self {
            Dialect::Sqlite => Style::InOrder,
            Dialect::Postgres => Style::Numbered,
        }
    }
}

/// A SQL-backed [`Store`]. On SQLite, writes go through a single connection (SQLite has
/// one writer anyway, and this avoids lock-upgrade deadlocks) while reads use a pool.
pub struct SqlStore {
    pub(super) dialect: Dialect,
    pub(super) writer: AnyPool,
    pub(super) reader: AnyPool,
    /// The batch writers' connection; bulk imports take it the same way, so that on
    /// SQLite they keep the log within its bound too.
    batches: WriteConnection,
    intake: GroupCommit<CreateWriter>,
    transitions: GroupCommit<TransitionWriter>,
    leases: GroupCommit<LeaseWriter>,
    /// SQLite's WAL checkpoints, run off the write path.
    checkpointer: Option<Checkpointer>,
}

impl SqlStore {
    /// Starts the batch writers of creates, transitions and leases on the current Tokio
    /// runtime; all are grouped the same way.
    /// `batches` is the writer pool's connection as the batch writers use it.
    pub(super) fn new(
        dialect: Dialect,
        batches: WriteConnection,
        reader: AnyPool,
        batching: Batching,
    ) -> Self {
        let style = dialect.placeholders();
        let intake = GroupCommit::start(
            CreateWriter {
                writer: batches.clone(),
                style,
            },
            batching,
        );
        let transitions = GroupCommit::start(
            TransitionWriter {
                writer: batches.clone(),
                style,
            },
            batching,
        );
        let leases = GroupCommit::start(
            LeaseWriter {
                writer: batches.clone(),
                dialect,
            },
            batching,
        );
        let writer = batches.pool().clone();
        SqlStore {
            dialect,
            writer,
            reader,
            batches,
            intake,
            transitions,
            leases,
            checkpointer: None,
        }
    }

    pub(super) fn with_checkpointer(self, checkpointer: Checkpointer) -> Self {
        SqlStore {
            checkpointer: Some(checkpointer),
            ..self
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &error {
            E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
                StoreError::Unavailable(error.to_string())
            }
            E::Database(db) => {
                let code = db.code().unwrap_or_default();
                // PostgreSQL connection exceptions (08xxx), shutdown (57P0x); SQLite busy (5).
                if code.starts_with("08") || code.starts_with("57P0") || code == "5" {
                    StoreError::Unavailable(error.to_string())
                } else {
                    StoreError::Database(error.to_string())
                }
            }
            _ => StoreError::Database(error.to_string()),
        }
    }
}

pub(super) fn millis(at: Timestamp) -> i64 {
    at.timestamp_millis()
}

pub(super) fn opt_millis(at: Option<Timestamp>) -> Option<i64> {
    at.map(millis)
}

pub(super) fn from_millis(ms: i64) -> StoreResult<Timestamp> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("instant {ms} out of range")))
}

fn parse_state(code: &str) -> StoreResult<State> {
    code.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown state `{code}`")))
}

/// Reads `id`, `version` and `body` of a tickets row.
pub(super) fn ticket_from_row(row: &AnyRow) -> StoreResult<Ticket> {
    let body: String = row.try_get("body")?;
    let mut ticket: Ticket = serde_json::from_str(&body)
        .map_err(|e| StoreError::Corrupt(format!("ticket body: {e}")))?;
    ticket.id = row.try_get("id")?;
    ticket.version = row.try_get("version")?;
    Ok(ticket)
}

/// The columns [`event_from_row`] reads.
pub(super) const SELECT_EVENT: &str = "SELECT ticket_id, version, command, from_state, to_state, \
     actor_unit, actor_person, at, reason, details, principal FROM ticket_events";

pub(super) fn event_from_row(row: &AnyRow) -> StoreResult<Event> {
    let from_state: Option<String> = row.try_get("from_state")?;
    let details: String = row.try_get("details")?;
    Ok(Event {
        ticket_id: row.try_get("ticket_id")?,
        version: row.try_get("version")?,
        command: row.try_get("command")?,
        from_state: from_state.as_deref().map(parse_state).transpose()?,
        to_state: parse_state(&row.try_get::<String, _>("to_state")?)?,
        actor: Actor {
            unit: row.try_get("actor_unit")?,
            person: row.try_get("actor_person")?,
        },
        principal: row.try_get("principal")?,
        at: from_millis(row.try_get("at")?)?,
        reason: row.try_get("reason")?,
        details: serde_json::from_str(&details)
            .map_err(|e| StoreError::Corrupt(format!("event details: {e}")))?,
    })
}

pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// The stored JSON of a ticket.
pub(super) fn ticket_body(ticket: &Ticket) -> StoreResult<String> {
    serde_json::to_string(ticket).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The columns [`bind_event`] binds, in its order.
const EVENT_COLUMNS: &str = "ticket_id, version, command, from_state, to_state, actor_unit, \
     actor_person, at, reason, details, principal";
const EVENT_WIDTH: usize = 11;

/// Appends events, one to 256 of them per statement.
pub(super) static INSERT_EVENTS: Shapes = Shapes::new(|style, rows| {
    format!(
        "INSERT INTO ticket_events ({EVENT_COLUMNS}) VALUES {}",
        multi_row::placeholders(style, rows, EVENT_WIDTH)
    )
});

pub(super) const SELECT_TICKET: &str = "SELECT id, version, body FROM tickets";

pub(super) const SELECT_BY_REQUEST_ID: &str =
    "SELECT id, version, body, request_fingerprint FROM tickets WHERE request_id = $1";

/// Appends events (each with its ticket's id), a few statements whatever their number.
pub(super) async fn insert_events(
    conn: &mut sqlx::AnyConnection,
    style: Style,
    events: &[(&Event, TicketId)],
) -> StoreResult<()> {
    for chunk in multi_row::split(events, multi_row::MAX_ROWS) {
        chunk
            .iter()
            .fold(
                sqlx::query(INSERT_EVENTS.sql(style, chunk.len())),
                |q, &(event, id)| bind_event(q, event, id),
            )
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Binds one row of [`INSERT_EVENTS`].
pub(super) fn bind_event<'q>(
    query: AnyQuery<'q>,
    event: &Event,
    ticket_id: TicketId,
) -> AnyQuery<'q> {
    query
        .bind(ticket_id)
        .bind(event.version)
        .bind(event.command.clone())
        .bind(event.from_state.map(State::code))
        .bind(event.to_state.code())
        .bind(event.actor.unit.clone())
        .bind(event.actor.person.clone())
        .bind(millis(event.at))
        .bind(event.reason.clone())
        .bind(event.details.to_string())
        .bind(event.principal.clone())
}

/// `state IN ($n, …)` for the pullable states, shared by pulls and their index.
pub(super) const PULLABLE_STATES: &str = "('dispatched', 'signed', 'responded', 'in_progress')";

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    async fn create_ticket(&self, new: NewTicket<'_>) -> StoreResult<Created> {
        self.intake.submit(NewRow::prepare(new)?).await
    }

    fn intake_stats(&self) -> BatchStats {
        self.intake.stats()
    }

    fn transition_stats(&self) -> BatchStats {
        self.transitions.stats()
    }

    fn lease_stats(&self) -> BatchStats {
        self.leases.stats()
    }

    async fn get_ticket(&self, id: TicketId) -> StoreResult<Ticket> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT_TICKET} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        ticket_from_row(&row)
    }

    async fn find_by_request_id(&self, request_id: &str) -> StoreResult<Option<(Ticket, String)>> {
        let row = sqlx::query(SELECT_BY_REQUEST_ID)
            .bind(request_id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|row| Ok((ticket_from_row(&row)?, row.try_get("request_fingerprint")?)))
            .transpose()
    }

    async fn history(&self, id: TicketId) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SELECT_EVENT} WHERE ticket_id = $1 ORDER BY version"
        )))
        .bind(id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn merged_children(&self, id: TicketId) -> StoreResult<Vec<TicketId>> {
        let rows = sqlx::query("SELECT id FROM tickets WHERE merged_into = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    async fn save_transition(&self, before: &Ticket, transition: &Transition) -> StoreResult<()> {
        self.transitions
            .submit(Change::prepare(self.dialect, before, transition)?)
            .await
    }

    async fn pull_assigned(
        &self,
        unit: &str,
        worker: &str,
        max: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<Ticket>> {
        self.leases
            .submit(Pull {
                unit: unit.to_string(),
                worker: worker.to_string(),
                max,
                now,
                lease_until,
            })
            .await
    }

    async fn search(&self, filter: &TicketFilter) -> StoreResult<Vec<Ticket>> {
        let mut c = Conditions::default();
        c.and_in("state", filter.states.iter().map(|s| s.code()))
            .and_some("assigned_unit =", filter.assigned_unit.as_deref())
            .and_some("region =", filter.region.as_deref())
            .and_some("category =", filter.category.as_deref())
            .and_some("created_at >=", filter.created_from.map(millis))
            .and_some("created_at <", filter.created_to.map(millis))
            .and_some("supervised =", filter.supervised_only.then_some(true))
            .and_some("id >", filter.after_id);
        let limit = c.param(i64::from(filter.limit));
        let sql = format!(
            "{SELECT_TICKET} WHERE 1 = 1{} ORDER BY id LIMIT {limit}",
            c.sql()
        );
        let rows = c.query(sql).fetch_all(&self.reader).await?;
        rows.iter().map(ticket_from_row).collect()
    }

    async fn rate_counts(&self, query: &RateQuery) -> StoreResult<Vec<RateRow>> {
        rate_counts::query(&self.reader, query).await
    }

    async fn rebuild_rate_counts(&self) -> StoreResult<RebuildReport> {
        rate_counts::rebuild(&self.writer, self.dialect).await
    }

    async fn find_open_repeat(
        &self,
        requester_key: &str,
        category: &str,
        since: Timestamp,
    ) -> StoreResult<Option<TicketId>> {
        // The predicate repeats the partial index's, so the planner can use it.
        let row = sqlx::query(
            "SELECT id FROM tickets WHERE requester_key = $1 AND category = $2 \
             AND created_at >= $3 \
             AND state NOT IN ('closed', 'archived', 'transferred', 'refused', 'merged') \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(requester_key.to_string())
        .bind(category.to_string())
        .bind(millis(since))
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    async fn list_overdue(
        &self,
        unit: Option<&str>,
        level: WarningLevel,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Overdue>> {
        alerts::list_overdue(&self.reader, unit, level, now, limit).await
    }

    async fn tickets_to_check(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Ticket>> {
        alerts::tickets_to_check(&self.reader, now, limit).await
    }

    async fn record_alerts(
        &self,
        ticket: &Ticket,
        alerts: &[Alert],
        next_check: Option<Timestamp>,
        recorded_at: Timestamp,
    ) -> StoreResult<Option<Vec<Alert>>> {
        alerts::record(&self.writer, ticket, alerts, next_check, recorded_at).await
    }

    async fn alerts(&self, ticket_id: TicketId) -> StoreResult<Vec<RecordedAlert>> {
        alerts::of_ticket(&self.reader, ticket_id).await
    }

    async fn unit_deadline_counts(
        &self,
        unit: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Vec<UnitDeadlineCounts>> {
        alerts::unit_counts(&self.reader, unit, now).await
    }

    async fn unit_incidents(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<UnitIncidents>> {
        monthly::unit_incidents(&self.reader, from, to).await
    }

    async fn ticket_volumes(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<TicketVolume>> {
        monthly::ticket_volumes(&self.reader, from, to).await
    }

    async fn repeat_requesters(
        &self,
        from: Timestamp,
        to: Timestamp,
        min_requests: u64,
        limit: u32,
    ) -> StoreResult<Vec<RepeatRequester>> {
        monthly::repeat_requesters(&self.reader, from, to, min_requests, limit).await
    }

    async fn try_lock_scanner(&self) -> StoreResult<Option<Box<dyn JobLock>>> {
        match self.dialect {
            Dialect::Sqlite => Ok(Some(Box::new(job_lock::Unshared))),
            Dialect::Postgres => {
                job_lock::try_advisory(&self.writer, job_lock::DEADLINE_SCANNER).await
            }
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        if !self.intake.is_running() || !self.transitions.is_running() || !self.leases.is_running()
        {
            return Err(StoreError::Unavailable(
                "a batch writer is not running (closed, or stopped: see the log)".into(),
            ));
        }
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn close(&self) {
        self.intake.close().await;
        self.transitions.close().await;
        self.leases.close().await;
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.stop().await;
        }
        self.writer.close().await;
        self.reader.close().await;
    }

    async fn release_leases(&self, leases: &[super::Lease]) -> StoreResult<u64> {
        super::leases::release(&self.writer, leases).await
    }

    async fn max_ticket_id(&self) -> StoreResult<TicketId> {
        bulk::max_ticket_id(&self.reader).await
    }

    async fn import_tickets(&self, tickets: &[ImportedTicket]) -> StoreResult<()> {
        bulk::import(&self.batches, self.dialect, tickets).await
    }

    async fn refresh_statistics(&self) -> StoreResult<()> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("ANALYZE").execute(&self.writer).await?;
        }
        Ok(())
    }

    async fn create_entry(&self, entry: &Entry, version: &Version) -> StoreResult<Entry> {
        knowledge::create(&self.writer, entry, version).await
    }

    async fn save_entry(&self, expected: i64, entry: &Entry, version: &Version) -> StoreResult<()> {
        knowledge::save(&self.writer, expected, entry, version).await
    }

    async fn get_entry(&self, id: EntryId) -> StoreResult<Entry> {
        knowledge::get(&self.reader, id).await
    }

    async fn entry_history(&self, id: EntryId) -> StoreResult<Vec<Version>> {
        knowledge::history(&self.reader, id).await
    }

    async fn live_entries(&self) -> StoreResult<Vec<LiveEntry>> {
        knowledge::live(&self.reader).await
    }

    async fn live_entry(&self, id: EntryId) -> StoreResult<Option<LiveEntry>> {
        knowledge::live_one(&self.reader, id).await
    }

    async fn list_entries(&self, filter: &EntryFilter) -> StoreResult<Vec<Entry>> {
        knowledge::list(&self.reader, filter).await
    }

    async fn knowledge_stamp(&self) -> StoreResult<i64> {
        knowledge::stamp(&self.reader).await
    }

    async fn create_token(&self, token: super::NewToken<'_>) -> StoreResult<super::ApiToken> {
        super::tokens::create(&self.writer, &token).await
    }

    async fn list_tokens(&self) -> StoreResult<Vec<super::ApiToken>> {
        super::tokens::list(&self.reader).await
    }

    async fn revoke_token(&self, key: &str, at: Timestamp) -> StoreResult<Option<super::ApiToken>> {
        super::tokens::revoke(&self.writer, key, at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_lists_match_their_value_counts() {
        assert_eq!(EVENT_COLUMNS.split(',').count(), EVENT_WIDTH);
    }
}
