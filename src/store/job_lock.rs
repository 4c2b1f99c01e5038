//! Locks for singleton jobs. PostgreSQL: a session advisory lock (`pg_try_advisory_lock`)
//! on a connection taken out of the pool for as long as the lock is held, so the lock
//! lives exactly as long as that session: a replica that dies or loses its connection
//! drops it, and another replica's next attempt takes it. SQLite needs none.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, Connection, Row};

use super::{JobLock, StoreResult};

/// Advisory lock key of the deadline scanner: "hotline" in ASCII, then job number 1.
pub const DEADLINE_SCANNER: i64 = 0x686f_746c_696e_6501;

/// A liveness check of the lock's session may take this long before the lock counts as lost.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite: one process owns the database file, so its scanner is the only one.
pub struct Unshared;

#[async_trait]
impl JobLock for Unshared {
    async fn is_held(&mut self) -> bool {
        true
    }

    async fn release(self: Box<Self>) {}
}

/// A held PostgreSQL advisory lock and the session holding it.
pub struct Advisory {
    connection: AnyConnection,
    key: i64,
}

pub async fn try_advisory(pool: &AnyPool, key: i64) -> StoreResult<Option<Box<dyn JobLock>>> {
    // Detached: the pool never hands this session to anyone else, nor closes it.
    let mut connection = pool.acquire().await?.detach();
    let locked: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind(key)
        .fetch_one(&mut connection)
        .await?
        .try_get("locked")?;
    if locked {
        Ok(Some(Box::new(Advisory { connection, key })))
    } else {
        let _ = connection.close().await;
        Ok(None)
    }
}

#[async_trait]
impl JobLock for Advisory {
    async fn is_held(&mut self) -> bool {
        // The session holds the lock until it ends; a live session still holds it.
        matches!(
            tokio::time::timeout(PING_TIMEOUT, self.connection.ping()).await,
            Ok(Ok(()))
        )
    }

    async fn release(mut self: Box<Self>) {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(self.key)
            .execute(&mut self.connection)
            .await;
        let _ = self.connection.close().await;
    }
}
