//! Call lines and callback tasks ([`CallStore`], part of the store's contract).

use super::fixtures::*;
use hotline::domain::calls::{CallLeg, LegEnd};
use hotline::store::calls::{CallGrouping, CallStatsQuery, LegsReported, OpenAttempt};

const SHORT: Duration = Duration::seconds(5);
const WITHIN: Duration = Duration::minutes(30);

/// A leg offered at `offered` (seconds after t0+9h), ended `wait` seconds later.
fn leg(
    id: &str,
    line: &str,
    caller: Option<&str>,
    offered: i64,
    wait: i64,
    answered: bool,
) -> CallLeg {
    let offered_at = t0() + hours(9) + Duration::seconds(offered);
    let end_at = offered_at + Duration::seconds(wait);
    CallLeg {
        leg_id: id.into(),
        line: line.into(),
        caller: caller.map(str::to_string),
        agent: answered.then(|| "agent-1".to_string()),
        ticket_id: None,
        offered_at,
        end: if answered {
            LegEnd::Answered(end_at)
        } else {
            LegEnd::Abandoned(end_at)
        },
    }
}

async fn report(store: &dyn Store, legs: &[CallLeg]) -> LegsReported {
    store
        .report_call_legs(legs, SHORT, WITHIN, t0() + days(1))
        .await
        .expect("report_call_legs")
}

pub async fn call_legs_aggregate_idempotently(store: Arc<dyn Store>) {
    let store = &*store;
    // 09:00-09:59: answered after 4, 12, 15, 30 s, abandoned after 3 s (short) and 50 s;
    // 10:30: one answered after 60 s; another line at 09:10.
    let legs = vec![
        leg("a1", "12328", None, 0, 4, true),
        leg("a2", "12328", None, 60, 12, true),
        leg("a3", "12328", None, 120, 15, true),
        leg("a4", "12328", None, 180, 30, true),
        leg("s1", "12328", None, 240, 3, false),
        leg("x1", "12328", None, 300, 50, false),
        leg("b1", "12328", None, 5400, 60, true),
        leg("o1", "12366", None, 600, 8, true),
    ];
    assert_eq!(
        report(store, &legs).await,
        LegsReported::Written(vec![true; 8])
    );
    // A retry of part of the batch, with one new leg: only the new one counts.
    let retry = vec![legs[0].clone(), leg("a5", "12328", None, 360, 20, true)];
    assert_eq!(
        report(store, &retry).await,
        LegsReported::Written(vec![false, true])
    );
    // A leg id reused with other data refuses the whole batch.
    let reuse = vec![
        leg("n1", "12328", None, 400, 5, true),
        leg("a2", "12328", None, 60, 13, true),
    ];
    assert_eq!(report(store, &reuse).await, LegsReported::Conflict(1));

    let query = |line: Option<&str>, group| CallStatsQuery {
        line: line.map(str::to_string),
        from: t0(),
        to: t0() + days(1),
        group,
    };
    let rows = store
        .call_stats(&query(Some("12328"), CallGrouping::Whole))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let c = rows[0].counts;
    assert_eq!(rows[0].period_start, t0());
    // a1-a5 and b1 answered (a1, a2, a3 within 15 s), s1 short, x1 abandoned; n1 not stored.
    assert_eq!((c.offered, c.answered, c.answered_in_15s), (8, 6, 3));
    assert_eq!((c.abandoned, c.short_abandoned), (2, 1));
    assert_eq!(c.wait_ms, (4 + 12 + 15 + 30 + 20 + 60) * 1000);
    let s = c.stats();
    assert_eq!(s.connection_rate, Some(6.0 / 7.0));
    assert_eq!(s.answer_15s_rate, Some(3.0 / 7.0));
    // Rank 5.4 of 6: the 6th wait (60 s) is alone in (50, 60]: 50 + 10 × 0.4.
    assert!((s.wait_p90_seconds.unwrap() - 54.0).abs() < 1e-9, "{s:?}");

    let by_hour = store
        .call_stats(&query(Some("12328"), CallGrouping::Hour))
        .await
        .unwrap();
    let hours_seen: Vec<_> = by_hour
        .iter()
        .map(|r| (r.period_start, r.counts.offered))
        .collect();
    assert_eq!(
        hours_seen,
        vec![(t0() + hours(9), 7), (t0() + hours(10), 1)]
    );

    // Local days are UTC+8: 09:00 UTC is 17:00 on 2026-03-02 in Beijing, whose day
    // started at 2026-03-01 16:00 UTC (t0 - 8 h).
    let by_day = store
        .call_stats(&query(None, CallGrouping::Day))
        .await
        .unwrap();
    let days_seen: Vec<_> = by_day
        .iter()
        .map(|r| (r.line.as_str(), r.period_start, r.counts.offered))
        .collect();
    assert_eq!(
        days_seen,
        vec![("12328", t0() - hours(8), 8), ("12366", t0() - hours(8), 1)]
    );

    // Hours outside [from, to) are left out.
    let later = CallStatsQuery {
        line: None,
        from: t0() + hours(10),
        to: t0() + hours(11),
        group: CallGrouping::Whole,
    };
    let rows = store.call_stats(&later).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].counts.offered, 1);
}

pub async fn missed_calls_queue_and_clear(store: Arc<dyn Store>) {
    let store = &*store;
    let (a, b, c, e) = (
        Some("13800000001"),
        Some("13800000002"),
        Some("13800000003"),
        Some("13800000005"),
    );
    report(
        store,
        &[
            leg("m1", "12345", a, 0, 40, false),
            leg("m2", "12345", b, 10, 40, false),
            // A short abandon and a withheld number never join the queue.
            leg("m3", "12345", c, 20, 2, false),
            leg("m4", "12345", None, 30, 40, false),
            // Out of order: e got through at 09:30, the abandon at 09:00 comes after it.
            leg("e2", "12345", e, 1800, 10, true),
            leg("e1", "12345", e, 0, 30, false),
        ],
    )
    .await;
    let due = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let listed = |now| async move {
        store
            .list_missed_calls(None, now, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.leg_id)
            .collect::<Vec<_>>()
    };
    // Not yet due 29 minutes after the abandons; due after 30.
    assert_eq!(
        listed(t0() + hours(9) + mins(29)).await,
        Vec::<String>::new()
    );
    let now = t0() + hours(10);
    assert_eq!(listed(now).await, due(&["m1", "m2"]));
    assert_eq!(
        store.missed_call_counts(now).await.unwrap(),
        vec![("12345".to_string(), 2)]
    );
    let first = &store
        .list_missed_calls(Some("12345"), now, 1)
        .await
        .unwrap()[0];
    assert_eq!(
        (first.leg_id.as_str(), first.caller.as_str()),
        ("m1", "13800000001")
    );
    assert_eq!(first.due_at, first.abandoned_at + WITHIN);
    assert!(
        store
            .list_missed_calls(Some("12366"), now, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // a gets through later (on any line): m1 is cleared by the call.
    report(store, &[leg("a2", "12328", a, 5000, 10, true)]).await;
    assert_eq!(listed(now).await, due(&["m2"]));

    // An agent calls b back.
    let called = store
        .record_missed_callback("m2", "agent-2", "已回拨", now)
        .await
        .unwrap()
        .expect("m2 is a missed call");
    assert_eq!(called.cleared_by.as_deref(), Some("callback"));
    assert_eq!(called.cleared_at, Some(now));
    assert_eq!(listed(now).await, Vec::<String>::new());
    // Again: the same answer, nothing changes.
    let again = store
        .record_missed_callback("m2", "agent-3", "", now + mins(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, called);
    assert_eq!(
        store
            .record_missed_callback("nope", "agent-2", "", now)
            .await
            .unwrap(),
        None
    );
    assert!(store.missed_call_counts(now).await.unwrap().is_empty());
}

/// A ticket of STREET awaiting its callback since `at`.
async fn awaiting_callback(store: &dyn Store, at: Timestamp) -> Ticket {
    let t = dispatched(
        store,
        STREET,
        intake(REGION_STREET, "urban_rural_construction", Urgency::General),
        at,
    )
    .await;
    let t = sign_and_respond(store, &t, at, at).await;
    let t = step(store, &t, STREET, reply_cmd(), at).await;
    step(store, &t, CENTRE, review_reply(true), at).await
}

pub async fn callback_tasks_follow_the_transitions(store: Arc<dyn Store>) {
    let store = &*store;
    let t = awaiting_callback(store, t0()).await;
    let task = store
        .callback_task(t.id)
        .await
        .unwrap()
        .expect("a task opens with awaiting_callback");
    assert_eq!(
        (task.status.as_str(), task.channel.as_deref(), task.attempts),
        ("open", None, 0)
    );
    let now = t0() + hours(1);
    let lease = now + mins(5);

    // Waiting in the first channel (sms): the voice channel does not see it.
    assert!(
        store
            .pull_callback_tasks("voice", "sms", "v-1", 10, now, lease)
            .await
            .unwrap()
            .is_empty()
    );
    let pulled = store
        .pull_callback_tasks("sms", "sms", "s-1", 10, now, lease)
        .await
        .unwrap();
    assert_eq!(
        pulled.iter().map(|t| t.ticket_id).collect::<Vec<_>>(),
        vec![t.id]
    );
    assert_eq!(pulled[0].lease_owner.as_deref(), Some("s-1"));
    assert!(
        store
            .pull_callback_tasks("sms", "sms", "s-2", 10, now, lease)
            .await
            .unwrap()
            .is_empty()
    );

    // Only the lease holder records an attempt.
    let no_answer = OpenAttempt::NoAnswer {
        retry_at: now + hours(1),
    };
    assert_eq!(
        store
            .record_callback_attempt(t.id, "s-2", &no_answer, now)
            .await
            .unwrap(),
        None
    );
    let after = store
        .record_callback_attempt(t.id, "s-1", &no_answer, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((after.attempts, after.lease_owner.clone()), (1, None));
    assert_eq!(after.last_outcome.as_deref(), Some("no_answer"));
    // Not pulled again before its retry time.
    assert!(
        store
            .pull_callback_tasks("sms", "sms", "s-1", 10, now, lease)
            .await
            .unwrap()
            .is_empty()
    );
    let later = now + hours(2);
    let pulled = store
        .pull_callback_tasks("sms", "sms", "s-1", 10, later, later + mins(5))
        .await
        .unwrap();
    assert_eq!(pulled.len(), 1);

    // Handed to a person: it now waits in the phone channel.
    let handover = OpenAttempt::Handover {
        channel: "phone".into(),
        reply: "好的".into(),
    };
    store
        .record_callback_attempt(t.id, "s-1", &handover, later)
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .pull_callback_tasks("sms", "sms", "s-1", 10, later, later + mins(5))
            .await
            .unwrap()
            .is_empty()
    );
    let phone = store
        .list_callback_tasks(Some(("phone", "sms")), 10)
        .await
        .unwrap();
    assert_eq!(phone.len(), 1);
    assert_eq!(phone[0].last_reply.as_deref(), Some("好的"));
    assert_eq!(store.list_callback_tasks(None, 10).await.unwrap().len(), 1);

    // The callback transition closes the task in its own transaction.
    step(
        store,
        &t,
        CENTRE,
        callback_cmd(true, Satisfaction::Satisfied),
        later,
    )
    .await;
    let done = store.callback_task(t.id).await.unwrap().unwrap();
    assert_eq!(
        (done.status.as_str(), done.last_outcome.as_deref()),
        ("done", Some("satisfied"))
    );
    assert!(
        store
            .list_callback_tasks(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .pull_callback_tasks("phone", "sms", "p-1", 10, later, later + mins(5))
            .await
            .unwrap()
            .is_empty()
    );

    // A ticket that never awaited a callback has no task.
    let other = dispatched(
        store,
        STREET,
        intake(REGION_STREET, "urban_rural_construction", Urgency::General),
        t0(),
    )
    .await;
    assert_eq!(store.callback_task(other.id).await.unwrap(), None);
}

pub async fn concurrent_callback_pulls_never_share_a_task(store: Arc<dyn Store>) {
    const TICKETS: usize = 24;
    for _ in 0..TICKETS {
        awaiting_callback(&*store, t0()).await;
    }
    let now = t0() + hours(1);
    let mut workers = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let tasks = store
                    .pull_callback_tasks("sms", "sms", &format!("w-{w}"), 3, now, now + mins(5))
                    .await
                    .unwrap();
                if tasks.is_empty() {
                    return got;
                }
                got.extend(tasks.into_iter().map(|t| t.ticket_id));
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().copied().collect();
    assert_eq!(all.len(), TICKETS, "every task pulled once: {all:?}");
    assert_eq!(distinct.len(), TICKETS);
}
