//! Deadlines over real gRPC, on both backends: a ticket with a seconds-long sign window goes
//! overdue while the daemon's scanner runs every 100 ms; each warning is recorded exactly
//! once and leaves the ticket's version alone; ListOverdue, the supervision summary and
//! /metrics show it; chase-ups (催办) and the return window are enforced; the CLI's
//! `report overdue`, `report supervision` and `centre chase-up` work against it.
//!
//! The scanners of every daemon in this binary set the same process-wide gauges, so the
//! scenarios run one at a time.

mod common;

use std::time::Duration;

use common::server::{Backend, Options, TestServer, actor, command, new_request, ticket_of};
use hotline::proto::{self, DeadlineKind as K, WarningLevel as L};
use hotline::rules::RulePaths;
use tonic::Code;

on_both_backends!(a_ticket_goes_overdue_and_is_chased_up);

/// Seconds-long windows: urgent tickets must be signed within 3 s (yellow at 2.25 s, red
/// at 2.7 s); general tickets may be returned within 1 s. Everything else is long.
const DEADLINES: &str = r#"
[urgent]
sign = "3s"
respond = "1h"
reply = "2h"
[general]
return = "1s"
"#;

const STREET: &str = "xuanwu-01";
const SCAN_INTERVAL: Duration = Duration::from_millis(100);

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the `hotline` binary as a client of `server`; answers its stdout, which must
/// come with success.
async fn cli(server: &TestServer, args: &[&str]) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hotline"));
    command
        .args(args)
        .args(["--server", &format!("http://{}", server.grpc_addr())])
        .env("HOTLINE_TOKEN", &server.admin_token);
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("run hotline");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "hotline {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn millis(ts: &Option<prost_types::Timestamp>) -> i64 {
    let ts = ts.as_ref().expect("timestamp present");
    ts.seconds * 1000 + i64::from(ts.nanos) / 1_000_000
}

async fn overdue(server: &TestServer, unit: &str, level: L) -> Vec<proto::OverdueTicket> {
    server
        .report()
        .list_overdue(proto::ListOverdueRequest {
            unit: unit.into(),
            limit: 0,
            level: level as i32,
        })
        .await
        .expect("ListOverdue")
        .into_inner()
        .tickets
}

fn chase_up(ticket: &proto::Ticket) -> proto::ChaseUpRequest {
    proto::ChaseUpRequest {
        ticket_id: ticket.id,
        expected_version: ticket.version,
        actor: actor("centre", "supervisor"),
        note: "请立即签收".into(),
    }
}

async fn a_ticket_goes_overdue_and_is_chased_up(backend: Backend) {
    let _serial = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let deadlines = dir.path().join("deadlines.toml");
    std::fs::write(&deadlines, DEADLINES).unwrap();
    let server = TestServer::start_with(
        backend,
        Options {
            rule_paths: RulePaths {
                deadlines: Some(deadlines.clone()),
                ..Default::default()
            },
            scan_interval: SCAN_INTERVAL,
            ..Default::default()
        },
    )
    .await;

    let mut request = new_request("deadline-1", Some(STREET));
    request.urgency = proto::Urgency::Urgent as i32;
    let t = server.create(request).await;
    let dispatched = millis(&t.dispatched_at);
    let due = t.deadlines.unwrap();
    assert_eq!(millis(&due.sign_due_at) - dispatched, 3_000);
    let watch = due.watch.expect("a deadline runs");
    assert_eq!(watch.deadline, K::Sign as i32);
    assert_eq!(millis(&watch.yellow_at) - dispatched, 2_250);
    assert_eq!(millis(&watch.red_at) - dispatched, 2_700);

    // Overdue after 3 s: ListOverdue finds it through the index.
    let started = tokio::time::Instant::now();
    let listed = loop {
        let listed = overdue(&server, "", L::Overdue).await;
        if !listed.is_empty() || started.elapsed() > Duration::from_secs(20) {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(listed.len(), 1, "{listed:?}");
    let o = &listed[0];
    assert_eq!((o.ticket_id, o.assigned_unit.as_str()), (t.id, STREET));
    assert_eq!((o.missed, o.level), (K::Sign as i32, L::Overdue as i32));
    assert!(o.overdue_seconds >= 0);
    assert_eq!(overdue(&server, STREET, L::Yellow).await.len(), 1);
    assert!(overdue(&server, "market-12315", L::Yellow).await.is_empty());
    let unknown = server
        .report()
        .list_overdue(proto::ListOverdueRequest {
            unit: "no-such-unit".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);

    // Many more scans: each warning stays recorded once, the version untouched.
    tokio::time::sleep(SCAN_INTERVAL * 12).await;
    let seen = server.get(t.id).await;
    assert_eq!(
        seen.version, t.version,
        "the scanner never bumps the version"
    );
    let alerts: Vec<_> = seen
        .alerts
        .iter()
        .map(|a| {
            (
                a.deadline,
                a.level,
                millis(&a.reached_at) - dispatched,
                a.unit.as_str(),
            )
        })
        .collect();
    let sign = K::Sign as i32;
    assert_eq!(
        alerts,
        vec![
            (sign, L::Yellow as i32, 2_250, STREET),
            (sign, L::Red as i32, 2_700, STREET),
            (sign, L::Overdue as i32, 3_000, STREET),
        ]
    );
    for a in &seen.alerts {
        assert!(millis(&a.recorded_at) >= millis(&a.reached_at));
        assert_eq!(millis(&a.due_at), millis(&due.sign_due_at));
    }

    // The gauges of the last pass.
    let metrics = server.metrics_text().await;
    for line in [
        format!("hotline_open_tickets{{unit=\"{STREET}\"}} 1"),
        format!("hotline_overdue_tickets{{unit=\"{STREET}\"}} 1"),
        "hotline_overdue_tickets{unit=\"market-12315\"} 0".to_string(),
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    assert!(
        metrics.contains("hotline_deadline_scanner_last_run_timestamp_seconds "),
        "{metrics}"
    );
    assert!(
        metrics.contains("hotline_deadline_alerts_total{level=\"overdue\"}"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("unit=\"centre\""),
        "the centre holds no tickets"
    );

    // 催办 on the overdue ticket, recorded as an event.
    let mut centre = server.center();
    let chased = ticket_of(centre.chase_up(chase_up(&t)).await.unwrap());
    assert_eq!(chased.chase_up_count, 1);
    let history = server.get(t.id).await.history;
    let last = history.last().unwrap();
    assert_eq!(
        (last.command.as_str(), last.reason.as_str()),
        ("chase_up", "请立即签收")
    );
    // And from the command line.
    let id = t.id.to_string();
    let out = cli(&server, &["centre", "chase-up", &id, "--note", "再次催办"]).await;
    assert!(out.contains("chased×2"), "{out}");
    let chased = server.get(t.id).await;
    assert_eq!(chased.chase_up_count, 2);
    let out = cli(&server, &["report", "overdue", "--level", "yellow"]).await;
    let row = out
        .lines()
        .find(|l| l.contains(&format!(" {id} ")))
        .unwrap_or_default();
    for cell in [STREET, "overdue", "sign", "2"] {
        assert!(
            row.contains(cell),
            "`{cell}` in the row of ticket {id}:\n{out}"
        );
    }

    // A fresh general ticket is neither overdue nor supervised: no chase-up yet.
    let fresh = server.create(new_request("deadline-2", Some(STREET))).await;
    let refused = centre.chase_up(chase_up(&fresh)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let fresh = ticket_of(
        centre
            .supervise(proto::SuperviseRequest {
                ticket_id: fresh.id,
                expected_version: fresh.version,
                actor: actor("centre", "supervisor"),
                supervised: true,
                note: "列入督办".into(),
            })
            .await
            .unwrap(),
    );
    let fresh = ticket_of(centre.chase_up(chase_up(&fresh)).await.unwrap());
    assert_eq!(fresh.chase_up_count, 1);

    let summary = server
        .report()
        .get_supervision_summary(proto::GetSupervisionSummaryRequest::default())
        .await
        .unwrap()
        .into_inner();
    let row = summary.units.iter().find(|u| u.unit == STREET).unwrap();
    assert_eq!(
        (
            row.open,
            row.supervised,
            row.overdue,
            row.chased_up,
            row.chase_ups
        ),
        (2, 1, 1, 2, 3)
    );
    let table = cli(&server, &["report", "supervision"]).await;
    let line = table
        .lines()
        .find(|l| l.contains(STREET))
        .unwrap_or_default();
    let cells: Vec<&str> = line
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells, [STREET, "2", "1", "1", "2", "3"], "{table}");
    let json = cli(
        &server,
        &["report", "supervision", "--unit", STREET, "--json"],
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    // Canonical protobuf JSON spells 64-bit integers as strings.
    assert_eq!(json["units"][0]["unit"], STREET);
    assert_eq!(json["units"][0]["chaseUps"], "3");
    assert_eq!(json["units"].as_array().map(Vec::len), Some(1));

    // 退单 after the (1 s) return window is refused; the unit keeps the ticket.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let mut unit = server.dispatch();
    let late = unit
        .r#return(command(&fresh, STREET, "不属于本街道职责"))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert!(
        late.message().contains("the return window closed at"),
        "{}",
        late.message()
    );

    // The unit signs at last: the watch moves on to the respond deadline.
    let signed = ticket_of(unit.sign(command(&chased, STREET, "")).await.unwrap());
    assert_eq!(
        signed.deadlines.unwrap().watch.unwrap().deadline,
        K::Respond as i32
    );

    let reloaded = centre
        .reload_rules(proto::ReloadRulesRequest {})
        .await
        .unwrap()
        .into_inner();
    let file = reloaded
        .files
        .iter()
        .find(|f| f.name == "deadlines")
        .unwrap();
    assert_eq!(file.source, deadlines.display().to_string());
    server.stop().await;
}
