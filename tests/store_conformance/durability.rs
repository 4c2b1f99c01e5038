//! 11. Durability.

use super::fixtures::*;

// 11. Durability
// ---------------------------------------------------------------------------------------

/// Closes the store and opens the same URL again: tickets, events, request ids, merges,
/// leases and aggregates are all still there.
pub async fn reopening_keeps_everything(store: Arc<dyn Store>, url: String) {
    assert_eq!(
        store.backend(),
        hotline::store::backend_name(&url),
        "backend()"
    );
    store.ping().await.expect("ping");
    let lamp = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
    let opened = open(CENTRE, lamp(), to_unit(STREET), None, t0());
    let first = store
        .create_ticket(NewTicket {
            ticket: &opened.ticket,
            events: &opened.events,
            request_id: "console-durable",
            fingerprint: "fp-durable",
        })
        .await
        .expect("create");
    let closed = {
        let s = &*store;
        let t = sign_and_respond(s, &first.ticket, t0() + hours(1), t0() + hours(2)).await;
        reply_and_call_back(
            s,
            &t,
            t0() + days(1),
            t0() + days(2),
            true,
            Satisfaction::Satisfied,
        )
        .await
    };
    let parent = dispatched(&*store, STREET, lamp(), t0() + hours(1)).await;
    let parent = step(
        &*store,
        &parent,
        CENTRE,
        Command::Supervise {
            on: true,
            note: "督办".into(),
        },
        t0() + hours(2),
    )
    .await;
    let child = create(
        &*store,
        lamp(),
        Disposition::Merge { parent: parent.id },
        Some(parent.state),
        t0() + hours(2),
    )
    .await;
    let leased = pull(
        &*store,
        STREET,
        "worker-a",
        10,
        t0() + hours(3),
        t0() + hours(4),
    )
    .await;
    assert_eq!(ids(&leased), vec![parent.id]);

    let rates = RateQuery {
        from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
        group_by: RateGrouping::Unit,
        period: RatePeriod::Day,
        unit: None,
        region: None,
        category: None,
    };
    let (rates, parent_id) = (&rates, parent.id);
    let snapshot = |store: Arc<dyn Store>| async move {
        let s = &*store;
        let tickets = search(s, &all_filter()).await;
        let mut histories = Vec::new();
        for t in &tickets {
            histories.push(history(s, t.id).await);
        }
        (
            tickets,
            histories,
            s.merged_children(parent_id).await.unwrap(),
            s.find_by_request_id("console-durable").await.unwrap(),
            s.rate_counts(rates).await.unwrap(),
            s.list_overdue(None, WarningLevel::Overdue, t0() + days(30), 100)
                .await
                .unwrap(),
        )
    };
    let before = snapshot(store.clone()).await;
    assert_eq!(ids(&before.0), sorted(vec![closed.id, parent.id, child.id]));
    assert_eq!(before.2, vec![child.id]);
    assert_eq!(before.3, Some((closed.clone(), "fp-durable".to_string())));
    let street_on = |period: &str, counts: RateCounts| RateRow {
        period: period.into(),
        key: STREET.into(),
        counts,
    };
    assert_eq!(
        before.4,
        vec![
            // Both dispatched on 3-02 (Beijing), the first responded in time.
            street_on(
                "2026-03-02",
                RateCounts {
                    dispatched: 2,
                    responded_in_time: 1,
                    ..RateCounts::default()
                }
            ),
            // Its callback, satisfied and resolved, on 3-04.
            street_on(
                "2026-03-04",
                RateCounts {
                    callbacks: 1,
                    resolved: 1,
                    satisfied: 1,
                    ..RateCounts::default()
                }
            ),
        ]
    );
    store.close().await;
    drop(store);

    let store = hotline::store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("reopening {url}: {e:#}"));
    let after = snapshot(store.clone()).await;
    assert_eq!(after.0, before.0, "tickets survive reopening");
    assert_eq!(after.1, before.1, "histories survive reopening");
    assert_eq!(after.2, before.2, "merges survive reopening");
    assert_eq!(after.3, before.3, "request ids survive reopening");
    assert_eq!(after.4, before.4, "rate counts survive reopening");
    assert_eq!(after.5, before.5, "overdue list survives reopening");

    let s = &*store;
    assert!(
        pull(
            s,
            STREET,
            "worker-b",
            10,
            t0() + hours(3) + mins(1),
            t0() + hours(5)
        )
        .await
        .is_empty(),
        "leases survive reopening"
    );
    assert_eq!(
        ids(&pull(
            s,
            STREET,
            "worker-b",
            10,
            t0() + hours(4) + mins(1),
            t0() + hours(5)
        )
        .await),
        vec![parent.id],
        "and expire as before"
    );
    let retry = s
        .create_ticket(NewTicket {
            ticket: &opened.ticket,
            events: &opened.events,
            request_id: "console-durable",
            fingerprint: "fp-durable",
        })
        .await
        .expect("retry after reopening");
    assert!(!retry.created, "idempotency survives reopening");
    assert_eq!(retry.ticket, closed);
    let new = create(s, lamp(), queue(), None, t0() + days(3)).await;
    assert!(
        ![closed.id, parent.id, child.id].contains(&new.id),
        "ids are not reused after reopening"
    );
    let parent = step(s, &parent, STREET, Command::Sign, t0() + hours(5)).await;
    assert_eq!(parent.version, 4, "writes continue after reopening");
    s.ping().await.expect("ping after reopening");
    store.close().await;
}
