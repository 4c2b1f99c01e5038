//! 12. The knowledge base: entries and their append-only versions, published content,
//!     optimistic concurrency, listing and the change stamp.

use super::fixtures::*;
use hotline::knowledge::lifecycle::{self, Change, KbCommand};
use hotline::knowledge::{Content, Entry, EntryStatus};
use hotline::store::EntryFilter;

fn content(question: &str, owner: &str) -> Content {
    Content {
        question: question.into(),
        answer: format!("{question}的答复"),
        keywords: vec!["社保卡".into(), "补办".into()],
        category: "labour_social_security".into(),
        topic: "social_insurance".into(),
        region: "320102".into(),
        owner_unit: owner.into(),
        valid_from: NaiveDate::from_ymd_opt(2026, 1, 1),
        valid_until: None,
    }
}

fn apply(before: Option<&Entry>, command: KbCommand, unit: &str, minutes: i64) -> Change {
    lifecycle::apply(before, command, &actor(unit), units(), t0() + mins(minutes))
        .unwrap_or_else(|e| panic!("the domain refused the suite's command: {e}"))
}

async fn create(store: &dyn Store, question: &str, owner: &str) -> Entry {
    let change = apply(
        None,
        KbCommand::Create {
            content: content(question, owner),
        },
        owner,
        0,
    );
    store
        .create_entry(&change.entry, &change.version)
        .await
        .expect("create_entry")
}

async fn step(
    store: &dyn Store,
    before: &Entry,
    command: KbCommand,
    unit: &str,
    minutes: i64,
) -> Entry {
    let change = apply(Some(before), command, unit, minutes);
    store
        .save_entry(before.version, &change.entry, &change.version)
        .await
        .expect("save_entry");
    change.entry
}

async fn publish(store: &dyn Store, entry: &Entry) -> Entry {
    let note = String::new();
    let pending = step(
        store,
        entry,
        KbCommand::Submit { note: note.clone() },
        &entry.content.owner_unit,
        1,
    )
    .await;
    step(store, &pending, KbCommand::Approve { note }, CENTRE, 2).await
}

pub async fn knowledge_entries_round_trip_with_their_versions(store: Arc<dyn Store>) {
    let store = &*store;
    let first = create(store, "社保卡丢了怎么补办", "hrss-12333").await;
    let second = create(store, "公积金怎么提取", "housing-fund-12329").await;
    assert!(
        first.id > 0 && second.id > first.id,
        "ids are assigned in order"
    );
    assert_eq!(store.get_entry(first.id).await.unwrap(), first);

    let published = publish(store, &first).await;
    assert_eq!(store.get_entry(first.id).await.unwrap(), published);
    assert_eq!(published.published_version, Some(3));
    let mut edited = content("社保卡丢了怎么补办", "hrss-12333");
    edited.answer = "新的答复".into();
    let draft = step(
        store,
        &published,
        KbCommand::Update {
            content: edited,
            note: "政策调整".into(),
        },
        "hrss-12333",
        3,
    )
    .await;

    let history = store.entry_history(first.id).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|v| v.action.as_str()).collect();
    assert_eq!(actions, ["create", "submit", "approve", "update"]);
    assert_eq!(history[3].content.answer, "新的答复");
    assert_eq!(history[3].note, "政策调整");
    assert_eq!(history[3].at, t0() + mins(3));
    assert_eq!(history[2].actor, actor(CENTRE));

    // While the edit awaits approval, the approved answer is what callers get.
    let live = store
        .live_entry(first.id)
        .await
        .unwrap()
        .expect("still published");
    assert_eq!(live.version, 3);
    assert_eq!(live.content.answer, "社保卡丢了怎么补办的答复");
    assert_eq!(live.reviewed_at, Some(t0() + mins(2)));
    assert_eq!(store.get_entry(first.id).await.unwrap(), draft);
    assert_eq!(
        store.live_entry(second.id).await.unwrap(),
        None,
        "a draft answers nobody"
    );
    let all_live = store.live_entries().await.unwrap();
    assert_eq!(all_live, vec![live]);

    let retired = step(
        store,
        &draft,
        KbCommand::Retire {
            note: "废止".into(),
        },
        CENTRE,
        4,
    )
    .await;
    assert_eq!(retired.status, EntryStatus::Retired);
    assert!(store.live_entries().await.unwrap().is_empty());
    assert!(matches!(
        store.get_entry(999_999).await,
        Err(StoreError::EntryNotFound(999_999))
    ));
}

pub async fn knowledge_saves_check_the_version(store: Arc<dyn Store>) {
    let store = &*store;
    let entry = create(store, "居住证怎么办理", "public-security").await;
    let stamp = store.knowledge_stamp().await.unwrap();
    let submitted = step(
        store,
        &entry,
        KbCommand::Submit {
            note: String::new(),
        },
        "public-security",
        1,
    )
    .await;
    assert!(
        store.knowledge_stamp().await.unwrap() > stamp,
        "every change moves the stamp"
    );

    // Someone else read version 1 too and retires it: too late, nothing is written.
    let stale = apply(
        Some(&entry),
        KbCommand::Retire {
            note: String::new(),
        },
        CENTRE,
        2,
    );
    let refused = store
        .save_entry(entry.version, &stale.entry, &stale.version)
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            StoreError::EntryVersionConflict {
                expected: 1,
                current: 2,
                ..
            }
        ),
        "{refused:?}"
    );
    assert_eq!(store.get_entry(entry.id).await.unwrap(), submitted);
    assert_eq!(store.entry_history(entry.id).await.unwrap().len(), 2);
}

pub async fn knowledge_entries_list_by_owner_and_status(store: Arc<dyn Store>) {
    let store = &*store;
    let a = create(store, "问题一", "hrss-12333").await;
    let b = create(store, "问题二", "market-12315").await;
    let c = create(store, "问题三", "hrss-12333").await;
    let c = publish(store, &c).await;
    let ids = |entries: Vec<Entry>| entries.into_iter().map(|e| e.id).collect::<Vec<_>>();
    let all = EntryFilter {
        limit: 10,
        ..EntryFilter::default()
    };
    assert_eq!(
        ids(store.list_entries(&all).await.unwrap()),
        [a.id, b.id, c.id]
    );
    let hrss = EntryFilter {
        owner_unit: Some("hrss-12333".into()),
        ..all.clone()
    };
    assert_eq!(ids(store.list_entries(&hrss).await.unwrap()), [a.id, c.id]);
    let published = EntryFilter {
        statuses: vec![EntryStatus::Published],
        ..all.clone()
    };
    assert_eq!(ids(store.list_entries(&published).await.unwrap()), [c.id]);
    let page = EntryFilter {
        after_id: Some(a.id),
        limit: 1,
        ..EntryFilter::default()
    };
    assert_eq!(ids(store.list_entries(&page).await.unwrap()), [b.id]);
}
