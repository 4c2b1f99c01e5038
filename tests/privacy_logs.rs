//! Personal data never leaves the daemon in its log, its /metrics or its error messages:
//! a real `hotline serve` logging at debug (hotline itself at trace) takes creates whose
//! requester fields and description carry a known name, phone and identity number, bad
//! requests whose errors quote those values, and reads of the tickets; then none of the
//! raw values appears anywhere outside the tickets themselves, while their masked forms
//! do (so the log and the messages did talk about them).

mod common;

use common::daemon::{Daemon, Options, TestDb};
use common::server::{Backend, new_request};
use hotline::proto::{
    self, GetTicketRequest, PreviewClassificationRequest, SearchTicketsRequest,
    intake_service_client::IntakeServiceClient,
};
use tonic::Code;

on_both_backends!(personal_data_stays_out_of_logs_metrics_and_errors);

const NAME: &str = "欧阳明华";
const PHONE: &str = "13912345678";
const ID_NUMBER: &str = "11010519491231002X";
/// Only in the description: a number the requester fields do not know.
const LANDLINE: &str = "025-84561234";

/// Pieces of each value that must not appear anywhere: the whole, and enough of it that a
/// partial leak (a truncated log line, a differently masked copy) is caught too.
const RAW: [&str; 6] = [NAME, "明华", PHONE, "9123456", ID_NUMBER, "84561234"];

fn requester() -> Option<proto::Requester> {
    Some(proto::Requester {
        name: NAME.into(),
        phone: PHONE.into(),
        id_number: ID_NUMBER.into(),
        confidential: false,
    })
}

fn request(request_id: &str) -> proto::CreateTicketRequest {
    proto::CreateTicketRequest {
        description: format!(
            "我是{NAME}，电话{PHONE}，身份证{ID_NUMBER}，单位座机{LANDLINE}。\
             小区门口三盏路灯坏了两周，晚上很黑，老人出行不安全。"
        ),
        requester: requester(),
        ..new_request(request_id, Some("urban-management"))
    }
}

fn assert_clean(what: &str, text: &str) {
    for raw in RAW {
        assert!(!text.contains(raw), "{what} leaks `{raw}`:\n{text}");
    }
}

async fn personal_data_stays_out_of_logs_metrics_and_errors(backend: Backend) {
    let db = TestDb::create(backend).await;
    let daemon = Daemon::start_with(
        &db.url,
        Options {
            log: "debug,hotline=trace".into(),
            metrics: true,
            ..Options::default()
        },
    )
    .await;
    let mut intake = IntakeServiceClient::new(daemon.channel().await);

    // Accepted creates, one of them retried.
    let created = intake
        .create_ticket(request("privacy-1"))
        .await
        .expect("a valid create is accepted")
        .into_inner();
    let ticket = created.ticket.expect("the ticket");
    let retried = intake
        .create_ticket(request("privacy-1"))
        .await
        .expect("a retry is answered")
        .into_inner();
    assert!(!retried.created);

    // Refusals that quote what was sent, each with the masked form it must show.
    type Mutate = fn(&mut proto::CreateTicketRequest);
    let refusals: Vec<(Mutate, Code, &str)> = vec![
        (
            |r| r.requester.as_mut().unwrap().phone = "1391234567x".into(),
            Code::InvalidArgument,
            "139******7x",
        ),
        (
            |r| r.region = PHONE.into(),
            Code::InvalidArgument,
            "unknown region `139******78`",
        ),
        (
            |r| {
                r.disposition = Some(proto::Disposition {
                    outcome: Some(proto::disposition::Outcome::Dispatch(proto::DispatchTo {
                        unit: ID_NUMBER.into(),
                        ..Default::default()
                    })),
                })
            },
            Code::InvalidArgument,
            "unknown unit `110*************2X`",
        ),
        (
            |r| r.category = format!("电话{PHONE}"),
            Code::InvalidArgument,
            "139******78",
        ),
        (
            |r| r.requester.as_mut().unwrap().id_number = "110105194912310021".into(),
            Code::InvalidArgument,
            "requester.id_number",
        ),
        // The same request id for different content quotes the id: a phone number here.
        (
            |r| {
                r.request_id = PHONE.into();
                r.title = "另一件事".into();
            },
            Code::AlreadyExists,
            "request_id `139******78`",
        ),
    ];
    intake
        .create_ticket(request(PHONE))
        .await
        .expect("a phone number is a valid request id");
    let mut messages = Vec::new();
    for (i, (mutate, code, masked)) in refusals.into_iter().enumerate() {
        let mut bad = request(&format!("privacy-bad-{i}"));
        mutate(&mut bad);
        let status = intake
            .create_ticket(bad)
            .await
            .expect_err("the bad create is refused");
        assert_eq!(status.code(), code, "case {i}: {status:?}");
        assert!(
            status.message().contains(masked),
            "case {i}: `{masked}` not in `{}`",
            status.message()
        );
        messages.push(status.message().to_string());
    }
    assert_clean("error messages", &messages.join("\n"));

    // Reads, which return the data itself to the agent, log none of it.
    let shown = intake
        .get_ticket(GetTicketRequest {
            ticket_id: ticket.id,
            include_history: true,
        })
        .await
        .expect("the ticket reads back")
        .into_inner();
    let requester_back = shown
        .ticket
        .and_then(|t| t.requester)
        .expect("the requester");
    assert_eq!(
        requester_back.phone, PHONE,
        "the ticket keeps the real data"
    );
    intake
        .search_tickets(SearchTicketsRequest::default())
        .await
        .expect("search answers");
    intake
        .preview_classification(PreviewClassificationRequest {
            description: request("x").description,
            requester: requester(),
            ..Default::default()
        })
        .await
        .expect("preview answers");

    // A debug print of the request types masks the requester too.
    let printed = format!("{:?}", request("debug"));
    assert!(printed.contains("139******78"), "{printed}");
    assert!(!printed.contains(&format!("\"{PHONE}\"")), "{printed}");

    let metrics = common::metrics::scrape(daemon.metrics.expect("metrics are served")).await;
    assert!(
        metrics.contains("hotline_tickets_created_total"),
        "{metrics}"
    );
    assert_clean("/metrics", &metrics);

    let log = daemon.log();
    // The log did speak of the requester, masked, and at debug level of the database.
    assert!(
        log.contains(r#"phone: "139******78""#) && log.contains(r#"name: "欧***""#),
        "no masked requester in the log:\n{log}"
    );
    assert!(
        log.contains("sqlx::query"),
        "no debug logging of queries:\n{log}"
    );
    assert_clean("the daemon's log", &log);
    daemon.assert_no_panic();
    drop(daemon);
    db.remove().await;
}
