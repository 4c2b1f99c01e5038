//! Migration tests: old migrations replayed by hand on a database of the test's own,
//! over one connection, so each statement sees the one before.

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use tempfile::TempDir;

/// One connection to `url`.
pub async fn one_connection(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"))
}

/// One connection to a new SQLite file in `dir`.
pub async fn sqlite_in(dir: &TempDir) -> AnyPool {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    one_connection(&url).await
}
