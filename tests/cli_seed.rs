//! `hotline seed`, run as a real process against a temporary SQLite file and a PostgreSQL
//! database of its own: the tickets it writes have whole histories, exact rate counts and
//! pullable work, and a database that holds tickets is only added to with `--append`.

mod common;

use std::collections::BTreeMap;

use common::cli::{hotline, text};
use common::postgres::TestDatabase;
use hotline::domain::State;
use hotline::store::{Store, TicketFilter};

const UNTIL: &str = "2026-03-18T15:00:00+08:00";

#[test]
fn help_describes_every_flag() {
    let out = hotline(&["seed", "--help"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let help = text(&out.stdout);
    for flag in [
        "--tickets",
        "--months",
        "--seed",
        "--open-share",
        "--batch",
        "--until",
        "--threads",
        "--append",
        "--json",
        "--database-url",
        "--routing",
    ] {
        assert!(help.contains(flag), "no {flag} in:\n{help}");
    }
    let out = hotline(&["seed", "--tickets", "10", "--open-share", "1.5"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("1.5 is not between 0 and 1"),
        "{}",
        text(&out.stderr)
    );
}

/// Runs `hotline seed … --json` and returns its summary.
fn seed(url: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["seed", "--database-url", url, "--until", UNTIL, "--json"];
    args.extend_from_slice(extra);
    let out = hotline(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

/// Every stored ticket's history runs from version 1 to its version and ends in its
/// state; answers the number of tickets per state.
async fn check_histories(store: &dyn Store) -> BTreeMap<State, u64> {
    let mut states = BTreeMap::new();
    let mut after_id = None;
    loop {
        let page = store
            .search(&TicketFilter {
                after_id,
                limit: 500,
                ..TicketFilter::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after_id = Some(last.id);
        for ticket in &page {
            let history = store.history(ticket.id).await.unwrap();
            let versions: Vec<i64> = history.iter().map(|e| e.version).collect();
            assert_eq!(
                versions,
                (1..=ticket.version).collect::<Vec<_>>(),
                "{}",
                ticket.id
            );
            assert_eq!(
                history.last().unwrap().to_state,
                ticket.state,
                "{}",
                ticket.id
            );
            assert!(
                history.windows(2).all(|w| w[0].at <= w[1].at),
                "{}",
                ticket.id
            );
            *states.entry(ticket.state).or_default() += 1;
        }
    }
    states
}

async fn seeds_realistic_tickets(url: &str) {
    let summary = seed(
        url,
        &[
            "--tickets",
            "2000",
            "--batch",
            "300",
            "--seed",
            "7",
            "--threads",
            "2",
        ],
    );
    assert_eq!(summary["tickets"], 2000, "{summary}");
    assert_eq!(
        (summary["first_id"].as_i64(), summary["last_id"].as_i64()),
        (Some(1), Some(2000))
    );
    let open = summary["open"].as_u64().unwrap();
    assert!((30..150).contains(&open), "open {open}: {summary}");
    assert!(summary["events"].as_u64().unwrap() > 8000, "{summary}");
    assert!(
        summary["outcomes"]["dispatch"].as_u64().unwrap() > 800,
        "{summary}"
    );

    let store = hotline::store::open(url).await.unwrap();
    let states = check_histories(store.as_ref()).await;
    assert_eq!(states.values().sum::<u64>(), 2000);
    let pullable: u64 = State::PULLABLE.iter().filter_map(|s| states.get(s)).sum();
    assert_eq!(pullable, open);
    let report = store.rebuild_rate_counts().await.unwrap();
    assert_eq!(
        report.rows_changed, 0,
        "the seeded counts are exact: {report:?}"
    );
    assert_eq!(report.tickets, 2000);

    // The unit with the most open tickets pulls all of them at the end of the history.
    let mut per_unit: BTreeMap<String, usize> = BTreeMap::new();
    let open_tickets = store
        .search(&TicketFilter {
            states: State::PULLABLE.to_vec(),
            limit: 1000,
            ..TicketFilter::default()
        })
        .await
        .unwrap();
    for ticket in &open_tickets {
        *per_unit
            .entry(ticket.assigned_unit.clone().unwrap())
            .or_default() += 1;
    }
    let (unit, count) = per_unit.iter().max_by_key(|(_, n)| **n).unwrap();
    let now: chrono::DateTime<chrono::Utc> = UNTIL.parse().unwrap();
    let pulled = store
        .pull_assigned(
            unit,
            "worker-1",
            1000,
            now,
            now + chrono::Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(pulled.len(), *count, "{unit} pulls its open tickets");
    store.close().await;

    let out = hotline(&["seed", "--database-url", url, "--tickets", "10"]);
    assert!(!out.status.success(), "seeded over existing tickets");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ids up to 2000") && stderr.contains("--append"),
        "{stderr}"
    );

    let summary = seed(url, &["--tickets", "300", "--append", "--seed", "8"]);
    assert_eq!(
        (summary["first_id"].as_i64(), summary["last_id"].as_i64()),
        (Some(2001), Some(2300))
    );
    let store = hotline::store::open(url).await.unwrap();
    assert_eq!(store.max_ticket_id().await.unwrap(), 2300);
    assert_eq!(
        check_histories(store.as_ref()).await.values().sum::<u64>(),
        2300
    );
    let report = store.rebuild_rate_counts().await.unwrap();
    assert_eq!(report.rows_changed, 0, "{report:?}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_seeds_realistic_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("seed.db").display());
    seeds_realistic_tickets(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_seeds_realistic_tickets() {
    let db = TestDatabase::create().await;
    seeds_realistic_tickets(&db.url).await;
    // The planner knows the new rows at once, rather than when autovacuum gets to them.
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let unanalyzed: Vec<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_stat_user_tables WHERE relname IN ('tickets', \
         'ticket_events') AND last_analyze IS NULL",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        unanalyzed.is_empty(),
        "not analyzed after seeding: {unanalyzed:?}"
    );
    conn.close().await.unwrap();
    db.drop_db().await;
}
