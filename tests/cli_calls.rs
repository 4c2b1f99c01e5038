//! `hotline calls …` and `hotline callback tasks` against a daemon: tables for people with
//! caller numbers masked, `--json` for scripts with them, and refusals that name the flag.

mod common;

use chrono::{DurationRound, Utc};
use common::cli::{hotline, hotline_as, text};
use common::server::{Backend, TestServer};
use hotline::proto::{self, call_service_client::CallServiceClient};

fn ts(at: chrono::DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    })
}

async fn run(token: &str, args: Vec<String>) -> std::process::Output {
    let token = token.to_string();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        hotline_as(&token, &args)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_and_callback_tasks_from_the_command_line() {
    let server = TestServer::start(Backend::Sqlite).await;
    let server_url = format!("http://{}", server.grpc_addr());
    // Two hours ago (Beijing "today" may have started later: ask for yesterday too).
    let at = Utc::now()
        .duration_trunc(chrono::Duration::seconds(1))
        .unwrap()
        - chrono::Duration::hours(2);
    let leg = |id: &str, wait: i64, answered: bool| proto::CallLeg {
        leg_id: id.into(),
        line: "12345".into(),
        caller: "13812345678".into(),
        agent: if answered {
            "agent-1".into()
        } else {
            String::new()
        },
        ticket_id: 0,
        offered_at: ts(at),
        answered_at: if answered {
            ts(at + chrono::Duration::seconds(wait))
        } else {
            None
        },
        abandoned_at: if answered {
            None
        } else {
            ts(at + chrono::Duration::seconds(wait))
        },
    };
    CallServiceClient::new(server.channel.clone())
        .report_call_legs(proto::ReportCallLegsRequest {
            legs: vec![leg("l-1", 10, true), leg("l-2", 40, false)],
        })
        .await
        .unwrap();
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let to = Utc::now().with_timezone(&beijing).date_naive();
    let from = to.pred_opt().unwrap().to_string();
    let to = to.to_string();
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();

    let out = run(
        &server.admin_token,
        s(&[
            "calls",
            "stats",
            "--server",
            &server_url,
            "--line",
            "12345",
            "--from",
            &from,
            "--to",
            &to,
        ]),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(
        table.contains("12345") && table.contains("50.0%"),
        "{table}"
    );

    let out = run(
        &server.admin_token,
        s(&[
            "calls",
            "stats",
            "--server",
            &server_url,
            "--from",
            &from,
            "--to",
            &to,
            "--json",
        ]),
    )
    .await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["rows"][0]["offered"], "2", "{json}");

    // The missed call is due 30 minutes after the abandon: listed, masked in the table.
    let out = run(
        &server.admin_token,
        s(&["calls", "missed", "--server", &server_url]),
    )
    .await;
    let table = text(&out.stdout);
    assert!(
        table.contains("l-2") && table.contains("138******78"),
        "{table}"
    );
    assert!(
        !table.contains("13812345678"),
        "the number is masked: {table}"
    );
    let out = run(
        &server.admin_token,
        s(&["calls", "missed", "--server", &server_url, "--json"]),
    )
    .await;
    assert!(
        text(&out.stdout).contains("13812345678"),
        "--json carries the number"
    );

    let out = run(
        &server.admin_token,
        s(&[
            "calls",
            "called-back",
            "l-2",
            "--agent",
            "agent-2",
            "--server",
            &server_url,
        ]),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &server.admin_token,
        s(&["calls", "missed", "--server", &server_url]),
    )
    .await;
    assert!(
        text(&out.stdout).contains("0 missed call(s)"),
        "{}",
        text(&out.stdout)
    );

    let out = run(
        &server.admin_token,
        s(&["calls", "stats", "--server", &server_url, "--line", "99999"]),
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("INVALID_ARGUMENT: line"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        &server.admin_token,
        s(&[
            "callback",
            "tasks",
            "--channel",
            "sms",
            "--server",
            &server_url,
        ]),
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0 open callback task(s)"),
        "{}",
        text(&out.stdout)
    );
    for command in [
        &["calls", "--help"][..],
        &["calls", "stats", "--help"],
        &["callback", "tasks", "--help"],
    ] {
        assert!(hotline(command).status.success());
    }
    server.stop().await;
}
