//! SQLite: the zero-configuration embedded backend for a single node.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a ticket is on disk before its
//! creation is acknowledged, even across power loss: each commit syncs the WAL. Writes
//! are group-committed, so that sync is paid once per batch rather than once per write,
//! and the batch writers move it off the write connection: they commit with `NORMAL` and
//! answer once a sync of the log returns ([`log_sync`](super::log_sync)). `NORMAL` alone
//! would leave the log to reach the disk at checkpoints: safe from a crash of the
//! process, but a power loss or kernel crash could take back acknowledged tickets, which
//! the hotline must not do. Checkpoints run off the write path
//! ([`wal_checkpoint`](super::wal_checkpoint)).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;

use super::Batching;
use super::log_sync::WriteConnection;
use super::sql::{Dialect, SqlStore};
use super::wal_checkpoint::{Checkpointer, LOG_BOUND_FRAMES, LogBound};

/// Concurrent readers; writes have one connection of their own.
/// The schema's migrations, embedded at build time: the store runs them at open.
pub(super) static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

const READERS: u32 = 8;

/// Every connection: durable commits, and no connection checkpoints on commit
/// ([`Checkpointer`] does it off the write path).
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0;";

/// The write connection also keeps statement journals in memory. A multi-row statement
/// of a batch journals the original of every page it changes, in case it must roll back
/// alone; past SQLite's 64 KiB spill threshold that journal went to a temporary file,
/// doubling the writer's page writes (BENCHMARKS.md, stop 15). A batch's statements
/// change a few MB at most. Migrations, whose one statement may rewrite every ticket,
/// run on a connection without it, and so do the readers, whose large sorts and
/// groupings keep spilling to temporary files rather than to memory.
const WRITER_PRAGMAS: &str = "PRAGMA temp_store = MEMORY;";

/// A pool whose connections run [`PRAGMAS`], then `extra` if given.
fn pool_options(max: u32, extra: Option<&'static str>) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(PRAGMAS).await?;
                if let Some(extra) = extra {
                    conn.execute(extra).await?;
                }
                Ok(())
            })
        })
}

pub async fn open(url: &str, batching: Batching) -> anyhow::Result<SqlStore> {
    // Parse with the SQLite driver first: its error names what is wrong with the URL.
    SqliteConnectOptions::from_str(url).with_context(|| format!("invalid SQLite URL `{url}`"))?;
    let migrator = pool_options(1, None)
        .connect(url)
        .await
        .with_context(|| format!("opening SQLite database `{url}`"))?;
    MIGRATOR
        .run(&migrator)
        .await
        .context("running SQLite migrations")?;
    super::rate_counts::warn_if_unbuilt(&migrator).await?;
    migrator.close().await;
    // The write connection lives as long as the store, so the log file it holds open is
    // the one every batch's sync opens (see `log_sync`).
    let writer = pool_options(1, Some(WRITER_PRAGMAS))
        .max_lifetime(None)
        .idle_timeout(None)
        .connect(url)
        .await?;
    let reader = pool_options(READERS, None).connect(url).await?;
    let checkpoints = pool_options(1, None).connect(url).await?;
    let bound = Arc::new(LogBound::new(LOG_BOUND_FRAMES));
    let batches = WriteConnection::sqlite(writer, bound.clone()).await?;
    Ok(SqlStore::new(Dialect::Sqlite, batches, reader, batching)
        .with_checkpointer(Checkpointer::start(checkpoints, bound)))
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    async fn pragmas(pool: &sqlx::AnyPool, names: &[&'static str]) -> Vec<String> {
        let mut values = Vec::new();
        for name in names {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
                .fetch_one(pool)
                .await
                .expect(name);
            let value = row
                .try_get::<String, _>(0)
                .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
                .expect(name);
            values.push(value);
        }
        values
    }

    /// Every connection the store opens carries the durability settings the module
    /// comment promises, and only the write connection keeps statement journals in
    /// memory; a connection without them would still work, only less safely, more
    /// slowly or with more memory, so nothing else would notice.
    #[tokio::test]
    async fn connections_are_set_up_for_durable_group_commits() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
        let names = [
            "journal_mode",
            "synchronous",
            "wal_autocheckpoint",
            "foreign_keys",
            "temp_store",
        ];
        let writer = super::pool_options(1, Some(super::WRITER_PRAGMAS))
            .connect(&url)
            .await
            .expect("writer");
        // WAL, FULL, no automatic checkpoints, foreign keys, temp_store = MEMORY.
        assert_eq!(pragmas(&writer, &names).await, ["wal", "2", "0", "1", "2"]);
        let reader = super::pool_options(1, None)
            .connect(&url)
            .await
            .expect("reader");
        // The same, with temporary storage left at its default (files).
        assert_eq!(pragmas(&reader, &names).await, ["wal", "2", "0", "1", "0"]);
        writer.close().await;
        reader.close().await;
    }
}
