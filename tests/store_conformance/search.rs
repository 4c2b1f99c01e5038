//! 7-8. Search and merges.

use super::fixtures::*;

pub async fn search_filters_and_keyset_pagination(store: Arc<dyn Store>) {
    let store = &*store;
    let t1 = dispatched(
        store,
        STREET,
        intake(REGION_STREET, "urban_rural_construction", Urgency::General),
        t0(),
    )
    .await;
    let t2 = dispatched(
        store,
        "qinhuai",
        intake(REGION_QINHUAI, "environmental_protection", Urgency::General),
        t0() + hours(1),
    )
    .await;
    let t2 = step(
        store,
        &t2,
        CENTRE,
        Command::Supervise {
            on: true,
            note: "督办".into(),
        },
        t0() + hours(1) + mins(5),
    )
    .await;
    let t3 = dispatched(
        store,
        MARKET,
        intake(REGION_STREET, "environmental_protection", Urgency::General),
        t0() + hours(2),
    )
    .await;
    let t3 = step(store, &t3, MARKET, Command::Sign, t0() + hours(2) + mins(5)).await;
    let t4 = create(
        store,
        intake(
            REGION_DISTRICT,
            "urban_rural_construction",
            Urgency::General,
        ),
        queue(),
        None,
        t0() + hours(3),
    )
    .await;
    let t5 = create(
        store,
        intake("", "government_services", Urgency::General),
        Disposition::AnswerDirectly {
            answer: "请登录政务服务网查询".into(),
        },
        None,
        t0() + hours(4),
    )
    .await;
    let all = sorted(vec![t1.id, t2.id, t3.id, t4.id, t5.id]);

    let f = |edit: &dyn Fn(&mut TicketFilter)| {
        let mut filter = all_filter();
        edit(&mut filter);
        filter
    };
    let cases: Vec<(&str, TicketFilter, Vec<TicketId>)> = vec![
        ("no filter", all_filter(), all.clone()),
        (
            "states [dispatched]",
            f(&|f| f.states = vec![State::Dispatched]),
            sorted(vec![t1.id, t2.id]),
        ),
        (
            "states [dispatched, signed]",
            f(&|f| f.states = vec![State::Dispatched, State::Signed]),
            sorted(vec![t1.id, t2.id, t3.id]),
        ),
        (
            "states [received]",
            f(&|f| f.states = vec![State::Received]),
            vec![t4.id],
        ),
        (
            "states [closed]",
            f(&|f| f.states = vec![State::Closed]),
            vec![t5.id],
        ),
        (
            "states [archived]",
            f(&|f| f.states = vec![State::Archived]),
            vec![],
        ),
        (
            "assigned_unit",
            f(&|f| f.assigned_unit = Some(STREET.into())),
            vec![t1.id],
        ),
        (
            "assigned_unit market",
            f(&|f| f.assigned_unit = Some(MARKET.into())),
            vec![t3.id],
        ),
        (
            "region street",
            f(&|f| f.region = Some(REGION_STREET.into())),
            sorted(vec![t1.id, t3.id]),
        ),
        (
            "region qinhuai",
            f(&|f| f.region = Some(REGION_QINHUAI.into())),
            vec![t2.id],
        ),
        (
            "category",
            f(&|f| f.category = Some("environmental_protection".into())),
            sorted(vec![t2.id, t3.id]),
        ),
        (
            "created_from (inclusive)",
            f(&|f| f.created_from = Some(t0() + hours(1))),
            sorted(vec![t2.id, t3.id, t4.id, t5.id]),
        ),
        (
            "created_to",
            f(&|f| f.created_to = Some(t0() + hours(2) + mins(30))),
            sorted(vec![t1.id, t2.id, t3.id]),
        ),
        (
            "created range",
            f(&|f| {
                f.created_from = Some(t0() + mins(30));
                f.created_to = Some(t0() + hours(2) + mins(30));
            }),
            sorted(vec![t2.id, t3.id]),
        ),
        (
            "supervised_only",
            f(&|f| f.supervised_only = true),
            vec![t2.id],
        ),
        (
            "region and category",
            f(&|f| {
                f.region = Some(REGION_STREET.into());
                f.category = Some("environmental_protection".into());
            }),
            vec![t3.id],
        ),
        (
            "state and supervised",
            f(&|f| {
                f.states = vec![State::Dispatched];
                f.supervised_only = true;
            }),
            vec![t2.id],
        ),
        (
            "unit and state, no match",
            f(&|f| {
                f.assigned_unit = Some(STREET.into());
                f.states = vec![State::Signed];
            }),
            vec![],
        ),
        (
            "unknown category",
            f(&|f| f.category = Some("路".into())),
            vec![],
        ),
        (
            "after_id with a filter",
            f(&|f| {
                f.states = vec![State::Closed, State::Dispatched];
                f.after_id = Some(t1.id);
            }),
            sorted(vec![t2.id, t5.id]),
        ),
    ];
    for (what, filter, expected) in cases {
        assert_eq!(search_ids(store, &filter).await, expected, "search: {what}");
    }

    // Keyset pagination over everything, two at a time.
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = search_ids(
            store,
            &TicketFilter {
                after_id: after,
                limit: 2,
                ..TicketFilter::default()
            },
        )
        .await;
        assert!(page.len() <= 2, "limit respected: {page:?}");
        if page.is_empty() {
            break;
        }
        after = page.last().copied();
        pages.push(page);
        assert!(pages.len() <= 10, "pagination does not end: {pages:?}");
    }
    assert_eq!(
        pages,
        vec![all[0..2].to_vec(), all[2..4].to_vec(), all[4..5].to_vec()],
        "pages in id order"
    );

    // And over a filtered set, one at a time.
    let noisy = sorted(vec![t2.id, t3.id]);
    let page = |after_id| TicketFilter {
        category: Some("environmental_protection".into()),
        after_id,
        limit: 1,
        ..TicketFilter::default()
    };
    assert_eq!(search_ids(store, &page(None)).await, vec![noisy[0]]);
    assert_eq!(
        search_ids(store, &page(Some(noisy[0]))).await,
        vec![noisy[1]]
    );
    assert_eq!(
        search_ids(store, &page(Some(noisy[1]))).await,
        Vec::<TicketId>::new()
    );
}

pub async fn merged_children_lists_duplicates(store: Arc<dyn Store>) {
    let store = &*store;
    let lamp = || intake(REGION_STREET, "urban_rural_construction", Urgency::General);
    let parent = dispatched(store, STREET, lamp(), t0()).await;
    let other_parent = dispatched(store, MARKET, lamp(), t0()).await;
    // Merged at intake.
    let c1 = create(
        store,
        lamp(),
        Disposition::Merge { parent: parent.id },
        Some(parent.state),
        t0() + mins(1),
    )
    .await;
    let c2 = create(
        store,
        lamp(),
        Disposition::Merge { parent: parent.id },
        Some(parent.state),
        t0() + mins(2),
    )
    .await;
    let c4 = create(
        store,
        lamp(),
        Disposition::Merge {
            parent: other_parent.id,
        },
        Some(other_parent.state),
        t0() + mins(3),
    )
    .await;
    // Merged later by the centre.
    let c3 = dispatched(store, STREET_2, lamp(), t0() + mins(4)).await;
    let c3 = step(
        store,
        &c3,
        CENTRE,
        Command::MergeInto {
            parent: parent.id,
            parent_state: parent.state,
            reason: "重复来电".into(),
        },
        t0() + mins(5),
    )
    .await;
    let _unrelated = dispatched(store, STREET, lamp(), t0() + mins(6)).await;

    for child in [&c1, &c2, &c3] {
        assert_eq!(child.state, State::Merged);
        assert_eq!(child.merged_into, Some(parent.id));
    }
    let mut children = store.merged_children(parent.id).await.unwrap();
    children.sort_unstable();
    assert_eq!(children, sorted(vec![c1.id, c2.id, c3.id]));
    assert_eq!(
        store.merged_children(other_parent.id).await.unwrap(),
        vec![c4.id]
    );
    assert_eq!(
        store.merged_children(c1.id).await.unwrap(),
        Vec::<TicketId>::new()
    );
    assert_eq!(
        get(store, parent.id).await,
        parent,
        "merging leaves the parent alone"
    );
}
