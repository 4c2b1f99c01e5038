//! Rates (section 9): counted from events into a per-day aggregate, attributed to the
//! unit each step concerns, over local days of UTC+8.

use super::fixtures::*;

/// `[dispatched, responded_in_time, callbacks, declined, resolved, satisfied,
/// basically_satisfied, dissatisfied]`.
fn counts(c: [u64; 8]) -> RateCounts {
    RateCounts {
        dispatched: c[0],
        responded_in_time: c[1],
        callbacks: c[2],
        declined: c[3],
        resolved: c[4],
        satisfied: c[5],
        basically_satisfied: c[6],
        dissatisfied: c[7],
    }
}

fn row(key: &str, c: [u64; 8]) -> RateRow {
    in_period("", key, c)
}

fn in_period(period: &str, key: &str, c: [u64; 8]) -> RateRow {
    RateRow {
        period: period.to_string(),
        key: key.to_string(),
        counts: counts(c),
    }
}

/// Rows sorted by period, then key, as Rust orders strings (byte order).
fn rows(mut rows: Vec<RateRow>) -> Vec<RateRow> {
    rows.sort_by(|a, b| (&a.period, &a.key).cmp(&(&b.period, &b.key)));
    rows
}

/// `2026-month-day hh:mm` in Beijing time (UTC+8).
fn bj(month: u32, day: u32, hour: u32, minute: u32) -> Timestamp {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
        .to_utc()
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// The local days `[from, to)` of March, grouped as asked, without filters.
fn march(from: u32, to: u32, group_by: RateGrouping) -> RateQuery {
    RateQuery {
        from: date(3, from),
        to: date(3, to),
        group_by,
        period: RatePeriod::Whole,
        unit: None,
        region: None,
        category: None,
    }
}

async fn rates(store: &dyn Store, query: &RateQuery) -> Vec<RateRow> {
    store
        .rate_counts(query)
        .await
        .unwrap_or_else(|e| panic!("rate_counts({query:?}): {e}"))
}

const LAMP: &str = "urban_rural_construction";
const NOISE: &str = "environmental_protection";

fn general(region: &str, category: &str) -> Intake {
    intake(region, category, Urgency::General)
}

pub async fn rate_counts_match_a_hand_computed_scenario(store: Arc<dyn Store>) {
    use Satisfaction::*;
    let store = &*store;
    let (r1, r2) = (REGION_STREET, REGION_STREET_2);
    // General tickets: respond due 24 h after dispatch. The period is the local days
    // [3-02, 3-09): from 3-02 00:00 to 3-09 00:00 Beijing time.

    // a1: in, responded in time, callback 3-04 satisfied + resolved.
    let a1 = dispatched(store, STREET, general(r1, LAMP), bj(3, 2, 9, 0)).await;
    let a1 = sign_and_respond(store, &a1, bj(3, 2, 10, 0), bj(3, 2, 11, 0)).await;
    reply_and_call_back(store, &a1, bj(3, 3, 9, 0), bj(3, 4, 9, 0), true, Satisfied).await;
    // a2: in, responded in time, callback 3-04 basically satisfied + resolved.
    let a2 = dispatched(store, STREET, general(r1, NOISE), bj(3, 2, 10, 0)).await;
    let a2 = sign_and_respond(store, &a2, bj(3, 2, 11, 0), bj(3, 2, 13, 0)).await;
    let callback = bj(3, 4, 10, 0);
    reply_and_call_back(
        store,
        &a2,
        bj(3, 3, 9, 0),
        callback,
        true,
        BasicallySatisfied,
    )
    .await;
    // a3: in, responded LATE (due 3-03 11:00), callback 3-05 dissatisfied, not resolved.
    let a3 = dispatched(store, STREET, general(r2, NOISE), bj(3, 2, 11, 0)).await;
    let a3 = sign_and_respond(store, &a3, bj(3, 3, 9, 0), bj(3, 4, 11, 0)).await;
    assert!(!a3.responded_in_time());
    reply_and_call_back(
        store,
        &a3,
        bj(3, 4, 12, 0),
        bj(3, 5, 9, 0),
        false,
        Dissatisfied,
    )
    .await;
    // a4: dispatched 3-01 (out) and responded in time (counts on 3-01: out); callback on
    // 3-03 (in): declined, which is outside the scope and never dissatisfied.
    let a4 = dispatched(store, STREET, general(r1, LAMP), bj(3, 1, 9, 0)).await;
    let a4 = sign_and_respond(store, &a4, bj(3, 1, 9, 30), bj(3, 1, 10, 0)).await;
    reply_and_call_back(store, &a4, bj(3, 2, 9, 0), bj(3, 3, 9, 0), false, Declined).await;
    // a5: dispatched exactly at the end of the period (out).
    dispatched(store, STREET, general(r1, LAMP), bj(3, 9, 0, 0)).await;
    // a6: dispatched in the last minute of the period, responded in time after it: the
    // response counts on the dispatch day (in); the callback on 3-09 is out.
    let a6 = dispatched(store, STREET, general(r1, LAMP), bj(3, 8, 23, 59)).await;
    let a6 = sign_and_respond(store, &a6, bj(3, 9, 0, 10), bj(3, 9, 0, 30)).await;
    reply_and_call_back(store, &a6, bj(3, 9, 8, 0), bj(3, 9, 9, 0), true, Satisfied).await;
    // a7: dispatched exactly at the start of the period (in); nothing more.
    dispatched(store, STREET, general(r1, LAMP), bj(3, 2, 0, 0)).await;
    // m1: dispatched 2-28 23:30, responded in time 3-01 00:10: counts in February.
    let m1 = dispatched(store, STREET, general(r1, LAMP), bj(2, 28, 23, 30)).await;
    sign_and_respond(store, &m1, bj(2, 28, 23, 40), bj(3, 1, 0, 10)).await;
    // b1: another unit; in, responded in time, callback 3-04 satisfied + resolved.
    let b1 = dispatched(store, MARKET, general(r1, LAMP), bj(3, 2, 9, 0)).await;
    let b1 = sign_and_respond(store, &b1, bj(3, 2, 10, 0), bj(3, 2, 11, 0)).await;
    reply_and_call_back(store, &b1, bj(3, 3, 9, 0), bj(3, 4, 9, 0), true, Satisfied).await;
    // q1: still in the centre's queue: dispatched to nobody.
    create(store, general(r1, LAMP), queue(), None, bj(3, 2, 9, 0)).await;

    let by = |group_by| march(2, 9, group_by);
    let with = |group_by, edit: &dyn Fn(&mut RateQuery)| {
        let mut q = by(group_by);
        edit(&mut q);
        q
    };
    //                                        [disp, in_time, callbacks, declined, resolved, sat, basic, dis]
    let cases: Vec<(&str, RateQuery, Vec<RateRow>)> = vec![
        (
            "by unit",
            by(RateGrouping::Unit),
            rows(vec![
                // a1, a2, a3, a6, a7 dispatched; a1, a2, a6 in time; callbacks a1-a4.
                row(STREET, [5, 3, 4, 1, 2, 1, 1, 1]),
                row(MARKET, [1, 1, 1, 0, 1, 1, 0, 0]),
            ]),
        ),
        (
            "by region",
            by(RateGrouping::Region),
            rows(vec![
                // a1, a2, a6, a7, b1 dispatched; a1, a2, a6, b1 in time; a1, a2, a4, b1 called.
                row(r1, [5, 4, 4, 1, 3, 2, 1, 0]),
                // a3.
                row(r2, [1, 0, 1, 0, 0, 0, 0, 1]),
            ]),
        ),
        (
            "by category",
            by(RateGrouping::Category),
            rows(vec![
                // a1, a6, a7, b1 dispatched; a1, a6, b1 in time; a1, a4, b1 called.
                row(LAMP, [4, 3, 3, 1, 2, 2, 0, 0]),
                // a2, a3.
                row(NOISE, [2, 1, 2, 0, 1, 0, 1, 1]),
            ]),
        ),
        (
            "unit filter, by category",
            with(RateGrouping::Category, &|q| q.unit = Some(STREET.into())),
            rows(vec![
                // a1, a6, a7 dispatched; a1, a6 in time; a1, a4 called.
                row(LAMP, [3, 2, 2, 1, 1, 1, 0, 0]),
                row(NOISE, [2, 1, 2, 0, 1, 0, 1, 1]),
            ]),
        ),
        (
            "unit filter, by unit",
            with(RateGrouping::Unit, &|q| q.unit = Some(MARKET.into())),
            vec![row(MARKET, [1, 1, 1, 0, 1, 1, 0, 0])],
        ),
        (
            "region filter, by unit",
            with(RateGrouping::Unit, &|q| q.region = Some(r2.into())),
            vec![row(STREET, [1, 0, 1, 0, 0, 0, 0, 1])],
        ),
        (
            "category filter, by region",
            with(RateGrouping::Region, &|q| q.category = Some(LAMP.into())),
            vec![row(r1, [4, 3, 3, 1, 2, 2, 0, 0])],
        ),
        (
            "a unit with nothing",
            with(RateGrouping::Unit, &|q| q.unit = Some(DISTRICT.into())),
            vec![],
        ),
        ("an empty period", march(20, 27, RateGrouping::Unit), vec![]),
        (
            "by day",
            with(RateGrouping::Unit, &|q| q.period = RatePeriod::Day),
            rows(vec![
                // 3-02: a1, a2, a3, a7 and b1 dispatched; a1, a2 and b1 in time.
                in_period("2026-03-02", STREET, [4, 2, 0, 0, 0, 0, 0, 0]),
                in_period("2026-03-02", MARKET, [1, 1, 0, 0, 0, 0, 0, 0]),
                // 3-03: a4's declined callback.
                in_period("2026-03-03", STREET, [0, 0, 1, 1, 0, 0, 0, 0]),
                // 3-04: callbacks of a1, a2 and b1.
                in_period("2026-03-04", STREET, [0, 0, 2, 0, 2, 1, 1, 0]),
                in_period("2026-03-04", MARKET, [0, 0, 1, 0, 1, 1, 0, 0]),
                // 3-05: a3's callback.
                in_period("2026-03-05", STREET, [0, 0, 1, 0, 0, 0, 0, 1]),
                // 3-08: a6 dispatched, and its response of 3-09 in time.
                in_period("2026-03-08", STREET, [1, 1, 0, 0, 0, 0, 0, 0]),
            ]),
        ),
        (
            "by month, February and March",
            RateQuery {
                from: date(2, 1),
                to: date(4, 1),
                period: RatePeriod::Month,
                unit: Some(STREET.into()),
                ..by(RateGrouping::Unit)
            },
            vec![
                // m1, and its response in time of 3-01.
                in_period("2026-02", STREET, [1, 1, 0, 0, 0, 0, 0, 0]),
                // a1-a7 dispatched; a1, a2, a4, a6 in time; a1, a2, a3, a4, a6 called.
                in_period("2026-03", STREET, [7, 4, 5, 1, 3, 2, 1, 1]),
            ],
        ),
        (
            "a day of February and the whole of March",
            RateQuery {
                from: date(2, 28),
                to: date(4, 1),
                unit: Some(STREET.into()),
                ..by(RateGrouping::Unit)
            },
            // m1, and all of March as above.
            vec![row(STREET, [8, 5, 5, 1, 3, 2, 1, 1])],
        ),
        (
            "the same by month",
            RateQuery {
                from: date(2, 28),
                to: date(4, 1),
                period: RatePeriod::Month,
                ..by(RateGrouping::Category)
            },
            rows(vec![
                in_period("2026-02", LAMP, [1, 1, 0, 0, 0, 0, 0, 0]),
                // a1, a4-a7, b1: dispatched 6; a1, a4, a6, b1 in time; a1, a4, a6, b1
                // called: a4 declined, the others resolved and satisfied.
                in_period("2026-03", LAMP, [6, 4, 4, 1, 3, 3, 0, 0]),
                in_period("2026-03", NOISE, [2, 1, 2, 0, 1, 0, 1, 1]),
            ]),
        ),
    ];
    for (what, query, expected) in cases {
        assert_eq!(rates(store, &query).await, expected, "rate_counts: {what}");
    }
}

/// Builds three tickets that change hands, for the two cases below.
async fn tickets_changing_hands(store: &dyn Store) {
    use Satisfaction::*;
    let lamp = || general(REGION_STREET, LAMP);
    // t1: to the street, which signs and returns it (退单); the centre approves and
    // reassigns it to market regulation, which responds in time; callback satisfied.
    let t1 = dispatched(store, STREET, lamp(), bj(3, 2, 9, 0)).await;
    let t1 = step(store, &t1, STREET, Command::Sign, bj(3, 2, 9, 10)).await;
    let returned = Command::RequestReturn {
        reason: "不属于本街道职责".into(),
    };
    let t1 = step(store, &t1, STREET, returned, bj(3, 2, 9, 20)).await;
    let approved = Command::ReviewReturn {
        approve: true,
        reassign_to: Some(MARKET.into()),
        co_units: Vec::new(),
        reason: "改派市场监管".into(),
    };
    let t1 = step(store, &t1, CENTRE, approved, bj(3, 2, 10, 0)).await;
    let t1 = sign_and_respond(store, &t1, bj(3, 2, 10, 30), bj(3, 2, 11, 0)).await;
    reply_and_call_back(store, &t1, bj(3, 3, 9, 0), bj(3, 4, 9, 0), true, Satisfied).await;
    // t2: to market regulation, reassigned (改派) by the centre to the street, which
    // responds in time; the callback is declined.
    let t2 = dispatched(store, MARKET, lamp(), bj(3, 3, 9, 0)).await;
    let reassigned = Command::Dispatch {
        unit: STREET.into(),
        co_units: Vec::new(),
        reason: "属地街道处理".into(),
    };
    let t2 = step(store, &t2, CENTRE, reassigned, bj(3, 3, 10, 0)).await;
    let t2 = sign_and_respond(store, &t2, bj(3, 3, 10, 30), bj(3, 3, 11, 0)).await;
    reply_and_call_back(store, &t2, bj(3, 4, 9, 0), bj(3, 5, 9, 0), false, Declined).await;
    // t3: to the street, which escalates (提级) to its district; the district responds in
    // time; callback dissatisfied, unresolved.
    let t3 = dispatched(store, STREET, lamp(), bj(3, 3, 12, 0)).await;
    let t3 = step(store, &t3, STREET, Command::Sign, bj(3, 3, 12, 10)).await;
    let escalated = Command::Escalate {
        reason: "需区级协调".into(),
    };
    let t3 = step(store, &t3, STREET, escalated, bj(3, 3, 13, 0)).await;
    assert_eq!(t3.assigned_unit.as_deref(), Some(DISTRICT));
    let t3 = sign_and_respond(store, &t3, bj(3, 3, 13, 30), bj(3, 3, 14, 0)).await;
    reply_and_call_back(
        store,
        &t3,
        bj(3, 4, 9, 0),
        bj(3, 5, 9, 0),
        false,
        Dissatisfied,
    )
    .await;
}

/// Each assignment counts for the unit that receives it; a callback for the unit that
/// handled the ticket, not for one that held it before.
pub async fn rates_follow_each_assignment(store: Arc<dyn Store>) {
    let store = &*store;
    tickets_changing_hands(store).await;
    assert_eq!(
        rates(store, &march(2, 9, RateGrouping::Unit)).await,
        rows(vec![
            // t1 (returned), t2 (reassigned to it, responded in time), t3 (escalated away);
            // t2's declined callback.
            row(STREET, [3, 1, 1, 1, 0, 0, 0, 0]),
            // t1 (reassigned to it, responded in time, satisfied), t2 (reassigned away).
            row(MARKET, [2, 1, 1, 0, 1, 1, 0, 0]),
            // t3, escalated to it: responded in time, dissatisfied.
            row(DISTRICT, [1, 1, 1, 0, 0, 0, 0, 1]),
        ])
    );
}

/// Merged duplicates, transfers and tickets the centre excluded count nowhere: what they
/// counted is taken back on the days it was counted, and nothing later counts.
pub async fn leaving_the_scope_retracts_what_a_ticket_counted(store: Arc<dyn Store>) {
    use Satisfaction::*;
    let store = &*store;
    let lamp = || general(REGION_STREET, LAMP);
    let by_day = RateQuery {
        period: RatePeriod::Day,
        ..march(2, 9, RateGrouping::Unit)
    };
    let exclude = |reason| Command::ExcludeFromRates {
        reason,
        note: "经甄别为不合理诉求".into(),
    };
    // e1 and e2: dispatched 3-02, responded in time, called back 3-04.
    let e1 = dispatched(store, STREET, lamp(), bj(3, 2, 9, 0)).await;
    let e1 = sign_and_respond(store, &e1, bj(3, 2, 9, 10), bj(3, 2, 9, 20)).await;
    let e1 = reply_and_call_back(
        store,
        &e1,
        bj(3, 3, 9, 0),
        bj(3, 4, 9, 0),
        false,
        Dissatisfied,
    )
    .await;
    let e2 = dispatched(store, STREET, lamp(), bj(3, 2, 9, 0)).await;
    let e2 = sign_and_respond(store, &e2, bj(3, 2, 9, 10), bj(3, 2, 9, 20)).await;
    reply_and_call_back(store, &e2, bj(3, 3, 9, 0), bj(3, 4, 9, 0), true, Satisfied).await;
    assert_eq!(
        rates(store, &march(2, 9, RateGrouping::Unit)).await,
        vec![row(STREET, [2, 2, 2, 0, 1, 1, 0, 1])]
    );

    // The centre excludes e1 on 3-20: its dispatch, response and callback go.
    let e1 = step(
        store,
        &e1,
        CENTRE,
        exclude(ExclusionReason::Unreasonable),
        bj(3, 20, 9, 0),
    )
    .await;
    assert_eq!(e1.excluded_from_rates, Some(ExclusionReason::Unreasonable));
    assert_eq!(
        rates(store, &by_day).await,
        vec![
            in_period("2026-03-02", STREET, [1, 1, 0, 0, 0, 0, 0, 0]),
            in_period("2026-03-04", STREET, [0, 0, 1, 0, 1, 1, 0, 0]),
        ]
    );
    assert_eq!(
        rates(store, &march(20, 21, RateGrouping::Unit)).await,
        vec![],
        "the exclusion counts nothing on its own day"
    );

    // e3: excluded while open, then worked to the end: counts nothing.
    let e3 = dispatched(store, STREET, lamp(), bj(3, 3, 9, 0)).await;
    let e3 = step(
        store,
        &e3,
        CENTRE,
        exclude(ExclusionReason::Invalid),
        bj(3, 3, 9, 5),
    )
    .await;
    let e3 = sign_and_respond(store, &e3, bj(3, 3, 9, 10), bj(3, 3, 9, 20)).await;
    reply_and_call_back(
        store,
        &e3,
        bj(3, 3, 10, 0),
        bj(3, 4, 10, 0),
        true,
        Satisfied,
    )
    .await;
    // e5: an open ticket (counts its dispatch); e4, responded in time, is merged into it.
    let e5 = dispatched(store, STREET, lamp(), bj(3, 3, 9, 0)).await;
    let e4 = dispatched(store, STREET, lamp(), bj(3, 3, 9, 0)).await;
    let e4 = sign_and_respond(store, &e4, bj(3, 3, 9, 10), bj(3, 3, 9, 20)).await;
    let merge = Command::MergeInto {
        parent: e5.id,
        parent_state: e5.state,
        reason: "重复诉求".into(),
    };
    step(store, &e4, CENTRE, merge, bj(3, 3, 11, 0)).await;
    // e6: signed, then handed to 110.
    let e6 = dispatched(store, STREET, lamp(), bj(3, 3, 9, 0)).await;
    let e6 = step(store, &e6, STREET, Command::Sign, bj(3, 3, 9, 10)).await;
    let transfer = Command::Transfer {
        to: Disposition::EmergencyTransfer {
            line: EmergencyLine::Police110,
        },
        reason: "涉及治安".into(),
    };
    step(store, &e6, CENTRE, transfer, bj(3, 3, 9, 30)).await;

    assert_eq!(
        rates(store, &by_day).await,
        vec![
            in_period("2026-03-02", STREET, [1, 1, 0, 0, 0, 0, 0, 0]),
            // e5 only.
            in_period("2026-03-03", STREET, [1, 0, 0, 0, 0, 0, 0, 0]),
            in_period("2026-03-04", STREET, [0, 0, 1, 0, 1, 1, 0, 0]),
        ]
    );
}

/// Every query the cases above check, by each grouping and period.
pub async fn everything(store: &dyn Store) -> Vec<Vec<RateRow>> {
    let mut all = Vec::new();
    for group_by in [
        RateGrouping::Unit,
        RateGrouping::Region,
        RateGrouping::Category,
    ] {
        for period in [RatePeriod::Whole, RatePeriod::Day, RatePeriod::Month] {
            let query = RateQuery {
                from: date(1, 1),
                to: date(12, 31),
                period,
                ..march(1, 2, group_by)
            };
            all.push(rates(store, &query).await);
        }
    }
    all
}

/// Replaying the event log gives the aggregate the transitions built, row for row; a
/// damaged aggregate is repaired and the damage reported.
pub async fn rebuild_equals_incremental(store: Arc<dyn Store>, url: String) {
    let s = &*store;
    rate_counts_match_a_hand_computed_scenario(store.clone()).await;
    tickets_changing_hands(s).await;
    let incremental = everything(s).await;
    assert!(!incremental[0].is_empty());

    let report = s.rebuild_rate_counts().await.expect("rebuild");
    assert_eq!(
        report.rows_changed, 0,
        "the incremental counts were exact: {report:?}"
    );
    // 10 tickets in the first scenario, 3 in the second.
    assert_eq!(report.tickets, 13, "{report:?}");
    let mut events = 0;
    for ticket in search(s, &all_filter()).await {
        events += history(s, ticket.id).await.len() as u64;
    }
    assert_eq!(report.events, events, "{report:?}");
    assert_eq!(everything(s).await, incremental, "rebuild == incremental");

    // Damage one row behind the store's back: market regulation's row of 3-02.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("raw connection");
    let damaged = sqlx::query(
        "UPDATE rate_counts SET dispatched = dispatched + 5 WHERE day = 20260302 AND unit = $1",
    )
    .bind(MARKET)
    .execute(&pool)
    .await
    .expect("damage");
    assert_eq!(damaged.rows_affected(), 1);
    pool.close().await;
    assert_ne!(everything(s).await, incremental);

    let report = s.rebuild_rate_counts().await.expect("rebuild");
    assert_eq!(report.rows_changed, 1, "{report:?}");
    assert_eq!(everything(s).await, incremental, "the rebuild repaired it");
}
