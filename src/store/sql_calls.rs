//! [`CallStore`] for the SQL store: delegates to [`call_legs`](super::call_legs) and
//! [`callback_tasks`](super::callback_tasks).

use async_trait::async_trait;
use chrono::Duration;

use super::calls::{
    CallStatsQuery, CallStatsRow, CallStore, CallbackTask, LegsReported, MissedCall, OpenAttempt,
};
use super::sql::SqlStore;
use super::{StoreResult, call_legs, callback_tasks};
use crate::domain::calls::CallLeg;
use crate::domain::{TicketId, Timestamp};

#[async_trait]
impl CallStore for SqlStore {
    async fn report_call_legs(
        &self,
        legs: &[CallLeg],
        short_abandon: Duration,
        missed_within: Duration,
        now: Timestamp,
    ) -> StoreResult<LegsReported> {
        call_legs::report(&self.writer, legs, short_abandon, missed_within, now).await
    }

    async fn call_stats(&self, query: &CallStatsQuery) -> StoreResult<Vec<CallStatsRow>> {
        call_legs::stats(&self.reader, query).await
    }

    async fn list_missed_calls(
        &self,
        line: Option<&str>,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<MissedCall>> {
        call_legs::list_missed(&self.reader, line, now, limit).await
    }

    async fn missed_call_counts(&self, now: Timestamp) -> StoreResult<Vec<(String, u64)>> {
        call_legs::missed_per_line(&self.reader, now).await
    }

    async fn record_missed_callback(
        &self,
        leg_id: &str,
        agent: &str,
        note: &str,
        now: Timestamp,
    ) -> StoreResult<Option<MissedCall>> {
        call_legs::record_callback(&self.writer, leg_id, agent, note, now).await
    }

    async fn pull_callback_tasks(
        &self,
        channel: &str,
        first_channel: &str,
        worker: &str,
        max: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<CallbackTask>> {
        callback_tasks::pull(self, channel, first_channel, worker, max, now, lease_until).await
    }

    async fn callback_task(&self, ticket_id: TicketId) -> StoreResult<Option<CallbackTask>> {
        callback_tasks::get(&self.reader, ticket_id).await
    }

    async fn record_callback_attempt(
        &self,
        ticket_id: TicketId,
        worker: &str,
        attempt: &OpenAttempt,
        now: Timestamp,
    ) -> StoreResult<Option<CallbackTask>> {
        callback_tasks::record_attempt(&self.writer, ticket_id, worker, attempt, now).await
    }

    async fn list_callback_tasks(
        &self,
        channel: Option<(&str, &str)>,
        limit: u32,
    ) -> StoreResult<Vec<CallbackTask>> {
        callback_tasks::list_open(&self.reader, channel, limit).await
    }
}
