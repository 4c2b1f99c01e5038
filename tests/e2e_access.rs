//! Who may call what, against a real daemon on both backends: every RPC × every kind of
//! caller with the exact status; a unit sees and changes only its own tickets, without
//! learning whether another ticket exists; confidential contacts are masked for those not
//! handling the ticket; every event names its principal; a revoked token is refused.

mod common;

use std::time::Duration;

use common::server::{Backend, TestServer, actor, new_request, pull_desk, ticket_of};
use hotline::auth::client::AuthedChannel;
use hotline::domain::access::Role;
use hotline::proto::{
    self, call_service_client::CallServiceClient, callback_service_client::CallbackServiceClient,
    center_service_client::CenterServiceClient,
    diagnostics_service_client::DiagnosticsServiceClient,
    dispatch_service_client::DispatchServiceClient, feedback_service_client::FeedbackServiceClient,
    intake_service_client::IntakeServiceClient, knowledge_service_client::KnowledgeServiceClient,
    linkage_service_client::LinkageServiceClient, report_service_client::ReportServiceClient,
};
use tonic::{Code, Status};

const OWNER: &str = "market-12315";
const OTHER: &str = "tax-12366";

/// The callers of the matrix, in its column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    NoToken,
    Revoked,
    Agent,
    Owner,
    OtherUnit,
    Centre,
    Admin,
}

const CALLERS: [Caller; 7] = [
    Caller::NoToken,
    Caller::Revoked,
    Caller::Agent,
    Caller::Owner,
    Caller::OtherUnit,
    Caller::Centre,
    Caller::Admin,
];

/// Each RPC and the status each caller gets, in [`CALLERS`] order: U UNAUTHENTICATED,
/// P PERMISSION_DENIED, O OK, A ABORTED (the call passed every access check and reached
/// the version check: commands are sent at a stale version, so the matrix changes nothing).
/// Unit-scoped calls (pulls, watches, reports) ask about the owner's unit.
const MATRIX: &[(&str, &str)] = &[
    ("CreateTicket", "UUOPPPO"),
    ("PreviewClassification", "UUOPPOO"),
    ("GetTicket", "UUOOPOO"),
    ("SearchTickets", "UUOOOOO"),
    ("MergeDuplicate", "UUAPPPA"),
    ("TransferEmergency", "UUAPPPA"),
    ("PullAssigned", "UUPOPPO"),
    ("WatchAssigned", "UUPOPPO"),
    ("Sign", "UUPAPPA"),
    ("Return", "UUPAPPA"),
    ("Respond", "UUPAPPA"),
    ("Handle", "UUPAPPA"),
    ("RequestExtension", "UUPAPPA"),
    ("Escalate", "UUPAPPA"),
    ("Reply", "UUPAPPA"),
    ("AddNote", "UUPAPAA"),
    ("Dispatch", "UUPPPAA"),
    ("ReviewReturn", "UUPPPAA"),
    ("ReviewReply", "UUPPPAA"),
    ("ReviewExtension", "UUPPPAA"),
    ("Supervise", "UUPPPAA"),
    ("ChaseUp", "UUPPPAA"),
    ("Archive", "UUPPPAA"),
    ("ExcludeFromRates", "UUPPPAA"),
    ("ReloadRules", "UUPPPOO"),
    ("RecordCallback", "UUAPPAA"),
    ("GetRates", "UUPOPOO"),
    ("ListOverdue", "UUPOPOO"),
    ("GetSupervisionSummary", "UUPOPOO"),
    ("Echo", "UUPPPPO"),
    ("GetAssessment", "UUPPPOO"),
    // Knowledge: requests that pass the access checks end at validation (I) or at the
    // missing entry (N); a unit acts for itself, so both units get that far.
    ("CreateEntry", "UUPIIII"),
    ("UpdateEntry", "UUPIIII"),
    ("SubmitEntry", "UUPNNNN"),
    ("ApproveEntry", "UUPPPNN"),
    ("RejectEntry", "UUPPPNN"),
    ("RetireEntry", "UUPNNNN"),
    ("ConfirmEntry", "UUPNNNN"),
    ("GetEntry", "UUNNNNN"),
    ("ListEntries", "UUOOOOO"),
    ("SearchEntries", "UUOOOOO"),
    ("ListStale", "UUPOOOO"),
    ("ReportCallLegs", "UUIPPPI"),
    ("GetCallStats", "UUPPPII"),
    ("ListMissedCalls", "UUOPPOO"),
    ("RecordMissedCallback", "UUIPPII"),
    ("PullCallbackTasks", "UUIPPII"),
    ("ReportCallbackAttempt", "UUIPPII"),
    ("ListCallbackTasks", "UUOPPOO"),
    // An empty hand-off id is refused by validation; an unknown one is not found.
    ("AcceptHandOff", "UUPPPII"),
    ("GetHandOffProgress", "UUPPPNN"),
    ("ListHandOffs", "UUPPPOO"),
];

fn code_of(letter: char) -> Code {
    match letter {
        'U' => Code::Unauthenticated,
        'P' => Code::PermissionDenied,
        'O' => Code::Ok,
        'A' => Code::Aborted,
        'I' => Code::InvalidArgument,
        'N' => Code::NotFound,
        other => panic!("unknown matrix letter {other}"),
    }
}

struct Fixture {
    /// Dispatched to OWNER.
    ticket: proto::Ticket,
    /// Another open ticket, the merge parent.
    parent: proto::Ticket,
    channels: Vec<(Caller, AuthedChannel)>,
}

impl Fixture {
    fn channel(&self, caller: Caller) -> AuthedChannel {
        self.channels
            .iter()
            .find(|(c, _)| *c == caller)
            .map(|(_, ch)| ch.clone())
            .expect("a channel per caller")
    }
}

/// Tokens of every role, one revoked (and known revoked by the daemon).
async fn callers(server: &TestServer) -> Vec<(Caller, AuthedChannel)> {
    let agent = server.token("desk-1", Role::Agent).await;
    let owner = server.token("owner", Role::Unit(OWNER.into())).await;
    let other = server.token("other", Role::Unit(OTHER.into())).await;
    let centre = server.token("centre", Role::Centre).await;
    let revoked = server.token("gone", Role::Admin).await;
    server.revoke("gone").await;
    server.refresh_tokens().await;
    vec![
        (Caller::NoToken, server.channel_with(None)),
        (Caller::Revoked, server.channel_with(Some(&revoked))),
        (Caller::Agent, server.channel_with(Some(&agent))),
        (Caller::Owner, server.channel_with(Some(&owner))),
        (Caller::OtherUnit, server.channel_with(Some(&other))),
        (Caller::Centre, server.channel_with(Some(&centre))),
        (Caller::Admin, server.channel.clone()),
    ]
}

async fn fixture(server: &TestServer) -> Fixture {
    let ticket = server.create(new_request("access-1", Some(OWNER))).await;
    let parent = server.create(new_request("access-2", Some(OTHER))).await;
    Fixture {
        ticket,
        parent,
        channels: callers(server).await,
    }
}

/// A unit names no unit (its own is filled in); the others act as the centre.
fn actor_of(caller: Caller) -> Option<proto::Actor> {
    match caller {
        Caller::Owner | Caller::OtherUnit => actor("", "clerk-1"),
        _ => actor("centre", "staff-1"),
    }
}

/// A stale version: a call that passes every access check ends at the version check.
const STALE: i64 = 999;

fn command(f: &Fixture, caller: Caller) -> proto::TicketCommand {
    proto::TicketCommand {
        ticket_id: f.ticket.id,
        expected_version: STALE,
        actor: actor_of(caller),
        reason: "理由".into(),
    }
}

/// A midnight in Beijing (UTC+8) `days` after 2026-03-01.
fn beijing_midnight(days: i64) -> prost_types::Timestamp {
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00").unwrap();
    let at = start + chrono::Duration::days(days);
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

/// Calls `rpc` as `caller`; the answer's status (OK on success).
async fn call(f: &Fixture, caller: Caller, rpc: &str, n: usize) -> Status {
    let ch = f.channel(caller);
    let (id, a) = (f.ticket.id, actor_of(caller));
    let mut intake = IntakeServiceClient::new(ch.clone());
    let mut dispatch = DispatchServiceClient::new(ch.clone());
    let mut centre = CenterServiceClient::new(ch.clone());
    let mut report = ReportServiceClient::new(ch.clone());
    let cmd = command(f, caller);
    fn done<T>(r: Result<tonic::Response<T>, Status>) -> Status {
        match r {
            Ok(_) => Status::ok(""),
            Err(s) => s,
        }
    }
    match rpc {
        "CreateTicket" => done(
            intake
                .create_ticket(new_request(&format!("matrix-{n}"), Some(OWNER)))
                .await,
        ),
        "PreviewClassification" => done(
            intake
                .preview_classification(proto::PreviewClassificationRequest {
                    description: "路灯坏了".into(),
                    ..Default::default()
                })
                .await,
        ),
        "GetTicket" => done(
            intake
                .get_ticket(proto::GetTicketRequest {
                    ticket_id: id,
                    include_history: true,
                })
                .await,
        ),
        "SearchTickets" => done(
            intake
                .search_tickets(proto::SearchTicketsRequest::default())
                .await,
        ),
        "MergeDuplicate" => done(
            intake
                .merge_duplicate(proto::MergeDuplicateRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    parent_id: f.parent.id,
                    reason: "同一诉求".into(),
                })
                .await,
        ),
        "TransferEmergency" => done(
            intake
                .transfer_emergency(proto::TransferEmergencyRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    line: proto::EmergencyLine::Medical120 as i32,
                    reason: "突发疾病".into(),
                })
                .await,
        ),
        "PullAssigned" => done(
            dispatch
                .pull_assigned(proto::PullAssignedRequest {
                    unit: OWNER.into(),
                    worker: format!("worker-{n}"),
                    max_tickets: 1,
                    lease_seconds: 10,
                })
                .await,
        ),
        "WatchAssigned" => {
            let watch = dispatch.watch_assigned(proto::WatchAssignedRequest { unit: OWNER.into() });
            done(
                tokio::time::timeout(Duration::from_secs(10), watch)
                    .await
                    .expect("a watch answers at once"),
            )
        }
        "Sign" => done(dispatch.sign(cmd).await),
        "Return" => done(dispatch.r#return(cmd).await),
        "Respond" => done(dispatch.respond(cmd).await),
        "Handle" => done(dispatch.handle(cmd).await),
        "RequestExtension" => done(
            dispatch
                .request_extension(proto::RequestExtensionRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    hours: 24,
                    reason: "需要现场勘验".into(),
                    working_days: 0,
                })
                .await,
        ),
        "Escalate" => done(dispatch.escalate(cmd).await),
        "Reply" => done(
            dispatch
                .reply(proto::ReplyRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    reply: "已处理".into(),
                })
                .await,
        ),
        "AddNote" => done(dispatch.add_note(cmd).await),
        "Dispatch" => done(
            centre
                .dispatch(proto::DispatchRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    unit: OWNER.into(),
                    co_units: vec![],
                    reason: "改派".into(),
                })
                .await,
        ),
        "ReviewReturn" => done(
            centre
                .review_return(proto::ReviewReturnRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    approve: false,
                    reassign_to: String::new(),
                    co_units: vec![],
                    reason: "不同意".into(),
                })
                .await,
        ),
        "ReviewReply" | "ReviewExtension" => {
            let review = proto::ReviewRequest {
                ticket_id: id,
                expected_version: STALE,
                actor: a,
                approve: true,
                reason: "同意".into(),
            };
            if rpc == "ReviewReply" {
                done(centre.review_reply(review).await)
            } else {
                done(centre.review_extension(review).await)
            }
        }
        "Supervise" => done(
            centre
                .supervise(proto::SuperviseRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    supervised: true,
                    note: "督办".into(),
                })
                .await,
        ),
        "ChaseUp" => done(
            centre
                .chase_up(proto::ChaseUpRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    note: "催办".into(),
                })
                .await,
        ),
        "Archive" => done(
            centre
                .archive(proto::ArchiveRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                })
                .await,
        ),
        "ExcludeFromRates" => done(
            centre
                .exclude_from_rates(proto::ExcludeFromRatesRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    reason: proto::ExclusionReason::Invalid as i32,
                    note: "无效工单".into(),
                })
                .await,
        ),
        "ReloadRules" => done(centre.reload_rules(proto::ReloadRulesRequest {}).await),
        "RecordCallback" => done(
            FeedbackServiceClient::new(ch)
                .record_callback(proto::RecordCallbackRequest {
                    ticket_id: id,
                    expected_version: STALE,
                    actor: a,
                    resolved: true,
                    satisfaction: proto::Satisfaction::Satisfied as i32,
                    reopen: false,
                    note: "满意".into(),
                })
                .await,
        ),
        "GetRates" => done(
            report
                .get_rates(proto::GetRatesRequest {
                    from: Some(beijing_midnight(0)),
                    to: Some(beijing_midnight(1)),
                    unit: OWNER.into(),
                    ..Default::default()
                })
                .await,
        ),
        "ListOverdue" => done(
            report
                .list_overdue(proto::ListOverdueRequest {
                    unit: OWNER.into(),
                    ..Default::default()
                })
                .await,
        ),
        "GetSupervisionSummary" => done(
            report
                .get_supervision_summary(proto::GetSupervisionSummaryRequest { unit: OWNER.into() })
                .await,
        ),
        "Echo" => done(
            DiagnosticsServiceClient::new(ch)
                .echo(proto::EchoRequest {
                    payload: b"ping".to_vec(),
                })
                .await,
        ),
        other => call_operations(ch, caller, other).await,
    }
}

/// The RPCs of the knowledge base, call lines, callbacks and the monthly assessment.
async fn call_operations(ch: AuthedChannel, caller: Caller, rpc: &str) -> Status {
    fn done<T>(r: Result<tonic::Response<T>, Status>) -> Status {
        r.map_or_else(|status| status, |_| Status::ok(""))
    }
    let mut kb = KnowledgeServiceClient::new(ch.clone());
    let mut calls = CallServiceClient::new(ch.clone());
    let mut callbacks = CallbackServiceClient::new(ch.clone());
    const GHOST: i64 = 999_999;
    let entry_command = || proto::EntryCommand {
        entry_id: GHOST,
        expected_version: 1,
        actor: actor_of(caller),
        note: "审核".into(),
    };
    match rpc {
        "GetAssessment" => done(
            ReportServiceClient::new(ch)
                .get_assessment(proto::GetAssessmentRequest {
                    month: "2026-10".into(),
                })
                .await,
        ),
        // No content: refused by validation once the caller may act.
        "CreateEntry" => done(
            kb.create_entry(proto::CreateEntryRequest {
                actor: actor_of(caller),
                content: None,
            })
            .await,
        ),
        "UpdateEntry" => done(
            kb.update_entry(proto::UpdateEntryRequest {
                entry_id: GHOST,
                expected_version: 1,
                actor: actor_of(caller),
                content: None,
                note: String::new(),
            })
            .await,
        ),
        "SubmitEntry" => done(kb.submit_entry(entry_command()).await),
        "ApproveEntry" => done(kb.approve_entry(entry_command()).await),
        "RejectEntry" => done(kb.reject_entry(entry_command()).await),
        "RetireEntry" => done(kb.retire_entry(entry_command()).await),
        "ConfirmEntry" => done(kb.confirm_entry(entry_command()).await),
        "GetEntry" => done(
            kb.get_entry(proto::GetEntryRequest {
                entry_id: GHOST,
                include_history: false,
            })
            .await,
        ),
        "ListEntries" => done(kb.list_entries(proto::ListEntriesRequest::default()).await),
        "SearchEntries" => done(
            kb.search_entries(proto::SearchEntriesRequest {
                query: "社保卡丢了怎么补办".into(),
                limit: 3,
                ..Default::default()
            })
            .await,
        ),
        "ListStale" => done(kb.list_stale(proto::ListStaleRequest::default()).await),
        // No legs: refused by validation once the caller may report.
        "ReportCallLegs" => done(
            calls
                .report_call_legs(proto::ReportCallLegsRequest { legs: vec![] })
                .await,
        ),
        // No period.
        "GetCallStats" => done(
            calls
                .get_call_stats(proto::GetCallStatsRequest::default())
                .await,
        ),
        "ListMissedCalls" => done(
            calls
                .list_missed_calls(proto::ListMissedCallsRequest::default())
                .await,
        ),
        // No leg id.
        "RecordMissedCallback" => done(
            calls
                .record_missed_callback(proto::RecordMissedCallbackRequest::default())
                .await,
        ),
        // No channel.
        "PullCallbackTasks" => done(
            callbacks
                .pull_callback_tasks(proto::PullCallbackTasksRequest::default())
                .await,
        ),
        // No ticket.
        "ReportCallbackAttempt" => done(
            callbacks
                .report_callback_attempt(proto::ReportCallbackAttemptRequest::default())
                .await,
        ),
        "ListCallbackTasks" => done(
            callbacks
                .list_callback_tasks(proto::ListCallbackTasksRequest::default())
                .await,
        ),
        "AcceptHandOff" => done(
            LinkageServiceClient::new(ch)
                .accept_hand_off(proto::AcceptHandOffRequest::default())
                .await,
        ),
        "GetHandOffProgress" => done(
            LinkageServiceClient::new(ch)
                .get_hand_off_progress(proto::GetHandOffProgressRequest {
                    hand_off_id: "nanjing:1:1".into(),
                })
                .await,
        ),
        "ListHandOffs" => done(
            LinkageServiceClient::new(ch)
                .list_hand_offs(proto::ListHandOffsRequest::default())
                .await,
        ),
        other => panic!("no call for {other}"),
    }
}

async fn every_rpc_answers_every_caller_as_the_matrix_says(backend: Backend) {
    let server = TestServer::start(backend).await;
    let f = fixture(&server).await;
    // The matrix covers the whole API.
    assert_eq!(MATRIX.len(), hotline::domain::access::MATRIX.len());
    let mut wrong = Vec::new();
    let mut n = 0;
    for (rpc, row) in MATRIX {
        assert_eq!(row.len(), CALLERS.len(), "{rpc}");
        for (caller, letter) in CALLERS.iter().zip(row.chars()) {
            n += 1;
            let status = call(&f, *caller, rpc, n).await;
            if status.code() != code_of(letter) {
                wrong.push(format!(
                    "{rpc} as {caller:?}: {:?} `{}`, wanted {:?}",
                    status.code(),
                    status.message(),
                    code_of(letter)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    server.stop().await;
}

/// No token, a revoked one and a made-up one read the same: no hint which it was.
async fn bad_credentials_are_refused_alike(backend: Backend) {
    let server = TestServer::start(backend).await;
    let f = fixture(&server).await;
    let get = |ch: AuthedChannel| async move {
        IntakeServiceClient::new(ch)
            .get_ticket(proto::GetTicketRequest {
                ticket_id: 1,
                include_history: false,
            })
            .await
            .unwrap_err()
    };
    let none = get(f.channel(Caller::NoToken)).await;
    let revoked = get(f.channel(Caller::Revoked)).await;
    let made_up = get(server.channel_with(Some("hl_not-a-token"))).await;
    for status in [&none, &revoked, &made_up] {
        assert_eq!(status.code(), Code::Unauthenticated);
        assert_eq!(status.message(), none.message());
    }
    server.stop().await;
}

async fn a_unit_sees_and_changes_only_its_own_tickets(backend: Backend) {
    let server = TestServer::start(backend).await;
    let f = fixture(&server).await;
    let mut other = IntakeServiceClient::new(f.channel(Caller::OtherUnit));
    let get = |ticket_id| proto::GetTicketRequest {
        ticket_id,
        include_history: true,
    };
    // Another unit's ticket and no ticket at all: the same refusal.
    let foreign = other.get_ticket(get(f.ticket.id)).await.unwrap_err();
    let missing = other.get_ticket(get(f.ticket.id + 1000)).await.unwrap_err();
    assert_eq!(foreign.code(), Code::PermissionDenied);
    assert_eq!(missing.code(), Code::PermissionDenied);
    assert_eq!(
        foreign
            .message()
            .replace(&format!("ticket {} ", f.ticket.id), "ticket N "),
        missing
            .message()
            .replace(&format!("ticket {} ", f.ticket.id + 1000), "ticket N "),
    );
    // The owner (lead unit) sees it; an admin gets NOT_FOUND for a missing one.
    let mut owner = IntakeServiceClient::new(f.channel(Caller::Owner));
    assert_eq!(
        ticket_of(owner.get_ticket(get(f.ticket.id)).await.unwrap()).id,
        f.ticket.id
    );
    let admin_missing = server
        .intake()
        .get_ticket(get(f.ticket.id + 1000))
        .await
        .unwrap_err();
    assert_eq!(admin_missing.code(), Code::NotFound);

    // Search: a unit's own desk only; asking for another's is refused.
    let mine = owner
        .search_tickets(proto::SearchTicketsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tickets;
    assert_eq!(
        mine.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![f.ticket.id]
    );
    let theirs = other
        .search_tickets(proto::SearchTicketsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tickets;
    assert_eq!(
        theirs.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![f.parent.id]
    );
    let nosy = owner
        .search_tickets(proto::SearchTicketsRequest {
            assigned_unit: OTHER.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(nosy.code(), Code::PermissionDenied);

    // Pulls: its own desk, named or not; never another's.
    let mut other_desk = DispatchServiceClient::new(f.channel(Caller::OtherUnit));
    let pull = |unit: &str| proto::PullAssignedRequest {
        unit: unit.into(),
        worker: "w".into(),
        max_tickets: 10,
        lease_seconds: 10,
    };
    let refused = other_desk.pull_assigned(pull(OWNER)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let pulled = other_desk
        .pull_assigned(pull(""))
        .await
        .unwrap()
        .into_inner()
        .tickets;
    assert_eq!(
        pulled.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![f.parent.id]
    );

    // Acting for another unit is refused; an empty actor.unit is the token's own unit.
    let mut owner_desk = DispatchServiceClient::new(f.channel(Caller::Owner));
    let mut as_other = common::server::command(&f.ticket, OTHER, "");
    as_other.actor = actor(OTHER, "clerk-1");
    let e = owner_desk.sign(as_other).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let signed = ticket_of(
        owner_desk
            .sign(proto::TicketCommand {
                ticket_id: f.ticket.id,
                expected_version: f.ticket.version,
                actor: actor("", "clerk-1"),
                reason: String::new(),
            })
            .await
            .unwrap(),
    );
    assert_eq!(signed.state, proto::TicketState::Signed as i32);
    // A unit's command on a ticket not its own: refused before its version is read.
    let e = other_desk
        .respond(common::server::command(&signed, "", "已联系"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // Every event names its principal: the admin token created it, the owner signed it.
    let history = server.get(f.ticket.id).await.history;
    let by: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|e| {
            (
                e.command.as_str(),
                e.actor.as_ref().unwrap().unit.as_str(),
                e.principal.as_str(),
            )
        })
        .collect();
    assert_eq!(
        by,
        vec![
            ("create", "centre", "token:test-admin"),
            ("dispatch", "centre", "token:test-admin"),
            ("sign", OWNER, "token:owner"),
        ]
    );
    server.stop().await;
}

async fn confidential_contacts_are_shown_only_to_the_centre_and_the_handling_unit(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let f = fixture(&server).await;
    let mut request = new_request("secret-1", Some(OWNER));
    let requester = request.requester.as_mut().unwrap();
    requester.confidential = true;
    requester.id_number = "11010519491231002X".into();
    let secret = server.create(request).await;
    let get = |ch: AuthedChannel| async move {
        ticket_of(
            IntakeServiceClient::new(ch)
                .get_ticket(proto::GetTicketRequest {
                    ticket_id: secret.id,
                    include_history: false,
                })
                .await
                .unwrap(),
        )
        .requester
        .unwrap()
    };
    let full = proto::Requester {
        name: "王女士".into(),
        phone: "13800138000".into(),
        id_number: "11010519491231002X".into(),
        confidential: true,
    };
    let masked = proto::Requester {
        name: "王**".into(),
        phone: "138******00".into(),
        id_number: "110*************2X".into(),
        confidential: true,
    };
    assert_eq!(get(f.channel(Caller::Agent)).await, masked);
    for caller in [Caller::Owner, Caller::Centre, Caller::Admin] {
        assert_eq!(get(f.channel(caller)).await, full, "{caller:?}");
    }
    // In search results too, and on the owner's pulls.
    let found = IntakeServiceClient::new(f.channel(Caller::Agent))
        .search_tickets(proto::SearchTicketsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tickets;
    let shown = found.iter().find(|t| t.id == secret.id).unwrap();
    assert_eq!(shown.requester.as_ref().unwrap(), &masked);
    // An open (not confidential) requester is shown to agents as given.
    let open = found.iter().find(|t| t.id == f.ticket.id).unwrap();
    assert_eq!(open.requester.as_ref().unwrap().phone, "13800138000");
    let pulled = pull_desk(f.channel(Caller::Owner), "", "w", 10).await;
    let pulled = pulled.iter().find(|t| t.id == secret.id).unwrap();
    assert_eq!(pulled.requester.as_ref().unwrap(), &full);
    server.stop().await;
}

async fn a_revoked_token_is_refused_within_the_refresh_interval(backend: Backend) {
    let options = common::server::Options {
        auth: hotline::auth::AuthConfig {
            refresh: Duration::from_millis(300),
            ..Default::default()
        },
        ..Default::default()
    };
    let server = TestServer::start_with(backend, options).await;
    let token = server.token("short-lived", Role::Centre).await;
    let mut report = ReportServiceClient::new(server.channel_with(Some(&token)));
    let summary = proto::GetSupervisionSummaryRequest::default();
    report
        .get_supervision_summary(summary.clone())
        .await
        .unwrap();
    // Revoked in the database only: the daemon's own refresh must notice.
    server.revoke("short-lived").await;
    let started = std::time::Instant::now();
    loop {
        match report.get_supervision_summary(summary.clone()).await {
            Err(e) if e.code() == Code::Unauthenticated => break,
            Ok(_) if started.elapsed() < Duration::from_secs(3) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!(
                "still served {:?} after revocation: {other:?}",
                started.elapsed()
            ),
        }
    }
    server.stop().await;
}

on_both_backends!(
    every_rpc_answers_every_caller_as_the_matrix_says,
    bad_credentials_are_refused_alike,
    a_unit_sees_and_changes_only_its_own_tickets,
    confidential_contacts_are_shown_only_to_the_centre_and_the_handling_unit,
    a_revoked_token_is_refused_within_the_refresh_interval,
);

/// Health and reflection are open by default and closed on request; `--auth none` lets
/// everyone in as an admin and says so on every event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_endpoints_and_auth_none() {
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let health = |ch: tonic::transport::Channel| async move {
        HealthClient::new(ch)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
    };
    let open = TestServer::start(Backend::Sqlite).await;
    assert!(health(open.bare.clone()).await.is_ok());

    assert!(scrape(&open, None).await.starts_with("HTTP/1.1 200"));
    open.stop().await;

    let closed = TestServer::start_with(
        Backend::Sqlite,
        common::server::Options {
            auth: hotline::auth::AuthConfig {
                health_needs_token: true,
                reflection_needs_token: true,
                metrics_needs_token: true,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    let e = health(closed.bare.clone()).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    assert!(
        HealthClient::new(closed.channel.clone())
            .check(HealthCheckRequest::default())
            .await
            .is_ok()
    );
    // /metrics: a centre or admin token; none (or a bad one) is 401, another role 403.
    let agent = closed.token("scraper-agent", Role::Agent).await;
    let centre = closed.token("scraper", Role::Centre).await;
    assert!(scrape(&closed, None).await.starts_with("HTTP/1.1 401"));
    assert!(
        scrape(&closed, Some("hl_nope"))
            .await
            .starts_with("HTTP/1.1 401")
    );
    assert!(
        scrape(&closed, Some(&agent))
            .await
            .starts_with("HTTP/1.1 403")
    );
    let shown = scrape(&closed, Some(&centre)).await;
    assert!(
        shown.starts_with("HTTP/1.1 200") && shown.contains("hotline_"),
        "{shown}"
    );
    closed.stop().await;

    let anyone = TestServer::start_with(
        Backend::Sqlite,
        common::server::Options {
            auth: hotline::auth::AuthConfig {
                mode: hotline::auth::AuthMode::None,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    let mut intake = IntakeServiceClient::new(anyone.channel_with(None));
    let created = intake
        .create_ticket(new_request("anyone-1", Some(OWNER)))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    let history = anyone.get(created.id).await.history;
    assert!(
        history.iter().all(|e| e.principal == "auth:none"),
        "{history:?}"
    );
    anyone.stop().await;
}

/// GET /metrics, with a bearer token if given; the raw HTTP answer.
async fn scrape(server: &TestServer, token: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.metrics_addr())
        .await
        .unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET /metrics HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}
