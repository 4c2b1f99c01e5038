//! SQLite: the zero-configuration embedded backend for a single node.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a ticket is on disk before its
//! creation is acknowledged, even across power loss: each commit syncs the WAL. Intake
//! is group-committed, so that sync is paid once per batch of concurrent creates rather
//! than once per ticket, which is why FULL stays affordable. `NORMAL` would skip the sync
//! at commit (WAL contents reach the disk at checkpoints): still safe from a crash of the
//! process, but a power loss or kernel crash could take back the last acknowledged
//! tickets, which the hotline must not do. Checkpoints run off the write path
//! ([`wal_checkpoint`](super::wal_checkpoint)).

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;

use super::Batching;
use super::sql::{Dialect, SqlStore};
use super::wal_checkpoint::Checkpointer;

/// Concurrent readers; writes have one connection of their own.
const READERS: u32 = 8;

/// No connection checkpoints on commit: [`Checkpointer`] does it off the write path.
/// Statement journals stay in memory (`temp_store = MEMORY`): a multi-row INSERT of a
/// batch journals every page it changes in case it must roll back alone, and past
/// SQLite's 64 KiB spill threshold that journal went to a temporary file, doubling the
/// writer's page writes (see BENCHMARKS.md, stop 15).
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0; \
     PRAGMA temp_store = MEMORY;";

fn pool_options(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(PRAGMAS).await?;
                Ok(())
            })
        })
}

pub async fn open(url: &str, batching: Batching) -> anyhow::Result<SqlStore> {
    // Parse with the SQLite driver first: its error names what is wrong with the URL.
    SqliteConnectOptions::from_str(url).with_context(|| format!("invalid SQLite URL `{url}`"))?;
    let writer = pool_options(1)
        .connect(url)
        .await
        .with_context(|| format!("opening SQLite database `{url}`"))?;
    sqlx::migrate!("migrations/sqlite")
        .run(&writer)
        .await
        .context("running SQLite migrations")?;
    super::rate_counts::warn_if_unbuilt(&writer).await?;
    let reader = pool_options(READERS).connect(url).await?;
    let checkpoints = pool_options(1).connect(url).await?;
    Ok(SqlStore::new(Dialect::Sqlite, writer, reader, batching)
        .with_checkpointer(Checkpointer::start(checkpoints)))
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    /// Every connection the store opens carries the durability and write-path settings
    /// the module comment promises; a connection without them would still work, only
    /// less safely or more slowly, so nothing else would notice.
    #[tokio::test]
    async fn every_connection_is_set_up_for_durable_group_commits() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::TempDir::new().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
        let pool = super::pool_options(1).connect(&url).await.expect("pool");
        let pragma = |name: &'static str| {
            let pool = pool.clone();
            async move {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
                    .fetch_one(&pool)
                    .await
                    .expect(name);
                row.try_get::<String, _>(0)
                    .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
                    .expect(name)
            }
        };
        assert_eq!(pragma("journal_mode").await, "wal");
        assert_eq!(pragma("synchronous").await, "2", "FULL");
        assert_eq!(pragma("wal_autocheckpoint").await, "0");
        assert_eq!(pragma("temp_store").await, "2", "MEMORY");
        assert_eq!(pragma("foreign_keys").await, "1");
        pool.close().await;
    }
}
