//! Safety under retries, concurrency and restarts, over real gRPC on both backends.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::server::{Backend, TestServer, command, new_request, state, ticket_of};
use hotline::proto::{self, TicketState as S};
use tokio_stream::StreamExt;

on_both_backends!(
    create_retries_make_one_ticket,
    a_retry_refused_today_still_gets_its_ticket,
    concurrent_pulls_never_share_a_ticket,
    stale_versions_are_aborted,
    nothing_is_lost_across_a_restart,
    watchers_hear_new_assignments,
);

async fn create_retries_make_one_ticket(backend: Backend) {
    let server = TestServer::start(backend).await;
    let request = new_request("console-7f3a-retry", Some("urban-management"));

    let first = server
        .intake()
        .create_ticket(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = server
        .intake()
        .create_ticket(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(first.created && !again.created);
    assert_eq!(
        first.ticket.as_ref().unwrap().id,
        again.ticket.as_ref().unwrap().id
    );

    // A console that times out and retries many times at once.
    let mut burst = tokio::task::JoinSet::new();
    let mut concurrent = new_request("console-burst", None);
    concurrent.description = "同一请求并发重试".into();
    for _ in 0..16 {
        let mut client = server.intake();
        let request = concurrent.clone();
        burst.spawn(async move { client.create_ticket(request).await.map(|r| r.into_inner()) });
    }
    let mut ids = HashSet::new();
    let mut created = 0;
    while let Some(result) = burst.join_next().await {
        let response = result.unwrap().expect("every retry succeeds");
        created += usize::from(response.created);
        ids.insert(response.ticket.unwrap().id);
    }
    assert_eq!((ids.len(), created), (1, 1));
    assert_eq!(server.ticket_count().await, 2);

    // The same id with different content is a client bug, not a retry.
    let mut reused = request;
    reused.description = "完全不同的诉求内容".into();
    let error = server.intake().create_ticket(reused).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::AlreadyExists);
    assert!(
        error.message().contains("console-7f3a-retry"),
        "{}",
        error.message()
    );
    assert_eq!(server.ticket_count().await, 2);
    server.stop().await;
}

/// A retry is answered with the first attempt's ticket even when the same request, sent
/// fresh, would now be refused: here a merge into a parent that has since been transferred.
async fn a_retry_refused_today_still_gets_its_ticket(backend: Backend) {
    let server = TestServer::start(backend).await;
    let parent = server
        .create(new_request("retry-parent", Some("urban-management")))
        .await;
    let mut repeat = new_request("retry-merge", None);
    repeat.disposition = Some(proto::Disposition {
        outcome: Some(proto::disposition::Outcome::Merge(proto::MergeInto {
            parent_id: parent.id,
        })),
    });
    let child = server.create(repeat.clone()).await;
    server
        .intake()
        .transfer_emergency(proto::TransferEmergencyRequest {
            ticket_id: parent.id,
            expected_version: parent.version,
            actor: common::server::actor("centre", "agent"),
            line: proto::EmergencyLine::Police110 as i32,
            reason: "来电人称有人打架".into(),
        })
        .await
        .unwrap();

    let mut fresh = repeat.clone();
    fresh.request_id = "retry-merge-new".into();
    let refused = server.intake().create_ticket(fresh).await.unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );

    let again = server
        .intake()
        .create_ticket(repeat)
        .await
        .unwrap()
        .into_inner();
    assert!(!again.created);
    assert_eq!(again.ticket.unwrap().id, child.id);
    assert_eq!(server.ticket_count().await, 2);
    server.stop().await;
}

async fn concurrent_pulls_never_share_a_ticket(backend: Backend) {
    let server = TestServer::start(backend).await;
    let unit = "market-12315";
    let mut expected = HashSet::new();
    for i in 0..40 {
        let t = server
            .create(new_request(&format!("pull-{i}"), Some(unit)))
            .await;
        expected.insert(t.id);
    }
    // Two back-offices pull in small batches at the same time until nothing is left.
    let mut workers = tokio::task::JoinSet::new();
    for worker in ["backoffice-a", "backoffice-b"] {
        let mut client = server.dispatch();
        workers.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = client
                    .pull_assigned(proto::PullAssignedRequest {
                        unit: unit.into(),
                        worker: worker.into(),
                        max_tickets: 3,
                        lease_seconds: 300,
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .tickets;
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|t| t.id));
            }
        });
    }
    let mut seen = HashSet::new();
    let mut per_worker = Vec::new();
    while let Some(result) = workers.join_next().await {
        let ids = result.unwrap();
        per_worker.push(ids.len());
        for id in ids {
            assert!(seen.insert(id), "ticket {id} was handed out twice");
        }
    }
    assert_eq!(seen, expected, "every ticket handed out exactly once");
    assert!(
        per_worker.iter().all(|n| *n > 0),
        "both workers got work: {per_worker:?}"
    );
    server.stop().await;
}

async fn stale_versions_are_aborted(backend: Backend) {
    let server = TestServer::start(backend).await;
    let t = server
        .create(new_request("stale-1", Some("urban-management")))
        .await;
    // Two clerks sign the same version at once: one wins, the other is told to reload.
    let (mut clerk_a, mut clerk_b) = (server.dispatch(), server.dispatch());
    let (a, b) = tokio::join!(
        clerk_a.sign(command(&t, "urban-management", "")),
        clerk_b.sign(command(&t, "urban-management", "")),
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "exactly one sign wins"
    );
    let loser = a.err().or(b.err()).unwrap();
    assert_eq!(loser.code(), tonic::Code::Aborted, "{loser:?}");
    let history = server.get(t.id).await.history;
    assert_eq!(history.iter().filter(|e| e.command == "sign").count(), 1);
    server.stop().await;
}

async fn nothing_is_lost_across_a_restart(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let unit = "hrss-12333";
    let mut tickets = Vec::new();
    for i in 0..10 {
        let mut request = new_request(&format!("restart-{i}"), Some(unit));
        request.category = "labour_social_security".into();
        tickets.push(server.create(request).await);
    }
    let signed = ticket_of(
        server
            .dispatch()
            .sign(command(&tickets[0], unit, ""))
            .await
            .unwrap(),
    );

    server.restart().await;

    assert_eq!(server.ticket_count().await, 10);
    let after = server.get(signed.id).await;
    assert_eq!(
        (state(&after), after.version, after.history.len()),
        (S::Signed, 3, 3)
    );
    // The loop goes on where it stopped, and retries still find their tickets.
    let responded = ticket_of(
        server
            .dispatch()
            .respond(command(&after, unit, ""))
            .await
            .unwrap(),
    );
    assert_eq!(state(&responded), S::Responded);
    let retry = server
        .intake()
        .create_ticket({
            let mut r = new_request("restart-3", Some(unit));
            r.category = "labour_social_security".into();
            r
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!retry.created);
    assert_eq!(retry.ticket.unwrap().id, tickets[3].id);
    server.stop().await;
}

async fn watchers_hear_new_assignments(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut stream = server
        .dispatch()
        .watch_assigned(proto::WatchAssignedRequest {
            unit: "transport-12328".into(),
        })
        .await
        .unwrap()
        .into_inner();
    // One for another unit (not heard), then one for this unit, then a manual dispatch.
    server
        .intake()
        .create_ticket(new_request("watch-other", Some("urban-management")))
        .await
        .unwrap();
    let mine = server
        .create(new_request("watch-mine", Some("transport-12328")))
        .await;
    let queued = server.create(new_request("watch-queued", None)).await;
    server
        .center()
        .dispatch(proto::DispatchRequest {
            ticket_id: queued.id,
            expected_version: queued.version,
            actor: common::server::actor("centre", "dispatcher"),
            unit: "transport-12328".into(),
            co_units: vec![],
            reason: String::new(),
        })
        .await
        .unwrap();
    let first = next_assignment(&mut stream).await;
    assert_eq!(
        (first.ticket_id, first.unit.as_str()),
        (mine.id, "transport-12328")
    );
    let second = next_assignment(&mut stream).await;
    assert_eq!(second.ticket_id, queued.id);
    server.stop().await;
}

async fn next_assignment(stream: &mut tonic::Streaming<proto::Assignment>) -> proto::Assignment {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an assignment arrives")
        .expect("stream open")
        .expect("no error")
}
