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

use std::sync::Mutex;
use std::time::Duration;

use sqlx::{AnyPool, Row};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How often the log is copied back. Short enough that the log stays small (a few
/// megabytes under load), long enough that a hot page is copied once for many commits.
const EVERY: Duration = Duration::from_millis(200);

/// The running checkpoint task; stopped by [`Checkpointer::stop`].
pub(super) struct Checkpointer {
    stop: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// Starts checkpointing through `pool` (a connection of its own) on the current
    /// Tokio runtime.
    pub fn start(pool: AnyPool) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(pool, stop.clone()));
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

async fn run(pool: AnyPool, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(EVERY) => {}
        }
        match checkpoint(&pool).await {
            Ok(Pass { busy: true, .. }) => {
                tracing::debug!("a checkpoint was busy; trying again at the next pass");
            }
            Ok(Pass { log, copied, .. }) => {
                tracing::trace!(log, copied, "checkpoint");
            }
            Err(error) => tracing::warn!(%error, "a WAL checkpoint failed; trying again"),
        }
    }
    pool.close().await;
}

/// What `PRAGMA wal_checkpoint` reports: whether it was blocked, the pages in the log
/// and how many of them are now in the database file.
struct Pass {
    busy: bool,
    log: i64,
    copied: i64,
}

async fn checkpoint(pool: &AnyPool) -> sqlx::Result<Pass> {
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    Ok(Pass {
        busy: row.try_get::<i64, _>(0)? != 0,
        log: row.try_get(1)?,
        copied: row.try_get(2)?,
    })
}
