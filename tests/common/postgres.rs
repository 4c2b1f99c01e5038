//! Throw-away PostgreSQL databases for integration tests.
//!
//! Every test gets its own database, created on the server named by
//! `HOTLINE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432`) and dropped
//! afterwards with `DROP DATABASE … WITH (FORCE)`, so tests run in parallel without seeing
//! each other's rows. A server that cannot be reached fails the test: it is never skipped.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub const URL_ENV: &str = "HOTLINE_TEST_POSTGRES_URL";
pub const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The server tests run against: `HOTLINE_TEST_POSTGRES_URL` or the local default.
pub fn server_url() -> String {
    std::env::var(URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SERVER_URL.to_string())
}

/// `server` with its database path replaced by `database` (query parameters are kept).
pub fn database_url(server: &str, database: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{database}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The URL with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| start + i);
    let authority = &url[start..end];
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => {
                format!("{}{user}:***@{host}{}", &url[..start], &url[end..])
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(counter);
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    let random = hasher.finish() & 0xffff_ffff;
    format!("hotline_test_{}_{counter}_{random:08x}", std::process::id())
}

/// Connects to the maintenance database, or panics saying how to get a server.
async fn connect_admin(admin_url: &str) -> PgConnection {
    let failure = |why: String| -> ! {
        panic!(
            "cannot reach PostgreSQL at {url}: {why}\n\
             These tests need a real PostgreSQL server (13 or newer) on which this user may \
             CREATE DATABASE. Start the local one (e.g. `sudo pg_ctlcluster 15 main start`, \
             `sudo service postgresql start`, or `docker run -d -p 5432:5432 \
             -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`), or point {URL_ENV} at a \
             server (default {DEFAULT_SERVER_URL}).",
            url = redact(admin_url)
        )
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(admin_url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => failure(e.to_string()),
        Err(_) => failure(format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(admin_url))
        .await
        .map_err(|_| format!("no answer within {CONNECT_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    let result = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
    let _ = conn.close().await;
    result.map(|_| ()).map_err(|e| e.to_string())
}

/// A database of its own for one test. Drop it with [`TestDatabase::drop_db`]; if the
/// value is dropped without that (a panic on the way), `Drop` removes the database on a
/// helper thread.
#[derive(Debug)]
pub struct TestDatabase {
    /// Connection URL of the new, empty database.
    pub url: String,
    pub name: String,
    admin_url: String,
    dropped: bool,
}

impl TestDatabase {
    /// Creates an empty database with a unique name on [`server_url`]. Panics with a clear
    /// message when the server cannot be reached.
    pub async fn create() -> TestDatabase {
        let server = server_url();
        let admin_url = database_url(&server, "postgres");
        let name = unique_name();
        let mut conn = connect_admin(&admin_url).await;
        let sql = format!("CREATE DATABASE \"{name}\"");
        if let Err(e) = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await {
            panic!(
                "cannot create test database `{name}` on {}: {e}",
                redact(&admin_url)
            );
        }
        let _ = conn.close().await;
        TestDatabase {
            url: database_url(&server, &name),
            name,
            admin_url,
            dropped: false,
        }
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_db(mut self) {
        self.dropped = true;
        if let Err(e) = drop_database(&self.admin_url, &self.name).await {
            panic!(
                "cannot drop test database `{}` on {}: {e}",
                self.name,
                redact(&self.admin_url)
            );
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop may run inside a runtime (or while unwinding): use a runtime of our own on
        // a thread of its own.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(drop_database(&admin_url, &name))
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop test database `{}`: {e}", self.name),
            Err(_) => eprintln!("warning: dropping test database `{}` panicked", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_the_path_and_keeps_the_query() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            database_url("postgres://u:p@h:5432/app?sslmode=disable", "x"),
            "postgres://u:p@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://u:secret@h:5432/app"),
            "postgres://u:***@h:5432/app"
        );
        assert_eq!(
            redact("postgres://postgres@h:5432"),
            "postgres://postgres@h:5432"
        );
    }
}
