//! GetAssessment end to end on an in-process daemon: the rates scenario of
//! `common::rates` plus a return the centre rejects, then the month's assessment checked
//! against hand-computed scores, ranks, incidents and hot issues.

mod common;

use common::rates::{self, Replicas, Units};
use common::server::{Backend, TestServer, actor, command, new_request, ticket_of};
use hotline::domain::rates_ledger::local_day;
use hotline::proto;

on_both_backends!(the_month_is_scored_ranked_and_its_hot_issues_found);

const UNITS: Units = Units {
    street: "xuanwu-01",
    department: "market-12315",
};

async fn the_month_is_scored_ranked_and_its_hot_issues_found(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let assessment = dir.path().join("assessment.toml");
    std::fs::write(
        &assessment,
        format!("{}[hot_issues]\nmin_volume = 5\n", rates::ASSESSMENT),
    )
    .unwrap();
    let server = TestServer::start_with_assessment(backend, Some(assessment)).await;
    rates::run(&Replicas::new(vec![server.channel.clone()]), UNITS, "a").await;
    // t7: to the street, which returns it; the centre rejects the return (improper).
    let t7 = server.create(new_request("a-t7", Some(UNITS.street))).await;
    let t7 = ticket_of(
        server
            .dispatch()
            .r#return(command(&t7, UNITS.street, "不属于本街道职责"))
            .await
            .unwrap(),
    );
    server
        .center()
        .review_return(proto::ReviewReturnRequest {
            ticket_id: t7.id,
            expected_version: t7.version,
            actor: actor("centre", "reviewer-1"),
            approve: false,
            reassign_to: String::new(),
            co_units: Vec::new(),
            reason: "属地事项，请街道办理".into(),
        })
        .await
        .unwrap();

    let month = local_day(chrono::Utc::now()).format("%Y-%m").to_string();
    let report = server
        .report()
        .get_assessment(proto::GetAssessmentRequest {
            month: month.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.month, month);
    let class = |code: &str| {
        report
            .classes
            .iter()
            .find(|c| c.unit_class == code)
            .unwrap_or_else(|| panic!("no class {code}"))
    };
    let unit = |code: &str, id: &str| {
        class(code)
            .units
            .iter()
            .find(|u| u.unit == id)
            .unwrap_or_else(|| panic!("no {id} in {code}"))
            .clone()
    };
    let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);

    // The street: t1, t2, t5, t7 dispatched, t1 and t5 responded in time (0.5); t1's
    // callback resolved (1.0) and 基本满意 × 0.8; one improper return.
    // 100 × (0.3 × 0.5 + 0.35 × 1 + 0.35 × 0.8) − 1 = 77.
    let street = unit("street", UNITS.street);
    assert_eq!((street.dispatched, street.responded_in_time), (4, 2));
    assert_eq!((street.overdue, street.improper_returns), (0, 1));
    assert!(close(Some(street.score_from_rates), 78.0), "{street:?}");
    assert!(close(Some(street.deduction), 1.0));
    assert!(close(street.score, 77.0), "{street:?}");
    assert_eq!(street.rank, Some(1));
    assert_eq!(
        street.targets.unwrap().response,
        0.6,
        "the street's own target"
    );
    // The department: response 1, resolution 2/3, satisfaction 2/3.
    let department = unit("department", UNITS.department);
    assert!(
        close(department.score, 100.0 * (0.3 + 0.7 * 2.0 / 3.0)),
        "{department:?}"
    );
    assert_eq!((department.rank, department.improper_returns), (Some(1), 0));
    // Every other unit had nothing this month: listed, unranked, after the ranked.
    for c in &report.classes {
        let ranked = c.units.iter().take_while(|u| u.rank.is_some()).count();
        assert!(
            c.units[ranked..]
                .iter()
                .all(|u| u.rank.is_none() && u.score.is_none())
        );
        assert!(ranked <= 1, "{}: {ranked} ranked", c.unit_class);
    }
    assert_eq!(class("district").units.len(), 11);

    // Seven requests this month, none the month before: the category and the street are
    // new hot issues; one requester asked seven times about it.
    assert_eq!((report.tickets, report.previous_tickets), (7, 0));
    let hot = &report.hot_categories;
    assert_eq!(hot.len(), 1);
    assert_eq!(
        (hot[0].key.as_str(), hot[0].label.as_str(), hot[0].tickets),
        ("urban_rural_construction", "城乡建设", 7)
    );
    assert_eq!((hot[0].increase, hot[0].growth_rate), (7, None));
    assert_eq!(report.hot_places.len(), 1);
    assert_eq!(report.hot_places[0].key, "320102001");
    let repeats = &report.repeat_requesters;
    assert_eq!(repeats.len(), 1);
    assert_eq!(
        (repeats[0].phone.as_str(), repeats[0].tickets),
        ("138******00", 7)
    );
    assert_eq!(repeats[0].latest_ticket_id, t7.id);
    server.stop().await;
}
