//! Hostile and mistaken input over gRPC: every bad request gets a precise status naming
//! the field or the state, and nothing is written.

mod common;

use std::future::Future;
use std::pin::Pin;

use common::server::{Backend, TestServer, actor, command, new_request};
use hotline::proto::{self, disposition::Outcome};
use tonic::{Code, Status};

on_both_backends!(
    bad_intake_is_refused_and_nothing_written,
    bad_commands_get_precise_statuses,
    bad_fields_on_every_rpc_name_the_field
);

fn outcome(outcome: Outcome) -> proto::Disposition {
    proto::Disposition {
        outcome: Some(outcome),
    }
}

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
            "oversized title",
            |r| r.title = "灯".repeat(201),
            Code::InvalidArgument,
            "title",
        ),
        (
            "oversized address",
            |r| r.address = "路".repeat(501),
            Code::InvalidArgument,
            "address",
        ),
        (
            "an escape sequence in the address",
            |r| r.address = "中山路\u{1b}[2J1号".into(),
            Code::InvalidArgument,
            "address",
        ),
        (
            "a name on two lines",
            |r| r.requester.as_mut().unwrap().name = "王\n女士".into(),
            Code::InvalidArgument,
            "requester.name",
        ),
        (
            "a phone number of ten thousand digits",
            |r| r.requester.as_mut().unwrap().phone = "1".repeat(10_000),
            Code::InvalidArgument,
            "requester.phone",
        ),
        (
            "a request id with spaces",
            |r| r.request_id = "req 1".into(),
            Code::InvalidArgument,
            "request_id",
        ),
        (
            "an overlong request id",
            |r| r.request_id = "r".repeat(129),
            Code::InvalidArgument,
            "request_id",
        ),
        (
            "a blank agent",
            |r| r.actor = actor("centre", " "),
            Code::InvalidArgument,
            "actor.person",
        ),
        (
            "unspecified channel",
            |r| r.channel = 0,
            Code::InvalidArgument,
            "channel",
        ),
        (
            "a disposition without an outcome",
            |r| r.disposition = Some(proto::Disposition { outcome: None }),
            Code::InvalidArgument,
            "disposition",
        ),
        (
            "copies chosen by the caller",
            |r| {
                r.disposition = Some(outcome(Outcome::Dispatch(proto::DispatchTo {
                    unit: "urban-management".into(),
                    co_units: vec![],
                    copy_to: vec!["xuanwu".into()],
                })))
            },
            Code::InvalidArgument,
            "disposition.dispatch.copy_to",
        ),
        (
            "eleven co-handling units",
            |r| {
                r.disposition = Some(outcome(Outcome::Dispatch(proto::DispatchTo {
                    unit: "urban-management".into(),
                    co_units: (0..11).map(|i| format!("unit-{i}")).collect(),
                    copy_to: vec![],
                })))
            },
            Code::InvalidArgument,
            "disposition.dispatch.co_units",
        ),
        (
            "unknown emergency line",
            |r| {
                r.disposition = Some(outcome(Outcome::EmergencyTransfer(
                    proto::EmergencyTransfer { line: 42 },
                )))
            },
            Code::InvalidArgument,
            "disposition.emergency_transfer.line",
        ),
        (
            "unspecified utility",
            |r| {
                r.disposition = Some(outcome(Outcome::UtilityTransfer(proto::UtilityTransfer {
                    utility: 0,
                })))
            },
            Code::InvalidArgument,
            "disposition.utility_transfer.utility",
        ),
        (
            "unknown explain reason",
            |r| {
                r.disposition = Some(outcome(Outcome::Explain(proto::Explanation {
                    reason: 99,
                    explanation: "涉及个人隐私".into(),
                })))
            },
            Code::InvalidArgument,
            "disposition.explain.reason",
        ),
        (
            "an oversized direct answer",
            |r| {
                r.disposition = Some(outcome(Outcome::AnswerDirectly(proto::AnswerDirectly {
                    answer: "答".repeat(2_001),
                })))
            },
            Code::InvalidArgument,
            "disposition.answer_directly.answer",
        ),
        (
            "control characters in legal advice",
            |r| {
                r.disposition = Some(outcome(Outcome::LegalChannel(
                    proto::LegalChannelReferral {
                        channel: proto::LegalChannel::Litigation as i32,
                        advice: "请向法院起诉\u{0}".into(),
                    },
                )))
            },
            Code::InvalidArgument,
            "disposition.legal_channel.advice",
        ),
        (
            "a police referral without a reason",
            |r| {
                r.disposition = Some(outcome(Outcome::ReferPolice(proto::ReferPolice {
                    reason: String::new(),
                })))
            },
            Code::InvalidArgument,
            "disposition.refer_police.reason",
        ),
        (
            "merge into a negative id",
            |r| r.disposition = Some(outcome(Outcome::Merge(proto::MergeInto { parent_id: -1 }))),
            Code::InvalidArgument,
            "disposition.merge.parent_id",
        ),
        (
            "an oversized override reason",
            |r| r.override_reason = "因".repeat(2_001),
            Code::InvalidArgument,
            "override_reason",
        ),
        (
            // tonic's code for a frame over max_decoding_message_size (grpc's guide says
            // RESOURCE_EXHAUSTED); refused before it is read, whatever the code.
            "a message over the size limit",
            |r| r.description = "路".repeat(400_000),
            Code::OutOfRange,
            "the limit is: 1048576 bytes",
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
        assert!(
            status.message().chars().count() < 300,
            "{name}: the message echoes too much: {}",
            status.message()
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

/// One refused call, run after the table is built.
type Refusal = Pin<Box<dyn Future<Output = Result<(), Status>> + Send>>;

/// Calls `$method` on a fresh `$client` inside a future the table can hold.
macro_rules! call {
    ($client:expr, $method:ident, $request:expr) => {{
        let mut client = $client.clone();
        let request = $request;
        Box::pin(async move { client.$method(request).await.map(|_| ()) }) as Refusal
    }};
}

fn at(seconds: i64, nanos: i32) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos })
}

/// `base` after `edit`.
fn edited<R>(mut base: R, edit: fn(&mut R)) -> R {
    edit(&mut base);
    base
}

/// Every RPC with a field no state could accept: INVALID_ARGUMENT naming the field, before
/// the ticket is read (so not FAILED_PRECONDITION or NOT_FOUND), and nothing changes.
async fn bad_fields_on_every_rpc_name_the_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let unit = "urban-management";
    let t = server.create(new_request("rpc-1", Some(unit))).await;
    let (intake, dispatch, center) = (server.intake(), server.dispatch(), server.center());
    let (feedback, report) = (server.feedback(), server.report());
    let (bell, long) = ("已处理\u{7}", "办".repeat(2_001));
    let head = |unit: &str| (t.id, t.version, actor(unit, "clerk"));

    // Requests of each kind, valid but for what the case's edit breaks.
    let preview = |edit| {
        let base = proto::PreviewClassificationRequest {
            description: "路灯坏了".into(),
            ..Default::default()
        };
        call!(intake, preview_classification, edited(base, edit))
    };
    let search = |edit| {
        let base = proto::SearchTicketsRequest::default();
        call!(intake, search_tickets, edited(base, edit))
    };
    let pull = |edit| {
        let base = proto::PullAssignedRequest {
            unit: unit.into(),
            worker: "w".into(),
            ..Default::default()
        };
        call!(dispatch, pull_assigned, edited(base, edit))
    };
    let extend = |edit| {
        let (ticket_id, expected_version, actor) = head(unit);
        let base = proto::RequestExtensionRequest {
            ticket_id,
            expected_version,
            actor,
            reason: "需要协调".into(),
            ..Default::default()
        };
        call!(dispatch, request_extension, edited(base, edit))
    };
    let reassign = |edit| {
        let (ticket_id, expected_version, actor) = head("centre");
        let base = proto::DispatchRequest {
            ticket_id,
            expected_version,
            actor,
            unit: "water".into(),
            reason: "职责调整".into(),
            ..Default::default()
        };
        call!(center, dispatch, edited(base, edit))
    };
    let review = |reason: &str| {
        let (ticket_id, expected_version, actor) = head("centre");
        proto::ReviewRequest {
            ticket_id,
            expected_version,
            actor,
            approve: false,
            reason: reason.into(),
        }
    };
    let exclude = |edit| {
        let (ticket_id, expected_version, actor) = head("centre");
        let base = proto::ExcludeFromRatesRequest {
            ticket_id,
            expected_version,
            actor,
            reason: proto::ExclusionReason::Duplicate as i32,
            note: "重复工单".into(),
        };
        call!(center, exclude_from_rates, edited(base, edit))
    };
    let callback = |edit| {
        let (ticket_id, expected_version, actor) = head("centre");
        let base = proto::RecordCallbackRequest {
            ticket_id,
            expected_version,
            actor,
            resolved: true,
            satisfaction: proto::Satisfaction::Satisfied as i32,
            ..Default::default()
        };
        call!(feedback, record_callback, edited(base, edit))
    };
    let rates = |edit| {
        let midnight = 1_799_942_400; // in UTC+8
        let base = proto::GetRatesRequest {
            from: at(midnight, 0),
            to: at(midnight + 86_400, 0),
            ..Default::default()
        };
        call!(report, get_rates, edited(base, edit))
    };
    let cmd = |reason: &str| command(&t, unit, reason);

    let cases: Vec<(&str, &str, Refusal)> = vec![
        // IntakeService
        (
            "preview, no description",
            "description",
            preview(|r| r.description.clear()),
        ),
        (
            "preview, long title",
            "title",
            preview(|r| r.title = "灯".repeat(201)),
        ),
        (
            "preview, bad id number",
            "requester.id_number",
            preview(|r| {
                r.requester = Some(proto::Requester {
                    id_number: "12345".into(),
                    ..Default::default()
                })
            }),
        ),
        (
            "preview, backspace in the name",
            "requester.name",
            preview(|r| {
                r.requester = Some(proto::Requester {
                    name: "王\u{8}".into(),
                    ..Default::default()
                })
            }),
        ),
        (
            "get ticket zero",
            "ticket_id",
            call!(intake, get_ticket, proto::GetTicketRequest::default()),
        ),
        (
            "search, page over the cap",
            "page_size",
            search(|r| r.page_size = 201),
        ),
        (
            "search, more states than exist",
            "states",
            search(|r| r.states = vec![1; 14]),
        ),
        (
            "search, unknown state",
            "states",
            search(|r| r.states = vec![99]),
        ),
        (
            "search from 1900",
            "created_from",
            search(|r| r.created_from = at(-2_208_988_800, 0)),
        ),
        (
            "search, negative nanos",
            "created_from",
            search(|r| r.created_from = at(1_800_000_000, -1)),
        ),
        (
            "search to the year 36812",
            "created_to",
            search(|r| r.created_to = at(1 << 40, 0)),
        ),
        (
            "search a period the wrong way round",
            "created_to",
            search(|r| {
                (r.created_from, r.created_to) = (at(1_800_000_000, 0), at(1_700_000_000, 0))
            }),
        ),
        (
            "search a unit on two lines",
            "assigned_unit",
            search(|r| r.assigned_unit = "a\nb".into()),
        ),
        (
            "search, long region",
            "region",
            search(|r| r.region = "3".repeat(65)),
        ),
        (
            "merge into a missing ticket, long reason",
            "reason",
            call!(
                intake,
                merge_duplicate,
                proto::MergeDuplicateRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: actor("centre", "agent"),
                    parent_id: 987_654,
                    reason: long.clone(),
                }
            ),
        ),
        (
            "transfer to an unspecified line",
            "line",
            call!(
                intake,
                transfer_emergency,
                proto::TransferEmergencyRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: actor("centre", "agent"),
                    ..Default::default()
                }
            ),
        ),
        // DispatchService
        (
            "pull without a worker",
            "worker",
            pull(|r| r.worker.clear()),
        ),
        (
            "pull, a tab in the worker",
            "worker",
            pull(|r| r.worker = "w\t1".into()),
        ),
        (
            "watch an unknown unit",
            "unit",
            call!(
                dispatch,
                watch_assigned,
                proto::WatchAssignedRequest {
                    unit: "ghost".into()
                }
            ),
        ),
        (
            "sign, a bell in the note",
            "reason",
            call!(dispatch, sign, cmd(bell)),
        ),
        (
            "return a missing ticket, long reason",
            "reason",
            call!(
                dispatch,
                r#return,
                proto::TicketCommand {
                    ticket_id: 424_242,
                    ..cmd(&long)
                }
            ),
        ),
        (
            "respond, a bell",
            "reason",
            call!(dispatch, respond, cmd(bell)),
        ),
        (
            "handle before signing, long",
            "reason",
            call!(dispatch, handle, cmd(&long)),
        ),
        (
            "escalate, a bell",
            "reason",
            call!(dispatch, escalate, cmd(bell)),
        ),
        (
            "note, a bell",
            "reason",
            call!(dispatch, add_note, cmd(bell)),
        ),
        (
            "note by the centre, long",
            "reason",
            call!(dispatch, add_note, command(&t, "centre", &long)),
        ),
        (
            "extend by 490,000 years",
            "hours",
            extend(|r| r.hours = u32::MAX),
        ),
        (
            "extend by 1,000 working days",
            "working_days",
            extend(|r| r.working_days = 1_000),
        ),
        (
            "reply with a NUL",
            "reply",
            call!(
                dispatch,
                reply,
                proto::ReplyRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: actor(unit, "clerk"),
                    reply: "已修复\u{0}".into(),
                }
            ),
        ),
        (
            "no actor",
            "actor",
            call!(
                dispatch,
                sign,
                proto::TicketCommand {
                    actor: None,
                    ..cmd("")
                }
            ),
        ),
        (
            "a long person",
            "actor.person",
            call!(
                dispatch,
                sign,
                proto::TicketCommand {
                    actor: actor(unit, &"张".repeat(65)),
                    ..cmd("")
                }
            ),
        ),
        (
            "a negative ticket id",
            "ticket_id",
            call!(
                dispatch,
                sign,
                proto::TicketCommand {
                    ticket_id: -7,
                    ..cmd("")
                }
            ),
        ),
        // CenterService
        (
            "reassign with eleven co-units",
            "co_units",
            reassign(|r| r.co_units = (0..11).map(|i| format!("unit-{i}")).collect()),
        ),
        (
            "reassign to a long unit",
            "unit",
            reassign(|r| r.unit = "u".repeat(65)),
        ),
        (
            "reassign, a bell in the reason",
            "reason",
            reassign(|r| r.reason = "改派\u{7}".into()),
        ),
        (
            "reject a return yet reassign it",
            "reassign_to",
            call!(
                center,
                review_return,
                proto::ReviewReturnRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: actor("centre", "lead"),
                    approve: false,
                    reassign_to: "water".into(),
                    co_units: vec![],
                    reason: "属于本单位职责".into(),
                }
            ),
        ),
        (
            "review a reply, a bell",
            "reason",
            call!(center, review_reply, review(bell)),
        ),
        (
            "review an extension, long",
            "reason",
            call!(center, review_extension, review(&long)),
        ),
        (
            "supervise, a bell",
            "note",
            call!(
                center,
                supervise,
                proto::SuperviseRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: actor("centre", "lead"),
                    supervised: true,
                    note: bell.into(),
                }
            ),
        ),
        (
            "chase up, long",
            "note",
            call!(
                center,
                chase_up,
                proto::ChaseUpRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: actor("centre", "lead"),
                    note: long.clone(),
                }
            ),
        ),
        ("exclude for no reason", "reason", exclude(|r| r.reason = 0)),
        (
            "exclude for an unknown reason",
            "reason",
            exclude(|r| r.reason = 9),
        ),
        (
            "exclude, long note",
            "note",
            exclude(|r| r.note = "重".repeat(2_001)),
        ),
        (
            "archive by nobody",
            "actor",
            call!(
                center,
                archive,
                proto::ArchiveRequest {
                    ticket_id: t.id,
                    expected_version: t.version,
                    actor: None,
                }
            ),
        ),
        // FeedbackService
        (
            "callback without a verdict",
            "satisfaction",
            callback(|r| r.satisfaction = 0),
        ),
        (
            "callback, unknown verdict",
            "satisfaction",
            callback(|r| r.satisfaction = 42),
        ),
        (
            "callback, a bell in the note",
            "note",
            callback(|r| r.note = "满意\u{7}".into()),
        ),
        // ReportService
        ("rates without a start", "from", rates(|r| r.from = None)),
        (
            "rates from the year 2300",
            "from",
            rates(|r| r.from = at(10_413_792_000, 0)),
        ),
        (
            "rates to an hour past midnight",
            "to",
            rates(|r| r.to = at(1_799_942_400 + 3_600, 0)),
        ),
        (
            "rates by an unknown grouping",
            "group_by",
            rates(|r| r.group_by = 9),
        ),
        (
            "rates over an unknown period",
            "period",
            rates(|r| r.period = -1),
        ),
        (
            "rates of a unit on two lines",
            "unit",
            rates(|r| r.unit = "a\nb".into()),
        ),
        (
            "overdue list over the cap",
            "limit",
            call!(
                report,
                list_overdue,
                proto::ListOverdueRequest {
                    limit: 501,
                    ..Default::default()
                }
            ),
        ),
        (
            "overdue at an unknown level",
            "level",
            call!(
                report,
                list_overdue,
                proto::ListOverdueRequest {
                    level: 7,
                    ..Default::default()
                }
            ),
        ),
        (
            "supervision of an unknown unit",
            "unit",
            call!(
                report,
                get_supervision_summary,
                proto::GetSupervisionSummaryRequest {
                    unit: "ghost".into()
                }
            ),
        ),
        (
            "assessment without a month",
            "month",
            call!(
                report,
                get_assessment,
                proto::GetAssessmentRequest::default()
            ),
        ),
        (
            "assessment of a month that is not one",
            "month",
            call!(
                report,
                get_assessment,
                proto::GetAssessmentRequest {
                    month: "2026-13".into()
                }
            ),
        ),
        (
            "assessment of a long junk month",
            "month",
            call!(
                report,
                get_assessment,
                proto::GetAssessmentRequest {
                    month: "月".repeat(10_000)
                }
            ),
        ),
    ];
    for (name, field, refusal) in cases {
        let status = refusal.await.expect_err(name);
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: {status:?}");
        assert!(
            status.message().starts_with(&format!("{field}:")),
            "{name}: `{}` should name `{field}` first",
            status.message()
        );
        assert!(
            status.message().chars().count() < 300,
            "{name}: the message echoes too much"
        );
    }
    let after = server.get(t.id).await;
    assert_eq!(
        (after.version, after.history.len()),
        (t.version, 2),
        "no refused command changed the ticket"
    );
    assert_eq!(server.ticket_count().await, 1);
    server.stop().await;
}

/// The description field, re-declared as bytes so a client can send what prost would never
/// encode: a string that is not UTF-8.
#[derive(Clone, PartialEq, prost::Message)]
struct RawCreateTicketRequest {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(bytes = "vec", tag = "10")]
    description: Vec<u8>,
}

/// Invalid UTF-8 in a string field is refused by prost while decoding, before any handler
/// runs. tonic answers INTERNAL there, as grpc's status code guide prescribes for a request
/// that cannot be parsed; the message names the message, field and the UTF-8 problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_is_refused_while_decoding() {
    let server = TestServer::start(Backend::Sqlite).await;
    let mut grpc = tonic::client::Grpc::new(server.channel.clone());
    grpc.ready().await.expect("the channel is ready");
    let raw = RawCreateTicketRequest {
        request_id: "utf8-1".into(),
        description: b"\xe8\xb7\xaf\xff\xfe lamp".to_vec(),
    };
    let status = grpc
        .unary(
            tonic::Request::new(raw),
            http::uri::PathAndQuery::from_static("/hotline.v1.IntakeService/CreateTicket"),
            tonic_prost::ProstCodec::<RawCreateTicketRequest, proto::CreateTicketResponse>::default(
            ),
        )
        .await
        .expect_err("not UTF-8");
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    let message = status.message();
    assert!(
        message.contains("CreateTicketRequest.description") && message.contains("UTF-8"),
        "{message}"
    );
    assert_eq!(server.ticket_count().await, 0);
    server.stop().await;
}
