//! 5-6. Pulling assigned work.

use super::fixtures::*;
use super::group_commit::behind_the_write_lock;

pub async fn pull_assigned_leases_pullable_tickets_in_deadline_order(store: Arc<dyn Store>) {
    let store = &*store;
    let general = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);

    // Pullable for STREET, with reply deadlines:
    let p1 = dispatched(store, STREET, general(), t0()).await; // t0+7d
    let p2 = dispatched(
        store,
        STREET,
        intake(REGION_STREET, "utilities", Urgency::Urgent),
        t0(),
    )
    .await; // t0+2h
    let p3 = dispatched(store, STREET, general(), t0()).await; // t0+7d, after p1 by id
    let p3 = step(store, &p3, STREET, Command::Sign, t0() + mins(10)).await;
    let p4 = dispatched(
        store,
        STREET,
        intake(REGION_STREET, "utilities", Urgency::Utility),
        t0(),
    )
    .await; // t0+24h
    let p4 = sign_and_respond(store, &p4, t0() + mins(10), t0() + mins(20)).await;
    let p5 = dispatched(
        store,
        STREET,
        intake(REGION_STREET, "natural_resources", Urgency::Complex),
        t0(),
    )
    .await; // t0+15d
    let p5 = sign_and_respond(store, &p5, t0() + mins(10), t0() + mins(20)).await;
    let p5 = step(store, &p5, STREET, handle_cmd(), t0() + mins(30)).await;
    assert_eq!(p5.state, State::InProgress);
    let p6 = dispatched(store, STREET, general(), t0() - hours(1)).await; // t0+7d-1h

    // Not pullable for STREET:
    let other_unit = dispatched(store, STREET_2, general(), t0()).await;
    let _queued = create(store, general(), queue(), None, t0()).await;
    let replied = dispatched(
        store,
        STREET,
        intake(REGION_STREET, "utilities", Urgency::Urgent),
        t0(),
    )
    .await;
    let replied = sign_and_respond(store, &replied, t0() + mins(5), t0() + mins(10)).await;
    let replied = step(store, &replied, STREET, reply_cmd(), t0() + mins(30)).await;
    let returning = dispatched(store, STREET, general(), t0()).await;
    let returning = step(
        store,
        &returning,
        STREET,
        Command::RequestReturn {
            reason: "非本街道辖区".into(),
        },
        t0() + mins(5),
    )
    .await;
    let _co_handled = create(
        store,
        general(),
        Disposition::Dispatch {
            unit: Some(MARKET.into()),
            co_units: vec![STREET.into()],
        },
        None,
        t0(),
    )
    .await;
    let transferred = dispatched(store, STREET, general(), t0()).await;
    let _transferred = step(
        store,
        &transferred,
        CENTRE,
        Command::Transfer {
            to: Disposition::EmergencyTransfer {
                line: EmergencyLine::Fire119,
            },
            reason: "火情".into(),
        },
        t0() + mins(1),
    )
    .await;
    assert_eq!(replied.state, State::Replied);
    assert_eq!(returning.state, State::ReturnRequested);

    let in_order = [p2.id, p4.id, p6.id, p1.id, p3.id, p5.id];
    let now = t0() + hours(1);
    let lease = now + mins(10);

    let first = pull(store, STREET, "worker-a", 3, now, lease).await;
    assert_eq!(
        ids(&first),
        in_order[..3].to_vec(),
        "at most `max`, by reply deadline then id"
    );
    assert_current(store, &first, "pull_assigned").await;
    let second = pull(
        store,
        STREET,
        "worker-b",
        10,
        now + mins(1),
        lease + mins(1),
    )
    .await;
    assert_eq!(
        ids(&second),
        in_order[3..].to_vec(),
        "the rest, none of the leased ones"
    );
    assert_current(store, &second, "pull_assigned").await;
    assert!(
        pull(
            store,
            STREET,
            "worker-c",
            10,
            now + mins(2),
            lease + mins(2)
        )
        .await
        .is_empty(),
        "everything is leased"
    );
    assert_eq!(
        ids(&pull(store, STREET_2, "worker-x", 10, now, lease).await),
        vec![other_unit.id],
        "another unit's desk"
    );
    assert!(
        pull(store, DISTRICT, "worker-d", 10, now, lease)
            .await
            .is_empty(),
        "the district has no ticket of its own"
    );

    // Leases run out: everything is handed out again, in the same order.
    let later = now + hours(1);
    let later_lease = later + mins(10);
    let again = pull(store, STREET, "worker-d", 100, later, later_lease).await;
    assert_eq!(ids(&again), in_order.to_vec(), "expired leases are free");
    assert_current(store, &again, "pull_assigned").await;

    // Reassigned to STREET_2 while leased: its lease goes with the old desk.
    let p2 = step(
        store,
        &get(store, p2.id).await,
        CENTRE,
        Command::Dispatch {
            unit: STREET_2.into(),
            co_units: Vec::new(),
            reason: "改派至梅园新村街道".into(),
        },
        later + mins(1),
    )
    .await;
    assert_eq!(
        ids(&pull(
            store,
            STREET_2,
            "worker-y",
            10,
            later + mins(2),
            later_lease
        )
        .await),
        vec![p2.id, other_unit.id],
        "a reassigned ticket is pullable by its new unit at once (and the other unit's \
         old lease has expired)"
    );

    // Replied, then sent back by the centre: the reply cleared the lease.
    let p4 = step(
        store,
        &get(store, p4.id).await,
        STREET,
        reply_cmd(),
        later + mins(3),
    )
    .await;
    let p4 = step(store, &p4, CENTRE, review_reply(false), later + mins(4)).await;
    assert_eq!(p4.state, State::InProgress);
    assert_eq!(
        ids(&pull(store, STREET, "worker-e", 10, later + mins(5), later_lease).await),
        vec![p4.id],
        "a replied ticket lost its lease; the others are still leased"
    );
}

/// Sixty tickets, eight workers pulling five at a time: each ticket exactly once.
pub async fn concurrent_pulls_never_hand_out_a_ticket_twice(store: Arc<dyn Store>) {
    const TICKETS: i64 = 60;
    const WORKERS: usize = 8;
    let mut created = BTreeSet::new();
    for i in 0..TICKETS {
        let t = dispatched(
            &*store,
            STREET_3,
            intake(
                REGION_DISTRICT,
                "urban_rural_construction",
                Urgency::General,
            ),
            t0() + Duration::seconds(i),
        )
        .await;
        created.insert(t.id);
    }
    let now = t0() + hours(1);
    let lease = now + hours(1);
    let barrier = Arc::new(tokio::sync::Barrier::new(WORKERS));
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let store = store.clone();
        let barrier = barrier.clone();
        workers.push(tokio::spawn(async move {
            let worker = format!("worker-{w}");
            let mut got = Vec::new();
            barrier.wait().await;
            loop {
                let batch = store
                    .pull_assigned(STREET_3, &worker, 5, now, lease)
                    .await
                    .unwrap_or_else(|e| panic!("{worker}: pull_assigned: {e}"));
                assert!(batch.len() <= 5, "{worker}: batch over max");
                if batch.is_empty() {
                    break got;
                }
                got.extend(ids(&batch));
            }
        }));
    }
    let mut handed_out = Vec::new();
    for worker in workers {
        handed_out.extend(worker.await.expect("worker"));
    }
    let distinct: BTreeSet<TicketId> = handed_out.iter().copied().collect();
    assert_eq!(
        handed_out.len(),
        distinct.len(),
        "a ticket was handed to two workers: {:?}",
        {
            let mut seen = HashSet::new();
            handed_out
                .iter()
                .filter(|id| !seen.insert(**id))
                .collect::<Vec<_>>()
        }
    );
    assert_eq!(distinct, created, "every ticket handed out, none lost");
    assert!(
        pull(&*store, STREET_3, "late", 5, now, lease)
            .await
            .is_empty()
    );
}

/// What a stopping daemon gives back: exactly the leases it granted that still stand.
pub async fn released_leases_are_pullable_at_once(store: Arc<dyn Store>) {
    let s = &*store;
    let general = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
    let a = dispatched(s, STREET, general(), t0()).await;
    let b = dispatched(s, STREET, general(), t0()).await;
    let c = dispatched(s, STREET, general(), t0()).await;
    let d = dispatched(s, STREET, general(), t0()).await;
    let until = t0() + hours(2);
    let leased = pull(s, STREET, "worker-a", 10, t0() + mins(1), until).await;
    assert_eq!(ids(&leased), vec![a.id, b.id, c.id, d.id]);
    let lease = |ticket: &Ticket, worker: &str, until| hotline::store::Lease {
        ticket_id: ticket.id,
        worker: worker.into(),
        until,
    };

    // c leaves the desk, which clears its lease; then a and c are given back.
    let c = sign_and_respond(s, &c, t0() + mins(2), t0() + mins(3)).await;
    step(s, &c, STREET, reply_cmd(), t0() + mins(4)).await;
    let freed = s
        .release_leases(&[lease(&a, "worker-a", until), lease(&c, "worker-a", until)])
        .await
        .expect("release_leases");
    assert_eq!(freed, 1, "c's lease was already gone");
    let later = until + hours(3);
    assert_eq!(
        ids(&pull(s, STREET, "worker-c", 10, t0() + mins(5), later).await),
        vec![a.id],
        "a is pullable at once; b and d are still leased, c is off the desk"
    );

    // b and d ran out and worker-b took them: worker-a's old leases free nothing.
    let retaken = pull(s, STREET, "worker-b", 10, until, until + hours(1)).await;
    assert_eq!(ids(&retaken), vec![b.id, d.id]);
    let stale = [lease(&b, "worker-a", until), lease(&d, "worker-a", until)];
    assert_eq!(s.release_leases(&stale).await.expect("release_leases"), 0);
    assert!(
        pull(s, STREET, "worker-d", 10, until + mins(1), later)
            .await
            .is_empty(),
        "worker-b and worker-c keep their leases"
    );
    assert_eq!(s.release_leases(&[]).await.expect("nothing to release"), 0);
}

/// Pulls queued while the writer is busy share one lease transaction (one commit), and
/// each still gets tickets of its own: every pull of the batch sees the leases of those
/// before it.
pub async fn pulls_queued_together_share_a_transaction_not_tickets(
    store: Arc<dyn Store>,
    url: String,
) {
    const TICKETS: usize = 12;
    const PULLS: usize = 5;
    let s = &*store;
    let mut created = BTreeSet::new();
    for i in 0..TICKETS {
        let general = intake(REGION_STREET, "urban_rural_construction", Urgency::General);
        created.insert(
            dispatched(s, STREET, general, t0() + mins(i as i64))
                .await
                .id,
        );
    }
    let now = t0() + hours(1);
    let lease = now + hours(1);
    let pull_of = |worker: String| {
        let store = store.clone();
        async move { store.pull_assigned(STREET, &worker, 3, now, lease).await }
    };

    let before = s.lease_stats();
    let (first, queued) = behind_the_write_lock(
        &url,
        || s.lease_stats(),
        pull_of("first".into()),
        (0..PULLS).map(|n| pull_of(format!("worker-{n}"))).collect(),
    )
    .await;
    let mut handed_out = ids(&first.expect("the first pull"));
    for (n, got) in queued.into_iter().enumerate() {
        let got = got.unwrap_or_else(|e| panic!("pull {n}: {e}"));
        assert!(got.len() <= 3, "pull {n} got more than it asked for");
        handed_out.extend(ids(&got));
    }
    let after = s.lease_stats();
    assert_eq!(
        (after.batches - before.batches, after.jobs - before.jobs),
        (2, PULLS as u64 + 1),
        "the first pull alone, then the others in one transaction"
    );
    let distinct: BTreeSet<TicketId> = handed_out.iter().copied().collect();
    assert_eq!(
        handed_out.len(),
        distinct.len(),
        "a ticket was handed out twice"
    );
    assert_eq!(distinct, created, "6 pulls of 3 cover the 12 tickets");
}
