//! Durable storage behind one contract, [`Store`], with SQLite (embedded, zero-config) and
//! PostgreSQL (production, several replicas) implementations that pass one conformance
//! suite (`tests/store_conformance/`).
//!
//! The contract is small on purpose: tickets are written only together with the events
//! that explain them, in one transaction, guarded by the version the caller read.
//!
//! Instants are kept to the millisecond (both backends store epoch milliseconds); callers
//! pass millisecond-precise instants, as the service's clock does, for exact round trips.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::deadline::DeadlineKind;
use crate::domain::rates::RateCounts;
use crate::domain::warning::{Alert, WarningLevel};
use crate::domain::{Event, State, Ticket, TicketId, Timestamp, Transition};

mod alerts;
mod bulk;
mod call_legs;
mod callback_tasks;
pub mod calls;
mod conditions;
mod create_batch;
mod group_commit;
mod job_lock;
mod knowledge;
mod lease_batch;
mod leases;
pub mod linkage;
mod log_sync;
mod monthly;
mod multi_row;
mod postgres;
mod projection;
mod rate_counts;
mod sql;
mod sql_calls;
mod sqlite;
mod tokens;
mod transition_batch;
mod wal_checkpoint;

pub use calls::CallStore;
pub use group_commit::{
    BATCH_WRITE_SECONDS, BATCH_WRITERS, BATCHES_WRITTEN_ONE_BY_ONE, Batching, DEFAULT_MAX_BATCH,
    INTAKE_BATCH_SIZE, LEASE_BATCH_SIZE, TRANSITION_BATCH_SIZE,
};
pub use linkage::LinkageStore;
pub use log_sync::LOG_SYNC_SECONDS;
pub use sql::{Dialect, SqlStore};
pub use wal_checkpoint::LOG_FRAMES;

/// Clone: a batch that fails to commit gives its one error to every caller in it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("ticket {0} not found")]
    NotFound(TicketId),
    /// Someone else changed the ticket since the caller read it.
    #[error("ticket {id} is at version {current}, not {expected}: reload it and retry")]
    VersionConflict {
        id: TicketId,
        expected: i64,
        current: i64,
    },
    /// The same client request id came with a different request.
    #[error("request_id `{request_id}` was already used for a different request (ticket {ticket})")]
    RequestIdReused {
        request_id: String,
        ticket: TicketId,
    },
    /// The database cannot be reached or refused the connection.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("knowledge entry {0} not found")]
    EntryNotFound(crate::knowledge::EntryId),
    /// Someone else changed the knowledge entry since the caller read it.
    #[error("knowledge entry {id} is at version {current}, not {expected}: reload it and retry")]
    EntryVersionConflict {
        id: crate::knowledge::EntryId,
        expected: i64,
        current: i64,
    },
    /// An API token of that name exists (names stay taken after revocation).
    #[error("a token named `{0}` already exists; pick another name")]
    TokenNameTaken(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A ticket about to be created, with the events that opened it.
#[derive(Debug, Clone, Copy)]
pub struct NewTicket<'a> {
    /// `id` is ignored; the store assigns it.
    pub ticket: &'a Ticket,
    pub events: &'a [Event],
    /// The console's idempotency key.
    pub request_id: &'a str,
    /// Digest of the request, to tell a retry from a reuse of the key.
    pub fingerprint: &'a str,
}

/// A ticket with its whole history, for [`Store::import_tickets`] (`hotline seed`). The
/// caller allocates the id; the events are the ticket's, versions 1 to `ticket.version`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedTicket {
    pub ticket: Ticket,
    pub events: Vec<Event>,
    pub request_id: String,
    pub fingerprint: String,
}

/// Result of [`Store::create_ticket`].
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub ticket: Ticket,
    /// False when the request id was seen before and the stored ticket is returned.
    pub created: bool,
}

/// What a group-committed writer (creates, transitions) has done since the store was
/// opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Transactions taken from the queue (written or being written).
    pub batches: u64,
    /// Writes (creates, transitions) in them.
    pub jobs: u64,
    /// Batches written again one write at a time because their transaction failed.
    pub one_by_one: u64,
    /// Writes waiting for a batch.
    pub queued: usize,
}

/// Filters for [`Store::search`]; all optional, combined with AND. Results are ordered by
/// id, ascending, and start after `after_id` (keyset pagination).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketFilter {
    pub states: Vec<State>,
    pub assigned_unit: Option<String>,
    pub region: Option<String>,
    pub category: Option<String>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    pub supervised_only: bool,
    pub after_id: Option<TicketId>,
    pub limit: u32,
}

/// Filters for [`Store::list_entries`]; ordered by id, after `after_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub owner_unit: Option<String>,
    pub statuses: Vec<crate::knowledge::EntryStatus>,
    pub after_id: Option<crate::knowledge::EntryId>,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateGrouping {
    Unit,
    Region,
    Category,
}

/// Whether rows are also split by day or month of the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RatePeriod {
    /// One row per group for the whole period.
    #[default]
    Whole,
    Day,
    Month,
}

/// The rates over the local days `[from, to)` (UTC+8, see
/// [`rates_ledger`](crate::domain::rates_ledger)): dispatches on those days, responses in
/// time to them, and callbacks on them.
#[derive(Debug, Clone, PartialEq)]
pub struct RateQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: RateGrouping,
    pub period: RatePeriod,
    pub unit: Option<String>,
    pub region: Option<String>,
    pub category: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RateRow {
    /// `2026-03-02` by day, `2026-03` by month, empty for the whole period.
    pub period: String,
    /// Unit id, region code or category, per the grouping.
    pub key: String,
    pub counts: RateCounts,
}

/// What [`Store::rebuild_rate_counts`] found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildReport {
    pub tickets: u64,
    pub events: u64,
    /// Rows of the rebuilt table (day, unit, region, category with a count).
    pub rows: u64,
    /// Rows whose counts differed from the table before (0: it was exact).
    pub rows_changed: u64,
}

/// A ticket at a warning level: its first running deadline, missed or about to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Overdue {
    pub ticket: Ticket,
    pub missed: DeadlineKind,
    pub due_at: Timestamp,
    pub level: WarningLevel,
}

/// A warning as the deadline scanner recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAlert {
    pub ticket_id: TicketId,
    pub alert: Alert,
    /// The unit holding the ticket when the warning was recorded.
    pub unit: Option<String>,
    pub recorded_at: Timestamp,
}

/// One unit's open tickets (on its desk, a deadline running) at an instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitDeadlineCounts {
    pub unit: String,
    pub open: u64,
    /// Past their first running deadline.
    pub overdue: u64,
    pub supervised: u64,
    /// Chased up (催办) at least once.
    pub chased_up: u64,
    /// Chase-ups on them in all.
    pub chase_ups: u64,
}

/// A unit's incidents over a period, for the monthly assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitIncidents {
    pub unit: String,
    /// Overdue warnings that fell in the period (one per missed deadline), held by the unit.
    pub overdue: u64,
    /// Returns (退单) of the unit that the centre rejected in the period.
    pub improper_returns: u64,
}

impl UnitIncidents {
    pub fn new(unit: String) -> Self {
        UnitIncidents {
            unit,
            ..Default::default()
        }
    }
}

/// Tickets created in a period, per category and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketVolume {
    pub category: String,
    pub region: String,
    pub tickets: u64,
}

/// A requester (by the pseudonym of their phone) who asked about one category repeatedly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatRequester {
    pub requester_key: String,
    pub category: String,
    pub tickets: u64,
    /// The newest of those tickets.
    pub latest: TicketId,
}

/// A lease [`Store::pull_assigned`] granted, as the granting daemon remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub ticket_id: TicketId,
    pub worker: String,
    pub until: Timestamp,
}

/// A token to store: [`Store::create_token`].
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub role: &'a crate::domain::access::Role,
    /// Lowercase hex SHA-256 of the secret; the secret itself is never stored.
    pub secret_hash: &'a str,
    /// The secret's last four characters, to tell tokens apart in lists.
    pub hint: &'a str,
    pub created_at: Timestamp,
}

/// A stored API token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: crate::domain::access::Role,
    pub secret_hash: String,
    pub hint: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A lock that lets one replica run a singleton job (the deadline scanner). On PostgreSQL
/// a session advisory lock on a connection of its own: if the replica dies, its session
/// ends and the lock goes with it.
#[async_trait]
pub trait JobLock: Send {
    /// Whether the lock is still held; false once the session holding it is gone.
    async fn is_held(&mut self) -> bool;
    async fn release(self: Box<Self>);
}

/// Call lines and callback tasks are [`CallStore`]'s part of the contract, hand-offs to
/// partner centres [`LinkageStore`]'s.
#[async_trait]
pub trait Store: CallStore + LinkageStore + Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// Creates the ticket, appends its events and adds their rate entries atomically.
    /// Idempotent on `request_id`: a retry returns the stored ticket with `created: false`.
    /// Answers only once the ticket is committed; concurrent creates may share a
    /// transaction (group commit), yet one that fails does not fail the others.
    async fn create_ticket(&self, new: NewTicket<'_>) -> StoreResult<Created>;

    /// Counters of the group-committed intake, for tests and diagnostics.
    fn intake_stats(&self) -> BatchStats;

    /// Counters of the group-committed transitions, for tests and diagnostics.
    fn transition_stats(&self) -> BatchStats;

    /// Counters of the group-committed leases (pull_assigned), for tests and diagnostics.
    fn lease_stats(&self) -> BatchStats;

    async fn get_ticket(&self, id: TicketId) -> StoreResult<Ticket>;

    /// The ticket a client request id created, with the fingerprint stored for it.
    async fn find_by_request_id(&self, request_id: &str) -> StoreResult<Option<(Ticket, String)>>;

    /// The ticket's events, oldest first.
    async fn history(&self, id: TicketId) -> StoreResult<Vec<Event>>;

    /// Ids of tickets merged into this one.
    async fn merged_children(&self, id: TicketId) -> StoreResult<Vec<TicketId>>;

    /// Writes the ticket's new state, appends the event and adds its rate entries in one
    /// transaction, only if the stored version is still `before.version`. Clears the lease
    /// when the ticket leaves its unit's desk (reassigned, replied, closed…).
    async fn save_transition(&self, before: &Ticket, transition: &Transition) -> StoreResult<()>;

    /// Leases up to `max` tickets of `unit` in a pullable state whose lease is free or
    /// expired at `now`, to `worker` until `lease_until`. Concurrent callers never receive
    /// the same ticket. Ordered by reply deadline, then id.
    async fn pull_assigned(
        &self,
        unit: &str,
        worker: &str,
        max: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<Ticket>>;

    async fn search(&self, filter: &TicketFilter) -> StoreResult<Vec<Ticket>>;

    /// Counts for the three rates, one row per period and group key, sorted by both.
    /// Groups whose counts are all zero are left out.
    async fn rate_counts(&self, query: &RateQuery) -> StoreResult<Vec<RateRow>>;

    /// The newest unfinished ticket created since `since` by the requester with this
    /// [`key`](crate::domain::Requester::key) in this category: what a repeat is merged into.
    async fn find_open_repeat(
        &self,
        requester_key: &str,
        category: &str,
        since: Timestamp,
    ) -> StoreResult<Option<TicketId>>;

    /// Recomputes the rate counts from the event log (the way each transition adds them)
    /// and replaces the table, in one transaction that holds off rate writes meanwhile.
    async fn rebuild_rate_counts(&self) -> StoreResult<RebuildReport>;

    /// Open tickets at `level` or worse at `now` (through the projected warning instants),
    /// ordered by their first running deadline, then id.
    async fn list_overdue(
        &self,
        unit: Option<&str>,
        level: WarningLevel,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Overdue>>;

    /// Up to `limit` tickets whose scanner cursor (`next_alert_at`) has fallen at `now`,
    /// earliest first.
    async fn tickets_to_check(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Ticket>>;

    /// Records the warnings the ticket reached, each once (a repeat is ignored), and moves
    /// its scanner cursor to `next_check`, without changing its version. Does nothing and
    /// answers `None` if the ticket is no longer at `ticket.version` (it is then checked
    /// afresh); otherwise answers the warnings that were new.
    async fn record_alerts(
        &self,
        ticket: &Ticket,
        alerts: &[Alert],
        next_check: Option<Timestamp>,
        recorded_at: Timestamp,
    ) -> StoreResult<Option<Vec<Alert>>>;

    /// The warnings recorded for a ticket, in the order they fell.
    async fn alerts(&self, ticket_id: TicketId) -> StoreResult<Vec<RecordedAlert>>;

    /// Per unit (or only `unit`), sorted by unit id: open tickets and how many are overdue
    /// at `now`, supervised and chased up. One grouped query through an index.
    async fn unit_deadline_counts(
        &self,
        unit: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Vec<UnitDeadlineCounts>>;

    /// Per unit, sorted by unit id: overdue warnings that fell in `[from, to)` and
    /// returns rejected by the centre in it. Units with neither are left out.
    async fn unit_incidents(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<UnitIncidents>>;

    /// Tickets created in `[from, to)` per category and region, sorted by both.
    async fn ticket_volumes(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<TicketVolume>>;

    /// Requesters with at least `min_requests` tickets in one category created in
    /// `[from, to)`, most tickets first (then newest), at most `limit`.
    async fn repeat_requesters(
        &self,
        from: Timestamp,
        to: Timestamp,
        min_requests: u64,
        limit: u32,
    ) -> StoreResult<Vec<RepeatRequester>>;

    /// The deadline scanner's lock, if no other replica holds it. SQLite: always granted,
    /// one process owns the file.
    async fn try_lock_scanner(&self) -> StoreResult<Option<Box<dyn JobLock>>>;

    /// Cheap liveness check of the database (and of the intake writer).
    async fn ping(&self) -> StoreResult<()>;

    /// Closes the connections; in-flight calls finish first, queued creates are written.
    async fn close(&self);

    /// Frees each lease still held exactly as granted (same worker, same expiry), so its
    /// ticket can be pulled at once; a lease that has since been cleared by a transition,
    /// or expired and been granted again, is left alone. Answers how many were freed.
    async fn release_leases(&self, leases: &[Lease]) -> StoreResult<u64>;
    /// The highest ticket id stored, 0 when there is none.
    async fn max_ticket_id(&self) -> StoreResult<TicketId>;

    /// Writes tickets with their histories in one transaction, as the live flow would have
    /// left them (rows, events, rate counts), with the ids the caller chose: bulk loading
    /// (`hotline seed`). Every history must run from version 1 to the ticket's version and
    /// end in its state; on PostgreSQL the id sequence is moved past the batch first.
    async fn import_tickets(&self, tickets: &[ImportedTicket]) -> StoreResult<()>;

    /// After a bulk load: refreshes the query planner's statistics (PostgreSQL `ANALYZE`).
    /// Without them PostgreSQL guesses thousands of events per ticket and plans (and
    /// JIT-compiles) accordingly, until autovacuum gets round to the new rows; a ticket's
    /// history took 50–200 ms instead of a fraction of one over 10 million tickets.
    /// SQLite's plans here come from the indexes alone, so it has nothing to do.
    async fn refresh_statistics(&self) -> StoreResult<()>;

    /// Inserts a knowledge entry with its first version; answers it with its new id.
    async fn create_entry(
        &self,
        entry: &crate::knowledge::Entry,
        version: &crate::knowledge::Version,
    ) -> StoreResult<crate::knowledge::Entry>;

    /// Writes an entry after a change and appends the change's version, in one
    /// transaction, only if the stored entry is still at `expected` (else
    /// [`StoreError::EntryVersionConflict`]).
    async fn save_entry(
        &self,
        expected: i64,
        entry: &crate::knowledge::Entry,
        version: &crate::knowledge::Version,
    ) -> StoreResult<()>;

    async fn get_entry(
        &self,
        id: crate::knowledge::EntryId,
    ) -> StoreResult<crate::knowledge::Entry>;

    /// The entry's versions, oldest first.
    async fn entry_history(
        &self,
        id: crate::knowledge::EntryId,
    ) -> StoreResult<Vec<crate::knowledge::Version>>;

    /// Every published entry with the content of its published version, by id.
    async fn live_entries(&self) -> StoreResult<Vec<crate::knowledge::LiveEntry>>;

    /// One entry's published content; `None` when it has none (never approved, or retired).
    async fn live_entry(
        &self,
        id: crate::knowledge::EntryId,
    ) -> StoreResult<Option<crate::knowledge::LiveEntry>>;

    async fn list_entries(&self, filter: &EntryFilter)
    -> StoreResult<Vec<crate::knowledge::Entry>>;

    /// Grows with every change to any entry: a replica's search index is behind when the
    /// stamp moved since it was built.
    async fn knowledge_stamp(&self) -> StoreResult<i64>;
    /// Stores a new API token; a name already used (even by a revoked token) is refused
    /// with [`StoreError::TokenNameTaken`].
    async fn create_token(&self, token: NewToken<'_>) -> StoreResult<ApiToken>;

    /// Every token, revoked ones included, by id.
    async fn list_tokens(&self) -> StoreResult<Vec<ApiToken>>;

    /// Revokes the token with this name, or else with this id; `None` if there is none.
    /// Revoking a revoked token changes nothing and answers it.
    async fn revoke_token(&self, key: &str, at: Timestamp) -> StoreResult<Option<ApiToken>>;
}

/// "sqlite" or "postgres", from a database URL, for messages.
pub fn backend_name(database_url: &str) -> &'static str {
    if database_url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}

/// Opens the store a URL names (`sqlite:…` or `postgres://…`) and brings its schema up to
/// date with the embedded migrations.
pub async fn open(database_url: &str) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    open_with(database_url, Batching::default()).await
}

/// [`open`] with the intake's batching chosen.
pub async fn open_with(
    database_url: &str,
    batching: Batching,
) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    // Both backends run through sqlx's Any driver; installing is idempotent.
    sqlx::any::install_default_drivers();
    let store =
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            postgres::open(database_url, batching).await?
        } else if database_url.starts_with("sqlite:") {
            sqlite::open(database_url, batching).await?
        } else {
            anyhow::bail!(
                "database url must start with sqlite: or postgres:// (got `{}:`)",
                database_url.split(':').next().unwrap_or_default()
            );
        };
    Ok(std::sync::Arc::new(store))
}
