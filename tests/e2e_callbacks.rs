//! Callbacks through channels end to end, on both backends: a ticket whose reply the
//! centre accepted has a callback task; the SMS gateway pulls it and the requester's
//! reply records the verdict; unanswered attempts end in a declined callback that leaves
//! the satisfaction rate's denominator alone; unclear replies go to a person; two
//! adapters pulling at once never get the same task.

mod common;

use std::collections::BTreeSet;

use common::rates::this_month;
use common::server::{Backend, Options, TestServer, actor, command, new_request, state, ticket_of};
use hotline::auth::client::AuthedChannel;
use hotline::proto::{
    self, CallbackAttemptResult as R, CallbackChannel as Ch,
    callback_service_client::CallbackServiceClient, report_callback_attempt_request::Outcome,
};
use hotline::rules::RulePaths;
use tonic::Code;

const UNIT: &str = "urban-management";

/// Retries at once, so a test can make its attempts back to back.
const CALLS_TOML: &str = "[callbacks]\nfirst_channel = \"sms\"\nmax_unanswered_attempts = 3\n\
     retry_after_minutes = 0\nlease_seconds = 60\n";

async fn start(backend: Backend) -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.toml");
    std::fs::write(&calls, CALLS_TOML).unwrap();
    let options = Options {
        rule_paths: RulePaths {
            calls: Some(calls),
            ..Default::default()
        },
        ..Default::default()
    };
    (TestServer::start_with(backend, options).await, dir)
}

fn client(server: &TestServer) -> CallbackServiceClient<AuthedChannel> {
    CallbackServiceClient::new(server.channel.clone())
}

/// A ticket of UNIT whose reply the centre accepted: it awaits its callback.
async fn awaiting_callback(server: &TestServer, request_id: &str) -> proto::Ticket {
    let t = server.create(new_request(request_id, Some(UNIT))).await;
    let t = ticket_of(server.dispatch().sign(command(&t, UNIT, "")).await.unwrap());
    let t = ticket_of(
        server
            .dispatch()
            .respond(command(&t, UNIT, "已电话联系市民"))
            .await
            .unwrap(),
    );
    let t = ticket_of(
        server
            .dispatch()
            .reply(proto::ReplyRequest {
                ticket_id: t.id,
                expected_version: t.version,
                actor: actor(UNIT, "clerk-1"),
                reply: "路灯已修复".into(),
            })
            .await
            .unwrap(),
    );
    let t = ticket_of(
        server
            .center()
            .review_reply(proto::ReviewRequest {
                ticket_id: t.id,
                expected_version: t.version,
                actor: actor("centre", "reviewer-1"),
                approve: true,
                reason: String::new(),
            })
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), proto::TicketState::AwaitingCallback);
    t
}

async fn pull(
    server: &TestServer,
    channel: Ch,
    worker: &str,
    max: u32,
) -> Vec<proto::CallbackTask> {
    client(server)
        .pull_callback_tasks(proto::PullCallbackTasksRequest {
            channel: channel as i32,
            worker: worker.into(),
            max_tasks: max,
        })
        .await
        .expect("PullCallbackTasks")
        .into_inner()
        .tasks
}

async fn attempt(
    server: &TestServer,
    ticket_id: i64,
    worker: &str,
    outcome: Outcome,
) -> Result<proto::ReportCallbackAttemptResponse, tonic::Status> {
    client(server)
        .report_callback_attempt(proto::ReportCallbackAttemptRequest {
            ticket_id,
            worker: worker.into(),
            actor: actor("centre", "callback-desk"),
            outcome: Some(outcome),
        })
        .await
        .map(|r| r.into_inner())
}

fn result(r: &proto::ReportCallbackAttemptResponse) -> R {
    R::try_from(r.result).unwrap()
}

fn satisfaction(t: &proto::Ticket) -> proto::Satisfaction {
    let callback = t.callback.as_ref().expect("the callback is recorded");
    proto::Satisfaction::try_from(callback.satisfaction).unwrap()
}

async fn sms_reply_records_the_verdict(backend: Backend) {
    let (server, _dir) = start(backend).await;
    let t = awaiting_callback(&server, "cb-sms-1").await;

    let tasks = pull(&server, Ch::Sms, "sms-gw-1", 10).await;
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(task.ticket_id, t.id);
    assert_eq!(task.channel, Ch::Sms as i32);
    let ticket = task.ticket.as_ref().expect("the task carries its ticket");
    assert_eq!(
        ticket.requester.as_ref().unwrap().phone,
        "13800138000",
        "the gateway needs the number"
    );
    // Leased: another gateway, or another channel, gets nothing.
    assert!(pull(&server, Ch::Sms, "sms-gw-2", 10).await.is_empty());
    assert!(pull(&server, Ch::Phone, "agent-1", 10).await.is_empty());

    // Only the lease holder reports.
    let status = attempt(
        &server,
        t.id,
        "sms-gw-2",
        Outcome::SmsReply("2 基本满意".into()),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");

    let r = attempt(
        &server,
        t.id,
        "sms-gw-1",
        Outcome::SmsReply("2 基本满意".into()),
    )
    .await
    .unwrap();
    assert_eq!(result(&r), R::Recorded);
    let after = r.ticket.unwrap();
    assert_eq!(state(&after), proto::TicketState::Closed);
    assert_eq!(
        satisfaction(&after),
        proto::Satisfaction::BasicallySatisfied
    );
    assert_eq!(r.task.unwrap().last_outcome, "basically_satisfied");

    // Done: nothing to pull, nothing more to report.
    assert!(pull(&server, Ch::Sms, "sms-gw-1", 10).await.is_empty());
    let status = attempt(&server, t.id, "sms-gw-1", Outcome::SmsReply("1".into()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");

    // Hostile input. A unit may not record callbacks, so its attempts do not count either.
    let other = awaiting_callback(&server, "cb-sms-2").await;
    pull(&server, Ch::Sms, "sms-gw-1", 10).await;
    let status = client(&server)
        .report_callback_attempt(proto::ReportCallbackAttemptRequest {
            ticket_id: other.id,
            worker: "sms-gw-1".into(),
            actor: actor(UNIT, "clerk-1"),
            outcome: Some(Outcome::NoAnswer(true)),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let listed = client(&server)
        .list_callback_tasks(proto::ListCallbackTasksRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tasks;
    assert_eq!((listed.len(), listed[0].attempts), (1, 0), "{listed:?}");
    let status = attempt(&server, 999, "sms-gw-1", Outcome::NoAnswer(true))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = client(&server)
        .report_callback_attempt(proto::ReportCallbackAttemptRequest {
            ticket_id: t.id,
            worker: "sms-gw-1".into(),
            actor: actor("centre", "callback-desk"),
            outcome: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("outcome"), "{status:?}");
    let status = client(&server)
        .pull_callback_tasks(proto::PullCallbackTasksRequest {
            channel: 0,
            worker: "x".into(),
            max_tasks: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("channel"), "{status:?}");
    server.stop().await;
}

async fn unanswered_attempts_decline_out_of_scope(backend: Backend) {
    let (server, _dir) = start(backend).await;
    // One satisfied callback first, so that the unit has a satisfaction rate.
    let first = awaiting_callback(&server, "cb-decl-0").await;
    pull(&server, Ch::Sms, "sms-gw-1", 1).await;
    attempt(
        &server,
        first.id,
        "sms-gw-1",
        Outcome::SmsReply("满意".into()),
    )
    .await
    .unwrap();
    let row = |rows: Vec<proto::RateRow>| {
        rows.into_iter()
            .find(|r| r.key == UNIT)
            .expect("the unit has rates")
    };
    let before = row(this_month(server.channel.clone()).await);
    assert_eq!(
        (before.callbacks_in_scope, before.satisfied, before.declined),
        (1, 1, 0)
    );

    let t = awaiting_callback(&server, "cb-decl-1").await;
    let mut results = Vec::new();
    for _ in 0..3 {
        let tasks = pull(&server, Ch::Sms, "sms-gw-1", 10).await;
        assert_eq!(
            tasks.iter().map(|t| t.ticket_id).collect::<Vec<_>>(),
            vec![t.id]
        );
        let r = attempt(&server, t.id, "sms-gw-1", Outcome::NoAnswer(true))
            .await
            .unwrap();
        results.push(result(&r));
        if result(&r) == R::Declined {
            let after = r.ticket.unwrap();
            assert_eq!(state(&after), proto::TicketState::Closed);
            assert_eq!(satisfaction(&after), proto::Satisfaction::Declined);
            assert!(!after.callback.as_ref().unwrap().resolved);
            assert_eq!(r.task.unwrap().attempts, 3);
        }
    }
    assert_eq!(results, vec![R::Retry, R::Retry, R::Declined]);

    let after = row(this_month(server.channel.clone()).await);
    assert_eq!(
        after.declined, 1,
        "the declined callback is counted as declined"
    );
    assert_eq!(
        after.callbacks_in_scope, before.callbacks_in_scope,
        "and stays out of the scope"
    );
    assert_eq!(after.dissatisfied, 0, "never as dissatisfied");
    assert_eq!(after.satisfaction_rate, before.satisfaction_rate);

    // A refusal declines at once.
    let t = awaiting_callback(&server, "cb-decl-2").await;
    pull(&server, Ch::Sms, "sms-gw-1", 10).await;
    let r = attempt(&server, t.id, "sms-gw-1", Outcome::Refused(true))
        .await
        .unwrap();
    assert_eq!(result(&r), R::Declined);
    assert_eq!(
        satisfaction(&r.ticket.unwrap()),
        proto::Satisfaction::Declined
    );
    // So does an SMS saying so.
    let t = awaiting_callback(&server, "cb-decl-3").await;
    pull(&server, Ch::Sms, "sms-gw-1", 10).await;
    let r = attempt(
        &server,
        t.id,
        "sms-gw-1",
        Outcome::SmsReply("不需要回访".into()),
    )
    .await
    .unwrap();
    assert_eq!(result(&r), R::Declined);
    let after = row(this_month(server.channel.clone()).await);
    assert_eq!((after.declined, after.callbacks_in_scope), (3, 1));
    server.stop().await;
}

async fn unclear_sms_goes_to_a_person(backend: Backend) {
    let (server, _dir) = start(backend).await;
    let t = awaiting_callback(&server, "cb-unclear-1").await;
    pull(&server, Ch::Sms, "sms-gw-1", 10).await;
    let r = attempt(
        &server,
        t.id,
        "sms-gw-1",
        Outcome::SmsReply("不是很满意".into()),
    )
    .await
    .unwrap();
    assert_eq!(result(&r), R::HandedOver);
    assert_eq!(
        state(&r.ticket.unwrap()),
        proto::TicketState::AwaitingCallback,
        "nothing guessed"
    );

    assert!(pull(&server, Ch::Sms, "sms-gw-1", 10).await.is_empty());
    let listed = client(&server)
        .list_callback_tasks(proto::ListCallbackTasksRequest {
            channel: Ch::Phone as i32,
            limit: 10,
        })
        .await
        .unwrap()
        .into_inner()
        .tasks;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_reply, "不是很满意");
    let tasks = pull(&server, Ch::Phone, "agent-7", 10).await;
    assert_eq!(tasks.len(), 1);
    let r = attempt(
        &server,
        t.id,
        "agent-7",
        Outcome::Answered(proto::CallbackVerdict {
            resolved: true,
            satisfaction: proto::Satisfaction::BasicallySatisfied as i32,
            note: "电话回访：基本满意".into(),
        }),
    )
    .await
    .unwrap();
    assert_eq!(result(&r), R::Recorded);
    assert_eq!(
        satisfaction(&r.ticket.unwrap()),
        proto::Satisfaction::BasicallySatisfied
    );
    server.stop().await;
}

async fn two_adapters_never_get_the_same_task(backend: Backend) {
    let (server, _dir) = start(backend).await;
    const TICKETS: usize = 12;
    let mut ids = BTreeSet::new();
    for i in 0..TICKETS {
        ids.insert(awaiting_callback(&server, &format!("cb-race-{i}")).await.id);
    }
    let adapter = |worker: &'static str| {
        let channel = server.channel.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let tasks = CallbackServiceClient::new(channel.clone())
                    .pull_callback_tasks(proto::PullCallbackTasksRequest {
                        channel: Ch::Sms as i32,
                        worker: worker.into(),
                        max_tasks: 2,
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .tasks;
                if tasks.is_empty() {
                    return got;
                }
                got.extend(tasks.iter().map(|t| t.ticket_id));
            }
        })
    };
    let (a, b) = (adapter("sms-gw-a"), adapter("sms-gw-b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let overlap: Vec<_> = a.iter().filter(|id| b.contains(id)).collect();
    assert!(overlap.is_empty(), "both adapters got {overlap:?}");
    let all: BTreeSet<_> = a.iter().chain(&b).copied().collect();
    assert_eq!(all, ids);
    assert_eq!(a.len() + b.len(), TICKETS);
    server.stop().await;
}

on_both_backends!(
    sms_reply_records_the_verdict,
    unanswered_attempts_decline_out_of_scope,
    unclear_sms_goes_to_a_person,
    two_adapters_never_get_the_same_task,
);
