//! The three rates end to end on an in-process daemon: a few tickets go through the loop
//! over gRPC, and GetRates and /metrics agree with the hand-computed values of
//! `common::rates`; the counters of dispatches, closes and gRPC calls count exactly what
//! was done.
//!
//! One test runs both backends one after the other: the metrics recorder is shared by the
//! whole process, so the runs use different units and counters are read as differences.

mod common;

use std::time::Duration;

use common::metrics::{counter, scrape, value};
use common::rates::{self, Replicas, Units};
use common::server::{Backend, TestServer, callback};
use hotline::proto;
use tonic::Code;

/// Scrapes until the rate gauges show the expected values (they refresh every 250 ms in
/// tests), or fails with the last difference.
async fn settled_metrics(server: &TestServer, units: Units) -> String {
    let mut last = String::new();
    for _ in 0..40 {
        let text = scrape(server.metrics_addr()).await;
        match rates::gauges_match(&text, units) {
            Ok(()) => return text,
            Err(why) => last = why,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the rate gauges never matched: {last}");
}

async fn one_backend(backend: Backend, units: Units) {
    let dir = tempfile::tempdir().unwrap();
    let assessment = dir.path().join("assessment.toml");
    std::fs::write(&assessment, rates::ASSESSMENT).unwrap();
    let mut server = TestServer::start_with_assessment(backend, Some(assessment)).await;
    let before = scrape(server.metrics_addr()).await;
    let (street, department) = (units.street, units.department);
    assert_eq!(
        value(&before, "hotline_response_rate", &[("unit", street)]),
        None,
        "no rate before any dispatch to {street}"
    );

    rates::run(&Replicas::new(vec![server.channel.clone()]), units, "e2e").await;
    rates::assert_rows(
        &rates::this_month(server.channel.clone()).await,
        units,
        "GetRates",
    );

    // Two refused calls: a callback on a closed ticket, and a method the API lacks.
    let t1 = server.get(1).await;
    let status = server
        .feedback()
        .record_callback(callback(&t1, true, proto::Satisfaction::Satisfied, true))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let mut raw = tonic::client::Grpc::new(server.channel.clone());
    raw.ready().await.unwrap();
    let status = raw
        .unary(
            tonic::Request::new(proto::GetTicketRequest::default()),
            http::uri::PathAndQuery::from_static("/hotline.v1.IntakeService/DropTables"),
            tonic_prost::ProstCodec::<proto::GetTicketRequest, proto::TicketResponse>::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);

    let after = settled_metrics(&server, units).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        counter(&after, name, labels) - counter(&before, name, labels)
    };
    let dispatched = "hotline_tickets_dispatched_total";
    // t1, t2, t4, t5 to the street; t2 (reassigned) and t3 to the department.
    assert_eq!(delta(dispatched, &[("unit", street)]), 4.0);
    assert_eq!(delta(dispatched, &[("unit", department)]), 2.0);
    let closed = |unit, outcome| {
        delta(
            "hotline_tickets_closed_total",
            &[("unit", unit), ("outcome", outcome)],
        )
    };
    assert_eq!(closed(street, "resolved"), 1.0, "t1");
    assert_eq!(closed(street, "declined"), 1.0, "t5");
    assert_eq!(closed(street, "unresolved"), 0.0);
    // t3's unhappy callback reopened it: only its last one closed it.
    assert_eq!(closed(department, "resolved"), 2.0, "t2, t3");
    assert_eq!(closed(department, "unresolved"), 0.0);
    assert_eq!(closed("centre", "answered"), 1.0, "t6");

    let calls = |service: &str, method: &str, code: &str| {
        delta(
            "hotline_grpc_requests_total",
            &[("service", service), ("method", method), ("code", code)],
        )
    };
    let feedback = "hotline.v1.FeedbackService";
    assert_eq!(
        calls(feedback, "RecordCallback", "OK"),
        5.0,
        "five verdicts"
    );
    assert_eq!(
        calls(feedback, "RecordCallback", "FAILED_PRECONDITION"),
        1.0
    );
    assert_eq!(calls("hotline.v1.IntakeService", "CreateTicket", "OK"), 6.0);
    assert_eq!(calls("unknown", "unknown", "UNIMPLEMENTED"), 1.0);
    let latency = |suffix: &str, extra: &[(&str, &str)]| {
        let mut labels = vec![
            ("service", "hotline.v1.IntakeService"),
            ("method", "CreateTicket"),
        ];
        labels.extend_from_slice(extra);
        delta(
            &format!("hotline_grpc_request_duration_seconds{suffix}"),
            &labels,
        )
    };
    assert_eq!(latency("_count", &[]), 6.0);
    // The six tickets went through the group-committed intake, one commit each or fewer.
    assert_eq!(delta("hotline_intake_batch_size_sum", &[]), 6.0);
    let batches = delta("hotline_intake_batch_size_count", &[]);
    assert!((1.0..=6.0).contains(&batches), "{batches} intake batches");
    assert_eq!(
        delta("hotline_intake_batch_size_bucket", &[("le", "+Inf")]),
        batches
    );
    // Each of those batches was timed, first statement to commit, in second buckets.
    let writer = [("writer", "intake")];
    assert_eq!(delta("hotline_batch_write_seconds_count", &writer), batches);
    assert!(delta("hotline_batch_write_seconds_sum", &writer) > 0.0);
    assert_eq!(
        delta(
            "hotline_batch_write_seconds_bucket",
            &[("writer", "intake"), ("le", "+Inf")]
        ),
        batches
    );
    // One writer task of each kind (the default), reported from the store's start on:
    // the share of them busy is the rate of the sum above divided by this.
    for kind in ["intake", "transition", "lease"] {
        assert_eq!(
            value(&after, "hotline_batch_writers", &[("writer", kind)]),
            Some(1.0),
            "{kind} writers"
        );
    }
    // Buckets suited to milliseconds: the finest is half a millisecond.
    assert_eq!(latency("_bucket", &[("le", "+Inf")]), 6.0);
    assert!(
        value(
            &after,
            "hotline_grpc_request_duration_seconds_bucket",
            &[
                ("service", "hotline.v1.IntakeService"),
                ("method", "CreateTicket"),
                ("le", "0.0005")
            ]
        )
        .is_some()
    );

    // The counts live in the database: a restarted daemon answers the same.
    server.restart().await;
    rates::assert_rows(
        &rates::this_month(server.channel.clone()).await,
        units,
        "GetRates after a restart",
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_and_metrics_agree_with_hand_computed_values() {
    let sqlite = Units {
        street: "xuanwu-01",
        department: "market-12315",
    };
    let postgres = Units {
        street: "xuanwu-02",
        department: "transport-12328",
    };
    one_backend(Backend::Sqlite, sqlite).await;
    one_backend(Backend::Postgres, postgres).await;
}
