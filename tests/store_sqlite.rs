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
