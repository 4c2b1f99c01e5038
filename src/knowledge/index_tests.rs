use chrono::NaiveDate;

use super::*;
use crate::domain::UnitCatalog;
use crate::knowledge::csv_file;

const SHIPPED: &str = include_str!("../../config/knowledge.csv");

fn shipped() -> Vec<LiveEntry> {
    csv_file::read(SHIPPED.as_bytes())
        .expect("the shipped file has its header")
        .into_iter()
        .enumerate()
        .map(|(i, (line, content))| LiveEntry {
            id: i as i64 + 1,
            version: 3,
            content: content.unwrap_or_else(|e| panic!("line {line}: {e}")),
            reviewed_at: None,
        })
        .collect()
}

fn units() -> UnitCatalog {
    crate::config::built_in_units()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn top(snapshot: &Snapshot, text: &str, region: &str, today: NaiveDate) -> Vec<String> {
    snapshot
        .search(
            &SearchQuery {
                text,
                region,
                category: "",
                limit: 3,
            },
            today,
            &units(),
        )
        .unwrap()
        .into_iter()
        .map(|h| h.entry.content.question)
        .collect()
}

#[test]
fn the_shipped_entries_are_valid() {
    let units = units();
    let entries = shipped();
    assert!(entries.len() >= 30);
    for e in &entries {
        e.content
            .validate(&units)
            .unwrap_or_else(|err| panic!("{}: {err}", e.content.question));
    }
}

#[test]
fn chinese_queries_find_entries_in_other_words_scripts_and_widths() {
    let snapshot = Snapshot::build(shipped()).unwrap();
    let today = day(2026, 6, 1);
    // Traditional characters; no entry contains the phrase as typed.
    assert_eq!(
        top(&snapshot, "社保卡不見了要怎麼補辦", "", today)[0],
        "社保卡丢失了怎么补办？"
    );
    // A partial, reworded question: a LIKE '%…%' on it matches nothing.
    assert_eq!(
        top(&snapshot, "身份证掉了去哪补领", "", today)[0],
        "身份证丢了怎么补办？"
    );
    assert_eq!(
        top(&snapshot, "想把公积金取出来付房租", "", today)[0],
        "住房公积金怎么提取？"
    );
    // Full-width digits and letters fold to their ASCII forms.
    assert_eq!(
        top(&snapshot, "２０２６年的消费券在哪领", "", today)[0],
        "2026年消费券怎么领取？"
    );
    assert_eq!(
        top(&snapshot, "個稅匯算", "", today)[0],
        "个人所得税年度汇算怎么办理？"
    );
    assert!(
        top(&snapshot, "，。！？", "", today).is_empty(),
        "punctuation finds nothing"
    );
    assert!(
        top(&snapshot, "请问怎么办呢？", "", today).is_empty(),
        "question words alone match nothing"
    );
}

#[test]
fn region_validity_and_category_filter_the_matches() {
    let snapshot = Snapshot::build(shipped()).unwrap();
    let today = day(2026, 6, 1);
    let xuanwu_street = top(&snapshot, "玄武区小学施教区", "320102001", today);
    assert_eq!(xuanwu_street[0], "玄武区的小学施教区在哪里查？");
    let qinhuai_street = top(&snapshot, "玄武区小学施教区", "320104001", today);
    assert!(!qinhuai_street.contains(&"玄武区的小学施教区在哪里查？".to_string()));
    let coupons = "2026年消费券怎么领取？".to_string();
    assert!(top(&snapshot, "消费券", "", day(2026, 12, 31)).contains(&coupons));
    assert!(
        !top(&snapshot, "消费券", "", day(2027, 1, 1)).contains(&coupons),
        "valid until 2026-12-31"
    );
    let hits = snapshot
        .search(
            &SearchQuery {
                text: "补办",
                region: "",
                category: "public_security",
                limit: 10,
            },
            today,
            &units(),
        )
        .unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h.entry.content.category == "public_security")
    );
}

#[test]
fn hits_carry_a_marked_snippet_and_respect_the_limit() {
    let snapshot = Snapshot::build(shipped()).unwrap();
    let hits = snapshot
        .search(
            &SearchQuery {
                text: "社保卡补办",
                region: "",
                category: "",
                limit: 1,
            },
            day(2026, 6, 1),
            &units(),
        )
        .unwrap();
    assert_eq!(hits.len(), 1);
    let snippet = &hits[0].snippet;
    assert!(
        snippet.contains("【社保卡】") && snippet.contains("【补办】"),
        "{snippet}"
    );
    // Shown in the answer's own text (the index holds `app`).
    assert!(snippet.contains("APP"), "{snippet}");
    assert!(hits[0].score > 0.0);
}

#[test]
fn words_are_cut_by_jieba_after_normalising() {
    let words = words("社保卡補辦　ＡＰＰ");
    assert!(words.contains(&"社保卡".to_string()), "{words:?}");
    assert!(words.contains(&"补办".to_string()), "{words:?}");
    assert!(words.contains(&"app".to_string()), "{words:?}");
    assert!(!super::words("请问社保卡怎么补办").contains(&"怎么".to_string()));
}
