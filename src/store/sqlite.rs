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
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = 0;";

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
