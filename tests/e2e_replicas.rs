//! The rates as separate `hotline serve` processes see them: several replicas on one
//! PostgreSQL database, and a daemon restarted on its SQLite file. Each process has its
//! own metrics, so a replica that took none of the writes, or a process started after
//! them, shows the right gauges only because they are computed from the database.

mod common;

use std::path::Path;
use std::time::Duration;

use common::daemon::Daemon;
use common::metrics::scrape;
use common::postgres::TestDatabase;
use common::rates::{self, Replicas, Units};

const UNITS: Units = Units {
    street: "xuanwu-03",
    department: "hrss-12333",
};

/// A daemon on free ports that recomputes its rate gauges every second.
async fn start(database_url: &str, assessment: &Path) -> Daemon {
    let assessment = assessment.to_str().expect("a UTF-8 temporary path");
    Daemon::start_with_metrics(
        database_url,
        &["--rate-gauges-seconds", "1", "--assessment", assessment],
    )
    .await
}

/// Scrapes until the rate gauges show the expected values, or fails with the difference.
async fn assert_gauges(daemon: &Daemon, what: &str) {
    let mut last = String::new();
    for _ in 0..40 {
        let metrics = daemon.metrics.expect("started with /metrics");
        match rates::gauges_match(&scrape(metrics).await, UNITS) {
            Ok(()) => return,
            Err(why) => last = why,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{what}: the rate gauges never matched: {last}");
}

fn assessment_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("assessment.toml");
    std::fs::write(&path, rates::ASSESSMENT).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_postgres_database_agree() {
    let dir = tempfile::tempdir().unwrap();
    let assessment = assessment_file(dir.path());
    let db = TestDatabase::create().await;
    {
        let a = start(&db.url, &assessment).await;
        let b = start(&db.url, &assessment).await;
        // Every step alternates between the replicas.
        let replicas = Replicas::new(vec![a.channel().await, b.channel().await]);
        rates::run(&replicas, UNITS, "replicas").await;
        for (name, daemon) in [("replica a", &a), ("replica b", &b)] {
            let rows = rates::this_month(daemon.channel().await).await;
            rates::assert_rows(&rows, UNITS, name);
            assert_gauges(daemon, name).await;
        }
        // A replica started after the writes has seen none of them.
        drop(a);
        let c = start(&db.url, &assessment).await;
        rates::assert_rows(
            &rates::this_month(c.channel().await).await,
            UNITS,
            "replica c",
        );
        assert_gauges(&c, "replica c").await;
    }
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_daemon_exports_the_rates_of_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let assessment = assessment_file(dir.path());
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hotline.db").display()
    );
    let first = start(&url, &assessment).await;
    rates::run(
        &Replicas::new(vec![first.channel().await]),
        UNITS,
        "restart",
    )
    .await;
    assert_gauges(&first, "before the restart").await;
    drop(first);

    let second = start(&url, &assessment).await;
    rates::assert_rows(
        &rates::this_month(second.channel().await).await,
        UNITS,
        "after the restart",
    );
    assert_gauges(&second, "after the restart").await;
}
