//! 2-3. Idempotent creation.

use super::fixtures::*;

/// A retry (same request id, same fingerprint) returns the stored ticket; a reuse with
/// another fingerprint is refused.
pub async fn create_is_idempotent_on_request_id(store: Arc<dyn Store>) {
    let store = &*store;
    let request = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
    let first_open = open(CENTRE, request(), to_unit(STREET), None, t0());
    let first = store
        .create_ticket(NewTicket {
            ticket: &first_open.ticket,
            events: &first_open.events,
            request_id: "console-7f3a",
            fingerprint: "sha256:aaaa",
        })
        .await
        .expect("first create");
    assert!(first.created);
    let (stored, stored_events) = as_stored(&first_open, first.ticket.id);

    // The console retries five seconds later: the domain opens it again, at a later instant.
    let retry_open = open(CENTRE, request(), to_unit(STREET), None, t0() + mins(5));
    let retry = |fingerprint: &'static str| {
        let ticket = retry_open.ticket.clone();
        let events = retry_open.events.clone();
        async move {
            store
                .create_ticket(NewTicket {
                    ticket: &ticket,
                    events: &events,
                    request_id: "console-7f3a",
                    fingerprint,
                })
                .await
        }
    };
    let again = retry("sha256:aaaa").await.expect("retry");
    assert!(!again.created, "a retry must not create a second ticket");
    assert_eq!(again.ticket, stored, "a retry returns the stored ticket");
    assert_eq!(
        ids(&search(store, &all_filter()).await),
        vec![stored.id],
        "only one ticket exists"
    );
    assert_eq!(
        history(store, stored.id).await,
        stored_events,
        "a retry appends no events"
    );

    assert_eq!(
        store.find_by_request_id("console-7f3a").await.unwrap(),
        Some((stored.clone(), "sha256:aaaa".to_string()))
    );
    assert_eq!(
        store.find_by_request_id("console-unknown").await.unwrap(),
        None
    );

    match retry("sha256:bbbb").await {
        Err(StoreError::RequestIdReused { request_id, ticket }) => {
            assert_eq!(request_id, "console-7f3a");
            assert_eq!(ticket, stored.id);
        }
        other => {
            panic!("reusing a request id for another request: want RequestIdReused, got {other:?}")
        }
    }
    assert_eq!(ids(&search(store, &all_filter()).await), vec![stored.id]);

    // After the ticket moved on, a retry returns it as it stands now.
    let signed = step(store, &stored, STREET, Command::Sign, t0() + mins(10)).await;
    let late = retry("sha256:aaaa").await.expect("late retry");
    assert!(!late.created);
    assert_eq!(late.ticket, signed, "a retry returns the current ticket");
    assert_eq!(
        store.find_by_request_id("console-7f3a").await.unwrap(),
        Some((signed, "sha256:aaaa".to_string()))
    );
}

/// Ten consoles racing with one request id produce exactly one ticket.
pub async fn concurrent_creates_with_one_request_id_make_one_ticket(store: Arc<dyn Store>) {
    const TASKS: usize = 10;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        let store = store.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let opened = open(
                CENTRE,
                intake(REGION_STREET, "urban_rural_construction", Urgency::General),
                to_unit(STREET),
                None,
                t0() + Duration::milliseconds(i as i64),
            );
            barrier.wait().await;
            let result = store
                .create_ticket(NewTicket {
                    ticket: &opened.ticket,
                    events: &opened.events,
                    request_id: "console-race",
                    fingerprint: "fp-race",
                })
                .await;
            (opened, result)
        }));
    }
    let mut winners = Vec::new();
    let mut returned = Vec::new();
    for task in tasks {
        let (opened, result) = task.await.expect("task");
        let created = result.unwrap_or_else(|e| {
            panic!("a concurrent retry must succeed (created or not), got: {e}")
        });
        if created.created {
            winners.push(as_stored(&opened, created.ticket.id));
        }
        returned.push(created.ticket);
    }
    assert_eq!(winners.len(), 1, "exactly one task creates the ticket");
    let (ticket, events) = winners.pop().unwrap();
    for other in &returned {
        assert_eq!(other, &ticket, "every task gets the one stored ticket");
    }
    let store = &*store;
    assert_eq!(ids(&search(store, &all_filter()).await), vec![ticket.id]);
    assert_eq!(get(store, ticket.id).await, ticket);
    assert_eq!(history(store, ticket.id).await, events, "one set of events");
}

/// Concurrent creates with different request ids all succeed, with distinct ids.
pub async fn concurrent_creates_with_distinct_request_ids_all_succeed(store: Arc<dyn Store>) {
    const TASKS: usize = 10;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        let store = store.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let opened = open(
                CENTRE,
                intake(REGION_STREET, "urban_rural_construction", Urgency::General),
                to_unit(STREET),
                None,
                t0() + mins(i as i64),
            );
            barrier.wait().await;
            let created = store
                .create_ticket(NewTicket {
                    ticket: &opened.ticket,
                    events: &opened.events,
                    request_id: &format!("console-{i}"),
                    fingerprint: "fp",
                })
                .await
                .unwrap_or_else(|e| panic!("concurrent create {i}: {e}"));
            assert!(created.created);
            as_stored(&opened, created.ticket.id)
        }));
    }
    let mut made = Vec::new();
    for task in tasks {
        made.push(task.await.expect("task"));
    }
    let store = &*store;
    let distinct: BTreeSet<TicketId> = made.iter().map(|(t, _)| t.id).collect();
    assert_eq!(distinct.len(), TASKS, "distinct ids");
    assert_eq!(
        ids(&search(store, &all_filter()).await),
        distinct.iter().copied().collect::<Vec<_>>()
    );
    for (ticket, events) in made {
        assert_eq!(get(store, ticket.id).await, ticket);
        assert_eq!(history(store, ticket.id).await, events);
    }
}
