//! This replica's search index of the published entries, and when it was last built.

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use chrono::NaiveDate;
use tonic::Status;

use crate::domain::UnitCatalog;
use crate::knowledge::index::{Hit, KnowledgeIndex, SearchQuery};
use crate::store::Store;

/// Default of `--knowledge-review-days`: an entry nobody reviewed for half a year is stale.
pub const DEFAULT_REVIEW_EVERY_DAYS: u32 = 180;

pub struct KnowledgeState {
    index: KnowledgeIndex,
    /// The store's [`knowledge_stamp`](Store::knowledge_stamp) the index was built at;
    /// -1 before the first build.
    built_at_stamp: AtomicI64,
    review_every_days: AtomicU32,
    /// One rebuild at a time; searches go on meanwhile on the old snapshot.
    rebuilding: tokio::sync::Mutex<()>,
}

impl Default for KnowledgeState {
    fn default() -> Self {
        KnowledgeState {
            index: KnowledgeIndex::empty(),
            built_at_stamp: AtomicI64::new(-1),
            review_every_days: AtomicU32::new(DEFAULT_REVIEW_EVERY_DAYS),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }
}

impl KnowledgeState {
    pub fn review_every_days(&self) -> u32 {
        self.review_every_days.load(Ordering::Relaxed)
    }

    pub fn set_review_every_days(&self, days: u32) {
        self.review_every_days.store(days, Ordering::Relaxed);
    }

    /// How many published entries the index holds.
    pub fn indexed(&self) -> usize {
        self.index.snapshot().len()
    }

    pub fn search(
        &self,
        query: &SearchQuery,
        today: NaiveDate,
        units: &UnitCatalog,
    ) -> Result<Vec<Hit>, Status> {
        self.index
            .snapshot()
            .search(query, today, units)
            .map_err(|error| {
                tracing::error!(%error, "knowledge search failed");
                Status::internal("knowledge search failed")
            })
    }

    /// Rebuilds the index from the store's published entries. Failures are logged: the
    /// old index keeps answering and the refresher tries again.
    pub async fn rebuild(&self, store: &dyn Store) {
        if let Err(error) = self.try_rebuild(store).await {
            tracing::warn!(%error, "knowledge index not rebuilt; the previous one stays in use");
        }
    }

    /// Rebuilds only when the store changed since the last build.
    pub async fn refresh(&self, store: &dyn Store) -> anyhow::Result<bool> {
        let stamp = store.knowledge_stamp().await?;
        if stamp == self.built_at_stamp.load(Ordering::Acquire) {
            return Ok(false);
        }
        self.try_rebuild(store).await?;
        Ok(true)
    }

    async fn try_rebuild(&self, store: &dyn Store) -> anyhow::Result<()> {
        let _one_at_a_time = self.rebuilding.lock().await;
        // The stamp first: a change landing between the two reads makes the index look
        // older than it is, and the next refresh builds it again.
        let stamp = store.knowledge_stamp().await?;
        let entries = store.live_entries().await?;
        let count = entries.len();
        let snapshot =
            tokio::task::spawn_blocking(move || crate::knowledge::index::Snapshot::build(entries))
                .await??;
        self.index.install(snapshot);
        self.built_at_stamp.store(stamp, Ordering::Release);
        tracing::debug!(entries = count, stamp, "knowledge index rebuilt");
        Ok(())
    }
}
