//! Hostile and mistaken input over gRPC: every bad request gets a precise status naming
//! the field or the state, and nothing is written.

mod common;

use common::server::{Backend, TestServer, actor, command, new_request};
use hotline::proto;
use tonic::Code;

on_both_backends!(
    bad_intake_is_refused_and_nothing_written,
    bad_commands_get_precise_statuses
);

async fn bad_intake_is_refused_and_nothing_written(backend: Backend) {
    let server = TestServer::start(backend).await;
    type Mutate = fn(&mut proto::CreateTicketRequest);
    let cases: Vec<(&str, Mutate, Code, &str)> = vec![
        (
            "empty description",
            |r| r.description = "   ".into(),
            Code::InvalidArgument,
            "description",
        ),
        (
            "oversized description",
            |r| r.description = "路".repeat(10_001),
            Code::InvalidArgument,
            "description",
        ),
        (
            "control characters",
            |r| r.title = "路灯\u{0}坏了".into(),
            Code::InvalidArgument,
            "title",
        ),
        (
            "unknown channel",
            |r| r.channel = 42,
            Code::InvalidArgument,
            "channel",
        ),
        (
            "unknown request type",
            |r| r.request_type = 42,
            Code::InvalidArgument,
            "request_type",
        ),
        (
            "a category outside the taxonomy",
            |r| r.category = "路灯".into(),
            Code::InvalidArgument,
            "category",
        ),
        (
            "a topic of another category",
            |r| r.topic = "taxi_ride_hailing".into(),
            Code::InvalidArgument,
            "topic",
        ),
        (
            "unknown policy domain",
            |r| r.policy_domain = -3,
            Code::InvalidArgument,
            "policy_domain",
        ),
        (
            "unknown urgency",
            |r| r.urgency = 99,
            Code::InvalidArgument,
            "urgency",
        ),
        (
            "malformed phone",
            |r| r.requester.as_mut().unwrap().phone = "1380013800".into(),
            Code::InvalidArgument,
            "requester.phone",
        ),
        (
            "bad id number",
            |r| r.requester.as_mut().unwrap().id_number = "110105194912310021".into(),
            Code::InvalidArgument,
            "requester.id_number",
        ),
        (
            "unknown region",
            |r| r.region = "999999".into(),
            Code::InvalidArgument,
            "region",
        ),
        (
            "bad line",
            |r| r.line = "12-345".into(),
            Code::InvalidArgument,
            "line",
        ),
        (
            "missing request id",
            |r| r.request_id.clear(),
            Code::InvalidArgument,
            "request_id",
        ),
        (
            "missing actor",
            |r| r.actor = None,
            Code::InvalidArgument,
            "actor",
        ),
        (
            "unknown actor unit",
            |r| r.actor = actor("nobody", "agent"),
            Code::InvalidArgument,
            "actor.unit",
        ),
        (
            "dispatch to an unknown unit",
            |r| {
                r.disposition = Some(proto::Disposition {
                    outcome: Some(proto::disposition::Outcome::Dispatch(proto::DispatchTo {
                        unit: "no-such-bureau".into(),
                        co_units: vec![],
                        copy_to: vec![],
                    })),
                })
            },
            Code::InvalidArgument,
            "disposition.dispatch.unit",
        ),
        (
            "merge into a missing ticket",
            |r| {
                r.disposition = Some(proto::Disposition {
                    outcome: Some(proto::disposition::Outcome::Merge(proto::MergeInto {
                        parent_id: 987_654,
                    })),
                })
            },
            Code::InvalidArgument,
            "disposition.merge.parent_id",
        ),
        (
            "a department taking calls",
            |r| r.actor = actor("market-12315", "clerk"),
            Code::PermissionDenied,
            "market-12315",
        ),
    ];
    for (i, (name, mutate, code, field)) in cases.into_iter().enumerate() {
        let mut request = new_request(&format!("bad-{i}"), Some("urban-management"));
        mutate(&mut request);
        let status = server
            .intake()
            .create_ticket(request)
            .await
            .expect_err(name);
        assert_eq!(status.code(), code, "{name}: {status:?}");
        assert!(
            status.message().contains(field),
            "{name}: `{}` should name `{field}`",
            status.message()
        );
        assert!(
            !status.message().contains("13800138000"),
            "{name}: phone leaked into the message"
        );
    }
    assert_eq!(
        server.ticket_count().await,
        0,
        "no refused request left a ticket behind"
    );
    server.stop().await;
}

async fn bad_commands_get_precise_statuses(backend: Backend) {
    let server = TestServer::start(backend).await;
    let unit = "urban-management";
    let t = server.create(new_request("cmd-1", Some(unit))).await;
    let mut dispatch = server.dispatch();

    // A step the state does not allow: FAILED_PRECONDITION naming the state and command.
    let status = dispatch
        .reply(proto::ReplyRequest {
            ticket_id: t.id,
            expected_version: t.version,
            actor: actor(unit, "clerk"),
            reply: "已处理".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("reply") && status.message().contains("dispatched"),
        "{}",
        status.message()
    );

    // Unknown ticket, stale version, missing version, wrong unit, missing reason.
    let mut missing = command(&t, unit, "");
    missing.ticket_id = 424_242;
    assert_eq!(
        dispatch.sign(missing).await.unwrap_err().code(),
        Code::NotFound
    );
    let mut stale = command(&t, unit, "");
    stale.expected_version = t.version - 1;
    let status = dispatch.sign(stale).await.unwrap_err();
    assert_eq!(status.code(), Code::Aborted);
    assert!(
        status.message().contains(&format!("version {}", t.version)),
        "{}",
        status.message()
    );
    let mut unversioned = command(&t, unit, "");
    unversioned.expected_version = 0;
    let status = dispatch.sign(unversioned).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("expected_version"));
    assert_eq!(
        dispatch
            .sign(command(&t, "market-12315", ""))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    let status = dispatch
        .r#return(command(&t, unit, "  "))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("reason"));
    // A department cannot review its own reply or archive.
    let status = server
        .center()
        .archive(proto::ArchiveRequest {
            ticket_id: t.id,
            expected_version: t.version,
            actor: actor(unit, "clerk"),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // Limits on pulls, pages and periods.
    let pull = |max_tickets, lease_seconds| proto::PullAssignedRequest {
        unit: unit.into(),
        worker: "w".into(),
        max_tickets,
        lease_seconds,
    };
    let status = dispatch.pull_assigned(pull(1000, 60)).await.unwrap_err();
    assert!(status.code() == Code::InvalidArgument && status.message().contains("max_tickets"));
    let status = dispatch.pull_assigned(pull(5, 1)).await.unwrap_err();
    assert!(status.code() == Code::InvalidArgument && status.message().contains("lease_seconds"));
    let status = dispatch
        .pull_assigned(proto::PullAssignedRequest {
            unit: "ghost".into(),
            ..pull(5, 60)
        })
        .await
        .unwrap_err();
    assert!(status.code() == Code::InvalidArgument && status.message().contains("unit"));
    let status = server
        .intake()
        .search_tickets(proto::SearchTicketsRequest {
            page_token: "not-a-token".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(status.code() == Code::InvalidArgument && status.message().contains("page_token"));
    let status = server
        .report()
        .get_rates(proto::GetRatesRequest {
            // Beijing midnights, the wrong way round.
            from: Some(prost_types::Timestamp {
                seconds: 1_799_942_400,
                nanos: 0,
            }),
            to: Some(prost_types::Timestamp {
                seconds: 1_699_977_600,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(status.code() == Code::InvalidArgument && status.message().contains("to"));
    let status = server
        .report()
        .get_rates(proto::GetRatesRequest {
            from: Some(prost_types::Timestamp {
                seconds: -62_000_000_000,
                nanos: 0,
            }),
            to: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(status.code() == Code::InvalidArgument && status.message().contains("from"));

    // After all that, the ticket is exactly as created.
    let after = server.get(t.id).await;
    assert_eq!((after.version, after.history.len()), (t.version, 2));
    server.stop().await;
}
