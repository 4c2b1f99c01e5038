//! PostgreSQL: the production backend. Several stateless daemons may share one database:
//! pulls lock rows with `FOR UPDATE SKIP LOCKED`, state commands are guarded by the ticket
//! version, and commits are synchronous: every connection sets `synchronous_commit = on`,
//! whatever the server's default (checked at open), so an acknowledged ticket is on disk
//! (and on the synchronous standbys, if any). Intake batches are group-committed like on
//! SQLite: one commit, one WAL flush, per batch. JIT compilation is off on hotline's
//! connections (see `open`).

use std::time::Duration;

use anyhow::Context as _;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

use super::Batching;
use super::log_sync::WriteConnection;
use super::sql::{Dialect, SqlStore};

/// The schema's migrations, embedded at build time: the store runs them at open.
pub(super) static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

const MAX_CONNECTIONS: u32 = 16;
/// How long a call waits for a connection. While PostgreSQL is down or restarting, every
/// call waits this long (sqlx retries refused connections until then) before it fails
/// with UNAVAILABLE, so it is short: clients fail fast and retry, instead of piling up
/// behind a database that is not there. A healthy pool hands out connections in
/// microseconds; waiting seconds means the database is gone or hopelessly overloaded.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn open(url: &str, batching: Batching) -> anyhow::Result<SqlStore> {
    let pool = AnyPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // No JIT: hotline's queries are short, and a JIT compile costs tens of
                // milliseconds; a poor estimate (new rows not analyzed yet) made every
                // history read pay one.
                conn.execute("SET synchronous_commit = on; SET jit = off")
                    .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .with_context(|| format!("connecting to PostgreSQL at {}", redact(url)))?;
    MIGRATOR
        .run(&pool)
        .await
        .context("running PostgreSQL migrations")?;
    super::rate_counts::warn_if_unbuilt(&pool).await?;
    let commit: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(&pool)
        .await?;
    if commit != "on" {
        anyhow::bail!(
            "PostgreSQL reports synchronous_commit = {commit} on a new connection; hotline \
             acknowledges a ticket only once it is durable and needs `on`"
        );
    }
    Ok(SqlStore::new(
        Dialect::Postgres,
        WriteConnection::durable_at_commit(pool.clone()),
        pool,
        batching,
    ))
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
