//! Call lines end to end, on both backends: a console reports legs, a retry counts
//! nothing twice, GetCallStats and the /metrics gauges agree with hand-computed values,
//! and the missed-call queue (漏接回拨) fills and clears.
//!
//! The gauges are process-wide and both backends' daemons refresh them: both report the
//! same 12328 legs, so the values they export converge, and the test waits for them.

mod common;

use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use common::metrics::{scrape, value};
use common::server::{Backend, TestServer};
use hotline::auth::client::AuthedChannel;
use hotline::proto::{self, call_service_client::CallServiceClient};
use tonic::Code;

fn ts(at: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    })
}

/// A leg offered `offered` seconds after `base`, answered or abandoned `wait` s later.
fn leg(
    id: &str,
    line: &str,
    caller: &str,
    base: DateTime<Utc>,
    offered: i64,
    wait: i64,
    answered: bool,
) -> proto::CallLeg {
    let offered_at = base + chrono::Duration::seconds(offered);
    let end = offered_at + chrono::Duration::seconds(wait);
    proto::CallLeg {
        leg_id: id.into(),
        line: line.into(),
        caller: caller.into(),
        agent: if answered {
            "agent-9".into()
        } else {
            String::new()
        },
        ticket_id: 0,
        offered_at: ts(offered_at),
        answered_at: if answered { ts(end) } else { None },
        abandoned_at: if answered { None } else { ts(end) },
    }
}

async fn report(
    client: &mut CallServiceClient<AuthedChannel>,
    legs: Vec<proto::CallLeg>,
) -> Result<proto::ReportCallLegsResponse, tonic::Status> {
    client
        .report_call_legs(proto::ReportCallLegsRequest { legs })
        .await
        .map(|r| r.into_inner())
}

async fn missed(client: &mut CallServiceClient<AuthedChannel>) -> Vec<String> {
    client
        .list_missed_calls(proto::ListMissedCallsRequest {
            line: "12366".into(),
            limit: 0,
        })
        .await
        .unwrap()
        .into_inner()
        .calls
        .into_iter()
        .map(|c| c.leg_id)
        .collect()
}

async fn call_lines(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut client = CallServiceClient::new(server.channel.clone());
    let hour = Utc::now()
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap()
        - chrono::Duration::hours(3);

    // 12328 within one hour: answered after 4, 12, 15 and 30 s; abandoned after 3 s (a
    // short abandon) and after 50 s.
    let legs = vec![
        leg("c-1", "12328", "", hour, 0, 4, true),
        leg("c-2", "12328", "", hour, 60, 12, true),
        leg("c-3", "12328", "", hour, 120, 15, true),
        leg("c-4", "12328", "", hour, 180, 30, true),
        leg("c-5", "12328", "13900000000", hour, 240, 3, false),
        leg("c-6", "12328", "", hour, 300, 50, false),
    ];
    let r = report(&mut client, legs.clone()).await.unwrap();
    assert_eq!((r.stored, r.duplicates), (6, 0));
    // The console retries the batch: nothing is counted twice.
    let r = report(&mut client, legs.clone()).await.unwrap();
    assert_eq!((r.stored, r.duplicates), (0, 6));
    // A leg id reused with other data refuses the batch, naming the leg.
    let mut reused = legs[1].clone();
    reused.agent = "agent-10".into();
    let status = report(
        &mut client,
        vec![leg("c-7", "12328", "", hour, 400, 5, true), reused],
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert!(status.message().starts_with("legs[1].leg_id"), "{status:?}");

    // Hostile input: each refusal names the field; nothing is stored.
    let mut both = leg("bad-1", "12328", "", hour, 0, 5, true);
    both.abandoned_at = both.answered_at;
    let mut early = leg("bad-2", "12328", "", hour, 0, 5, true);
    early.answered_at = ts(hour - chrono::Duration::seconds(1));
    let mut future = leg("bad-3", "12328", "", hour, 0, 5, true);
    future.answered_at = ts(Utc::now() + chrono::Duration::hours(1));
    let mut no_agent = leg("bad-4", "12328", "", hour, 0, 5, true);
    no_agent.agent.clear();
    for (bad, field) in [
        (leg("bad-0", "12399", "", hour, 0, 5, true), "legs[1].line"),
        (both, "legs[1].answered_at"),
        (early, "legs[1].answered_at"),
        (future, "legs[1].answered_at"),
        (no_agent, "legs[1].agent"),
        (
            leg("bad 5", "12328", "", hour, 0, 5, true),
            "legs[1].leg_id",
        ),
        (
            leg("bad-6", "12328", "1380013800x", hour, 0, 5, false),
            "legs[1].caller",
        ),
    ] {
        let ok = leg("fine-1", "12328", "", hour, 0, 5, true);
        let status = report(&mut client, vec![ok, bad]).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(field), "{field}: {status:?}");
        assert!(
            !status.message().contains("1380013800"),
            "no number in errors: {status:?}"
        );
    }
    let status = report(&mut client, Vec::new()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    let stats = |group: proto::CallGrouping| {
        let mut client = client.clone();
        async move {
            client
                .get_call_stats(proto::GetCallStatsRequest {
                    from: ts(hour - chrono::Duration::hours(1)),
                    to: ts(hour + chrono::Duration::hours(2)),
                    line: "12328".into(),
                    group_by: group as i32,
                })
                .await
                .unwrap()
                .into_inner()
                .rows
        }
    };
    let rows = stats(proto::CallGrouping::Whole).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!((row.offered, row.answered, row.answered_in_15s), (6, 4, 3));
    assert_eq!((row.abandoned, row.short_abandoned), (2, 1));
    assert_eq!(row.connection_rate, 4.0 / 5.0);
    assert_eq!(row.answer_15s_rate, 3.0 / 5.0);
    assert_eq!(row.wait_seconds_avg, 61.0 / 4.0);
    // Rank 3.6 of 4 falls in the bucket (25, 30] holding one wait: 25 + 5 × 0.6.
    assert!((row.wait_seconds_p90 - 28.0).abs() < 1e-9, "{row:?}");
    let targets = row.targets.as_ref().unwrap();
    assert_eq!(
        (targets.connection_rate, targets.wait_seconds_avg),
        (0.99, 34.0)
    );
    let rows = stats(proto::CallGrouping::Hour).await;
    assert_eq!(
        rows.iter().map(|r| r.period_start).collect::<Vec<_>>(),
        vec![ts(hour)]
    );
    let status = client
        .get_call_stats(proto::GetCallStatsRequest {
            from: ts(hour),
            to: ts(hour),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(status.message().starts_with("to"), "{status:?}");

    // The gauges over the last 24 hours follow the store.
    let line = [("line", "12328")];
    let mut last = String::new();
    let settled = 'wait: {
        for _ in 0..60 {
            let text = scrape(server.metrics_addr()).await;
            let got = |name| value(&text, name, &line);
            let expected = [
                ("hotline_call_connection_rate", 0.8),
                ("hotline_call_answer_15s_rate", 0.6),
                ("hotline_call_wait_seconds_avg", 15.25),
                ("hotline_call_connection_rate_target", 0.99),
                ("hotline_call_wait_seconds_avg_target", 34.0),
            ];
            let p90 = got("hotline_call_wait_seconds_p90");
            if expected
                .iter()
                .all(|(name, v)| got(*name).is_some_and(|g| (g - v).abs() < 1e-9))
                && p90.is_some_and(|p| (p - 28.0).abs() < 1e-9)
            {
                break 'wait true;
            }
            last = expected
                .iter()
                .map(|(name, v)| format!("{name}: {:?} (want {v})", got(*name)))
                .collect::<Vec<_>>()
                .join(", ");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        false
    };
    assert!(settled, "the call gauges never matched: {last}");

    // Missed calls on 12366: a and b hung up two hours ago, c a minute ago (not yet due),
    // d hung up at once (short), e got through after hanging up.
    let now = Utc::now()
        .duration_trunc(chrono::Duration::seconds(1))
        .unwrap();
    let two_hours_ago = now - chrono::Duration::hours(2);
    let r = report(
        &mut client,
        vec![
            leg("m-a", "12366", "13800000001", two_hours_ago, 0, 40, false),
            leg(
                "m-b",
                "12366",
                "+8613800000002",
                two_hours_ago,
                10,
                40,
                false,
            ),
            leg(
                "m-c",
                "12366",
                "13800000003",
                now - chrono::Duration::minutes(2),
                0,
                60,
                false,
            ),
            leg("m-d", "12366", "13800000004", two_hours_ago, 20, 2, false),
            leg("m-e2", "12366", "13800000005", two_hours_ago, 1800, 9, true),
            leg("m-e1", "12366", "13800000005", two_hours_ago, 30, 40, false),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.stored, 6);
    assert_eq!(missed(&mut client).await, vec!["m-a", "m-b"]);
    let listed = client
        .list_missed_calls(proto::ListMissedCallsRequest {
            line: "12366".into(),
            limit: 1,
        })
        .await
        .unwrap()
        .into_inner()
        .calls;
    assert_eq!(
        listed[0].caller, "13800000001",
        "the agent needs the number to call back"
    );

    // a calls again and gets through: m-a clears by itself.
    report(
        &mut client,
        vec![leg(
            "m-a2",
            "12366",
            "13800000001",
            now - chrono::Duration::minutes(30),
            0,
            8,
            true,
        )],
    )
    .await
    .unwrap();
    assert_eq!(missed(&mut client).await, vec!["m-b"]);
    // An agent calls b back.
    let called = client
        .record_missed_callback(proto::RecordMissedCallbackRequest {
            leg_id: "m-b".into(),
            agent: "agent-3".into(),
            note: "已回拨，市民已另行咨询".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .call
        .unwrap();
    assert_eq!(called.cleared_by, "callback");
    assert!(missed(&mut client).await.is_empty());
    let status = client
        .record_missed_callback(proto::RecordMissedCallbackRequest {
            leg_id: "m-zz".into(),
            agent: "agent-3".into(),
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .list_missed_calls(proto::ListMissedCallsRequest {
            line: "99999".into(),
            limit: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    server.stop().await;
}

on_both_backends!(call_lines);
