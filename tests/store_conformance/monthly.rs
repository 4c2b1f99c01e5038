//! 14. The monthly assessment's reads: incidents per unit, volumes, repeat requesters.

use super::fixtures::*;

const CITY_MANAGEMENT: &str = "urban_management";
const TRANSPORT: &str = "transport";

fn from(region: &str, category: &str, phone: &str) -> Intake {
    let mut intake = intake(region, category, Urgency::General);
    intake.requester.phone = phone.to_string();
    intake
}

fn overdue(deadline: DeadlineKind, reached_at: Timestamp) -> Alert {
    Alert {
        deadline,
        due_at: reached_at,
        level: WarningLevel::Overdue,
        reached_at,
    }
}

/// Returned by `unit` at `at`, and the return reviewed by the centre 1 h later.
async fn returned(
    store: &dyn Store,
    ticket: &Ticket,
    unit: &str,
    approve_to: Option<&str>,
    at: Timestamp,
) -> Ticket {
    let request = Command::RequestReturn {
        reason: "不属于本单位职责".into(),
    };
    let ticket = step(store, ticket, unit, request, at).await;
    let review = Command::ReviewReturn {
        approve: approve_to.is_some(),
        reassign_to: approve_to.map(str::to_string),
        co_units: Vec::new(),
        reason: "复核".into(),
    };
    step(store, &ticket, CENTRE, review, at + hours(1)).await
}

async fn record(store: &dyn Store, ticket: &Ticket, alerts: &[Alert], at: Timestamp) {
    let recorded = store
        .record_alerts(ticket, alerts, None, at)
        .await
        .expect("record_alerts");
    assert_eq!(recorded, Some(alerts.to_vec()));
}

pub async fn monthly_reads_count_incidents_volumes_and_repeats_of_the_period(
    store: Arc<dyn Store>,
) {
    let store = &*store;
    let (p1, p2) = ("13800138000", "13900139000");
    let (start, end) = (t0(), t0() + days(10));

    // In the period: a return the centre rejects (improper, the street's), one it approves
    // (not held against market regulation), overdue warnings of two units, and a yellow
    // warning that is no incident.
    let a = dispatched(
        store,
        STREET,
        from(REGION_STREET, CITY_MANAGEMENT, p1),
        start + hours(1),
    )
    .await;
    let a = returned(store, &a, STREET, None, start + hours(2)).await;
    let yellow = Alert {
        level: WarningLevel::Yellow,
        ..overdue(DeadlineKind::Sign, start + hours(18))
    };
    record(
        store,
        &a,
        &[yellow, overdue(DeadlineKind::Sign, start + days(1))],
        start + days(1),
    )
    .await;
    let b = dispatched(
        store,
        MARKET,
        from(REGION_STREET, CITY_MANAGEMENT, p1),
        start + hours(2),
    )
    .await;
    returned(store, &b, MARKET, Some(STREET), start + hours(3)).await;
    let c = dispatched(
        store,
        STREET,
        from(REGION_STREET_2, TRANSPORT, p2),
        start + hours(3),
    )
    .await;
    let m = dispatched(
        store,
        MARKET,
        from(REGION_DISTRICT, TRANSPORT, p2),
        start + hours(4),
    )
    .await;
    let missed = [
        overdue(DeadlineKind::Sign, start + days(1)),
        overdue(DeadlineKind::Respond, start + days(2)),
    ];
    record(store, &m, &missed, start + days(2)).await;

    // Before and after the period: none of it counts.
    let old = dispatched(
        store,
        STREET,
        from(REGION_STREET, CITY_MANAGEMENT, p1),
        start - days(5),
    )
    .await;
    let old = returned(store, &old, STREET, None, start - days(4)).await;
    record(
        store,
        &old,
        &[overdue(DeadlineKind::Sign, start - days(4))],
        start - days(4),
    )
    .await;
    let late = dispatched(store, MARKET, from(REGION_STREET, CITY_MANAGEMENT, p1), end).await;
    record(
        store,
        &late,
        &[overdue(DeadlineKind::Sign, end + days(1))],
        end + days(1),
    )
    .await;

    let incidents = store
        .unit_incidents(start, end)
        .await
        .expect("unit_incidents");
    assert_eq!(
        incidents,
        vec![
            UnitIncidents {
                unit: MARKET.into(),
                overdue: 2,
                improper_returns: 0,
            },
            UnitIncidents {
                unit: STREET.into(),
                overdue: 1,
                improper_returns: 1,
            },
        ]
    );
    assert_eq!(
        store.unit_incidents(start - days(5), start).await.unwrap(),
        vec![UnitIncidents {
            unit: STREET.into(),
            overdue: 1,
            improper_returns: 1,
        }]
    );

    let volume = |category: &str, region: &str, tickets| TicketVolume {
        category: category.into(),
        region: region.into(),
        tickets,
    };
    assert_eq!(
        store
            .ticket_volumes(start, end)
            .await
            .expect("ticket_volumes"),
        vec![
            volume(TRANSPORT, REGION_DISTRICT, 1),
            volume(TRANSPORT, REGION_STREET_2, 1),
            volume(CITY_MANAGEMENT, REGION_STREET, 2),
        ]
    );

    let key = |phone: &str| {
        Requester {
            phone: phone.into(),
            ..Requester::default()
        }
        .key()
        .expect("a phone makes a key")
    };
    let repeat = |phone: &str, category: &str, latest: &Ticket| RepeatRequester {
        requester_key: key(phone),
        category: category.into(),
        tickets: 2,
        latest: latest.id,
    };
    let repeats = store
        .repeat_requesters(start, end, 2, 10)
        .await
        .expect("repeat_requesters");
    // Equal counts: the newest first.
    assert_eq!(
        repeats,
        vec![repeat(p2, TRANSPORT, &m), repeat(p1, CITY_MANAGEMENT, &b)]
    );
    assert_eq!(
        store.repeat_requesters(start, end, 2, 1).await.unwrap(),
        repeats[..1]
    );
    assert_eq!(
        store.repeat_requesters(start, end, 3, 10).await.unwrap(),
        vec![]
    );
    // The whole stretch: p1 asked about city management four times.
    let all = store
        .repeat_requesters(start - days(5), end + days(1), 3, 10)
        .await
        .unwrap();
    assert_eq!(
        all,
        vec![RepeatRequester {
            tickets: 4,
            latest: late.id,
            ..repeat(p1, CITY_MANAGEMENT, &late)
        }]
    );
    let _ = c;
}
