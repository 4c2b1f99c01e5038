//! Hand-offs to partner centres (区域联动) over SQL: the `linkage_outbox` table. Rows are
//! claimed under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so senders on several
//! replicas never deliver the same hand-off at once; the partner's idempotency on the
//! hand-off id makes a retry after a lost answer harmless.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::StoreResult;
use super::sql::{Dialect, SELECT_TICKET, SqlStore, from_millis, millis, ticket_from_row};
use crate::domain::{Ticket, TicketId, Timestamp};

/// pending: not accepted yet; sent: accepted, progress followed; replied: the partner's
/// reply is on our ticket, its closure awaited; done: nothing left to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOffRow {
    pub hand_off_id: String,
    pub ticket_id: TicketId,
    pub partner: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub partner_ticket_id: Option<TicketId>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// What one delivery or progress query gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The partner accepted the hand-off (or answered progress): now `sent`.
    Sent { partner_ticket_id: TicketId },
    /// Nothing more to follow.
    Done,
    /// Failed; try again at `next_attempt_at`. Counts an attempt only while pending.
    Failed {
        error: String,
        next_attempt_at: Timestamp,
    },
    /// Followed up fine; look again at `next_attempt_at`.
    Later { next_attempt_at: Timestamp },
    /// The partner replied (now on our ticket); follow until it closes its ticket.
    Replied { next_attempt_at: Timestamp },
}

#[async_trait]
pub trait LinkageStore: Send + Sync {
    /// Records a hand-off as pending, dated from the dispatch that made it and due at
    /// once; a known id is left as it is.
    async fn enqueue_hand_off(
        &self,
        hand_off_id: &str,
        ticket_id: TicketId,
        partner: &str,
        dispatched_at: Timestamp,
    ) -> StoreResult<bool>;

    /// Tickets dispatched to `partner` (a unit id) with no hand-off recorded since their
    /// dispatch, by id after `after_id`: the sender's new work. A ticket the partner has
    /// signed, or whose hand-off is recorded, is not read again on every pass.
    async fn tickets_awaiting_hand_off(
        &self,
        partner: &str,
        after_id: Option<TicketId>,
        limit: u32,
    ) -> StoreResult<Vec<Ticket>>;

    /// Leases up to `max` pending, sent or replied hand-offs due at `now` to `owner`; concurrent
    /// callers never get the same one.
    async fn claim_hand_offs(
        &self,
        owner: &str,
        max: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<HandOffRow>>;

    /// Records what the attempt gave and frees the lease (only if `owner` still holds it).
    async fn settle_hand_off(
        &self,
        hand_off_id: &str,
        owner: &str,
        outcome: &Outcome,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Hand-offs, newest first; `status` filters when given.
    async fn list_hand_offs(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<HandOffRow>>;

    /// Hand-offs not yet accepted by their partner (the pending gauge).
    async fn count_pending_hand_offs(&self) -> StoreResult<u64>;
}

const COLUMNS: &str = "hand_off_id, ticket_id, partner, status, attempts, next_attempt_at, \
     last_error, partner_ticket_id, created_at, sent_at";

fn from_row(row: &AnyRow) -> StoreResult<HandOffRow> {
    Ok(HandOffRow {
        hand_off_id: row.try_get("hand_off_id")?,
        ticket_id: row.try_get("ticket_id")?,
        partner: row.try_get("partner")?,
        status: row.try_get("status")?,
        attempts: row.try_get::<i64, _>("attempts")?.clamp(0, u32::MAX.into()) as u32,
        next_attempt_at: from_millis(row.try_get("next_attempt_at")?)?,
        last_error: row.try_get("last_error")?,
        partner_ticket_id: row.try_get("partner_ticket_id")?,
        created_at: from_millis(row.try_get("created_at")?)?,
        sent_at: row
            .try_get::<Option<i64>, _>("sent_at")?
            .map(from_millis)
            .transpose()?,
    })
}

#[async_trait]
impl LinkageStore for SqlStore {
    async fn enqueue_hand_off(
        &self,
        hand_off_id: &str,
        ticket_id: TicketId,
        partner: &str,
        dispatched_at: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO linkage_outbox (hand_off_id, ticket_id, partner, status, attempts, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4) \
             ON CONFLICT (hand_off_id) DO NOTHING",
        )
        .bind(hand_off_id.to_string())
        .bind(ticket_id)
        .bind(partner.to_string())
        .bind(millis(dispatched_at))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn tickets_awaiting_hand_off(
        &self,
        partner: &str,
        after_id: Option<TicketId>,
        limit: u32,
    ) -> StoreResult<Vec<Ticket>> {
        // Rows recorded before this version were dated when the sender first saw the
        // ticket, which is also after its dispatch.
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SELECT_TICKET} WHERE assigned_unit = $1 AND state = 'dispatched' AND id > $2 \
             AND NOT EXISTS (SELECT 1 FROM linkage_outbox o WHERE o.ticket_id = tickets.id \
             AND o.created_at >= tickets.dispatched_at) ORDER BY id LIMIT $3"
        )))
        .bind(partner.to_string())
        .bind(after_id.unwrap_or(0))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(ticket_from_row).collect()
    }

    async fn claim_hand_offs(
        &self,
        owner: &str,
        max: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<Vec<HandOffRow>> {
        // SQLite serialises writers, so only PostgreSQL needs to skip rows others hold.
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE linkage_outbox SET lease_owner = $1, lease_until = $2 WHERE hand_off_id IN (\
             SELECT hand_off_id FROM linkage_outbox WHERE status IN ('pending', 'sent', 'replied') \
             AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
             ORDER BY next_attempt_at, hand_off_id LIMIT $4 {lock}) RETURNING {COLUMNS}"
        );
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(owner.to_string())
            .bind(millis(lease_until))
            .bind(millis(now))
            .bind(i64::from(max))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut claimed = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
        claimed.sort_by(|a, b| {
            (a.next_attempt_at, &a.hand_off_id).cmp(&(b.next_attempt_at, &b.hand_off_id))
        });
        Ok(claimed)
    }

    async fn settle_hand_off(
        &self,
        hand_off_id: &str,
        owner: &str,
        outcome: &Outcome,
        now: Timestamp,
    ) -> StoreResult<()> {
        let guard = "WHERE hand_off_id = $1 AND lease_owner = $2";
        let query = match outcome {
            Outcome::Sent { partner_ticket_id } => sqlx::query(AssertSqlSafe(format!(
                "UPDATE linkage_outbox SET status = 'sent', partner_ticket_id = $3, \
                 sent_at = COALESCE(sent_at, $4), next_attempt_at = $4, last_error = NULL, \
                 attempts = CASE WHEN status = 'pending' THEN attempts + 1 ELSE attempts END, \
                 lease_owner = NULL, lease_until = NULL {guard}"
            )))
            .bind(hand_off_id.to_string())
            .bind(owner.to_string())
            .bind(*partner_ticket_id)
            .bind(millis(now)),
            Outcome::Done => sqlx::query(AssertSqlSafe(format!(
                "UPDATE linkage_outbox SET status = 'done', last_error = NULL, \
                 lease_owner = NULL, lease_until = NULL {guard}"
            )))
            .bind(hand_off_id.to_string())
            .bind(owner.to_string()),
            Outcome::Failed {
                error,
                next_attempt_at,
            } => sqlx::query(AssertSqlSafe(format!(
                "UPDATE linkage_outbox SET last_error = $3, next_attempt_at = $4, \
                 attempts = CASE WHEN status = 'pending' THEN attempts + 1 ELSE attempts END, \
                 lease_owner = NULL, lease_until = NULL {guard}"
            )))
            .bind(hand_off_id.to_string())
            .bind(owner.to_string())
            .bind(error.clone())
            .bind(millis(*next_attempt_at)),
            Outcome::Replied { next_attempt_at } => sqlx::query(AssertSqlSafe(format!(
                "UPDATE linkage_outbox SET status = 'replied', next_attempt_at = $3, \
                 last_error = NULL, lease_owner = NULL, lease_until = NULL {guard}"
            )))
            .bind(hand_off_id.to_string())
            .bind(owner.to_string())
            .bind(millis(*next_attempt_at)),
            Outcome::Later { next_attempt_at } => sqlx::query(AssertSqlSafe(format!(
                "UPDATE linkage_outbox SET next_attempt_at = $3, last_error = NULL, \
                 lease_owner = NULL, lease_until = NULL {guard}"
            )))
            .bind(hand_off_id.to_string())
            .bind(owner.to_string())
            .bind(millis(*next_attempt_at)),
        };
        query.execute(&self.writer).await?;
        Ok(())
    }

    async fn list_hand_offs(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<HandOffRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM linkage_outbox WHERE ($1 = '' OR status = $1) \
             ORDER BY created_at DESC, hand_off_id LIMIT $2"
        )))
        .bind(status.unwrap_or_default().to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(from_row).collect()
    }

    async fn count_pending_hand_offs(&self) -> StoreResult<u64> {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM linkage_outbox WHERE status = 'pending'")
                .fetch_one(&self.reader)
                .await?
                .try_get("n")?;
        Ok(n.max(0) as u64)
    }
}
