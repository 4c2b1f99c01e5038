//! 11. Deadlines.
//!
//! Warnings by level, the scanner's cursor and its once-only alerts, the per-unit counts,
//! and the scanner's lock.
//!
//! The suite's policy (fixtures) gives general tickets a 24-hour sign window: yellow falls
//! 18 h after dispatch (75%), red 21 h 36 min after (90%), overdue at 24 h.

use super::fixtures::*;

const YELLOW_AFTER: i64 = 18 * 60;
const RED_AFTER: i64 = 21 * 60 + 36;

fn general() -> Intake {
    intake(REGION_STREET, "urban_rural_construction", Urgency::General)
}

fn chase() -> Command {
    Command::ChaseUp {
        note: "请尽快办理".into(),
    }
}

pub async fn warnings_are_listed_by_level(store: Arc<dyn Store>) {
    let store = &*store;
    let n = t0() + days(10);
    // Yellow at n - 1h, red at n + 2h36m, sign due n + 5h.
    let yellow = dispatched(store, STREET, general(), n - hours(19)).await;
    // Yellow n - 4h, red n - 24m, due n + 2h.
    let red = dispatched(store, STREET, general(), n - hours(22)).await;
    // Due n - 6h.
    let overdue = dispatched(store, MARKET, general(), n - hours(30)).await;
    // Nothing yet.
    dispatched(store, STREET, general(), n - hours(1)).await;
    // No deadline runs: queued, and replied.
    create(store, general(), queue(), None, n - days(3)).await;
    let replied = dispatched(store, STREET, general(), n - days(2)).await;
    let replied = sign_and_respond(store, &replied, n - days(2), n - days(2)).await;
    step(store, &replied, STREET, reply_cmd(), n - days(1)).await;

    let listed = |ticket: &Ticket, due_at: Timestamp, level| Overdue {
        ticket: ticket.clone(),
        missed: DeadlineKind::Sign,
        due_at,
        level,
    };
    let o = listed(&overdue, n - hours(6), WarningLevel::Overdue);
    let r = listed(&red, n + hours(2), WarningLevel::Red);
    let y = listed(&yellow, n + hours(5), WarningLevel::Yellow);
    let list = |unit: Option<&'static str>, level, limit| async move {
        store
            .list_overdue(unit, level, n, limit)
            .await
            .unwrap_or_else(|e| panic!("list_overdue({unit:?}, {level}): {e}"))
    };
    assert_eq!(
        list(None, WarningLevel::Overdue, 100).await,
        vec![o.clone()]
    );
    assert_eq!(
        list(None, WarningLevel::Red, 100).await,
        vec![o.clone(), r.clone()]
    );
    assert_eq!(
        list(None, WarningLevel::Yellow, 100).await,
        vec![o.clone(), r.clone(), y.clone()],
        "a level lists the worse ones too, first deadline first"
    );
    assert_eq!(
        list(None, WarningLevel::Yellow, 2).await,
        vec![o.clone(), r.clone()]
    );
    assert_eq!(
        list(Some(STREET), WarningLevel::Yellow, 100).await,
        vec![r.clone(), y]
    );
    assert_eq!(
        list(Some(MARKET), WarningLevel::Red, 100).await,
        vec![o.clone()]
    );

    // Once it has responded, the yellow ticket is held to its 7-day reply only.
    let signed = step(store, &yellow, STREET, Command::Sign, n - mins(40)).await;
    step(store, &signed, STREET, respond_cmd(), n - mins(30)).await;
    assert_eq!(list(None, WarningLevel::Yellow, 100).await, vec![o, r]);
}

pub async fn the_scanner_cursor_records_each_warning_once(store: Arc<dyn Store>) {
    let store = &*store;
    let at = |minutes: i64| t0() + mins(minutes);
    let due = at(24 * 60);
    let ticket = dispatched(store, STREET, general(), t0()).await;
    create(store, general(), queue(), None, t0()).await;
    let check = |now: Timestamp| async move {
        let found = store
            .tickets_to_check(now, 100)
            .await
            .unwrap_or_else(|e| panic!("tickets_to_check: {e}"));
        assert_current(store, &found, "tickets_to_check").await;
        ids(&found)
    };
    assert_eq!(check(at(YELLOW_AFTER - 1)).await, Vec::<TicketId>::new());
    assert_eq!(check(at(YELLOW_AFTER)).await, vec![ticket.id]);

    let alert = |deadline, level, reached| Alert {
        deadline,
        due_at: due,
        level,
        reached_at: reached,
    };
    let sign_yellow = alert(DeadlineKind::Sign, WarningLevel::Yellow, at(YELLOW_AFTER));
    let now = at(YELLOW_AFTER + 5);
    let recorded = store
        .record_alerts(&ticket, &[sign_yellow], Some(at(RED_AFTER)), now)
        .await
        .unwrap();
    assert_eq!(recorded, Some(vec![sign_yellow]));
    assert_eq!(
        get(store, ticket.id).await,
        ticket,
        "alerts leave the ticket and its version alone"
    );
    assert_eq!(check(now).await, Vec::<TicketId>::new(), "the cursor moved");
    assert_eq!(check(at(RED_AFTER)).await, vec![ticket.id]);
    let again = store
        .record_alerts(&ticket, &[sign_yellow], Some(at(RED_AFTER)), now)
        .await
        .unwrap();
    assert_eq!(again, Some(vec![]), "a warning is recorded once");

    // Signing changes the version and puts the cursor back at the first warning of the
    // respond deadline (same window, so 18 h after dispatch): the scanner looks again.
    let signed = step(store, &ticket, STREET, Command::Sign, at(RED_AFTER + 10)).await;
    assert_eq!(check(at(RED_AFTER + 10)).await, vec![ticket.id]);
    let sign_red = alert(DeadlineKind::Sign, WarningLevel::Red, at(RED_AFTER));
    let stale = store
        .record_alerts(&ticket, &[sign_red], None, at(RED_AFTER + 11))
        .await
        .unwrap();
    assert_eq!(stale, None, "a stale read records nothing");
    let respond = [
        alert(
            DeadlineKind::Respond,
            WarningLevel::Yellow,
            at(YELLOW_AFTER),
        ),
        alert(DeadlineKind::Respond, WarningLevel::Red, at(RED_AFTER)),
    ];
    let recorded = store
        .record_alerts(&signed, &respond, Some(due), at(RED_AFTER + 12))
        .await
        .unwrap();
    assert_eq!(recorded, Some(respond.to_vec()));
    assert_eq!(get(store, ticket.id).await, signed);

    let recorded_alert = |alert, recorded_at| RecordedAlert {
        ticket_id: ticket.id,
        alert,
        unit: Some(STREET.to_string()),
        recorded_at,
    };
    assert_eq!(
        store.alerts(ticket.id).await.unwrap(),
        vec![
            recorded_alert(sign_yellow, now),
            recorded_alert(respond[0], at(RED_AFTER + 12)),
            recorded_alert(respond[1], at(RED_AFTER + 12)),
        ],
        "in the order they fell"
    );
    // The last warning recorded, the cursor is cleared: never checked again.
    let overdue = alert(DeadlineKind::Respond, WarningLevel::Overdue, due);
    let recorded = store
        .record_alerts(&signed, &[overdue], None, due)
        .await
        .unwrap();
    assert_eq!(recorded, Some(vec![overdue]));
    assert_eq!(check(t0() + days(365)).await, Vec::<TicketId>::new());
    assert_eq!(store.alerts(ticket.id).await.unwrap().len(), 4);
    assert_eq!(store.alerts(ticket.id + 1000).await.unwrap(), vec![]);
}

pub async fn open_tickets_are_counted_per_unit(store: Arc<dyn Store>) {
    let store = &*store;
    let n = t0() + days(10);
    // STREET: one overdue, one on time that is supervised and chased up twice, one replied.
    dispatched(store, STREET, general(), n - hours(30)).await;
    let watched = dispatched(store, STREET, general(), n - hours(1)).await;
    let supervise = Command::Supervise {
        on: true,
        note: "列入督办".into(),
    };
    let watched = step(store, &watched, CENTRE, supervise, n - mins(50)).await;
    let watched = step(store, &watched, CENTRE, chase(), n - mins(40)).await;
    step(store, &watched, CENTRE, chase(), n - mins(30)).await;
    let replied = dispatched(store, STREET, general(), n - days(2)).await;
    let replied = sign_and_respond(store, &replied, n - days(2), n - days(2)).await;
    step(store, &replied, STREET, reply_cmd(), n - days(1)).await;
    // MARKET: one overdue, chased up because it is.
    let late = dispatched(store, MARKET, general(), n - days(2)).await;
    step(store, &late, CENTRE, chase(), n - mins(5)).await;
    // Nobody's: the queue.
    create(store, general(), queue(), None, n - days(1)).await;

    let market = UnitDeadlineCounts {
        unit: MARKET.into(),
        open: 1,
        overdue: 1,
        supervised: 0,
        chased_up: 1,
        chase_ups: 1,
    };
    let street = UnitDeadlineCounts {
        unit: STREET.into(),
        open: 2,
        overdue: 1,
        supervised: 1,
        chased_up: 1,
        chase_ups: 2,
    };
    let counts = |unit: Option<&'static str>, now| async move {
        store
            .unit_deadline_counts(unit, now)
            .await
            .unwrap_or_else(|e| panic!("unit_deadline_counts({unit:?}): {e}"))
    };
    assert_eq!(counts(None, n).await, vec![market.clone(), street.clone()]);
    assert_eq!(counts(Some(STREET), n).await, vec![street.clone()]);
    assert_eq!(counts(Some(DISTRICT), n).await, vec![]);
    // Seven hours earlier only the market's ticket was overdue.
    let earlier = counts(None, n - hours(7)).await;
    assert_eq!(
        earlier.iter().map(|c| c.overdue).collect::<Vec<_>>(),
        vec![1, 0],
        "{earlier:?}"
    );
}

pub async fn the_scanner_lock_is_held_by_one_store_at_a_time(store: Arc<dyn Store>, url: String) {
    let other = hotline::store::open(&url)
        .await
        .unwrap_or_else(|e| panic!("a second store on the same database: {e:#}"));
    let mut first = store
        .try_lock_scanner()
        .await
        .unwrap()
        .expect("a free lock is granted");
    assert!(first.is_held().await);
    let second = other.try_lock_scanner().await.unwrap();
    match store.backend() {
        // One process owns the file: there is no second replica to exclude.
        "sqlite" => assert!(second.is_some()),
        _ => {
            assert!(second.is_none(), "two replicas must not both scan");
            first.release().await;
            let taken = other.try_lock_scanner().await.unwrap();
            assert!(taken.is_some(), "a released lock is free again");
            assert!(
                store.try_lock_scanner().await.unwrap().is_none(),
                "and then taken"
            );
            if let Some(lock) = taken {
                lock.release().await;
            }
            other.close().await;
            return;
        }
    }
    if let Some(lock) = second {
        lock.release().await;
    }
    first.release().await;
    other.close().await;
}
