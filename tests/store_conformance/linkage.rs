//! Hand-offs to partner centres (`linkage_outbox`): recorded once, claimed under a lease
//! by one sender at a time, settled only by the lease holder.

use super::fixtures::*;
use hotline::store::linkage::Outcome;

fn at(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(1_780_000_000_000 + ms).unwrap()
}

pub async fn hand_offs_are_recorded_once_and_settled_by_their_claimer(store: Arc<dyn Store>) {
    assert!(
        store
            .enqueue_hand_off("nj:1:1", 1, "partner-sh", at(0))
            .await
            .unwrap()
    );
    assert!(
        !store
            .enqueue_hand_off("nj:1:1", 1, "partner-sh", at(5))
            .await
            .unwrap(),
        "a known hand-off is left as it is"
    );
    assert_eq!(store.count_pending_hand_offs().await.unwrap(), 1);

    let claimed = store
        .claim_hand_offs("a", 10, at(10), at(60_000))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (claimed[0].attempts, claimed[0].status.as_str()),
        (0, "pending")
    );
    assert!(
        store
            .claim_hand_offs("b", 10, at(20), at(60_000))
            .await
            .unwrap()
            .is_empty(),
        "held by a"
    );

    // Another sender cannot settle it; the holder records the failure and its backoff.
    let failed = Outcome::Failed {
        error: "connection refused".into(),
        next_attempt_at: at(2_000),
    };
    store
        .settle_hand_off("nj:1:1", "b", &failed, at(30))
        .await
        .unwrap();
    let rows = store.list_hand_offs(None, 10).await.unwrap();
    assert_eq!(rows[0].attempts, 0, "not b's to settle");
    store
        .settle_hand_off("nj:1:1", "a", &failed, at(30))
        .await
        .unwrap();
    let row = &store.list_hand_offs(Some("pending"), 10).await.unwrap()[0];
    assert_eq!(row.attempts, 1);
    assert_eq!(row.next_attempt_at, at(2_000));
    assert_eq!(row.last_error.as_deref(), Some("connection refused"));

    assert!(
        store
            .claim_hand_offs("b", 10, at(1_000), at(60_000))
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let claimed = store
        .claim_hand_offs("b", 10, at(2_000), at(60_000))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    store
        .settle_hand_off(
            "nj:1:1",
            "b",
            &Outcome::Sent {
                partner_ticket_id: 42,
            },
            at(2_100),
        )
        .await
        .unwrap();
    let row = &store.list_hand_offs(Some("sent"), 10).await.unwrap()[0];
    assert_eq!(
        (row.attempts, row.partner_ticket_id, row.sent_at),
        (2, Some(42), Some(at(2_100)))
    );
    assert!(row.last_error.is_none());
    assert_eq!(store.count_pending_hand_offs().await.unwrap(), 0);
    store
        .claim_hand_offs("b", 10, at(3_000), at(60_000))
        .await
        .unwrap();
    // Replied: followed until the partner closes, so due again later and claimable then.
    store
        .settle_hand_off(
            "nj:1:1",
            "b",
            &Outcome::Replied {
                next_attempt_at: at(4_000),
            },
            at(3_000),
        )
        .await
        .unwrap();
    let row = &store.list_hand_offs(Some("replied"), 10).await.unwrap()[0];
    assert_eq!((row.attempts, row.next_attempt_at), (2, at(4_000)));
    assert!(
        store
            .claim_hand_offs("b", 10, at(3_500), at(60_000))
            .await
            .unwrap()
            .is_empty(),
        "not due before its next attempt"
    );
    assert_eq!(
        store
            .claim_hand_offs("b", 10, at(4_000), at(60_000))
            .await
            .unwrap()
            .len(),
        1,
        "a replied hand-off is followed again"
    );
    store
        .settle_hand_off("nj:1:1", "b", &Outcome::Done, at(4_000))
        .await
        .unwrap();
    assert_eq!(
        store.list_hand_offs(Some("done"), 10).await.unwrap().len(),
        1
    );
    assert!(
        store
            .claim_hand_offs("b", 10, at(90_000), at(99_000))
            .await
            .unwrap()
            .is_empty(),
        "done is never claimed"
    );
}

pub async fn concurrent_hand_off_claims_never_share_one(store: Arc<dyn Store>) {
    for i in 0..40 {
        store
            .enqueue_hand_off(&format!("nj:{i}:1"), i, "partner-sh", at(0))
            .await
            .unwrap();
    }
    let claimers = (0..4).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store
                    .claim_hand_offs(&format!("s{n}"), 3, at(10), at(60_000))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch.into_iter().map(|h| h.hand_off_id));
            }
        })
    });
    let mut all = Vec::new();
    for claimer in claimers.collect::<Vec<_>>() {
        all.extend(claimer.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(
        (all.len(), unique.len()),
        (40, 40),
        "each claimed exactly once"
    );
}

/// The sender's new work: tickets dispatched to the partner with no hand-off recorded
/// since their dispatch. One recorded is not read again; one from an earlier dispatch
/// (the ticket came back and went out again) does not count.
pub async fn tickets_awaiting_hand_off_are_those_without_one_since_dispatch(store: Arc<dyn Store>) {
    let s = &*store;
    let general = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
    let a = dispatched(s, STREET, general(), t0()).await;
    let b = dispatched(s, STREET, general(), t0()).await;
    dispatched(s, STREET_2, general(), t0()).await;
    let signed = dispatched(s, STREET, general(), t0()).await;
    step(s, &signed, STREET, Command::Sign, t0() + hours(1)).await;
    let awaiting = |after: Option<TicketId>, limit: u32| async move {
        ids(&s
            .tickets_awaiting_hand_off(STREET, after, limit)
            .await
            .unwrap())
    };
    assert_eq!(awaiting(None, 10).await, [a.id, b.id]);
    assert_eq!(awaiting(Some(a.id), 10).await, [b.id], "after a");
    assert_eq!(awaiting(None, 1).await, [a.id], "one page");

    let dispatched_at = |t: &Ticket| t.dispatched_at.expect("dispatched");
    s.enqueue_hand_off("nj:a", a.id, STREET, dispatched_at(&a))
        .await
        .unwrap();
    s.enqueue_hand_off("nj:b:earlier", b.id, STREET, dispatched_at(&b) - hours(1))
        .await
        .unwrap();
    assert_eq!(
        awaiting(None, 10).await,
        [b.id],
        "a's hand-off is recorded; b's only for an earlier dispatch"
    );
}
