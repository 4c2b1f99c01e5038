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

/// PostgreSQL only. A lease changes no indexed column, so where the ticket's page has room
/// (`tickets` is filled to 70%, migration 0012) the new row version goes beside the old one
/// and no index gets an entry (a HOT update). Pages filled to the brim had no room: the
/// first lease on each moved the row to another page and wrote into every index.
#[tokio::test]
async fn a_lease_leaves_its_ticket_on_its_page() {
    use sqlx::Connection;
    use store_conformance::fixtures::*;

    const PAGE: &str = "SELECT (ctid::text::point)[0]::bigint FROM tickets WHERE id = $1";
    run(|store, url| async move {
        let store = &*store;
        let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
        let page_of = async |db: &mut sqlx::PgConnection, id: TicketId| -> i64 {
            sqlx::query_scalar(PAGE)
                .bind(id)
                .fetch_one(db)
                .await
                .expect("page")
        };
        let general = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
        // Same deadline for all: the first created is the first pulled.
        let first = dispatched(store, STREET, general(), t0()).await;
        let page = page_of(&mut db, first.id).await;
        // New rows go at the end of the table: once one lands on the next page, the first
        // page is as full as intake fills it.
        let mut filled = false;
        for _ in 0..500 {
            let next = dispatched(store, STREET, general(), t0()).await;
            if page_of(&mut db, next.id).await > page {
                filled = true;
                break;
            }
        }
        assert!(filled, "500 tickets did not fill the first page");

        let leased = pull(store, STREET, "w1", 1, t0() + mins(1), t0() + mins(31)).await;
        assert_eq!(ids(&leased), [first.id]);
        assert_eq!(
            page_of(&mut db, first.id).await,
            page,
            "the leased row moved off its page, so every index of tickets got an entry"
        );
        db.close().await.expect("close");
    })
    .await;
}

/// PostgreSQL only. A ticket whose row is past 2 KB but under 4 KB keeps its body
/// uncompressed through a transition (migration 0013): compressing it again on every save
/// cost the transition writer more CPU than the bytes it saved.
#[tokio::test]
async fn a_ticket_under_4_kb_is_stored_uncompressed() {
    use sqlx::Connection;
    use store_conformance::fixtures::*;

    const STORED: &str = "SELECT pg_column_compression(body), octet_length(body) \
         FROM tickets WHERE id = $1";
    run(|store, url| async move {
        let store = &*store;
        let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
        let mut long = intake(REGION_STREET, "urban_rural_construction", Urgency::General);
        // Repetitive enough that pglz would keep its compressed form.
        long.description = "小区东门路灯连续多日不亮，夜间出行不便。".repeat(30);
        let ticket = dispatched(store, STREET, long, t0()).await;
        let ticket = step(store, &ticket, STREET, Command::Sign, t0() + mins(5)).await;
        let (compression, bytes): (Option<String>, i32) = sqlx::query_as(STORED)
            .bind(ticket.id)
            .fetch_one(&mut db)
            .await
            .expect("the stored body");
        assert!(
            (2_100..3_800).contains(&bytes),
            "the body must make a row between 2 and 4 KB, not {bytes} bytes"
        );
        assert_eq!(compression, None, "a {bytes}-byte body was compressed");
        db.close().await.expect("close");
    })
    .await;
}
