//! 4. Optimistic concurrency.

use super::fixtures::*;

pub async fn save_transition_checks_the_version_all_or_nothing(store: Arc<dyn Store>) {
    let store = &*store;
    let read = dispatched(
        store,
        STREET,
        intake(REGION_STREET, "urban_rural_construction", Urgency::General),
        t0(),
    )
    .await;
    assert_eq!(read.version, 2, "create + dispatch");
    let events_before = history(store, read.id).await;

    let sign = decide(&read, STREET, Command::Sign, t0() + mins(10));
    store
        .save_transition(&read, &sign)
        .await
        .expect("save_transition");
    let signed = get(store, read.id).await;
    assert_eq!(signed, sign.ticket, "new state persisted");
    assert_eq!((signed.state, signed.version), (State::Signed, 3));
    let mut expected_events = events_before.clone();
    expected_events.push(sign.event.clone());
    assert_eq!(
        history(store, read.id).await,
        expected_events,
        "event appended"
    );

    // The centre read version 2 too, and now transfers the ticket: too late.
    let stale = decide(
        &read,
        CENTRE,
        Command::Transfer {
            to: Disposition::EmergencyTransfer {
                line: EmergencyLine::Police110,
            },
            reason: "涉及治安".into(),
        },
        t0() + mins(11),
    );
    match store.save_transition(&read, &stale).await {
        Err(StoreError::VersionConflict {
            id,
            expected,
            current,
        }) => {
            assert_eq!((id, expected, current), (read.id, 2, 3), "conflict details");
        }
        other => panic!("stale write: want VersionConflict, got {other:?}"),
    }
    assert_eq!(
        get(store, read.id).await,
        signed,
        "a failed write changes nothing"
    );
    assert_eq!(
        history(store, read.id).await,
        expected_events,
        "a failed write appends no event"
    );

    // Replaying the same successful write is a conflict as well.
    match store.save_transition(&read, &sign).await {
        Err(StoreError::VersionConflict {
            expected, current, ..
        }) => assert_eq!((expected, current), (2, 3)),
        other => panic!("replayed write: want VersionConflict, got {other:?}"),
    }
    assert_eq!(history(store, read.id).await.len(), 3);

    // The fresh reader succeeds.
    let responded = step(store, &signed, STREET, respond_cmd(), t0() + mins(20)).await;
    assert_eq!(responded.version, 4);

    // Unknown tickets.
    let ghost_id = read.id + 1_000_000;
    match store.get_ticket(ghost_id).await {
        Err(StoreError::NotFound(id)) => assert_eq!(id, ghost_id),
        other => panic!("get_ticket of an unknown id: want NotFound, got {other:?}"),
    }
    let ghost = Ticket {
        id: ghost_id,
        ..responded.clone()
    };
    let ghost_step = decide(&ghost, STREET, handle_cmd(), t0() + mins(30));
    match store.save_transition(&ghost, &ghost_step).await {
        Err(StoreError::NotFound(id)) => assert_eq!(id, ghost_id),
        other => panic!("save_transition of an unknown id: want NotFound, got {other:?}"),
    }
    assert_eq!(
        ids(&search(store, &all_filter()).await),
        vec![read.id],
        "no ticket appeared"
    );
    assert_eq!(get(store, read.id).await, responded);
}
