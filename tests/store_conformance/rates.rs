//! 9. Rates.

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
    RateRow {
        key: key.to_string(),
        counts: counts(c),
    }
}

/// Rows sorted by key as Rust orders strings (byte order).
fn rows(mut rows: Vec<RateRow>) -> Vec<RateRow> {
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows
}

pub async fn rate_counts_match_a_hand_computed_scenario(store: Arc<dyn Store>) {
    use Satisfaction::*;
    let store = &*store;
    // Period [P, P + 7d). General tickets: respond due 24 h after dispatch.
    let p = t0();
    let (from, to) = (p, p + days(7));
    let lamp = "urban_rural_construction";
    let noise = "environmental_protection";
    let r1 = REGION_STREET;
    let r2 = REGION_STREET_2;
    let general = |region: &str, category: &str| intake(region, category, Urgency::General);

    // a1: dispatched exactly at `from` (in), responded in time, callback satisfied + resolved.
    let a1 = dispatched(store, STREET, general(r1, lamp), p).await;
    let a1 = sign_and_respond(store, &a1, p + hours(1), p + hours(2)).await;
    reply_and_call_back(store, &a1, p + days(1), p + days(2), true, Satisfied).await;
    // a2: in, responded in time, basically satisfied + resolved.
    let a2 = dispatched(store, STREET, general(r1, noise), p + hours(2)).await;
    let a2 = sign_and_respond(store, &a2, p + hours(3), p + hours(5)).await;
    reply_and_call_back(
        store,
        &a2,
        p + days(1),
        p + days(2),
        true,
        BasicallySatisfied,
    )
    .await;
    // a3: in, responded LATE (due p+27h, responded p+48h), dissatisfied, not resolved.
    let a3 = dispatched(store, STREET, general(r2, noise), p + hours(3)).await;
    let a3 = sign_and_respond(store, &a3, p + days(1), p + days(2)).await;
    assert!(!a3.responded_in_time());
    reply_and_call_back(store, &a3, p + days(2), p + days(3), false, Dissatisfied).await;
    // a4: dispatched BEFORE the period (out), responded in time (but out), callback in the
    // period: declined.
    let a4 = dispatched(store, STREET, general(r1, lamp), p - days(2)).await;
    let a4 = sign_and_respond(store, &a4, p - days(2) + mins(30), p - days(2) + hours(1)).await;
    reply_and_call_back(store, &a4, p - days(1), p + days(1), false, Declined).await;
    // a5: dispatched AFTER the period (out), nothing else.
    dispatched(store, STREET, general(r1, lamp), p + days(8)).await;
    // a6: dispatched in the period, responded in time, callback exactly at `to` (out).
    let a6 = dispatched(store, STREET, general(r1, lamp), p + days(6)).await;
    let a6 = sign_and_respond(store, &a6, p + days(6), p + days(6) + hours(1)).await;
    reply_and_call_back(store, &a6, p + days(6) + hours(2), to, true, Satisfied).await;
    // b1: another unit; in, responded in time, satisfied + resolved.
    let b1 = dispatched(store, MARKET, general(r1, lamp), p + hours(1)).await;
    let b1 = sign_and_respond(store, &b1, p + hours(2), p + hours(3)).await;
    reply_and_call_back(store, &b1, p + days(1), p + days(2), true, Satisfied).await;
    // q1: still in the centre's queue: dispatched to nobody.
    create(store, general(r1, lamp), queue(), None, p + hours(1)).await;

    let query = |group_by, edit: &dyn Fn(&mut RateQuery)| {
        let mut q = RateQuery {
            from,
            to,
            group_by,
            unit: None,
            region: None,
            category: None,
        };
        edit(&mut q);
        q
    };
    let by = |group_by| query(group_by, &|_| {});
    //                              [disp, in_time, callbacks, declined, resolved, sat, basic, dis]
    let cases: Vec<(&str, RateQuery, Vec<RateRow>)> = vec![
        (
            "by unit",
            by(RateGrouping::Unit),
            rows(vec![
                // a1, a2, a3, a6 dispatched; a1, a2, a6 in time; callbacks a1-a4.
                row(STREET, [4, 3, 4, 1, 2, 1, 1, 1]),
                row(MARKET, [1, 1, 1, 0, 1, 1, 0, 0]),
            ]),
        ),
        (
            "by region",
            by(RateGrouping::Region),
            rows(vec![
                // a1, a2, a4, a5, a6, b1.
                row(r1, [4, 4, 4, 1, 3, 2, 1, 0]),
                // a3.
                row(r2, [1, 0, 1, 0, 0, 0, 0, 1]),
            ]),
        ),
        (
            "by category",
            by(RateGrouping::Category),
            rows(vec![
                // a1, a4, a5, a6, b1.
                row(lamp, [3, 3, 3, 1, 2, 2, 0, 0]),
                // a2, a3.
                row(noise, [2, 1, 2, 0, 1, 0, 1, 1]),
            ]),
        ),
        (
            "unit filter, by category",
            query(RateGrouping::Category, &|q| q.unit = Some(STREET.into())),
            rows(vec![
                // a1, a4, a5, a6.
                row(lamp, [2, 2, 2, 1, 1, 1, 0, 0]),
                row(noise, [2, 1, 2, 0, 1, 0, 1, 1]),
            ]),
        ),
        (
            "unit filter, by unit",
            query(RateGrouping::Unit, &|q| q.unit = Some(MARKET.into())),
            vec![row(MARKET, [1, 1, 1, 0, 1, 1, 0, 0])],
        ),
        (
            "region filter, by unit",
            query(RateGrouping::Unit, &|q| q.region = Some(r2.into())),
            vec![row(STREET, [1, 0, 1, 0, 0, 0, 0, 1])],
        ),
        (
            "category filter, by region",
            query(RateGrouping::Region, &|q| q.category = Some(lamp.into())),
            vec![row(r1, [3, 3, 3, 1, 2, 2, 0, 0])],
        ),
        (
            "a unit with nothing",
            query(RateGrouping::Unit, &|q| q.unit = Some(DISTRICT.into())),
            vec![],
        ),
        (
            "an empty period",
            query(RateGrouping::Unit, &|q| {
                q.from = p + days(20);
                q.to = p + days(27);
            }),
            vec![],
        ),
    ];
    for (what, query, expected) in cases {
        let got = store
            .rate_counts(&query)
            .await
            .unwrap_or_else(|e| panic!("rate_counts({what}): {e}"));
        assert_eq!(got, expected, "rate_counts: {what}");
    }
}
