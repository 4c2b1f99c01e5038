//! Automatic intake over real gRPC, on both backends: CreateTicket without a disposition is
//! classified and routed by the shipped rules, an agent's override needs a reason and is
//! recorded, PreviewClassification creates nothing, repeats are merged, and the rules
//! reload (RPC, file watch) as one generation or not at all.

mod common;

use std::time::Duration;

use common::server::{Backend, Options, TestServer, new_request, state};
use hotline::proto::{self, TicketState as S};
use hotline::rules::RulePaths;
use tonic::Code;

on_both_backends!(
    dispatch_refusal_and_street_copy_are_automatic,
    an_override_needs_a_reason_and_is_recorded,
    preview_explains_and_creates_nothing,
    a_repeat_is_merged_into_the_open_ticket,
);

/// A request as a console sends it when the agent leaves the decision to the rules.
fn automatic(
    request_id: &str,
    title: &str,
    description: &str,
    region: &str,
) -> proto::CreateTicketRequest {
    proto::CreateTicketRequest {
        request_type: 0,
        policy_domain: 0,
        category: String::new(),
        urgency: 0,
        title: title.into(),
        description: description.into(),
        region: region.into(),
        disposition: None,
        override_reason: String::new(),
        answered_with_entry: 0,
        ..new_request(request_id, None)
    }
}

fn create_event(ticket: &proto::Ticket) -> serde_json::Value {
    let event = ticket
        .history
        .iter()
        .find(|e| e.command == "create")
        .expect("a create event");
    serde_json::from_str(&event.details_json).expect("details are JSON")
}

async fn dispatch_refusal_and_street_copy_are_automatic(backend: Backend) {
    let server = TestServer::start(backend).await;

    let taxi = server
        .create(automatic(
            "auto-taxi",
            "出租车拒载",
            "昨晚在南京南站打车，出租车司机听说去江宁就拒载，还说要加价五十块，请交通部门查处。",
            "320102",
        ))
        .await;
    assert_eq!(state(&taxi), S::Dispatched, "{taxi:?}");
    assert_eq!(taxi.assigned_unit, "transport-12328");
    assert_eq!(taxi.category, "transport");
    assert_eq!(taxi.topic, "taxi_ride_hailing");
    let details = create_event(&server.get(taxi.id).await);
    assert_eq!(details["triage"]["outcome"], "dispatch");
    assert!(
        details["triage"]["rules_version"]
            .as_str()
            .is_some_and(|v| v.contains('+')),
        "the rule-set version is on the event: {details}"
    );

    let lawsuit = server
        .create(automatic(
            "auto-lawsuit",
            "",
            "我想起诉装修公司，合同纠纷，请问到哪个法院立案？",
            "",
        ))
        .await;
    assert_eq!(state(&lawsuit), S::Refused);
    match lawsuit.disposition.and_then(|d| d.outcome) {
        Some(proto::disposition::Outcome::LegalChannel(l)) => {
            assert_eq!(l.channel, proto::LegalChannel::Litigation as i32);
            assert!(!l.advice.is_empty(), "the agent has a sentence to read");
        }
        other => panic!("expected a legal-channel referral, got {other:?}"),
    }

    let property = server
        .create(automatic(
            "auto-property",
            "物业不管电梯",
            "我们小区的物业公司收了物业费不办事，电梯坏了一个月没人修，业主多次找物业都推脱。",
            "320102001",
        ))
        .await;
    assert_eq!(state(&property), S::Dispatched, "{property:?}");
    assert_eq!(
        property.assigned_unit, "xuanwu-01",
        "a territorial matter goes to the street"
    );
    assert_eq!(
        property.copy_to,
        vec!["xuanwu".to_string()],
        "and is copied to its district"
    );
    server.stop().await;
}

async fn an_override_needs_a_reason_and_is_recorded(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut request = automatic(
        "override-1",
        "出租车拒载",
        "出租车司机拒载，还骂人，车牌苏A12345。",
        "320102",
    );
    request.disposition = Some(proto::Disposition {
        outcome: Some(proto::disposition::Outcome::Dispatch(proto::DispatchTo {
            unit: "public-security".into(),
            ..Default::default()
        })),
    });
    let refused = server
        .intake()
        .create_ticket(request.clone())
        .await
        .expect_err("an unexplained override is refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("override_reason"),
        "{}",
        refused.message()
    );
    assert!(
        refused.message().contains("transport-12328"),
        "{}",
        refused.message()
    );
    assert_eq!(server.ticket_count().await, 0, "nothing half-written");

    request.override_reason = "司机辱骂乘客，涉及治安，先由公安处理".into();
    let ticket = server.create(request).await;
    assert_eq!(ticket.assigned_unit, "public-security");
    let history = server.get(ticket.id).await;
    let created = history
        .history
        .iter()
        .find(|e| e.command == "create")
        .unwrap();
    assert_eq!(created.reason, "司机辱骂乘客，涉及治安，先由公安处理");
    let details: serde_json::Value = serde_json::from_str(&created.details_json).unwrap();
    assert_eq!(
        details["triage"]["overridden"]["proposed_target"],
        "transport-12328"
    );
    server.stop().await;
}

async fn preview_explains_and_creates_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let preview = server
        .intake()
        .preview_classification(proto::PreviewClassificationRequest {
            title: String::new(),
            description: "不是要打官司，就想问问公司拖欠我三个月工资该找谁。".into(),
            line: "12345".into(),
            region: "320102".into(),
            requester: None,
        })
        .await
        .expect("preview")
        .into_inner();
    let c = preview.classification.expect("classification");
    assert_eq!(
        c.outcome, "dispatch",
        "a negated mention does not refuse: {c:?}"
    );
    assert_eq!(c.topic, "wage_arrears");
    assert_eq!(c.target, "hrss-12333");
    let litigation = c
        .matches
        .iter()
        .find(|m| m.family == "legal_channel")
        .expect("the suppressed rule is still explained");
    assert!(!litigation.suppressed.is_empty(), "{litigation:?}");
    let text: Vec<char> = "不是要打官司，就想问问公司拖欠我三个月工资该找谁。"
        .chars()
        .collect();
    let span: String = text[litigation.start as usize..litigation.end as usize]
        .iter()
        .collect();
    assert_eq!(span, litigation.text, "spans point into the original text");
    assert_eq!(preview.routing.expect("routing").lead, "hrss-12333");
    assert_eq!(server.ticket_count().await, 0);

    let bad = server
        .intake()
        .preview_classification(proto::PreviewClassificationRequest {
            description: String::new(),
            ..Default::default()
        })
        .await
        .expect_err("an empty text is refused");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("description"), "{}", bad.message());
    server.stop().await;
}

async fn a_repeat_is_merged_into_the_open_ticket(backend: Backend) {
    let server = TestServer::start(backend).await;
    let first = server
        .create(automatic(
            "repeat-1",
            "工地夜间施工",
            "小区旁边工地每天晚上十一点以后还在打桩施工，噪音很大，孩子没法睡觉。",
            "320102",
        ))
        .await;
    assert_eq!(state(&first), S::Dispatched, "{first:?}");
    let again = server
        .create(automatic(
            "repeat-2",
            "催办：工地夜间施工",
            "我上周已经反映过工地晚上施工噪音的问题，到现在还没人处理，今晚又在打桩。",
            "320102",
        ))
        .await;
    assert_eq!(state(&again), S::Merged, "{again:?}");
    assert_eq!(again.merged_into, first.id);

    // Another requester's identical words open a ticket of their own.
    let mut stranger = automatic(
        "repeat-3",
        "催办：工地夜间施工",
        "我上周已经反映过工地晚上施工噪音的问题，到现在还没人处理，今晚又在打桩。",
        "320102",
    );
    stranger.requester.as_mut().unwrap().phone = "13900139000".into();
    let own = server.create(stranger).await;
    assert_ne!(state(&own), S::Merged);
    server.stop().await;
}

/// Copies the shipped rule files into a temp dir the test may edit.
fn editable_rules() -> (tempfile::TempDir, RulePaths) {
    let dir = tempfile::tempdir().unwrap();
    let copy = |name: &str| {
        let to = dir.path().join(name);
        std::fs::copy(format!("config/{name}"), &to).unwrap();
        to
    };
    let paths = RulePaths {
        units: Some(copy("units.toml")),
        rules: Some(copy("rules.toml")),
        routing: Some(copy("routing.toml")),
        ..Default::default()
    };
    (dir, paths)
}

async fn rules_version(server: &TestServer) -> String {
    server
        .intake()
        .preview_classification(proto::PreviewClassificationRequest {
            description: "请问公积金怎么提取？".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .classification
        .unwrap()
        .rules_version
}

/// Replaces the `version = "…"` line of a rules file.
fn set_version(path: &std::path::Path, version: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("version") {
                format!("version = \"{version}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(path, edited.join("\n") + "\n").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_rpc_swaps_good_rules_and_keeps_old_ones_on_error() {
    let (_dir, paths) = editable_rules();
    let rules = paths.rules.clone().unwrap();
    let routing = paths.routing.clone().unwrap();
    let server = TestServer::start_with(
        Backend::Sqlite,
        Options {
            rule_paths: paths,
            ..Default::default()
        },
    )
    .await;
    let before = rules_version(&server).await;

    set_version(&rules, "reload-test-2");
    let reloaded = server
        .center()
        .reload_rules(proto::ReloadRulesRequest {})
        .await
        .expect("a good file reloads")
        .into_inner();
    let file = reloaded.files.iter().find(|f| f.name == "rules").unwrap();
    assert!(file.version.starts_with("reload-test-2+"), "{file:?}");
    assert_ne!(rules_version(&server).await, before);
    let good = rules_version(&server).await;

    // A routing file naming a unit that does not exist: refused with file, line and key,
    // and nothing changes — not even the rules file that was fine.
    set_version(&rules, "reload-test-3");
    let text = std::fs::read_to_string(&routing).unwrap();
    let broken = text.replacen("\"transport-12328\"", "\"no-such-unit\"", 1);
    assert_ne!(text, broken, "the catalogue names transport-12328");
    std::fs::write(&routing, broken).unwrap();
    let refused = server
        .center()
        .reload_rules(proto::ReloadRulesRequest {})
        .await
        .expect_err("a bad file is refused");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("routing.toml:"),
        "{}",
        refused.message()
    );
    assert!(
        refused.message().contains("no-such-unit"),
        "{}",
        refused.message()
    );
    assert_eq!(
        rules_version(&server).await,
        good,
        "the previous generation stays"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_rules_file_is_picked_up_by_the_watch() {
    let (_dir, paths) = editable_rules();
    let rules = paths.rules.clone().unwrap();
    let server = TestServer::start_with(
        Backend::Sqlite,
        Options {
            rule_paths: paths,
            watch_rules: true,
            ..Default::default()
        },
    )
    .await;
    set_version(&rules, "watched-2");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if rules_version(&server).await.starts_with("watched-2+") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the watch never reloaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}
