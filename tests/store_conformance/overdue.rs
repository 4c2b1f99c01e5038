//! 10. Overdue.

use super::fixtures::*;

pub async fn list_overdue_names_the_missed_deadline(store: Arc<dyn Store>) {
    let store = &*store;
    let n = t0() + days(20);
    let general = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
    let urgent = || intake(REGION_STREET, "utilities", Urgency::Urgent);

    // Dispatched 2 days ago, never signed: sign was due n-1d.
    let unsigned = dispatched(store, STREET, general(), n - days(2)).await;
    // Signed but not responded: respond was due n-6h.
    let unanswered = dispatched(store, STREET, general(), n - hours(30)).await;
    let unanswered = step(store, &unanswered, STREET, Command::Sign, n - hours(29)).await;
    // Urgent, in progress at another unit: reply was due n-3h.
    let slow = dispatched(store, MARKET, urgent(), n - hours(5)).await;
    let slow = sign_and_respond(
        store,
        &slow,
        n - hours(5) + mins(5),
        n - hours(5) + mins(10),
    )
    .await;
    let slow = step(store, &slow, MARKET, handle_cmd(), n - hours(5) + mins(20)).await;
    // On time: dispatched an hour ago.
    let _fresh = dispatched(store, STREET, general(), n - hours(1)).await;
    // Closed long ago, every deadline now past.
    let done = dispatched(store, STREET, urgent(), n - days(10)).await;
    let done = sign_and_respond(store, &done, n - days(10), n - days(10) + mins(1)).await;
    reply_and_call_back(
        store,
        &done,
        n - days(10) + hours(1),
        n - days(9),
        true,
        Satisfaction::Satisfied,
    )
    .await;
    // Replied in time (reply due n-8h, replied n-9h), awaiting review.
    let replied = dispatched(store, STREET, urgent(), n - hours(10)).await;
    let replied = sign_and_respond(store, &replied, n - hours(10), n - hours(10) + mins(1)).await;
    step(store, &replied, STREET, reply_cmd(), n - hours(9)).await;
    // In the queue: no deadlines.
    create(store, general(), queue(), None, n - days(3)).await;

    let expected = vec![
        Overdue {
            missed: DeadlineKind::Sign,
            due_at: n - days(1),
            ticket: get(store, unsigned.id).await,
            level: WarningLevel::Overdue,
        },
        Overdue {
            missed: DeadlineKind::Respond,
            due_at: n - hours(6),
            ticket: unanswered.clone(),
            level: WarningLevel::Overdue,
        },
        Overdue {
            missed: DeadlineKind::Reply,
            due_at: n - hours(3),
            ticket: slow.clone(),
            level: WarningLevel::Overdue,
        },
    ];
    let overdue = |unit: Option<&'static str>, limit: u32| async move {
        store
            .list_overdue(unit, WarningLevel::Overdue, n, limit)
            .await
            .unwrap_or_else(|e| panic!("list_overdue({unit:?}, {limit}): {e}"))
    };
    let all = overdue(None, 100).await;
    assert_eq!(all, expected, "overdue, most overdue first");

    // The store agrees with the domain's own rule on every ticket.
    for ticket in search(store, &all_filter()).await {
        let listed = all
            .iter()
            .find(|o| o.ticket.id == ticket.id)
            .map(|o| (o.missed, o.due_at));
        assert_eq!(
            listed,
            missed_deadline(&ticket, n),
            "ticket {} ({})",
            ticket.id,
            ticket.state
        );
    }

    assert_eq!(overdue(None, 2).await, expected[..2].to_vec(), "limit");
    assert_eq!(
        overdue(Some(STREET), 100).await,
        expected[..2].to_vec(),
        "unit filter"
    );
    assert_eq!(
        overdue(Some(MARKET), 100).await,
        expected[2..].to_vec(),
        "unit filter"
    );
    assert_eq!(overdue(Some(DISTRICT), 100).await, vec![], "unit filter");
    assert_eq!(
        store
            .list_overdue(None, WarningLevel::Overdue, n - days(3), 100)
            .await
            .unwrap(),
        vec![],
        "nothing was overdue three days earlier"
    );
}

// ---------------------------------------------------------------------------------------
