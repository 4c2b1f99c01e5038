//! SQLite's log synced off the write connection: a batch's commit does not hold the one
//! write connection while the disk syncs.
//!
//! With `synchronous = FULL`, SQLite's COMMIT writes the batch's pages to the write-ahead
//! log and syncs the log before it returns, and the one write connection idles through
//! the sync, though the next batch is already queued. So the batch writers commit with
//! `synchronous = NORMAL` (the log is written, not synced), put the connection back to
//! FULL for every other user of it, and answer the batch's callers only once a sync of
//! the log file returns; that sync runs on a blocking thread while the next batch is
//! written.
//!
//! An acknowledged write is as durable as under FULL: a sync makes durable every page of
//! the file written before it began, the log's header and every frame of the batches
//! committed before it, so one sync at a time covers all the batches that committed while
//! the previous one ran. A power loss before the sync returns
//! takes back only frames nobody was told were written; SQLite's recovery stops at the
//! first frame whose checksum does not follow, so a half-written batch is dropped whole
//! (NORMAL keeps the database consistent; only durability was FULL's to add). What does
//! change: another reader may see a batch in the instant between its commit and its sync
//! (a listing, a pull). A write depending on it (a lease of a new ticket) commits later
//! in the same log, so its own sync covers both.
//!
//! A failed sync may have left a hole in the log, and frames after a hole are lost on
//! recovery even if their own sync succeeds; so after one failure every later batch is
//! refused until the daemon restarts, as PostgreSQL stops on a failed fsync.

use std::fs::{File, OpenOptions};
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures_util::future::BoxFuture;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool};

use super::wal_checkpoint::LogBound;
use super::{StoreError, StoreResult};

/// Seconds each sync of SQLite's log took, exported on /metrics: the wait a batch's
/// callers add to its write.
pub const LOG_SYNC_SECONDS: &str = "hotline_log_sync_seconds";

/// The write connection of the batch writers, and, on SQLite, its log to sync.
#[derive(Clone)]
pub(super) struct WriteConnection {
    pool: AnyPool,
    log: Option<Arc<Log>>,
}

/// The write-ahead log file of a SQLite database.
struct Log {
    path: PathBuf,
    /// Raised when the log has grown too long; the connection copies it back between
    /// batches.
    bound: Arc<LogBound>,
    broken: AtomicBool,
    /// Batches committed so far, counted after each commit.
    committed: AtomicU64,
    /// How many of them a finished sync covers; held while a sync runs, so one runs at a
    /// time and covers every batch committed before it began.
    synced: tokio::sync::Mutex<u64>,
}

/// When a batch's committed writes are on disk.
pub(super) enum Durable {
    /// At its commit: nothing to wait for.
    AtCommit,
    /// When this sync finishes (an error if it failed).
    Syncing(BoxFuture<'static, StoreResult<()>>),
}

impl WriteConnection {
    /// Commits are durable when they return (PostgreSQL's `synchronous_commit = on`).
    pub fn durable_at_commit(pool: AnyPool) -> Self {
        WriteConnection { pool, log: None }
    }

    /// The write connection of a SQLite database in WAL mode: its batches' logs are synced
    /// after their commits, and copied back between batches when `bound` is raised. A
    /// database without a file (in memory) has no log to sync.
    pub async fn sqlite(pool: AnyPool, bound: Arc<LogBound>) -> StoreResult<Self> {
        let file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&pool)
                .await?;
        let log = (!file.is_empty())
            .then(|| Arc::new(Log::new(PathBuf::from(format!("{file}-wal")), bound)));
        Ok(WriteConnection { pool, log })
    }

    /// The pool behind it: the one write connection, shared with writes made outside
    /// batches, which commit durably as usual.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The connection for a write of its own (a bulk import), durable at its commit as
    /// usual. As before a batch, a log that has outgrown its bound is copied back first:
    /// an import is a stream of large transactions, and without this the log grew by
    /// every page the import wrote (24 GB ten minutes into a 10-million-ticket seed).
    pub async fn acquire_unbatched(&self) -> StoreResult<PoolConnection<Any>> {
        let mut conn = self.pool.acquire().await?;
        if let Some(log) = &self.log {
            log.check()?;
            log.bound.restart_if_outgrown(&mut conn).await;
        }
        Ok(conn)
    }

    /// The connection for one batch; on SQLite, its commits skip the sync until
    /// [`BatchConnection::finish`]. If the log has outgrown its bound, it is copied back
    /// first: here, not at the end of the batch before, so that batch's callers are
    /// answered without waiting for the copy, and this batch starts the log over.
    pub async fn acquire(&self) -> StoreResult<BatchConnection> {
        let mut conn = self.acquire_unbatched().await?;
        if self.log.is_some() {
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut *conn)
                .await?;
        }
        Ok(BatchConnection {
            conn: Some(conn),
            log: self.log.clone(),
        })
    }
}

impl Log {
    fn check(&self) -> StoreResult<()> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(format!(
                "an earlier sync of {} failed, so later writes cannot be made durable; \
                 restart the daemon (SQLite recovers the log on opening)",
                self.path.display()
            )));
        }
        Ok(())
    }

    fn fail(&self, error: std::io::Error) -> StoreError {
        self.broken.store(true, Ordering::SeqCst);
        tracing::error!(log = %self.path.display(), %error,
            "syncing SQLite's log failed: no write is acknowledged until the daemon restarts");
        StoreError::Unavailable(format!(
            "the database log {} could not be synced ({error}); restart the daemon",
            self.path.display()
        ))
    }

    fn new(path: PathBuf, bound: Arc<LogBound>) -> Self {
        Log {
            path,
            bound,
            broken: AtomicBool::new(false),
            committed: AtomicU64::new(0),
            synced: tokio::sync::Mutex::new(0),
        }
    }

    /// Counts a batch just committed and says when a sync has covered it. Syncs run one
    /// at a time: a batch that committed while one ran waits for the next, which covers
    /// every batch waiting with it, so under load the disk sees one sync per batch
    /// written meanwhile, not one per batch queued.
    fn sync(self: Arc<Self>) -> Durable {
        let mine = self.committed.fetch_add(1, Ordering::SeqCst) + 1;
        Durable::Syncing(Box::pin(async move {
            let mut synced = self.synced.lock().await;
            self.check()?;
            if *synced >= mine {
                return Ok(());
            }
            let covers = self.committed.load(Ordering::SeqCst);
            let started = std::time::Instant::now();
            let path = self.path.clone();
            // Opened afresh: the file holding every frame not yet checkpointed. The log is
            // deleted only when the last connection closes, after a synced checkpoint, and
            // the store keeps its write connection open for its whole life.
            let result = tokio::task::spawn_blocking(move || {
                File::sync_data(&OpenOptions::new().write(true).open(path)?)
            })
            .await
            .unwrap_or_else(|panic| Err(std::io::Error::other(panic)));
            metrics::histogram!(LOG_SYNC_SECONDS).record(started.elapsed().as_secs_f64());
            result.map_err(|error| self.fail(error))?;
            *synced = covers;
            Ok(())
        }))
    }
}

/// The write connection held by one batch, derefs to the connection. Finish it after the
/// batch, whether it committed or failed; one dropped unfinished (a panic, a cancelled
/// task) is closed rather than pooled, so no other user gets it with the sync skipped.
pub(super) struct BatchConnection {
    conn: Option<PoolConnection<Any>>,
    log: Option<Arc<Log>>,
}

impl BatchConnection {
    /// Gives the connection back, durable at commit again, and says when what the batch
    /// committed is on disk.
    pub async fn finish(mut self) -> Durable {
        let (Some(mut conn), Some(log)) = (self.conn.take(), self.log.take()) else {
            return Durable::AtCommit;
        };
        if let Err(error) = sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await
        {
            tracing::warn!(%error, "could not restore synchronous = FULL; closing the write connection");
            conn.close_on_drop();
        }
        let durable = log.sync();
        drop(conn);
        durable
    }
}

impl Drop for BatchConnection {
    fn drop(&mut self) {
        if let (Some(conn), Some(_)) = (&mut self.conn, &self.log) {
            conn.close_on_drop();
        }
    }
}

impl Deref for BatchConnection {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.conn
            .as_ref()
            .expect("a batch connection is held until finished")
    }
}

impl DerefMut for BatchConnection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn
            .as_mut()
            .expect("a batch connection is held until finished")
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use sqlx::any::AnyPoolOptions;

    /// A one-connection pool on a WAL database in `dir`, set up as the store's are:
    /// durable at commit by default, no automatic checkpoints. Each call opens another
    /// pool on the same database.
    pub(in crate::store) async fn wal_pool(dir: &tempfile::TempDir) -> AnyPool {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display());
        AnyPoolOptions::new()
            .max_connections(1)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::Executor::execute(
                        conn,
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA wal_autocheckpoint = 0; \
                         CREATE TABLE IF NOT EXISTS t (x)",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .expect("database")
    }

    fn unbounded() -> Arc<LogBound> {
        Arc::new(LogBound::new(i64::MAX))
    }

    async fn synchronous(conn: &mut AnyConnection) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(conn)
            .await
            .expect("synchronous")
    }

    /// A batch commits without the sync, the connection goes back durable at commit for
    /// its other users, and the batch's sync is handed over to be awaited.
    #[tokio::test]
    async fn a_batch_skips_the_sync_at_commit_and_the_connection_gets_it_back() {
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let pool = wal_pool(&dir).await;
        let writer = WriteConnection::sqlite(pool.clone(), unbounded())
            .await
            .expect("writer");
        let log = writer.log.as_ref().expect("a file database has a log");
        assert_eq!(log.path, dir.path().join("s.db-wal"));

        let mut conn = writer.acquire().await.expect("batch connection");
        assert_eq!(synchronous(&mut conn).await, 1, "NORMAL inside the batch");
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *conn)
            .await
            .expect("insert");
        let Durable::Syncing(synced) = conn.finish().await else {
            panic!("a SQLite batch is durable after its sync");
        };
        synced.await.expect("the log syncs");
        let mut other = pool.acquire().await.expect("the same connection");
        assert_eq!(
            synchronous(&mut other).await,
            2,
            "FULL again for other users"
        );
    }

    /// A sync covers every batch committed before it began: the batches that waited for
    /// it need no sync of their own.
    #[tokio::test]
    async fn one_sync_covers_every_batch_committed_before_it() {
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let writer = WriteConnection::sqlite(wal_pool(&dir).await, unbounded())
            .await
            .expect("writer");
        let mut pending = Vec::new();
        for n in 0..3 {
            let mut conn = writer.acquire().await.expect("batch connection");
            sqlx::query("INSERT INTO t VALUES ($1)")
                .bind(n)
                .execute(&mut *conn)
                .await
                .expect("insert");
            match conn.finish().await {
                Durable::Syncing(synced) => pending.push(synced),
                Durable::AtCommit => panic!("a SQLite batch is durable after its sync"),
            }
        }
        let last = pending.pop().expect("three batches");
        last.await.expect("the last batch's sync");
        // Were the first two to sync again, they would fail: there is no log to open.
        let log = dir.path().join("s.db-wal");
        let aside = dir.path().join("aside");
        std::fs::rename(&log, &aside).expect("move the log aside");
        for synced in pending {
            synced.await.expect("covered by the last batch's sync");
        }
        std::fs::rename(&aside, &log).expect("put the log back");
    }

    /// A batch that ends in an error never gives the pool a connection that skips syncs.
    #[tokio::test]
    async fn a_batch_connection_dropped_unfinished_is_closed() {
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let pool = wal_pool(&dir).await;
        let writer = WriteConnection::sqlite(pool.clone(), unbounded())
            .await
            .expect("writer");
        drop(writer.acquire().await.expect("batch connection"));
        let mut next = pool.acquire().await.expect("a new connection");
        assert_eq!(synchronous(&mut next).await, 2);
    }

    /// Once a sync failed, that batch and every later one are refused: the log may have a
    /// hole, after which SQLite's recovery drops even frames that were synced.
    #[tokio::test]
    async fn after_a_failed_sync_nothing_more_is_acknowledged() {
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let pool = wal_pool(&dir).await;
        let writer = WriteConnection {
            pool,
            log: Some(Arc::new(Log::new(
                dir.path().join("missing-wal"),
                unbounded(),
            ))),
        };
        let conn = writer.acquire().await.expect("batch connection");
        let Durable::Syncing(synced) = conn.finish().await else {
            panic!("a SQLite batch is durable after its sync");
        };
        let refused = synced.await.expect_err("a log that cannot be synced");
        assert!(matches!(&refused, StoreError::Unavailable(m) if m.contains("restart")));
        let later = writer.acquire().await.err().expect("later batches refused");
        assert!(matches!(&later, StoreError::Unavailable(m) if m.contains("earlier sync")));
    }

    /// PostgreSQL's commits are durable when they return; so is an in-memory SQLite's.
    #[tokio::test]
    async fn without_a_log_file_commits_are_durable_at_once() {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("database");
        for writer in [
            WriteConnection::sqlite(pool.clone(), unbounded())
                .await
                .expect("writer"),
            WriteConnection::durable_at_commit(pool.clone()),
        ] {
            assert!(writer.log.is_none());
            let conn = writer.acquire().await.expect("batch connection");
            assert!(matches!(conn.finish().await, Durable::AtCommit));
        }
    }
}
