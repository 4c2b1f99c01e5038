//! `hotline token create|list|revoke` on the database, and a running daemon following
//! them: a new token works at once, a revoked one is refused within the refresh interval.

mod common;

use std::time::{Duration, Instant};

use common::cli::{hotline, text};
use common::daemon::{Daemon, TestDb};
use common::server::Backend;
use hotline::proto::{self, intake_service_client::IntakeServiceClient};
use tonic::Code;

fn ok(args: &[&str]) -> (String, String) {
    let out = hotline(args);
    assert!(
        out.status.success(),
        "hotline {args:?} failed: {}",
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

fn refused(args: &[&str], expected: &str) {
    let out = hotline(args);
    assert!(!out.status.success(), "hotline {args:?} succeeded");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(expected),
        "expected `{expected}` in: {stderr}"
    );
}

async fn search(daemon: &Daemon, token: &str) -> Result<(), tonic::Status> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", daemon.grpc))
        .unwrap()
        .connect()
        .await
        .unwrap();
    IntakeServiceClient::new(common::auth::with_token(channel, Some(token)))
        .search_tickets(proto::SearchTicketsRequest::default())
        .await
        .map(drop)
}

async fn tokens_are_managed_from_the_command_line(backend: Backend) {
    let db = TestDb::create(backend).await;
    let url = db.url.as_str();
    let daemon = Daemon::start(url, &["--token-refresh-seconds", "1"]).await;

    let (secret, words) = ok(&[
        "token",
        "create",
        "--name",
        "desk-1",
        "--role",
        "agent",
        "--database-url",
        url,
    ]);
    let secret = secret.trim().to_string();
    assert!(secret.starts_with("hl_") && secret.len() > 40, "{secret}");
    assert!(words.contains("only time"), "{words}");
    let (json, _) = ok(&[
        "token",
        "create",
        "--name",
        "market",
        "--role",
        "unit:market-12315",
        "--json",
        "--database-url",
        url,
    ]);
    let made: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(made["role"], "unit:market-12315");
    assert!(made["token"].as_str().unwrap().starts_with("hl_"));

    refused(
        &[
            "token",
            "create",
            "--name",
            "desk-1",
            "--role",
            "admin",
            "--database-url",
            url,
        ],
        "already exists",
    );
    refused(
        &[
            "token",
            "create",
            "--name",
            "x",
            "--role",
            "unit:no-such-unit",
            "--database-url",
            url,
        ],
        "no-such-unit",
    );
    refused(
        &[
            "token",
            "create",
            "--name",
            "x",
            "--role",
            "root",
            "--database-url",
            url,
        ],
        "--role",
    );

    // Listed without secrets, in a table and as JSON.
    let (table, _) = ok(&["token", "list", "--database-url", url]);
    assert!(
        table.contains("desk-1") && table.contains("unit:market-12315"),
        "{table}"
    );
    assert!(
        table.contains(&format!("…{}", &secret[secret.len() - 4..])),
        "{table}"
    );
    let (json, _) = ok(&["token", "list", "--json", "--database-url", url]);
    assert!(!json.contains(&secret) && !table.contains(&secret));
    let listed: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert!(
        listed
            .iter()
            .all(|t| t.get("token").is_none() && t["revoked_at"].is_null())
    );

    // The running daemon takes the new token at once, and refuses it once revoked.
    search(&daemon, &secret)
        .await
        .expect("a new token works at once");
    let (said, _) = ok(&["token", "revoke", "desk-1", "--database-url", url]);
    assert!(said.contains("revoked"), "{said}");
    refused(
        &["token", "revoke", "nobody", "--database-url", url],
        "nobody",
    );
    let started = Instant::now();
    loop {
        match search(&daemon, &secret).await {
            Err(e) if e.code() == Code::Unauthenticated => break,
            Ok(()) if started.elapsed() < Duration::from_secs(5) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("served {:?} after revocation: {other:?}", started.elapsed()),
        }
    }
    let (json, _) = ok(&["token", "list", "--json", "--database-url", url]);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let desk = listed.iter().find(|t| t["name"] == "desk-1").unwrap();
    assert!(desk["revoked_at"].is_string());
    daemon.assert_no_panic();
    drop(daemon);
    db.remove().await;
}

/// With a long refresh interval, SIGHUP makes the daemon read the tokens at once.
async fn sighup_makes_a_revocation_take_effect_at_once(backend: Backend) {
    let db = TestDb::create(backend).await;
    let url = db.url.as_str();
    let daemon = Daemon::start(url, &["--token-refresh-seconds", "3600"]).await;
    let (secret, _) = ok(&[
        "token",
        "create",
        "--name",
        "desk-2",
        "--role",
        "agent",
        "--database-url",
        url,
    ]);
    let secret = secret.trim();
    search(&daemon, secret)
        .await
        .expect("a new token works at once");
    ok(&["token", "revoke", "desk-2", "--database-url", url]);
    // Not refreshed for an hour: still served...
    search(&daemon, secret)
        .await
        .expect("served until the daemon reads the table");
    daemon.signal("HUP");
    let started = Instant::now();
    loop {
        match search(&daemon, secret).await {
            Err(e) if e.code() == Code::Unauthenticated => break,
            Ok(()) if started.elapsed() < Duration::from_secs(5) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("served {:?} after SIGHUP: {other:?}", started.elapsed()),
        }
    }
    daemon.assert_no_panic();
    drop(daemon);
    db.remove().await;
}

on_both_backends!(
    tokens_are_managed_from_the_command_line,
    sighup_makes_a_revocation_take_effect_at_once,
);

#[test]
fn token_commands_have_help() {
    for command in [vec!["token", "--help"], vec!["token", "create", "--help"]] {
        let (out, _) = ok(&command);
        assert!(out.contains("Usage"), "{out}");
    }
}
