//! The knowledge base over real gRPC, on both backends: a unit writes an entry, the centre
//! approves it, agents find it in Chinese (traditional, reworded), the preview of a
//! consultation offers it, a ticket is closed answered with it and cites it; units keep
//! to their own entries; stale entries are listed. The CSV round trip runs the CLI.

mod common;

use common::cli::{hotline, hotline_as, text};
use common::server::{Backend, TestServer, actor, new_request};
use hotline::proto::{self, TicketState as S};
use tonic::Code;

on_both_backends!(
    an_approved_entry_is_found_offered_and_cited,
    units_keep_to_their_own_entries,
    expired_entries_are_listed_as_stale,
);

fn content(question: &str, answer: &str, owner: &str) -> proto::EntryContent {
    proto::EntryContent {
        question: question.into(),
        answer: answer.into(),
        keywords: vec!["社保卡".into(), "补办".into(), "挂失".into()],
        category: "labour_social_security".into(),
        topic: "social_insurance".into(),
        region: String::new(),
        owner_unit: owner.into(),
        valid_from: String::new(),
        valid_until: String::new(),
    }
}

fn command(entry: &proto::Entry, unit: &str, note: &str) -> proto::EntryCommand {
    proto::EntryCommand {
        entry_id: entry.id,
        expected_version: entry.version,
        actor: actor(unit, "kb-staff"),
        note: note.into(),
    }
}

async fn create(server: &TestServer, content: proto::EntryContent, unit: &str) -> proto::Entry {
    server
        .knowledge()
        .create_entry(proto::CreateEntryRequest {
            actor: actor(unit, "kb-staff"),
            content: Some(content),
        })
        .await
        .expect("create entry")
        .into_inner()
        .entry
        .expect("entry")
}

async fn publish(server: &TestServer, entry: &proto::Entry) -> proto::Entry {
    let owner = entry.content.as_ref().unwrap().owner_unit.clone();
    let mut kb = server.knowledge();
    let pending = kb
        .submit_entry(command(entry, &owner, ""))
        .await
        .expect("submit")
        .into_inner()
        .entry
        .unwrap();
    kb.approve_entry(command(&pending, "centre", "核实无误"))
        .await
        .expect("approve")
        .into_inner()
        .entry
        .unwrap()
}

async fn search(server: &TestServer, query: &str) -> Vec<proto::EntryHit> {
    server
        .knowledge()
        .search_entries(proto::SearchEntriesRequest {
            query: query.into(),
            region: "320102001".into(),
            category: String::new(),
            limit: 3,
        })
        .await
        .expect("search")
        .into_inner()
        .hits
}

/// A consultation as a console sends it, answered with `entry`.
fn consultation(request_id: &str, entry: i64) -> proto::CreateTicketRequest {
    proto::CreateTicketRequest {
        request_type: 0,
        policy_domain: 0,
        category: String::new(),
        urgency: 0,
        title: String::new(),
        description: "请问社保卡丢了怎么补办？".into(),
        disposition: None,
        override_reason: String::new(),
        answered_with_entry: entry,
        ..new_request(request_id, None)
    }
}

async fn an_approved_entry_is_found_offered_and_cited(backend: Backend) {
    let server = TestServer::start(backend).await;
    let answer = "携带身份证到任一社保卡服务网点办理挂失补办。";
    let draft = create(
        &server,
        content("社保卡丢了怎么补办？", answer, "hrss-12333"),
        "hrss-12333",
    )
    .await;
    assert_eq!(draft.status, proto::EntryStatus::Draft as i32);
    assert!(
        search(&server, "社保卡补办").await.is_empty(),
        "drafts are not searchable"
    );

    let published = publish(&server, &draft).await;
    assert_eq!(
        (
            published.status,
            published.version,
            published.published_version
        ),
        (proto::EntryStatus::Published as i32, 3, 3)
    );
    // Traditional characters and other words than the entry's.
    let hits = search(&server, "社保卡不見了要怎麼補辦").await;
    assert_eq!(hits.first().map(|h| h.entry_id), Some(draft.id), "{hits:?}");
    assert!(hits[0].snippet.contains('【'), "{:?}", hits[0].snippet);

    let preview = server
        .intake()
        .preview_classification(proto::PreviewClassificationRequest {
            title: String::new(),
            description: "请问社保卡丢了怎么补办？".into(),
            line: "12345".into(),
            region: "320102001".into(),
            requester: None,
        })
        .await
        .expect("preview")
        .into_inner();
    let c = preview.classification.unwrap();
    assert_eq!(
        c.request_type,
        proto::RequestType::Consultation as i32,
        "{c:?}"
    );
    assert_eq!(
        preview.knowledge.first().map(|h| h.entry_id),
        Some(draft.id)
    );

    let ticket = server
        .intake()
        .create_ticket(consultation("kb-answer-1", draft.id))
        .await
        .expect("answered with the entry")
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(ticket.state, S::Closed as i32);
    assert_eq!(ticket.reply, answer);
    let cited = proto::KnowledgeCitation {
        entry_id: draft.id,
        version: 3,
    };
    assert_eq!(ticket.answered_with, Some(cited));
    let shown = server
        .intake()
        .get_ticket(proto::GetTicketRequest {
            ticket_id: ticket.id,
            include_history: true,
        })
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(shown.answered_with, Some(cited));
    let closing = shown.history.last().unwrap();
    assert_eq!(closing.command, "answer_directly");
    let details: serde_json::Value = serde_json::from_str(&closing.details_json).unwrap();
    assert_eq!(details["answered_with"]["entry_id"], draft.id);
    assert_eq!(details["answered_with"]["version"], 3);

    // Refusals name the field, with the precise code.
    let mut intake = server.intake();
    let complaint = proto::CreateTicketRequest {
        description: "投诉社保卡服务网点工作人员态度恶劣，办理补卡推诿。".into(),
        request_type: proto::RequestType::Complaint as i32,
        ..consultation("kb-answer-2", draft.id)
    };
    let refused = intake.create_ticket(complaint).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().starts_with("answered_with_entry"),
        "{refused:?}"
    );
    let unknown = intake
        .create_ticket(consultation("kb-answer-3", 999_999))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    let other = create(
        &server,
        content("社保卡密码忘了怎么办？", "到网点重置。", "hrss-12333"),
        "hrss-12333",
    )
    .await;
    let unpublished = intake
        .create_ticket(consultation("kb-answer-4", other.id))
        .await
        .unwrap_err();
    assert_eq!(
        unpublished.code(),
        Code::FailedPrecondition,
        "{unpublished:?}"
    );
    let with_disposition = proto::CreateTicketRequest {
        disposition: new_request("x", Some("hrss-12333")).disposition,
        override_reason: "坚持派单".into(),
        ..consultation("kb-answer-5", draft.id)
    };
    let both = intake.create_ticket(with_disposition).await.unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument, "{both:?}");
    assert!(
        both.message().starts_with("answered_with_entry"),
        "{both:?}"
    );

    let entry = server
        .knowledge()
        .get_entry(proto::GetEntryRequest {
            entry_id: draft.id,
            include_history: true,
        })
        .await
        .unwrap()
        .into_inner()
        .entry
        .unwrap();
    let actions: Vec<&str> = entry.history.iter().map(|v| v.action.as_str()).collect();
    assert_eq!(actions, ["create", "submit", "approve"]);
    assert_eq!(entry.history[2].note, "核实无误");

    // Retired: no longer found, no longer cited.
    server
        .knowledge()
        .retire_entry(command(&published, "hrss-12333", "政策调整"))
        .await
        .expect("retire");
    assert!(search(&server, "社保卡补办").await.is_empty());
    let retired = intake
        .create_ticket(consultation("kb-answer-6", draft.id))
        .await
        .unwrap_err();
    assert_eq!(retired.code(), Code::FailedPrecondition, "{retired:?}");
}

async fn units_keep_to_their_own_entries(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut kb = server.knowledge();
    let refused = kb
        .create_entry(proto::CreateEntryRequest {
            actor: actor("market-12315", "kb-staff"),
            content: Some(content("社保卡怎么补办", "答复", "hrss-12333")),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    let entry = create(
        &server,
        content("社保卡怎么补办", "答复", "hrss-12333"),
        "hrss-12333",
    )
    .await;
    let edit = kb
        .update_entry(proto::UpdateEntryRequest {
            entry_id: entry.id,
            expected_version: entry.version,
            actor: actor("market-12315", "kb-staff"),
            content: Some(content("社保卡怎么补办", "改过的答复", "hrss-12333")),
            note: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(edit.code(), Code::PermissionDenied, "{edit:?}");
    let pending = kb
        .submit_entry(command(&entry, "hrss-12333", ""))
        .await
        .unwrap()
        .into_inner()
        .entry
        .unwrap();
    let self_approval = kb
        .approve_entry(command(&pending, "hrss-12333", ""))
        .await
        .unwrap_err();
    assert_eq!(
        self_approval.code(),
        Code::PermissionDenied,
        "{self_approval:?}"
    );
    let stale_version = kb
        .approve_entry(command(&entry, "centre", ""))
        .await
        .unwrap_err();
    assert_eq!(stale_version.code(), Code::Aborted, "{stale_version:?}");
    let blank = kb
        .create_entry(proto::CreateEntryRequest {
            actor: actor("hrss-12333", "kb-staff"),
            content: Some(proto::EntryContent {
                valid_from: "2026-13-01".into(),
                ..content("问", "答", "hrss-12333")
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(blank.code(), Code::InvalidArgument);
    assert!(
        blank.message().starts_with("content.valid_from"),
        "{blank:?}"
    );
    let missing = kb
        .get_entry(proto::GetEntryRequest {
            entry_id: 424_242,
            include_history: false,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

async fn expired_entries_are_listed_as_stale(backend: Backend) {
    let server = TestServer::start(backend).await;
    let old = create(
        &server,
        proto::EntryContent {
            valid_until: "2020-12-31".into(),
            ..content("2020年消费券怎么领？", "活动已结束。", "commerce")
        },
        "commerce",
    )
    .await;
    publish(&server, &old).await;
    let current = create(
        &server,
        content("社保卡怎么补办", "答复", "hrss-12333"),
        "hrss-12333",
    )
    .await;
    publish(&server, &current).await;
    let stale = server
        .knowledge()
        .list_stale(proto::ListStaleRequest {
            owner_unit: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stale.review_every_days, 180);
    let listed: Vec<(i64, &str)> = stale
        .entries
        .iter()
        .map(|e| (e.entry_id, e.reason.as_str()))
        .collect();
    assert_eq!(listed, [(old.id, "expired")]);
    assert!(
        search(&server, "消费券").await.is_empty(),
        "an expired entry answers nobody"
    );
}

/// `hotline kb import` of the shipped file publishes every row; `export` writes them back
/// with the same content; `search` and `stale` print tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_import_and_export_round_trip_through_the_cli() {
    let server = TestServer::start(Backend::Sqlite).await;
    let url = format!("http://{}", server.grpc_addr());
    let token = server.admin_token.clone();
    let run = |args: Vec<String>| {
        let token = token.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            hotline_as(&token, &args)
        })
    };
    let args = |list: &[&str]| -> Vec<String> {
        list.iter()
            .map(|s| s.to_string())
            .chain(["--server".to_string(), url.clone()])
            .collect()
    };
    let out = run(args(&["kb", "import", "config/knowledge.csv", "--publish"]))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("30 entries imported and published, 0 rows failed"),
        "{}",
        text(&out.stdout)
    );

    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("kb.csv");
    let out = run(args(&[
        "kb",
        "export",
        "--output",
        exported.to_str().unwrap(),
    ]))
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shipped = hotline::knowledge::csv_file::read(
        std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/config/knowledge.csv")).unwrap(),
    )
    .unwrap();
    let back = hotline::knowledge::csv_file::read(std::fs::File::open(&exported).unwrap()).unwrap();
    let contents = |rows: Vec<hotline::knowledge::csv_file::ParsedRow>| {
        rows.into_iter()
            .map(|(_, c)| c.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(contents(back), contents(shipped));
    let raw = std::fs::read_to_string(&exported).unwrap();
    assert!(
        raw.starts_with("id,version,status,question,answer"),
        "{raw}"
    );
    assert!(
        raw.lines().nth(1).unwrap().starts_with("1,3,published,"),
        "{raw}"
    );

    let out = run(args(&["kb", "search", "公積金怎麼提取"]))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("住房公积金怎么提取？"),
        "{}",
        text(&out.stdout)
    );

    // A file with bad rows: each is reported by its line, the good ones go in.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "question,answer,category,owner_unit,valid_until\n\
         问题,答复,labour_social_security,hrss-12333,\n\
         问题,答复,no_such_category,hrss-12333,\n\
         问题,答复,labour_social_security,hrss-12333,2026-02-30\n",
    )
    .unwrap();
    let out = run(args(&["kb", "import", bad.to_str().unwrap()]))
        .await
        .unwrap();
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("1 entries imported as drafts, 2 rows failed"),
        "{stdout}"
    );
    assert!(stdout.contains("INVALID_ARGUMENT: category"), "{stdout}");
    assert!(
        stdout.contains("valid_until: `2026-02-30` is not a date"),
        "{stdout}"
    );
    assert!(stdout.contains("│ 3"), "{stdout}");
    assert!(stdout.contains("│ 4"), "{stdout}");

    // The draft that went in (entry 31) walks to publication from the command line.
    let out = run(args(&["kb", "submit", "31", "--as-unit", "hrss-12333"]))
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("entry 31 is pending_approval at version 2"),
        "{}",
        text(&out.stdout)
    );
    let out = run(args(&["kb", "approve", "31", "--as-unit", "hrss-12333"]))
        .await
        .unwrap();
    assert!(!out.status.success(), "only the centre approves");
    assert!(
        text(&out.stderr).contains("PERMISSION_DENIED"),
        "{}",
        text(&out.stderr)
    );
    let out = run(args(&["kb", "approve", "31", "--note", "核实"]))
        .await
        .unwrap();
    assert!(
        text(&out.stdout).contains("entry 31 is published at version 3"),
        "{}",
        text(&out.stdout)
    );

    let out = run(args(&["kb", "stale", "--json"])).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"reviewEveryDays\": 180"),
        "{}",
        text(&out.stdout)
    );
}

/// A replica's index follows changes another replica wrote to the shared database: the
/// refresher rebuilds it when the store's stamp moved, and only then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_refreshes_from_changes_made_elsewhere() {
    use hotline::knowledge::index::SearchQuery;
    use hotline::knowledge::lifecycle::{KbCommand, apply};
    use hotline::service::KnowledgeState;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("kb.db").display());
    let store = hotline::store::open(&url).await.unwrap();
    let units = hotline::config::built_in_units();
    let state = KnowledgeState::default();
    assert!(
        state.refresh(store.as_ref()).await.unwrap(),
        "the first refresh builds"
    );
    assert!(
        !state.refresh(store.as_ref()).await.unwrap(),
        "nothing changed since"
    );

    // "Another replica" writes straight to the database.
    let now = hotline::service::now();
    let who = |unit: &str| hotline::domain::Actor {
        unit: unit.into(),
        person: "p".into(),
    };
    let content = hotline::knowledge::Content {
        question: "居住证怎么办理？".into(),
        answer: "到居住地派出所申领。".into(),
        keywords: vec!["居住证".into()],
        category: "public_security".into(),
        topic: "household_registration".into(),
        region: String::new(),
        owner_unit: "public-security".into(),
        valid_from: None,
        valid_until: None,
    };
    let created = apply(
        None,
        KbCommand::Create { content },
        &who("public-security"),
        &units,
        now,
    )
    .unwrap();
    let mut entry = store
        .create_entry(&created.entry, &created.version)
        .await
        .unwrap();
    for (command, unit) in [
        (
            KbCommand::Submit {
                note: String::new(),
            },
            "public-security",
        ),
        (
            KbCommand::Approve {
                note: String::new(),
            },
            "centre",
        ),
    ] {
        let change = apply(Some(&entry), command, &who(unit), &units, now).unwrap();
        store
            .save_entry(entry.version, &change.entry, &change.version)
            .await
            .unwrap();
        entry = change.entry;
    }
    let query = SearchQuery {
        text: "居住證辦理",
        region: "",
        category: "",
        limit: 5,
    };
    let today = hotline::knowledge::entry::local_day(now);
    assert!(
        state.search(&query, today, &units).unwrap().is_empty(),
        "not seen yet"
    );
    assert!(
        state.refresh(store.as_ref()).await.unwrap(),
        "the stamp moved"
    );
    let hits = state.search(&query, today, &units).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.entry.id).collect::<Vec<_>>(),
        [entry.id]
    );
    store.close().await;
}

#[test]
fn the_knowledge_settings_are_documented_and_bounded() {
    let help = text(&hotline(&["serve", "--help"]).stdout);
    for flag in ["--knowledge-review-days", "--knowledge-refresh-seconds"] {
        assert!(help.contains(flag), "`serve --help` lists {flag}:\n{help}");
    }
    let out = hotline(&["serve", "--knowledge-review-days", "0"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--knowledge-review-days"),
        "{}",
        text(&out.stderr)
    );
    for command in [
        "import", "export", "search", "stale", "show", "submit", "approve", "reject", "retire",
        "confirm",
    ] {
        let out = hotline(&["kb", command, "--help"]);
        assert!(out.status.success(), "kb {command} --help");
    }
}
