//! The store conformance suite on SQLite: every case on a fresh database file in a
//! temporary directory.

mod store_conformance;

use std::future::Future;
use std::sync::Arc;

use hotline::store::Store;

async fn run<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hotline.db").display()
    );
    let store = hotline::store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("opening {url}: {e:#}"));
    let outcome = store_conformance::run_isolated(store.clone(), case(store, url)).await;
    drop(dir);
    outcome.resume();
}

store_conformance::conformance_tests!(run);

/// The writer never checkpoints (`wal_autocheckpoint = 0`); the store's own checkpointer
/// copies the log back a few times a second, so the log is reused instead of growing
/// with every page ever written, and the database file holds the data.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_write_ahead_log_is_checkpointed_off_the_write_path() {
    use store_conformance::fixtures::*;
    const ROUNDS: usize = 8;
    const TICKETS: usize = 150;
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let path = dir.path().join("hotline.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let store = hotline::store::open(&url).await.expect("store");
    let size = |suffix: &str| {
        let file = format!("{}{suffix}", path.display());
        std::fs::metadata(file).map_or(0, |m| m.len())
    };
    let mut largest_log = 0;
    let general = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
    for round in 0..ROUNDS {
        let creates = (0..TICKETS).map(|i| {
            let store = store.clone();
            let at = t0() + mins((round * TICKETS + i) as i64);
            async move { dispatched(&*store, STREET, general(), at).await }
        });
        futures_util::future::join_all(creates).await;
        largest_log = largest_log.max(size("-wal"));
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let written = (ROUNDS * TICKETS) as u64;
    let database = size("");
    store.close().await;
    // Each ticket is a few kilobytes of table and index pages in the log; checkpointed
    // between rounds, the log holds about one round's pages (an eighth of the database),
    // two or three when the checkpointer's ticks are late on a loaded machine (seen in CI:
    // 1.78 MB against a 3.44 MB database). A log never reused would hold every version of
    // every page ever written: more than the whole database.
    assert!(
        database > written * 1024,
        "the database file holds the {written} tickets: {database} bytes"
    );
    assert!(
        largest_log < database,
        "the log is reused: at most {largest_log} bytes, database {database} bytes"
    );
}
