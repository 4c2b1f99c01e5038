//! 15. Group-committed transitions.
//!
//! Concurrent transitions share transactions, yet each is answered on its own, only once
//! committed; a stale one is refused alone and a failing one does not take its batch down.
//! Cases that need one batch hold the database's write lock while a first transition is
//! taken, queue the others behind it and release the lock (see `group_commit.rs`).

use super::fixtures::*;
use super::group_commit::behind_the_write_lock;
use hotline::store::{Batching, StoreResult};

fn general() -> Intake {
    intake(REGION_STREET, "urban_rural_construction", Urgency::General)
}

async fn save_owned(
    store: Arc<dyn Store>,
    before: Ticket,
    transition: Transition,
) -> StoreResult<()> {
    store.save_transition(&before, &transition).await
}

/// Many tickets signed at once: every sign stored with its event, in fewer transactions
/// than signs, and the rate counts equal what the event log computes.
pub async fn many_concurrent_transitions_are_all_stored(store: Arc<dyn Store>) {
    const TICKETS: usize = 120;
    let s = &*store;
    let mut tickets = Vec::with_capacity(TICKETS);
    for i in 0..TICKETS {
        tickets.push(dispatched(s, STREET, general(), t0() + mins(i as i64)).await);
    }
    let before = s.transition_stats();
    let signs: Vec<Transition> = tickets
        .iter()
        .map(|t| decide(t, STREET, Command::Sign, t0() + hours(3)))
        .collect();
    let answers = futures_util::future::join_all(
        tickets
            .iter()
            .zip(&signs)
            .map(|(t, sign)| save_owned(store.clone(), t.clone(), sign.clone())),
    )
    .await;
    for ((answer, ticket), sign) in answers.into_iter().zip(&tickets).zip(&signs) {
        answer.unwrap_or_else(|e| panic!("sign of ticket {}: {e}", ticket.id));
        assert_eq!(
            get(s, ticket.id).await,
            sign.ticket,
            "ticket {} signed",
            ticket.id
        );
        let events = history(s, ticket.id).await;
        assert_eq!(
            events.last(),
            Some(&sign.event),
            "ticket {}'s sign event",
            ticket.id
        );
        assert_eq!(events.len(), 3, "create, dispatch, sign");
    }
    let stats = s.transition_stats();
    assert_eq!(stats.jobs - before.jobs, TICKETS as u64, "{stats:?}");
    assert!(
        stats.batches - before.batches < TICKETS as u64,
        "120 signs at once share transactions: {stats:?}"
    );
    let report = s.rebuild_rate_counts().await.expect("rebuild");
    assert_eq!(
        (report.tickets, report.rows_changed),
        (TICKETS as u64, 0),
        "the batched rate counts equal the event log's: {report:?}"
    );
}

/// Writes `first` alone while the database's write lock is held, queues `queued` behind it
/// and releases the lock, so that they make one batch; answers them in their order, and
/// whether that batch had to be written again one transition at a time.
async fn in_one_batch(
    store: &Arc<dyn Store>,
    url: &str,
    first: (Ticket, Transition),
    queued: &[(Ticket, Transition)],
) -> (Vec<StoreResult<()>>, bool) {
    let before = store.transition_stats();
    let save =
        |(ticket, transition): (Ticket, Transition)| save_owned(store.clone(), ticket, transition);
    let (first, answers) = behind_the_write_lock(
        url,
        || store.transition_stats(),
        save(first),
        queued.iter().cloned().map(save).collect(),
    )
    .await;
    first.expect("the first transition");
    let after = store.transition_stats();
    assert_eq!(
        (after.batches - before.batches, after.jobs - before.jobs),
        (2, queued.len() as u64 + 1),
        "the first transition alone, then the others in one batch"
    );
    (answers, after.one_by_one > before.one_by_one)
}

/// In one batch on the fast path (no statement fails): a ticket's stale transition and
/// then its valid one, two transitions decided on one version of another ticket, a reply
/// accepted (its callback task opens) and a callback (its task closes). One statement
/// updates a row once, so a ticket's second transition goes in a later round: each is
/// answered as if written alone.
pub async fn one_batch_writes_a_tickets_transitions_in_turn(store: Arc<dyn Store>, url: String) {
    let s = &*store;
    let sign = |t: &Ticket| decide(t, STREET, Command::Sign, t0() + hours(2));
    let lone = dispatched(s, STREET, general(), t0()).await;
    let moved_on = dispatched(s, STREET, general(), t0()).await;
    let signed = step(s, &moved_on, STREET, Command::Sign, t0() + hours(1)).await;
    let twice = dispatched(s, STREET, general(), t0()).await;
    let replied = awaiting_review(s).await;
    let called = step(
        s,
        &awaiting_review(s).await,
        CENTRE,
        review_reply(true),
        t0(),
    )
    .await;
    assert!(s.callback_task(called.id).await.unwrap().is_some());

    let queued: Vec<(Ticket, Transition)> = vec![
        (moved_on.clone(), sign(&moved_on)),
        (
            signed.clone(),
            decide(&signed, STREET, respond_cmd(), t0() + hours(2)),
        ),
        (twice.clone(), sign(&twice)),
        (
            twice.clone(),
            decide(&twice, STREET, Command::Sign, t0() + hours(3)),
        ),
        (
            replied.clone(),
            decide(&replied, CENTRE, review_reply(true), t0() + hours(2)),
        ),
        (
            called.clone(),
            decide(
                &called,
                CENTRE,
                callback_cmd(true, Satisfaction::Satisfied),
                t0() + hours(2),
            ),
        ),
    ];
    let (answers, one_by_one) =
        in_one_batch(&store, &url, (lone.clone(), sign(&lone)), &queued).await;
    assert!(
        !one_by_one,
        "nothing failed: the batch's first transaction committed"
    );

    for (n, ((ticket, transition), answer)) in queued.iter().zip(&answers).enumerate() {
        if n == 0 || n == 3 {
            match answer {
                Err(StoreError::VersionConflict {
                    id,
                    expected,
                    current,
                }) => {
                    assert_eq!(
                        (*id, *expected),
                        (ticket.id, ticket.version),
                        "transition {n}"
                    );
                    assert_eq!(*current, ticket.version + 1, "transition {n}");
                }
                other => panic!("transition {n} is stale: want a conflict, got {other:?}"),
            }
            continue;
        }
        assert_stored(s, n, answer, ticket, transition).await;
    }
    let opened = s.callback_task(replied.id).await.unwrap().expect("opened");
    assert_eq!((opened.status.as_str(), opened.attempts), ("open", 0));
    let closed = s.callback_task(called.id).await.unwrap().expect("kept");
    assert_eq!(closed.status, "done");
    assert_eq!(s.rebuild_rate_counts().await.unwrap().rows_changed, 0);
}

/// Transition `n` was acknowledged and its ticket and event are as it decided.
async fn assert_stored(
    s: &dyn Store,
    n: usize,
    answer: &StoreResult<()>,
    ticket: &Ticket,
    transition: &Transition,
) {
    answer
        .as_ref()
        .unwrap_or_else(|e| panic!("transition {n}: {e}"));
    assert_eq!(get(s, ticket.id).await, transition.ticket, "transition {n}");
    assert_eq!(
        history(s, ticket.id).await.last(),
        Some(&transition.event),
        "transition {n}'s event"
    );
}

/// A ticket of STREET whose reply awaits the centre's review.
async fn awaiting_review(s: &dyn Store) -> Ticket {
    let t = dispatched(s, STREET, general(), t0()).await;
    let t = sign_and_respond(s, &t, t0(), t0()).await;
    let t = step(s, &t, STREET, handle_cmd(), t0()).await;
    step(s, &t, STREET, reply_cmd(), t0()).await
}

/// In one batch: good transitions, one whose event the database refuses (no actor), and
/// two decided on the same version of one ticket. The refused one and the second of the
/// pair fail alone; everything else is committed with its event and rate entries.
pub async fn a_bad_transition_fails_alone_in_its_batch(_store: Arc<dyn Store>, url: String) {
    let batching = Batching {
        max_batch: 64,
        linger: StdDuration::ZERO,
        writers: 1,
    };
    let store = hotline::store::open_with(&url, batching)
        .await
        .expect("a store of the test's own");
    let s = &*store;
    let mut tickets = Vec::new();
    for i in 0..5 {
        tickets.push(dispatched(s, STREET, general(), t0() + mins(i)).await);
    }
    let sign = |t: &Ticket| decide(t, STREET, Command::Sign, t0() + hours(2));
    let mut anonymous = sign(&tickets[2]);
    anonymous.event.actor.person = String::new();
    let sign_early = decide(&tickets[3], STREET, Command::Sign, t0() + hours(1));
    // Queued in this order; the batch writes them in ticket order, a ticket's own in
    // the order queued.
    let queued: Vec<(Ticket, Transition)> = vec![
        (tickets[1].clone(), sign(&tickets[1])),
        (tickets[3].clone(), sign_early.clone()),
        (tickets[2].clone(), anonymous),
        (tickets[4].clone(), sign(&tickets[4])),
        (tickets[3].clone(), sign(&tickets[3])),
    ];

    let (answers, one_by_one) = in_one_batch(
        &store,
        &url,
        (tickets[0].clone(), sign(&tickets[0])),
        &queued,
    )
    .await;
    assert!(
        one_by_one,
        "the refused event sent the batch down the careful path"
    );

    for (n, ((ticket, transition), answer)) in queued.iter().zip(&answers).enumerate() {
        match n {
            2 => {
                assert!(
                    matches!(answer, Err(StoreError::Database(m)) if !m.is_empty()),
                    "the anonymous event is refused by the database: {answer:?}"
                );
                assert_eq!(get(s, ticket.id).await, *ticket, "nothing of it is stored");
                assert_eq!(history(s, ticket.id).await.len(), 2);
            }
            4 => match answer {
                Err(StoreError::VersionConflict {
                    id,
                    expected,
                    current,
                }) => assert_eq!((*id, *expected, *current), (ticket.id, 2, 3)),
                other => panic!("the second write of version 2: want a conflict, got {other:?}"),
            },
            _ => assert_stored(s, n, answer, ticket, transition).await,
        }
    }
    assert_eq!(
        get(s, tickets[3].id).await,
        sign_early.ticket,
        "the first queued write of ticket 3 won"
    );
    assert_eq!(s.rebuild_rate_counts().await.unwrap().rows_changed, 0);
    store.close().await;
}

/// What queries filter on, as `tickets` stores it: the state, the desk, the supervision
/// counts and the instants (epoch milliseconds).
#[derive(Debug, PartialEq, Eq)]
struct StoredColumns {
    state: String,
    assigned_unit: Option<String>,
    supervised: i64,
    chase_up_count: i64,
    instants: Vec<Option<i64>>,
}

const INSTANT_COLUMNS: &str = "reply_due_at, responded_at, closed_at, callback_at, \
     next_due_at, yellow_at, red_at, next_alert_at";

async fn stored_columns(conn: &mut sqlx::AnyConnection, id: TicketId) -> StoredColumns {
    use sqlx::Row;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT state, assigned_unit, CAST(CASE WHEN supervised THEN 1 ELSE 0 END AS BIGINT) \
         AS supervised, chase_up_count, {INSTANT_COLUMNS} FROM tickets WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .unwrap_or_else(|e| panic!("reading ticket {id}'s columns: {e}"));
    let column = |name: &str| -> Option<i64> { row.get(name) };
    StoredColumns {
        state: row.get("state"),
        assigned_unit: row.get("assigned_unit"),
        supervised: row.get("supervised"),
        chase_up_count: row.get("chase_up_count"),
        instants: INSTANT_COLUMNS.split(", ").map(column).collect(),
    }
}

/// The columns a save of `ticket` projects, the scanner's cursor at the first warning.
fn projected(ticket: &Ticket) -> StoredColumns {
    let ms = |at: Option<Timestamp>| at.map(|at| at.timestamp_millis());
    let watch = ticket.watch.as_ref();
    StoredColumns {
        state: ticket.state.code().to_string(),
        assigned_unit: ticket.assigned_unit.clone(),
        supervised: i64::from(ticket.supervised),
        chase_up_count: i64::from(ticket.chase_up_count),
        instants: vec![
            ms(ticket.due.reply),
            ms(ticket.responded_at),
            ms(ticket.closed_at),
            ms(ticket.callback.as_ref().map(|c| c.at)),
            ms(watch.map(|w| w.due_at)),
            ms(watch.map(|w| w.yellow_at)),
            ms(watch.map(|w| w.red_at)),
            ms(watch.map(|w| w.yellow_at)),
        ],
    }
}

/// Whichever columns a backend's UPDATE names (SQLite's sets only those a transition
/// changed), the stored columns equal a full save's after every step of the loop, and a
/// save puts the scanner's cursor back at the first warning even when the running
/// deadline stays the same.
pub async fn stored_columns_follow_every_step(store: Arc<dyn Store>, url: String) {
    let mut conn = raw_connection(&url).await;
    let s = &*store;
    let mut ticket = dispatched(s, STREET, general(), t0()).await;
    assert_eq!(
        stored_columns(&mut conn, ticket.id).await,
        projected(&ticket)
    );
    let steps = [
        (STREET, Command::Sign),
        (
            CENTRE,
            Command::Supervise {
                on: true,
                note: "列入督办".into(),
            },
        ),
        (
            CENTRE,
            Command::ChaseUp {
                note: "请尽快办理".into(),
            },
        ),
        (STREET, respond_cmd()),
        (STREET, handle_cmd()),
        (STREET, reply_cmd()),
        (CENTRE, review_reply(true)),
        (CENTRE, callback_cmd(true, Satisfaction::Satisfied)),
    ];
    for (i, (by, command)) in steps.into_iter().enumerate() {
        let name = command.name();
        let now = t0() + mins(10 * (i as i64 + 1));
        // The scanner moves the cursor on, as after a warning it recorded.
        let moved_to = now + days(400);
        if ticket.watch.is_some() {
            let moved = s
                .record_alerts(&ticket, &[], Some(moved_to), now)
                .await
                .expect("moving the cursor");
            assert!(moved.is_some(), "the cursor of ticket {} moves", ticket.id);
            let stored = stored_columns(&mut conn, ticket.id).await;
            assert_eq!(stored.instants[7], Some(moved_to.timestamp_millis()));
        }
        ticket = step(s, &ticket, by, command, now).await;
        assert_eq!(
            stored_columns(&mut conn, ticket.id).await,
            projected(&ticket),
            "ticket {}'s columns after {name}",
            ticket.id
        );
    }
    assert_eq!(ticket.state, State::Closed, "the loop ends closed");
}

/// A ticket saved before migration 0002 has no running deadline in its body, but that
/// migration filled its deadline columns in from the due instants. Its next save writes
/// what its body projects, on both backends: a reply clears them, so the replied ticket
/// leaves the overdue lists.
pub async fn a_ticket_saved_before_the_deadline_columns_gets_them_on_its_next_save(
    store: Arc<dyn Store>,
    url: String,
) {
    let mut conn = raw_connection(&url).await;
    let s = &*store;
    let ticket = dispatched(s, STREET, general(), t0()).await;
    let ticket = sign_and_respond(s, &ticket, t0() + mins(5), t0() + mins(10)).await;
    let reply_due = ticket.due.reply.expect("a reply deadline runs");
    // As 0002 left it: a body without the deadline, columns filled in.
    let mut old = ticket.clone();
    old.watch = None;
    let body = serde_json::to_string(&old).expect("the body");
    sqlx::query(
        "UPDATE tickets SET body = $1, next_due_at = $2, yellow_at = $3, red_at = $3 \
         WHERE id = $4",
    )
    .bind(body)
    .bind(reply_due.timestamp_millis())
    .bind(t0().timestamp_millis())
    .bind(ticket.id)
    .execute(&mut conn)
    .await
    .expect("the ticket as 0002 left it");
    let old = get(s, ticket.id).await;
    assert_eq!(old.watch, None);
    let listed = |at| async move {
        let overdue = s
            .list_overdue(Some(STREET), WarningLevel::Yellow, at, 10)
            .await
            .expect("list_overdue");
        overdue.iter().map(|o| o.ticket.id).collect::<Vec<_>>()
    };
    assert_eq!(listed(t0() + mins(20)).await, [ticket.id]);
    let replied = step(s, &old, STREET, reply_cmd(), t0() + mins(20)).await;
    assert_eq!(replied.watch, None, "no deadline runs once replied");
    assert_eq!(
        stored_columns(&mut conn, replied.id).await,
        projected(&replied),
        "the replied ticket's columns"
    );
    assert!(listed(t0() + mins(30)).await.is_empty());
}
