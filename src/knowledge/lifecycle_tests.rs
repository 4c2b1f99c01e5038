use chrono::{Duration, NaiveDate, TimeZone, Utc};

use super::*;
use crate::domain::{Actor, Disposition, RequestType, Timestamp, UnitCatalog};
use crate::knowledge::citation;
use crate::knowledge::entry::{LiveEntry, Staleness, split_keywords};

fn units() -> UnitCatalog {
    crate::config::built_in_units()
}

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap()
}

fn actor(unit: &str) -> Actor {
    Actor {
        unit: unit.into(),
        person: "p1".into(),
    }
}

fn content() -> Content {
    Content {
        question: " 社保卡丢了怎么补办？ ".into(),
        answer: "携带身份证到任一社保卡服务网点办理挂失补办。".into(),
        keywords: vec!["社保卡，补办".into(), "挂失".into()],
        category: "labour_social_security".into(),
        topic: "social_insurance".into(),
        region: String::new(),
        owner_unit: "hrss-12333".into(),
        valid_from: None,
        valid_until: None,
    }
}

fn step(entry: &Entry, command: KbCommand, unit: &str) -> Result<Change, KnowledgeError> {
    apply(Some(entry), command, &actor(unit), &units(), now())
}

fn created() -> Entry {
    let change = apply(
        None,
        KbCommand::Create { content: content() },
        &actor("hrss-12333"),
        &units(),
        now(),
    )
    .unwrap();
    Entry {
        id: 7,
        ..change.entry
    }
}

fn published() -> Entry {
    let e = created();
    let e = step(
        &e,
        KbCommand::Submit {
            note: String::new(),
        },
        "hrss-12333",
    )
    .unwrap()
    .entry;
    step(
        &e,
        KbCommand::Approve {
            note: String::new(),
        },
        "centre",
    )
    .unwrap()
    .entry
}

#[test]
fn create_tidies_and_starts_a_draft_at_version_one() {
    let e = created();
    assert_eq!(e.status, EntryStatus::Draft);
    assert_eq!(e.version, 1);
    assert_eq!(e.content.question, "社保卡丢了怎么补办？");
    assert_eq!(e.content.keywords, ["社保卡", "补办", "挂失"]);
    assert_eq!(e.published_version, None);
}

#[test]
fn a_unit_creates_only_its_own_entries_and_the_centre_any() {
    let refused = apply(
        None,
        KbCommand::Create { content: content() },
        &actor("market-12315"),
        &units(),
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(refused, KnowledgeError::NotPermitted(_)),
        "{refused:?}"
    );
    assert!(
        apply(
            None,
            KbCommand::Create { content: content() },
            &actor("centre"),
            &units(),
            now(),
        )
        .is_ok()
    );
}

#[test]
fn content_is_checked_field_by_field() {
    type Spoil = fn(&mut Content);
    let cases: [(&str, Spoil); 7] = [
        ("question", |c| c.question = "  ".into()),
        ("answer", |c| c.answer = "答".repeat(4001)),
        ("category", |c| c.category = "nonsense".into()),
        ("topic", |c| c.topic = "tax".into()),
        ("region", |c| c.region = "999999".into()),
        ("owner_unit", |c| c.owner_unit = "nobody".into()),
        ("valid_until", |c| {
            c.valid_from = NaiveDate::from_ymd_opt(2026, 5, 1);
            c.valid_until = NaiveDate::from_ymd_opt(2026, 4, 1);
        }),
    ];
    for (field, spoil) in cases {
        let mut c = content();
        spoil(&mut c);
        let error = c.tidied().validate(&units()).unwrap_err();
        assert!(
            matches!(&error, KnowledgeError::Invalid { field: f, .. } if f == field),
            "{field}: {error:?}"
        );
    }
}

#[test]
fn approval_publishes_and_an_edit_keeps_the_old_answer_live() {
    let e = published();
    assert_eq!(e.status, EntryStatus::Published);
    assert_eq!(e.version, 3);
    assert_eq!(e.published_version, Some(3));
    assert_eq!(e.reviewed_at, Some(now()));
    let mut edited = content();
    edited.answer = "新的答复".into();
    let change = step(
        &e,
        KbCommand::Update {
            content: edited,
            note: "政策调整".into(),
        },
        "hrss-12333",
    )
    .unwrap();
    assert_eq!(change.entry.status, EntryStatus::Draft);
    assert_eq!(
        change.entry.published_version,
        Some(3),
        "v3 answers until approval"
    );
    assert_eq!(change.version.action, "update");
    assert_eq!(change.version.version, 4);
    assert_eq!(change.version.note, "政策调整");
}

#[test]
fn only_the_centre_approves_and_rejection_needs_a_reason() {
    let e = created();
    let pending = step(
        &e,
        KbCommand::Submit {
            note: String::new(),
        },
        "hrss-12333",
    )
    .unwrap()
    .entry;
    let denied = step(
        &pending,
        KbCommand::Approve {
            note: String::new(),
        },
        "hrss-12333",
    );
    assert!(matches!(denied, Err(KnowledgeError::NotPermitted(_))));
    let blank = step(&pending, KbCommand::Reject { note: " ".into() }, "centre");
    assert!(matches!(blank, Err(KnowledgeError::Invalid { ref field, .. }) if field == "note"));
    let rejected = step(
        &pending,
        KbCommand::Reject {
            note: "答复不完整".into(),
        },
        "centre",
    )
    .unwrap()
    .entry;
    assert_eq!(rejected.status, EntryStatus::Draft);
    let early = step(
        &e,
        KbCommand::Approve {
            note: String::new(),
        },
        "centre",
    );
    assert!(matches!(early, Err(KnowledgeError::Precondition(_))));
}

#[test]
fn another_unit_cannot_edit_submit_or_retire() {
    let e = published();
    let commands = [
        KbCommand::Update {
            content: content(),
            note: String::new(),
        },
        KbCommand::Submit {
            note: String::new(),
        },
        KbCommand::Retire {
            note: String::new(),
        },
        KbCommand::Confirm {
            note: String::new(),
        },
    ];
    for command in commands {
        let result = step(&e, command.clone(), "market-12315");
        assert!(
            matches!(result, Err(KnowledgeError::NotPermitted(_))),
            "{command:?}: {result:?}"
        );
    }
}

#[test]
fn the_owner_unit_is_kept_and_retired_entries_stay_retired() {
    let e = published();
    let mut moved = content();
    moved.owner_unit = "market-12315".into();
    let result = step(
        &e,
        KbCommand::Update {
            content: moved,
            note: String::new(),
        },
        "centre",
    );
    assert!(
        matches!(result, Err(KnowledgeError::Invalid { ref field, .. }) if field == "owner_unit")
    );
    let retired = step(
        &e,
        KbCommand::Retire {
            note: "政策废止".into(),
        },
        "hrss-12333",
    )
    .unwrap()
    .entry;
    assert_eq!(retired.published_version, None);
    let again = step(
        &retired,
        KbCommand::Update {
            content: content(),
            note: String::new(),
        },
        "hrss-12333",
    );
    assert!(matches!(again, Err(KnowledgeError::Precondition(_))));
}

fn live(reviewed_days_ago: i64, valid_until: Option<NaiveDate>) -> LiveEntry {
    LiveEntry {
        id: 1,
        version: 3,
        content: Content {
            valid_until,
            ..content().tidied()
        },
        reviewed_at: Some(now() - Duration::days(reviewed_days_ago)),
    }
}

#[test]
fn staleness_is_expiry_or_no_review_within_the_period() {
    assert_eq!(live(10, None).staleness(now(), 180), None);
    assert_eq!(
        live(181, None).staleness(now(), 180),
        Some(Staleness::Unreviewed)
    );
    // 2026-06-01 10:00 in Nanjing: an entry valid until 05-31 expired yesterday.
    let yesterday = NaiveDate::from_ymd_opt(2026, 5, 31);
    assert_eq!(
        live(1, yesterday).staleness(now(), 180),
        Some(Staleness::Expired)
    );
    let today = NaiveDate::from_ymd_opt(2026, 6, 1);
    assert_eq!(live(1, today).staleness(now(), 180), None);
    let never = LiveEntry {
        reviewed_at: None,
        ..live(0, None)
    };
    assert_eq!(never.staleness(now(), 180), Some(Staleness::Unreviewed));
}

#[test]
fn regions_cover_their_streets_and_city_wide_covers_all() {
    let units = units();
    let mut c = content();
    assert!(c.covers("320102001", &units));
    c.region = "320100".into();
    assert!(c.covers("320104", &units), "the city's code is city-wide");
    c.region = "320102".into();
    assert!(c.covers("320102001", &units));
    assert!(c.covers("", &units));
    assert!(!c.covers("320104001", &units));
}

#[test]
fn keywords_split_on_chinese_and_ascii_separators() {
    assert_eq!(
        split_keywords("社保卡、补办；挂失, 网点"),
        ["社保卡", "补办", "挂失", "网点"]
    );
}

#[test]
fn a_direct_answer_closes_a_valid_consultation_only() {
    let units = units();
    let entry = live(1, None);
    let dispatch = Disposition::Dispatch {
        unit: Some("hrss-12333".into()),
        co_units: Vec::new(),
    };
    let answered = citation::answer(
        &entry,
        RequestType::Consultation,
        "",
        &dispatch,
        &units,
        now(),
    )
    .unwrap();
    assert_eq!(
        answered,
        Disposition::AnswerDirectly {
            answer: entry.content.answer.clone()
        }
    );
    let complaint = citation::answer(&entry, RequestType::Complaint, "", &dispatch, &units, now());
    assert!(
        matches!(complaint, Err(KnowledgeError::Precondition(m)) if m.contains("consultations only"))
    );
    let emergency = Disposition::EmergencyTransfer {
        line: crate::domain::EmergencyLine::Medical120,
    };
    let refused = citation::answer(
        &entry,
        RequestType::Consultation,
        "",
        &emergency,
        &units,
        now(),
    );
    assert!(matches!(refused, Err(KnowledgeError::Precondition(_))));
    let expired = live(1, NaiveDate::from_ymd_opt(2026, 1, 1));
    let refused = citation::answer(
        &expired,
        RequestType::Consultation,
        "",
        &dispatch,
        &units,
        now(),
    );
    assert!(matches!(refused, Err(KnowledgeError::Precondition(m)) if m.contains("not valid")));
    let mut district = live(1, None);
    district.content.region = "320102".into();
    let elsewhere = citation::answer(
        &district,
        RequestType::Consultation,
        "320104001",
        &dispatch,
        &units,
        now(),
    );
    assert!(matches!(elsewhere, Err(KnowledgeError::Precondition(_))));
}
