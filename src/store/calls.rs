//! The storage contract of call lines and callback tasks, beside the tickets' [`Store`]
//! (which extends it): call legs with their hourly aggregates, the missed-call queue
//! (漏接回拨), and the callback tasks channel adapters lease. Implemented over SQL in
//! [`call_legs`](super::call_legs) and [`callback_tasks`](super::callback_tasks).
//!
//! [`Store`]: super::Store

use async_trait::async_trait;
use chrono::Duration;

use super::StoreResult;
use crate::domain::calls::{CallCounts, CallLeg};
use crate::domain::{TicketId, Timestamp};

/// What [`CallStore::report_call_legs`] did with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegsReported {
    /// The batch is stored; per leg, whether it was new (false: a retry of a stored leg).
    Written(Vec<bool>),
    /// Nothing was written: this leg's id was stored before with other data.
    Conflict(usize),
}

/// How the legs are grouped in time by [`CallStore::call_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CallGrouping {
    #[default]
    Whole,
    /// Local days (UTC+8).
    Day,
    Hour,
}

/// Legs offered in the hours that start in `[from, to)`, of one line or of all.
#[derive(Debug, Clone, PartialEq)]
pub struct CallStatsQuery {
    pub line: Option<String>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub group: CallGrouping,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallStatsRow {
    pub line: String,
    /// The start of the local day or of the hour; `from` of the query for the whole period.
    pub period_start: Timestamp,
    pub counts: CallCounts,
}

/// An abandoned call with a caller number, and how it was cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedCall {
    pub leg_id: String,
    pub line: String,
    pub caller: String,
    pub abandoned_at: Timestamp,
    /// When it joins the callback queue unless the caller gets through first.
    pub due_at: Timestamp,
    pub cleared_at: Option<Timestamp>,
    /// `call` (an answered call from the number) or `callback`.
    pub cleared_by: Option<String>,
    pub agent: Option<String>,
}

/// A ticket's callback task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackTask {
    pub ticket_id: TicketId,
    /// `open` while the ticket awaits its callback, then `done`.
    pub status: String,
    /// `None`: the first channel of `config/calls.toml`.
    pub channel: Option<String>,
    /// Unanswered attempts so far.
    pub attempts: u32,
    pub created_at: Timestamp,
    /// Not pulled before this instant (after an unanswered attempt).
    pub not_before: Timestamp,
    pub lease_owner: Option<String>,
    pub lease_until: Option<Timestamp>,
    /// no_answer, unclear (moved to a person), or the verdict that closed it.
    pub last_outcome: Option<String>,
    /// The last SMS reply nobody could read with certainty, for the person who calls.
    pub last_reply: Option<String>,
}

/// An attempt that leaves the task open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenAttempt {
    /// Nobody answered: one more attempt, pullable again at `retry_at`.
    NoAnswer { retry_at: Timestamp },
    /// The answer needs a person: the task moves to `channel` (phone), pullable at once.
    Handover { channel: String, reply: String },
}

#[async_trait]
pub trait CallStore: Send + Sync {
    /// Stores new legs and adds them to their line's hourly counts, in one transaction.
    /// Idempotent on `leg_id`; a leg id stored with other data refuses the whole batch.
    /// An abandoned leg (not a short abandon) with a caller number becomes a missed call
    /// due `missed_within` after the abandon, unless an answered call from that number
    /// came after it; an answered leg clears the number's earlier missed calls.
    async fn report_call_legs(
        &self,
        legs: &[CallLeg],
        short_abandon: Duration,
        missed_within: Duration,
        now: Timestamp,
    ) -> StoreResult<LegsReported>;

    /// Counts per line and period, sorted by line then period; lines without legs are
    /// left out.
    async fn call_stats(&self, query: &CallStatsQuery) -> StoreResult<Vec<CallStatsRow>>;

    /// Missed calls due at `now` and not cleared, oldest first.
    async fn list_missed_calls(
        &self,
        line: Option<&str>,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<MissedCall>>;

    /// Missed calls due and not cleared at `now`, per line (the queue's gauge).
    async fn missed_call_counts(&self, now: Timestamp) -> StoreResult<Vec<(String, u64)>>;

    /// Records a callback to the caller of this missed call: clears it and every other
    /// uncleared missed call of the same number. Idempotent: a cleared call is returned as
    /// it is. `None`: no missed call has this leg id.
    async fn record_missed_callback(
        &self,
        leg_id: &str,
        agent: &str,
        note: &str,
        now: Timestamp,
    ) -> StoreResult<Option<MissedCall>>;

    /// Leases up to `max` open tasks waiting in `channel` (a task without a channel waits
    /// in `first_channel`) whose lease is free or expired and whose retry time has come.
    /// Concurrent callers never receive the same task. Oldest first.
    async fn pull_callback_tasks(
        &self,
        channel: &str,
        first_channel: &str,
        worker: &str,
        max: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<CallbackTask>>;

    async fn callback_task(&self, ticket_id: TicketId) -> StoreResult<Option<CallbackTask>>;

    /// Records an attempt that leaves the task open, and frees its lease, if `worker`
    /// holds an unexpired lease on it at `now`; `None` otherwise (nothing changed).
    async fn record_callback_attempt(
        &self,
        ticket_id: TicketId,
        worker: &str,
        attempt: &OpenAttempt,
        now: Timestamp,
    ) -> StoreResult<Option<CallbackTask>>;

    /// Open tasks, oldest first, of one channel (as [`pull_callback_tasks`] reads it) or all.
    ///
    /// [`pull_callback_tasks`]: CallStore::pull_callback_tasks
    async fn list_callback_tasks(
        &self,
        channel: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<CallbackTask>>;
}
