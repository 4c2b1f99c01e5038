//! The rates as separate `hotline serve` processes see them: several replicas on one
//! PostgreSQL database, and a daemon restarted on its SQLite file. Each process has its
//! own metrics, so a replica that took none of the writes, or a process started after
//! them, shows the right gauges only because they are computed from the database.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::metrics::scrape;
use common::postgres::TestDatabase;
use common::rates::{self, Replicas, Units};
use hotline::auth::client::AuthedChannel;
use tonic::transport::Channel;

const BINARY: &str = env!("CARGO_BIN_EXE_hotline");

const UNITS: Units = Units {
    street: "xuanwu-03",
    department: "hrss-12333",
};

/// A `hotline serve` process; killed and reaped when dropped.
struct Daemon {
    child: Child,
    grpc: SocketAddr,
    metrics: SocketAddr,
    /// An admin token made in the database before the daemon started.
    token: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a daemon on free ports that recomputes its rate gauges every second, and waits
/// for its banner.
fn spawn(database_url: &str, assessment: &Path, token: String) -> Daemon {
    let child = Command::new(BINARY)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .args(["--rate-gauges-seconds", "1", "--database-url", database_url])
        .arg("--assessment")
        .arg(assessment)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hotline serve");
    let mut daemon = Daemon {
        child,
        grpc: SocketAddr::from(([0, 0, 0, 0], 0)),
        metrics: SocketAddr::from(([0, 0, 0, 0], 0)),
        token,
    };
    let mut lines = BufReader::new(daemon.child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.expect("daemon stderr");
        // hotline: gRPC on 127.0.0.1:P, metrics on http://127.0.0.1:Q/metrics, … store
        if let Some(rest) = line.strip_prefix("hotline: gRPC on ") {
            let (grpc, rest) = rest.split_once(", metrics on http://").expect("banner");
            let metrics = rest.split_once("/metrics").expect("banner").0;
            daemon.grpc = grpc.parse().expect("gRPC address");
            daemon.metrics = metrics.parse().expect("metrics address");
            // Keep draining the log so the daemon never writes to a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return daemon;
        }
    }
    panic!("hotline serve exited before serving");
}

async fn start(database_url: &str, assessment: &Path) -> Daemon {
    let token = common::auth::admin_token(database_url).await;
    let (url, path) = (database_url.to_string(), assessment.to_path_buf());
    tokio::task::spawn_blocking(move || spawn(&url, &path, token))
        .await
        .unwrap()
}

async fn channel(daemon: &Daemon) -> AuthedChannel {
    let channel = Channel::from_shared(format!("http://{}", daemon.grpc))
        .unwrap()
        .connect()
        .await
        .expect("the daemon accepts connections");
    common::auth::with_token(channel, Some(&daemon.token))
}

/// Scrapes until the rate gauges show the expected values, or fails with the difference.
async fn assert_gauges(daemon: &Daemon, what: &str) {
    let mut last = String::new();
    for _ in 0..40 {
        match rates::gauges_match(&scrape(daemon.metrics).await, UNITS) {
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
        let replicas = Replicas::new(vec![channel(&a).await, channel(&b).await]);
        rates::run(&replicas, UNITS, "replicas").await;
        for (name, daemon) in [("replica a", &a), ("replica b", &b)] {
            let rows = rates::this_month(channel(daemon).await).await;
            rates::assert_rows(&rows, UNITS, name);
            assert_gauges(daemon, name).await;
        }
        // A replica started after the writes has seen none of them.
        drop(a);
        let c = start(&db.url, &assessment).await;
        rates::assert_rows(
            &rates::this_month(channel(&c).await).await,
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
        &Replicas::new(vec![channel(&first).await]),
        UNITS,
        "restart",
    )
    .await;
    assert_gauges(&first, "before the restart").await;
    drop(first);

    let second = start(&url, &assessment).await;
    rates::assert_rows(
        &rates::this_month(channel(&second).await).await,
        UNITS,
        "after the restart",
    );
    assert_gauges(&second, "after the restart").await;
}
