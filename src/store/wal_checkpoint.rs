//! SQLite checkpoints off the write path.
//!
//! In WAL mode every commit appends the pages it changed to the log; a checkpoint copies
//! them back into the database file and syncs it. By default SQLite checkpoints inside
//! the commit that pushes the log past 1,000 pages, which is the writer's commit: with
//! group commit a batch of transitions touches hundreds of index pages, so nearly every
//! batch paid a checkpoint, and the same hot index pages were copied back batch after
//! batch. Here the writer never checkpoints (`wal_autocheckpoint = 0`); a task of its own
//! runs a PASSIVE checkpoint a few times a second on a connection of its own. PASSIVE
//! never waits for or blocks the writer or readers, and copies a page once however many
//! commits changed it since the last pass. Durability is untouched: a commit is durable
//! in the log (`synchronous = FULL`), and recovery replays the log after a crash.
//!
//! SQLite starts the log over from its beginning only when a write transaction begins
//! and finds every frame copied back. Under a steady stream of batches a pass never gets
//! there (it copies what the log held when it began, while the writer appends more), so
//! the log grew for as long as the load lasted: 1.1 GB after 16 s of intake, and with it
//! the disk used, the page cache and the time recovery takes after a crash. So when a
//! pass finds the log past [`LOG_BOUND_FRAMES`], the checkpointer passes again back to
//! back until little comes in per pass, then raises a flag ([`LogBound`]), and the
//! writer, between two batches, copies that little back itself: nothing is appended
//! meanwhile, so its pass completes and the next batch starts the log over.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::{Any, AnyConnection, AnyPool, Executor, Row};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How often the log is copied back. Short enough that the writer, when the log outgrows
/// its bound, finds little left to copy; long enough that a hot page is copied once for
/// many commits.
const EVERY: Duration = Duration::from_millis(200);

/// Frames (pages of 4 KiB: 256 MiB) past which the writer copies the log back itself.
/// Its pause is two syncs (the log's, then the database file's), 11–25 ms on a slow
/// virtual disk under load; at this bound that comes every few seconds at full intake,
/// rarely enough to stay out of the 99th percentile, while the log stays small next to
/// the disk and the page cache.
pub(super) const LOG_BOUND_FRAMES: i64 = 65_536;

/// Frames in SQLite's log as the last checkpoint pass found them, exported on /metrics.
pub const LOG_FRAMES: &str = "hotline_sqlite_log_frames";

/// Whether the log has outgrown its bound: raised by the checkpointer's passes, acted on
/// by the write connection between batches.
pub(super) struct LogBound {
    frames: i64,
    outgrown: AtomicBool,
}

impl LogBound {
    pub fn new(frames: i64) -> Self {
        LogBound {
            frames,
            outgrown: AtomicBool::new(false),
        }
    }

    fn note(&self, pass: &Pass) {
        if pass.log > self.frames {
            self.outgrown.store(true, Ordering::SeqCst);
        }
    }

    /// On the write connection, between two batches: if the log has outgrown its bound,
    /// copies back what the last pass could not. A PASSIVE pass never waits for anyone;
    /// it stops short only where a reader still needs an old frame, and the flag is
    /// raised again by the next pass that finds the log too long.
    pub async fn restart_if_outgrown(&self, conn: &mut AnyConnection) {
        if !self.outgrown.swap(false, Ordering::SeqCst) {
            return;
        }
        let started = std::time::Instant::now();
        match checkpoint(conn).await {
            Ok(Pass { busy, log, copied }) => tracing::debug!(
                busy, log, copied, elapsed = ?started.elapsed(),
                "the writer copied back an outgrown log; the next batch starts it over"
            ),
            Err(error) => tracing::warn!(%error, "the writer could not copy back the log"),
        }
    }
}

/// The running checkpoint task; stopped by [`Checkpointer::stop`].
pub(super) struct Checkpointer {
    stop: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// Starts checkpointing through `pool` (a connection of its own) on the current
    /// Tokio runtime, raising `bound` when a pass finds the log too long.
    pub fn start(pool: AnyPool, bound: Arc<LogBound>) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(pool, bound, stop.clone()));
        Checkpointer {
            stop,
            task: Mutex::new(Some(task)),
        }
    }

    /// Stops the task and waits for a pass under way. What is left in the log is copied
    /// back when the last connection closes, as SQLite always does.
    pub async fn stop(&self) {
        self.stop.cancel();
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// Passes in a row at most, when the log has outgrown its bound.
const CATCH_UP_PASSES: usize = 4;

/// Frames coming in during a pass below which the checkpointer leaves the rest to the
/// writer (1 MiB: a few milliseconds of copying).
const CAUGHT_UP_FRAMES: i64 = 256;

async fn run(pool: AnyPool, bound: Arc<LogBound>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(EVERY) => {}
        }
        catch_up(&pool, &bound).await;
    }
    pool.close().await;
}

/// A pass; if it leaves the log past its bound, more passes back to back, each copying
/// what came in during the one before, until little comes in per pass. Then it raises
/// `bound`, and the writer copies that little between two batches, when nothing can come
/// in, and the next batch starts the log over: the writer's pause is a few milliseconds
/// rather than a whole pass (18–47 ms here when it did a pass's worth).
async fn catch_up(pool: &AnyPool, bound: &LogBound) {
    let mut last = pass(pool).await;
    for _ in 0..CATCH_UP_PASSES {
        let Some(before) = last.as_ref().filter(|p| p.log > bound.frames) else {
            break;
        };
        let Some(now) = pass(pool).await else {
            break;
        };
        let came_in = now.log - before.log;
        last = Some(now);
        if came_in < CAUGHT_UP_FRAMES {
            break;
        }
    }
    if let Some(pass) = last {
        bound.note(&pass);
    }
}

/// Copies back what it can; `None` if the checkpoint was busy or failed (logged).
async fn pass(pool: &AnyPool) -> Option<Pass> {
    match checkpoint(pool).await {
        Ok(Pass { busy: true, .. }) => {
            tracing::debug!("a checkpoint was busy; trying again at the next pass");
            None
        }
        Ok(pass) => {
            tracing::trace!(log = pass.log, copied = pass.copied, "checkpoint");
            metrics::gauge!(LOG_FRAMES).set(pass.log as f64);
            Some(pass)
        }
        Err(error) => {
            tracing::warn!(%error, "a WAL checkpoint failed; trying again");
            None
        }
    }
}

/// What `PRAGMA wal_checkpoint` reports: whether it was blocked, the pages in the log
/// and how many of them are now in the database file.
struct Pass {
    busy: bool,
    log: i64,
    copied: i64,
}

async fn checkpoint<'c>(on: impl Executor<'c, Database = Any>) -> sqlx::Result<Pass> {
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(on)
        .await?;
    Ok(Pass {
        busy: row.try_get::<i64, _>(0)? != 0,
        log: row.try_get(1)?,
        copied: row.try_get(2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::log_sync::tests::wal_pool;
    use crate::store::log_sync::{Durable, WriteConnection};
    use sqlx::Acquire;

    /// `rows` rows of 2 KiB (a row is about half a page, so a frame of the log per two rows).
    async fn insert(conn: &mut AnyConnection, rows: i64) {
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO t SELECT randomblob(2048) FROM n",
        )
        .bind(rows)
        .execute(conn)
        .await
        .expect("insert");
    }

    /// One batch of `rows` rows through the write connection, as a batch writer writes it.
    async fn batch(writer: &WriteConnection, rows: i64) {
        let mut conn = writer.acquire().await.expect("batch connection");
        insert(&mut conn, rows).await;
        if let Durable::Syncing(synced) = conn.finish().await {
            synced.await.expect("the log syncs");
        }
    }

    /// How the write after the checkpointer fell behind reaches the write connection.
    #[derive(Clone, Copy)]
    enum Then {
        /// A batch writer's batch.
        Batch,
        /// A bulk import's transaction (`hotline seed`), durable at its commit.
        Import,
    }

    /// The frames the log holds after a few batches that the checkpointer could not keep
    /// up with (a reader held it back, as new batches do under load), with the log bound
    /// at `bound` frames; then one more row is written as `then` says.
    async fn log_after_a_checkpointer_fell_behind(bound: i64, then: Then) -> i64 {
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let (writes, reads, checkpoints) = (
            wal_pool(&dir).await,
            wal_pool(&dir).await,
            wal_pool(&dir).await,
        );
        let bound = Arc::new(LogBound::new(bound));
        let writer = WriteConnection::sqlite(writes, bound.clone())
            .await
            .expect("writer");

        batch(&writer, 200).await;
        let mut reader = reads.acquire().await.expect("reader");
        let mut snapshot = reader.begin().await.expect("read transaction");
        let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&mut *snapshot)
            .await
            .expect("read");
        assert_eq!(seen, 200);
        batch(&writer, 200).await;
        // The passes copy only what the reader's snapshot holds: the log stays long.
        catch_up(&checkpoints, &bound).await;
        snapshot.rollback().await.expect("end the read");
        drop(reader);
        match then {
            Then::Batch => batch(&writer, 1).await,
            Then::Import => {
                let mut conn = writer.acquire_unbatched().await.expect("import connection");
                insert(&mut conn, 1).await;
            }
        }

        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&reads)
            .await
            .expect("count");
        assert_eq!(rows, 401, "every batch is in the database");
        checkpoint(&checkpoints).await.expect("checkpoint").log
    }

    /// Without the writer's help the log only grows while writes keep coming; with it,
    /// the first write after an outgrown pass copies the rest back before it writes, so
    /// that write starts the log over from its beginning.
    async fn an_outgrown_log_starts_over_at(then: Then) {
        let unbounded = log_after_a_checkpointer_fell_behind(i64::MAX, then).await;
        assert!(
            unbounded > 200,
            "the log kept every write: {unbounded} frames"
        );
        let bounded = log_after_a_checkpointer_fell_behind(50, then).await;
        assert!(
            bounded < 10,
            "the log holds only the last write: {bounded} frames"
        );
    }

    #[tokio::test]
    async fn the_writer_starts_an_outgrown_log_over_between_batches() {
        an_outgrown_log_starts_over_at(Then::Batch).await;
    }

    /// A bulk import writes outside the batches, one large transaction after another; it
    /// starts an outgrown log over the same way, or a long `hotline seed` fills the disk.
    #[tokio::test]
    async fn an_import_starts_an_outgrown_log_over_too() {
        an_outgrown_log_starts_over_at(Then::Import).await;
    }
}
