//! The store over SQL, shared by SQLite and PostgreSQL through sqlx's `Any` driver: one
//! set of queries (`$N` placeholders work on both), with the few dialect differences
//! (row locking for pulls) chosen by [`Dialect`].

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use sqlx::AnyPool;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::conditions::Conditions;
use super::rate_counts;
use super::{
    Created, ImportedTicket, JobLock, NewTicket, Overdue, RateQuery, RateRow, RebuildReport,
    RecordedAlert, Store, StoreError, StoreResult, TicketFilter, UnitDeadlineCounts, alerts, bulk,
    job_lock,
};
use crate::domain::warning::{Alert, WarningLevel};
use crate::domain::{Actor, Event, State, Ticket, TicketId, Timestamp, Transition};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A SQL-backed [`Store`]. On SQLite, writes go through a single connection (SQLite has
/// one writer anyway, and this avoids lock-upgrade deadlocks) while reads use a pool.
pub struct SqlStore {
    dialect: Dialect,
    writer: AnyPool,
    reader: AnyPool,
}

impl SqlStore {
    pub fn new(dialect: Dialect, writer: AnyPool, reader: AnyPool) -> Self {
        SqlStore {
            dialect,
            writer,
            reader,
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
     actor_unit, actor_person, at, reason, details FROM ticket_events";

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
        at: from_millis(row.try_get("at")?)?,
        reason: row.try_get("reason")?,
        details: serde_json::from_str(&details)
            .map_err(|e| StoreError::Corrupt(format!("event details: {e}")))?,
    })
}

pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds the columns projected from the body as $1..$25, in the order INSERT_TICKET and
/// UPDATE_TICKET list them. The deadline scanner's cursor (`next_alert_at`) starts again at
/// the first warning instant on every save; the scanner moves it on.
pub(super) fn bind_projection<'q>(
    query: AnyQuery<'q>,
    ticket: &Ticket,
) -> StoreResult<AnyQuery<'q>> {
    let body = serde_json::to_string(ticket).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let callback = ticket.callback.as_ref();
    let watch = ticket.watch.as_ref();
    Ok(query
        .bind(ticket.version)
        .bind(ticket.state.code())
        .bind(ticket.disposition.code())
        .bind(ticket.intake.category.clone())
        .bind(ticket.intake.region.clone())
        .bind(ticket.intake.urgency.code())
        .bind(ticket.assigned_unit.clone())
        .bind(ticket.merged_into)
        .bind(ticket.supervised)
        .bind(millis(ticket.updated_at))
        .bind(opt_millis(ticket.dispatched_at))
        .bind(opt_millis(ticket.responded_at))
        .bind(opt_millis(ticket.due.sign))
        .bind(opt_millis(ticket.due.respond))
        .bind(opt_millis(ticket.due.reply))
        .bind(callback.map(|c| millis(c.at)))
        .bind(callback.map(|c| c.resolved))
        .bind(callback.map(|c| c.satisfaction.code()))
        .bind(opt_millis(ticket.closed_at))
        .bind(body)
        .bind(watch.map(|w| millis(w.due_at)))
        .bind(watch.map(|w| millis(w.yellow_at)))
        .bind(watch.map(|w| millis(w.red_at)))
        .bind(watch.map(|w| millis(w.yellow_at)))
        .bind(i64::from(ticket.chase_up_count)))
}

const INSERT_TICKET: &str = "INSERT INTO tickets (version, state, outcome, category, region, urgency, \
     assigned_unit, merged_into, supervised, updated_at, dispatched_at, responded_at, sign_due_at, \
     respond_due_at, reply_due_at, callback_at, callback_resolved, callback_satisfaction, \
     closed_at, body, next_due_at, yellow_at, red_at, next_alert_at, chase_up_count, \
     request_id, request_fingerprint, channel, line, request_type, created_at, requester_key) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
     $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32) \
     ON CONFLICT (request_id) DO NOTHING RETURNING id";

/// Keeps the lease ($26) only while the ticket stays on the same unit's desk.
const UPDATE_TICKET: &str = "UPDATE tickets SET version = $1, state = $2, outcome = $3, \
     category = $4, region = $5, urgency = $6, assigned_unit = $7, merged_into = $8, \
     supervised = $9, updated_at = $10, dispatched_at = $11, responded_at = $12, \
     sign_due_at = $13, respond_due_at = $14, reply_due_at = $15, callback_at = $16, \
     callback_resolved = $17, callback_satisfaction = $18, closed_at = $19, body = $20, \
     next_due_at = $21, yellow_at = $22, red_at = $23, next_alert_at = $24, \
     chase_up_count = $25, \
     lease_owner = CASE WHEN $26 THEN lease_owner ELSE NULL END, \
     lease_until = CASE WHEN $26 THEN lease_until ELSE NULL END \
     WHERE id = $27 AND version = $28";

const INSERT_EVENT: &str = "INSERT INTO ticket_events (ticket_id, version, command, from_state, \
     to_state, actor_unit, actor_person, at, reason, details) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

const SELECT_TICKET: &str = "SELECT id, version, body FROM tickets";

async fn insert_event(
    conn: &mut sqlx::AnyConnection,
    event: &Event,
    ticket_id: TicketId,
) -> StoreResult<()> {
    sqlx::query(INSERT_EVENT)
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
        .execute(conn)
        .await?;
    Ok(())
}

/// `state IN ($n, …)` for the pullable states, shared by pulls and their index.
const PULLABLE_STATES: &str = "('dispatched', 'signed', 'responded', 'in_progress')";

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    async fn create_ticket(&self, new: NewTicket<'_>) -> StoreResult<Created> {
        let ticket = new.ticket;
        let mut tx = self.writer.begin().await?;
        let inserted = bind_projection(sqlx::query(INSERT_TICKET), ticket)?
            .bind(new.request_id.to_string())
            .bind(new.fingerprint.to_string())
            .bind(ticket.intake.channel.code())
            .bind(ticket.intake.line.clone())
            .bind(ticket.intake.request_type.code())
            .bind(millis(ticket.created_at))
            .bind(ticket.intake.requester.key())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = inserted else {
            // The request id exists: this is a retry (or a reuse of the key).
            tx.rollback().await?;
            let (existing, fingerprint) = self
                .find_by_request_id(new.request_id)
                .await?
                .ok_or_else(|| StoreError::Database("request id conflict without a row".into()))?;
            if fingerprint != new.fingerprint {
                return Err(StoreError::RequestIdReused {
                    request_id: new.request_id.to_string(),
                    ticket: existing.id,
                });
            }
            return Ok(Created {
                ticket: existing,
                created: false,
            });
        };
        let id: TicketId = row.try_get("id")?;
        let mut stored = ticket.clone();
        stored.id = id;
        for event in new.events {
            insert_event(&mut tx, event, id).await?;
        }
        let entries = rate_counts::for_new_ticket(new.events)?;
        rate_counts::add(&mut tx, ticket, &entries).await?;
        tx.commit().await?;
        Ok(Created {
            ticket: stored,
            created: true,
        })
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
        let row = sqlx::query(
            "SELECT id, version, body, request_fingerprint FROM tickets WHERE request_id = $1",
        )
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
        let after = &transition.ticket;
        let keeps_desk = after.state.is_pullable() && after.assigned_unit == before.assigned_unit;
        let mut tx = self.writer.begin().await?;
        let updated = bind_projection(sqlx::query(UPDATE_TICKET), after)?
            .bind(keeps_desk)
            .bind(before.id)
            .bind(before.version)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            tx.rollback().await?;
            let current = sqlx::query("SELECT version FROM tickets WHERE id = $1")
                .bind(before.id)
                .fetch_optional(&self.writer)
                .await?;
            return Err(match current {
                None => StoreError::NotFound(before.id),
                Some(row) => StoreError::VersionConflict {
                    id: before.id,
                    expected: before.version,
                    current: row.try_get("version")?,
                },
            });
        }
        let entries = rate_counts::for_transition(&mut tx, before, &transition.event).await?;
        insert_event(&mut tx, &transition.event, before.id).await?;
        rate_counts::add(&mut tx, before, &entries).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pull_assigned(
        &self,
        unit: &str,
        worker: &str,
        max: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<Ticket>> {
        // SQLite serialises writers, so only PostgreSQL needs to skip rows others hold.
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE tickets SET lease_owner = $1, lease_until = $2 WHERE id IN (\
             SELECT id FROM tickets WHERE assigned_unit = $3 AND state IN {PULLABLE_STATES} \
             AND (lease_until IS NULL OR lease_until <= $4) \
             ORDER BY reply_due_at, id LIMIT $5 {lock}) RETURNING id, version, body, reply_due_at"
        );
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(worker.to_string())
            .bind(millis(lease_until))
            .bind(unit.to_string())
            .bind(millis(now))
            .bind(i64::from(max))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut tickets = rows
            .iter()
            .map(|row| {
                Ok((
                    row.try_get::<Option<i64>, _>("reply_due_at")?,
                    ticket_from_row(row)?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        // RETURNING has no order; restore the one the rows were chosen in.
        tickets.sort_by_key(|(due, t)| (due.is_none(), *due, t.id));
        Ok(tickets.into_iter().map(|(_, t)| t).collect())
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

    async fn try_lock_scanner(&self) -> StoreResult<Option<Box<dyn JobLock>>> {
        match self.dialect {
            Dialect::Sqlite => Ok(Some(Box::new(job_lock::Unshared))),
            Dialect::Postgres => {
                job_lock::try_advisory(&self.writer, job_lock::DEADLINE_SCANNER).await
            }
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    async fn max_ticket_id(&self) -> StoreResult<TicketId> {
        bulk::max_ticket_id(&self.reader).await
    }

    async fn import_tickets(&self, tickets: &[ImportedTicket]) -> StoreResult<()> {
        bulk::import(&self.writer, self.dialect, tickets).await
    }
}
