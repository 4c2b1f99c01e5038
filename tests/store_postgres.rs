//! The store conformance suite on the machine's real PostgreSQL: every case in a database
//! of its own (see `common::postgres`), dropped afterwards even when the case fails.
//! PostgreSQL must be running; the tests fail, never skip, when it is not.

mod common;
mod store_conformance;

use std::future::Future;
use std::sync::Arc;

use common::postgres::{TestDatabase, redact};
use hotline::store::Store;

async fn run<F, Fut>(case: F)
where
    F: FnOnce(Arc<dyn Store>, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let db = TestDatabase::create().await;
    let store = match hotline::store::open(&db.url).await {
        Ok(store) => store,
        Err(e) => {
            let url = redact(&db.url);
            db.drop_db().await;
            panic!("opening {url}: {e:#}");
        }
    };
    let outcome = store_conformance::run_isolated(store.clone(), case(store, db.url.clone())).await;
    db.drop_db().await;
    outcome.resume();
}

store_conformance::conformance_tests!(run);
