//! `hotline bench-load` as a script runs it: each scenario for about a second against an
//! in-process daemon (SQLite, and PostgreSQL for intake), read from the JSON last line.

mod common;

use common::cli::{BINARY, text};
use common::daemon::Daemon;
use common::postgres::TestDatabase;
use serde_json::Value;

/// Runs the harness and returns its JSON report, failing with its stderr if it failed.
fn bench_load(args: &[&str]) -> Value {
    let out = std::process::Command::new(BINARY)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "bench-load",
            "--json",
            "--concurrency",
            "4",
            "--connections",
            "2",
        ])
        .args(args)
        .output()
        .expect("run hotline bench-load");
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "bench-load {args:?} failed:\n{}\n{stdout}",
        text(&out.stderr)
    );
    let last = stdout.lines().last().expect("a JSON line");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"))
}

/// A one-second intake run with `extra` flags, off the test's runtime (the harness blocks).
async fn intake_for_a_second(extra: &[&str]) -> Value {
    let args: Vec<String> = ["--scenario", "intake", "--duration", "1s"]
        .into_iter()
        .chain(extra.iter().copied())
        .map(String::from)
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        bench_load(&args)
    })
    .await
    .unwrap()
}

fn number(report: &Value, key: &str) -> f64 {
    report[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {report}"))
}

/// What every run must show: calls made, none failed, and sane percentiles.
fn assert_sound(report: &Value, scenario: &str) {
    assert_eq!(report["scenario"], scenario, "{report}");
    assert!(number(report, "requests") > 0.0, "{report}");
    assert_eq!(number(report, "errors"), 0.0, "{report}");
    assert!(number(report, "throughput") > 0.0, "{report}");
    let (p50, p90, p99, max) = (
        number(report, "p50_ms"),
        number(report, "p90_ms"),
        number(report, "p99_ms"),
        number(report, "max_ms"),
    );
    assert!(
        0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max,
        "{report}"
    );
    assert_eq!(number(report, "concurrency"), 4.0);
    assert!(number(report, "duration_s") > 0.0);
}

#[test]
fn echo_is_the_baseline() {
    let report = bench_load(&[
        "--scenario",
        "echo",
        "--duration",
        "1s",
        "--payload-bytes",
        "300",
    ]);
    assert_sound(&report, "echo");
    assert_eq!(report["payload_bytes"], 300);
    assert_eq!(report["calls"]["Echo"]["count"], report["requests"]);
}

#[test]
fn intake_creates_tickets_and_most_are_dispatched() {
    let report = bench_load(&["--scenario", "intake", "--duration", "1s"]);
    assert_sound(&report, "intake");
    let outcomes = report["outcomes"].as_object().expect("outcomes");
    let created: u64 = outcomes.values().filter_map(Value::as_u64).sum();
    assert_eq!(created, report["requests"].as_u64().unwrap(), "{report}");
    assert!(outcomes.contains_key("dispatch"), "{report}");
}

#[test]
fn pull_claims_each_ticket_once() {
    let report = bench_load(&[
        "--scenario",
        "pull",
        "--duration",
        "2s",
        "--backlog",
        "60",
        "--batch",
        "5",
    ]);
    assert_sound(&report, "pull");
    assert_eq!(report["throughput_of"], "tickets claimed");
    assert_eq!(report["double_claims"], 0, "{report}");
    let claimed = report["claimed"].as_u64().unwrap();
    assert!(claimed > 0, "{report}");
    assert_eq!(report["claims_checked"].as_u64(), Some(claimed), "{report}");
    assert!(
        report["calls"]["Sign"]["count"].as_u64().unwrap() > 0,
        "{report}"
    );
}

#[test]
fn pull_ends_when_its_backlog_is_drained() {
    let report = bench_load(&[
        "--scenario",
        "pull",
        "--duration",
        "60s",
        "--backlog",
        "20",
        "--batch",
        "3",
    ]);
    assert_sound(&report, "pull");
    assert_eq!(report["backlog_drained"], true, "{report}");
    // A few calls in flight when the count is reached may add to the backlog.
    let backlog = report["backlog"].as_u64().unwrap();
    assert!((20..24).contains(&backlog), "{report}");
    assert_eq!(report["claimed"].as_u64(), Some(backlog), "{report}");
    assert_eq!(report["replied"].as_u64(), Some(backlog), "{report}");
    assert_eq!(report["double_claims"], 0, "{report}");
    assert!(number(&report, "duration_s") < 60.0, "{report}");
}

#[test]
fn mixed_runs_every_kind_of_operation() {
    let report = bench_load(&["--scenario", "mixed", "--duration", "2s", "--backlog", "30"]);
    assert_sound(&report, "mixed");
    let ops = report["ops"].as_object().expect("ops");
    for op in ["intake", "back_office", "get_ticket", "get_rates"] {
        assert!(ops.contains_key(op), "no {op} in {report}");
    }
}

#[test]
fn requests_bound_the_run() {
    let report = bench_load(&[
        "--scenario",
        "echo",
        "--duration",
        "60s",
        "--requests",
        "40",
    ]);
    assert_sound(&report, "echo");
    assert_eq!(report["requests"], 40, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_on_postgres() {
    let db = TestDatabase::create().await;
    let url = db.url.clone();
    let report = intake_for_a_second(&["--database-url", &url]).await;
    assert_sound(&report, "intake");
    assert!(
        report["target"].as_str().unwrap().contains("postgres"),
        "{report}"
    );
    db.drop_db().await;
}

/// Concurrent pullers on the same units of PostgreSQL (FOR UPDATE SKIP LOCKED) never get
/// the same ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_on_postgres_claims_each_ticket_once() {
    let db = TestDatabase::create().await;
    let url = db.url.clone();
    let report = tokio::task::spawn_blocking(move || {
        bench_load(&[
            "--scenario",
            "pull",
            "--duration",
            "60s",
            "--backlog",
            "40",
            "--batch",
            "4",
            "--database-url",
            &url,
        ])
    })
    .await
    .unwrap();
    assert_sound(&report, "pull");
    assert_eq!(report["backlog_drained"], true, "{report}");
    assert_eq!(report["claimed"], report["backlog"], "{report}");
    assert_eq!(report["double_claims"], 0, "{report}");
    db.drop_db().await;
}

#[test]
fn a_remote_daemon_is_refused() {
    let out = std::process::Command::new(BINARY)
        .args([
            "bench-load",
            "--addr",
            "192.0.2.10:50051",
            "--duration",
            "1s",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("not a loopback address"), "{stderr}");
}

/// Against a running daemon, --server-metrics reads its CPU, memory and writers' busy time
/// around the clock (from /metrics, with the admin token the listener asks for) and
/// reports them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_s_cpu_per_request_is_read_from_its_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let daemon = Daemon::start_with_metrics(&url, &[]).await;
    let (grpc, metrics) = (
        daemon.grpc.to_string(),
        daemon.metrics.expect("started with /metrics").to_string(),
    );
    let report = intake_for_a_second(&[
        "--addr",
        &grpc,
        "--server-metrics",
        &metrics,
        "--token",
        &daemon.token,
    ])
    .await;
    assert_sound(&report, "intake");
    let server = &report["server"];
    // Classifying, routing and storing a ticket takes the daemon more than a microsecond
    // and less than a second of CPU; it holds some memory.
    let per_request = number(server, "cpu_us_per_request");
    assert!((1.0..1e6).contains(&per_request), "{report}");
    assert!(number(server, "cpu_cores") > 0.0, "{report}");
    assert!(number(server, "rss_mb") > 1.0, "{report}");
    // The intake writer wrote the run's tickets: some share of the clock, at most all of
    // it (plus a batch that straddles a scrape).
    let busy = number(server, "intake_writers_busy");
    assert!(busy > 0.0 && busy <= 1.5, "{report}");
    daemon.assert_no_panic();
}

/// Pointed at something that is not a metrics listener (here the daemon's gRPC port), the
/// run fails before the clock with the address it tried, not with a report missing its
/// server figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_metrics_must_name_a_metrics_listener() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let daemon = Daemon::start(&url, &[]).await;
    let (grpc, token) = (daemon.grpc.to_string(), daemon.token.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(BINARY)
            .args(["bench-load", "--scenario", "echo", "--duration", "1s"])
            .args([
                "--addr",
                &grpc,
                "--server-metrics",
                &grpc,
                "--token",
                &token,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let expected = format!(
        "reading the daemon's metrics at http://{}/metrics",
        daemon.grpc
    );
    assert!(stderr.contains(&expected), "{stderr}");
}
