//! The closed loop of a ticket over real gRPC, on both backends: intake → dispatch → sign →
//! respond → handle → reply → review → callback → close → archive, and its side paths.

mod common;

use common::server::{
    Backend, TestServer, actor, callback, command, new_request, pull_desk, state, ticket_of,
};
use hotline::proto::{self, TicketState as S};

on_both_backends!(
    whole_loop_with_history,
    return_then_reassign_and_rejected_return,
    rework_extension_escalation_and_supervision,
    merge_transfer_and_refusal_outcomes,
);

async fn whole_loop_with_history(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut intake = server.intake();
    let mut unit = server.dispatch();
    let mut centre = server.center();

    let created = intake
        .create_ticket(new_request("loop-1", Some("urban-management")))
        .await
        .unwrap()
        .into_inner();
    assert!(created.created);
    let t = created.ticket.unwrap();
    assert_eq!(state(&t), S::Dispatched);
    assert_eq!(t.assigned_unit, "urban-management");
    assert!(t.deadlines.as_ref().unwrap().reply_due_at.is_some());

    let pulled = pull_desk(
        server.channel.clone(),
        "urban-management",
        "backoffice-1",
        60,
    )
    .await;
    assert_eq!(pulled.len(), 1);
    let t = pulled[0].clone();

    let m = "urban-management";
    let t = ticket_of(unit.sign(command(&t, m, "")).await.unwrap());
    assert_eq!(state(&t), S::Signed);
    let t = ticket_of(
        unit.respond(command(&t, m, "已电话联系王女士"))
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::Responded);
    let t = ticket_of(unit.handle(command(&t, m, "已派维修班组")).await.unwrap());
    assert_eq!(state(&t), S::InProgress);
    let t = ticket_of(
        unit.reply(proto::ReplyRequest {
            ticket_id: t.id,
            expected_version: t.version,
            actor: actor(m, "clerk-1"),
            reply: "三盏路灯已于今日更换灯具，恢复照明。".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(state(&t), S::Replied);
    let t = ticket_of(
        centre
            .review_reply(proto::ReviewRequest {
                ticket_id: t.id,
                expected_version: t.version,
                actor: actor("centre", "reviewer-2"),
                approve: true,
                reason: String::new(),
            })
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::AwaitingCallback);
    let t = ticket_of(
        server
            .feedback()
            .record_callback(callback(&t, true, proto::Satisfaction::Satisfied, false))
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::Closed);
    assert!(t.closed_at.is_some());
    let t = ticket_of(
        centre
            .archive(proto::ArchiveRequest {
                ticket_id: t.id,
                expected_version: t.version,
                actor: actor("centre", "archivist"),
            })
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::Archived);

    let shown = server.get(t.id).await;
    let commands: Vec<&str> = shown.history.iter().map(|e| e.command.as_str()).collect();
    assert_eq!(
        commands,
        [
            "create",
            "dispatch",
            "sign",
            "respond",
            "handle",
            "reply",
            "review_reply",
            "record_callback",
            "archive"
        ]
    );
    let versions: Vec<i64> = shown.history.iter().map(|e| e.version).collect();
    assert_eq!(versions, (1..=9).collect::<Vec<_>>());
    assert_eq!(shown.version, 9);
    let reviewer = shown.history[6].actor.as_ref().unwrap();
    assert_eq!(
        (reviewer.unit.as_str(), reviewer.person.as_str()),
        ("centre", "reviewer-2")
    );
    assert_eq!(shown.history[3].reason, "已电话联系王女士");

    // The rates see the closed loop: yesterday and today, in Beijing days.
    use hotline::domain::rates_ledger::{day_start, local_day};
    let today = day_start(local_day(chrono::Utc::now())).timestamp();
    let rates = server
        .report()
        .get_rates(proto::GetRatesRequest {
            from: Some(prost_types::Timestamp {
                seconds: today - 86_400,
                nanos: 0,
            }),
            to: Some(prost_types::Timestamp {
                seconds: today + 86_400,
                nanos: 0,
            }),
            group_by: proto::RateGrouping::Unit as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let row = rates
        .rows
        .iter()
        .find(|r| r.key == m)
        .expect("a row for the unit");
    assert_eq!(
        (
            row.dispatched,
            row.responded_in_time,
            row.callbacks_in_scope,
            row.satisfied
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(row.satisfaction_rate, Some(1.0));

    // And the counters reached /metrics.
    let metrics = server.metrics_text().await;
    assert!(
        metrics.contains("hotline_tickets_created_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hotline_transitions_total{command=\"sign\"}"),
        "{metrics}"
    );
    server.stop().await;
}

async fn return_then_reassign_and_rejected_return(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut intake = server.intake();
    let mut unit = server.dispatch();
    let mut centre = server.center();

    // Dispatched to the tax sub-centre by mistake: it disputes, the centre reassigns.
    let t = server
        .create(new_request("return-1", Some("tax-12366")))
        .await;
    let t = ticket_of(
        unit.r#return(command(&t, "tax-12366", "路灯不属于税务职责"))
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::ReturnRequested);
    assert_eq!(t.return_count, 1);
    let t = ticket_of(
        centre
            .review_return(proto::ReviewReturnRequest {
                ticket_id: t.id,
                expected_version: t.version,
                actor: actor("centre", "dispatcher"),
                approve: true,
                reassign_to: "urban-management".into(),
                co_units: vec!["xuanwu-01".into()],
                reason: "改派城管".into(),
            })
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::Dispatched);
    assert_eq!(t.assigned_unit, "urban-management");
    assert_eq!(t.co_units, ["xuanwu-01"]);
    // The old unit can no longer act on it; the new one signs.
    let denied = unit.sign(command(&t, "tax-12366", "")).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let t = ticket_of(
        unit.sign(command(&t, "urban-management", ""))
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::Signed);

    // A return the centre rejects: the unit keeps the ticket in the state it had.
    let t = ticket_of(
        unit.r#return(command(&t, "urban-management", "不是我们的"))
            .await
            .unwrap(),
    );
    let t = ticket_of(
        centre
            .review_return(proto::ReviewReturnRequest {
                ticket_id: t.id,
                expected_version: t.version,
                actor: actor("centre", "dispatcher"),
                approve: false,
                reason: "路灯维护属城管职责".into(),
                ..Default::default()
            })
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::Signed);
    assert_eq!(t.assigned_unit, "urban-management");

    // Approved without a new unit: back to the centre's manual-dispatch queue.
    let q = server
        .create(new_request("return-2", Some("market-12315")))
        .await;
    let q = ticket_of(
        unit.r#return(command(&q, "market-12315", "非市场监管事项"))
            .await
            .unwrap(),
    );
    let q = ticket_of(
        centre
            .review_return(proto::ReviewReturnRequest {
                ticket_id: q.id,
                expected_version: q.version,
                actor: actor("centre", "dispatcher"),
                approve: true,
                ..Default::default()
            })
            .await
            .unwrap(),
    );
    assert_eq!(state(&q), S::Received);
    assert_eq!(q.assigned_unit, "");
    let queue = intake
        .search_tickets(proto::SearchTicketsRequest {
            states: vec![S::Received as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        queue.tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        [q.id]
    );
    server.stop().await;
}

async fn rework_extension_escalation_and_supervision(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut unit = server.dispatch();
    let mut centre = server.center();
    let street = "xuanwu-01";

    let t = server.create(new_request("rework-1", Some(street))).await;
    let t = ticket_of(unit.sign(command(&t, street, "")).await.unwrap());
    let t = ticket_of(unit.respond(command(&t, street, "")).await.unwrap());

    // Extension: requested, then approved by the centre, pushing the reply deadline.
    let due_before = t.deadlines.as_ref().unwrap().reply_due_at.unwrap();
    let t = ticket_of(
        unit.request_extension(proto::RequestExtensionRequest {
            ticket_id: t.id,
            expected_version: t.version,
            actor: actor(street, "clerk-1"),
            hours: 48,
            working_days: 0,
            reason: "需协调物业和供电部门".into(),
        })
        .await
        .unwrap(),
    );
    assert_eq!(t.pending_extension.as_ref().unwrap().hours, 48);
    let t = ticket_of(
        centre
            .review_extension(proto::ReviewRequest {
                ticket_id: t.id,
                expected_version: t.version,
                actor: actor("centre", "supervisor"),
                approve: true,
                reason: String::new(),
            })
            .await
            .unwrap(),
    );
    let due_after = t.deadlines.as_ref().unwrap().reply_due_at.unwrap();
    assert_eq!(due_after.seconds - due_before.seconds, 48 * 3600);
    assert!(t.pending_extension.is_none());

    // Supervision (督办) flags without changing state.
    let t = ticket_of(
        centre
            .supervise(proto::SuperviseRequest {
                ticket_id: t.id,
                expected_version: t.version,
                actor: actor("centre", "supervisor"),
                supervised: true,
                note: "群众多次反映，列入督办".into(),
            })
            .await
            .unwrap(),
    );
    assert!(t.supervised);
    assert_eq!(state(&t), S::Responded);

    // Reply sent back for rework (重办), then a dissatisfied callback reopens it.
    let t = ticket_of(unit.handle(command(&t, street, "")).await.unwrap());
    let reply = |t: &proto::Ticket| proto::ReplyRequest {
        ticket_id: t.id,
        expected_version: t.version,
        actor: actor(street, "clerk-1"),
        reply: "已联系物业处理".into(),
    };
    let t = ticket_of(unit.reply(reply(&t)).await.unwrap());
    let send_back = |t: &proto::Ticket, approve: bool| proto::ReviewRequest {
        ticket_id: t.id,
        expected_version: t.version,
        actor: actor("centre", "reviewer"),
        approve,
        reason: if approve {
            String::new()
        } else {
            "答复未说明修复时间".into()
        },
    };
    let t = ticket_of(centre.review_reply(send_back(&t, false)).await.unwrap());
    assert_eq!((state(&t), t.rework_count), (S::InProgress, 1));
    let t = ticket_of(unit.reply(reply(&t)).await.unwrap());
    let t = ticket_of(centre.review_reply(send_back(&t, true)).await.unwrap());
    let t = ticket_of(
        server
            .feedback()
            .record_callback(callback(&t, false, proto::Satisfaction::Dissatisfied, true))
            .await
            .unwrap(),
    );
    assert_eq!((state(&t), t.rework_count), (S::InProgress, 2));

    // Escalation (提级): the street hands the ticket to its district.
    let t = ticket_of(
        unit.escalate(command(&t, street, "涉及多个街道，需区级协调"))
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::Dispatched);
    assert_eq!(t.assigned_unit, "xuanwu");
    assert_eq!(t.escalation_level, 1);
    // Notes keep the state.
    let t = ticket_of(
        unit.add_note(command(&t, "xuanwu", "区城管局牵头"))
            .await
            .unwrap(),
    );
    assert_eq!(state(&t), S::Dispatched);
    server.stop().await;
}

async fn merge_transfer_and_refusal_outcomes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut intake = server.intake();

    let parent = server
        .create(new_request("merge-parent", Some("urban-management")))
        .await;
    // A second call about the same lamp, merged at intake.
    let mut repeat = new_request("merge-child", None);
    repeat.disposition = Some(proto::Disposition {
        outcome: Some(proto::disposition::Outcome::Merge(proto::MergeInto {
            parent_id: parent.id,
        })),
    });
    let child = server.create(repeat).await;
    assert_eq!(state(&child), S::Merged);
    assert_eq!(child.merged_into, parent.id);
    // A queued ticket merged later with MergeDuplicate.
    let later = server.create(new_request("merge-later", None)).await;
    let later = ticket_of(
        intake
            .merge_duplicate(proto::MergeDuplicateRequest {
                ticket_id: later.id,
                expected_version: later.version,
                actor: actor("centre", "agent"),
                parent_id: parent.id,
                reason: "同一路灯重复来电".into(),
            })
            .await
            .unwrap(),
    );
    assert_eq!(state(&later), S::Merged);
    // The child follows the parent; the parent lists its children.
    let mut unit = server.dispatch();
    ticket_of(
        unit.sign(command(&parent, "urban-management", ""))
            .await
            .unwrap(),
    );
    let shown = server.get(child.id).await;
    assert_eq!(shown.followed_state, S::Signed as i32);
    let parent_shown = server.get(parent.id).await;
    assert_eq!(parent_shown.merged_children, [child.id, later.id]);

    // Emergency discovered after intake: handed to 120.
    let queued = server.create(new_request("emergency-later", None)).await;
    let moved = ticket_of(
        intake
            .transfer_emergency(proto::TransferEmergencyRequest {
                ticket_id: queued.id,
                expected_version: queued.version,
                actor: actor("centre", "agent"),
                line: proto::EmergencyLine::Medical120 as i32,
                reason: "来电人称老人晕倒".into(),
            })
            .await
            .unwrap(),
    );
    assert_eq!(state(&moved), S::Transferred);

    // Outcomes decided at intake end the loop at once.
    use proto::disposition::Outcome;
    let outcomes = [
        (
            Outcome::AnswerDirectly(proto::AnswerDirectly {
                answer: "办理时间为工作日9:00-17:00".into(),
            }),
            S::Closed,
        ),
        (
            Outcome::EmergencyTransfer(proto::EmergencyTransfer {
                line: proto::EmergencyLine::Fire119 as i32,
            }),
            S::Transferred,
        ),
        (
            Outcome::UtilityTransfer(proto::UtilityTransfer {
                utility: proto::Utility::Water as i32,
            }),
            S::Transferred,
        ),
        (
            Outcome::LegalChannel(proto::LegalChannelReferral {
                channel: proto::LegalChannel::Litigation as i32,
                advice: "您反映的合同纠纷属于民事争议，请依法向人民法院提起诉讼。".into(),
            }),
            S::Refused,
        ),
        (
            Outcome::Explain(proto::Explanation {
                reason: proto::ExplainReason::Privacy as i32,
                explanation: "他人的个人信息依法受保护，热线不能提供。".into(),
            }),
            S::Refused,
        ),
    ];
    for (i, (outcome, expected)) in outcomes.into_iter().enumerate() {
        let mut request = new_request(&format!("outcome-{i}"), None);
        request.disposition = Some(proto::Disposition {
            outcome: Some(outcome),
        });
        let t = server.create(request).await;
        assert_eq!(state(&t), expected, "outcome {i}");
    }
    server.stop().await;
}
