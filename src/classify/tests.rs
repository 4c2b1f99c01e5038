//! Decision order, guards and explanations, on small inline rule sets and on the shipped one.

use super::*;

const CUES: &str = r#"
version = "t1"
[cues]
negation = ["不是", "没有", "不想"]
reported = ["朋友说"]
hypothetical = ["如果", "一旦"]
moved_on = ["以后", "但是"]
neutral = ["不是第一次"]
negation_window = 6
reported_window = 15
moved_on_window = 8
clause_breaks = "，,"
sentence_breaks = "。！？\n"
"#;

fn classifier(rules: &str) -> Classifier {
    Classifier::from_toml("test.toml", &format!("{CUES}\n{rules}")).unwrap()
}

fn classify(c: &Classifier, text: &str) -> Classification {
    c.classify(&ClassifyInput {
        title: "",
        description: text,
    })
}

const ORDER_RULES: &str = r#"
[[rule]]
id = "fire"
family = "emergency"
priority = 900
line = "fire_119"
keywords = ["着火"]
unless = ["隐患"]

[[rule]]
id = "abuse"
family = "refer_police"
priority = 800
reason = "辱骂"
keywords = ["骂人"]

[[rule]]
id = "sue"
family = "legal_channel"
priority = 600
channel = "litigation"
advice = "请向法院起诉"
keywords = ["起诉"]

[[rule]]
id = "secret"
family = "explain"
priority = 650
reason = "state_secret"
explanation = "涉密"
keywords = ["机密"]

[[rule]]
id = "water"
family = "utility"
priority = 500
utility = "water"
keywords = ["停水"]

[[rule]]
id = "hours"
family = "answer"
priority = 300
answer = "9点上班"
keywords = ["几点上班"]

[[rule]]
id = "ask"
family = "request_type"
priority = 100
request_type = "consultation"
keywords = ["请问"]

[[rule]]
id = "complain"
family = "request_type"
priority = 400
request_type = "complaint"
keywords = ["投诉"]

[[rule]]
id = "wages"
family = "topic"
topic = "wage_arrears"
weight = 2
keywords = ["工资"]

[[rule]]
id = "fire-safety"
family = "topic"
topic = "fire_safety"
keywords = ["隐患", "杂物"]
"#;

#[test]
fn emergency_beats_every_other_outcome() {
    let c = classifier(ORDER_RULES);
    let r = classify(
        &c,
        "着火了！有人骂人，还要起诉，说的是机密，而且停水。请问几点上班",
    );
    assert_eq!(
        r.outcome,
        Outcome::EmergencyTransfer {
            line: EmergencyLine::Fire119
        }
    );
    let firsts: Vec<_> = r.explanation.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(firsts[0], "fire");
    let abuse = r.explanation.iter().find(|m| m.rule == "abuse").unwrap();
    assert_eq!(
        abuse.suppressed.as_deref(),
        Some("outranked by rule `fire`")
    );
}

#[test]
fn families_decide_in_order_below_emergency() {
    let c = classifier(ORDER_RULES);
    let code = |text: &str| classify(&c, text).outcome.code();
    assert_eq!(code("有人骂人，还要起诉"), "refer_police");
    // Exclusions compete by priority: explain (650) beats litigation (600).
    assert_eq!(code("要起诉，说的是机密"), "explain");
    assert_eq!(code("要起诉，而且停水"), "legal_channel");
    assert_eq!(code("停水了，请问几点上班"), "utility_transfer");
    assert_eq!(code("请问几点上班"), "answer_directly");
    assert_eq!(code("拖欠工资"), "dispatch");
}

#[test]
fn answers_close_consultations_only() {
    let c = classifier(ORDER_RULES);
    let r = classify(&c, "投诉窗口，说几点上班却没人");
    assert_eq!(r.outcome, Outcome::Dispatch);
    assert_eq!(r.request_type, RequestType::Complaint);
    let hours = r.explanation.iter().find(|m| m.rule == "hours").unwrap();
    assert_eq!(
        hours.suppressed.as_deref(),
        Some("answers close consultations only; this is a complaint")
    );
}

#[test]
fn negation_suppresses_and_is_explained() {
    let c = classifier(ORDER_RULES);
    let r = classify(&c, "不是要起诉，只想问问工资怎么要回来");
    assert_eq!(r.outcome, Outcome::Dispatch);
    assert_eq!(r.topic, "wage_arrears");
    let sue = r.explanation.iter().find(|m| m.rule == "sue").unwrap();
    assert_eq!(sue.suppressed.as_deref(), Some("negated: 不是要起诉"));
    // A clause break ends the negation's reach; a neutral phrase is no negation.
    assert_eq!(
        classify(&c, "没有办法，只能起诉").outcome.code(),
        "legal_channel"
    );
    assert_eq!(
        classify(&c, "这不是第一次着火").outcome.code(),
        "emergency_transfer"
    );
}

#[test]
fn unless_words_cancel_within_the_sentence_only() {
    let c = classifier(ORDER_RULES);
    let r = classify(&c, "不是着火，是楼道堆放杂物有火灾隐患");
    assert_eq!(r.outcome, Outcome::Dispatch);
    assert_eq!(r.topic, "fire_safety");
    assert_eq!(classify(&c, "有隐患的楼着火了").outcome, Outcome::Dispatch);
    assert_eq!(
        classify(&c, "以前就说有隐患。现在着火了").outcome.code(),
        "emergency_transfer"
    );
}

#[test]
fn reported_speech_and_moved_on_need_their_guards() {
    let rules = r#"
[[rule]]
id = "sue"
family = "legal_channel"
channel = "litigation"
advice = "法院"
keywords = ["起诉"]

[[rule]]
id = "judged"
family = "legal_channel"
channel = "litigation"
advice = "法院"
keywords = ["判了"]
guards = ["negation", "reported", "moved_on"]
"#;
    let c = classifier(rules);
    assert_eq!(
        classify(&c, "朋友说可以起诉，我想先问问").outcome,
        Outcome::Dispatch
    );
    assert_eq!(
        classify(&c, "法院判了以后，单位还是不办").outcome,
        Outcome::Dispatch
    );
    assert_eq!(
        classify(&c, "法院已经判了，对方不给钱").outcome.code(),
        "legal_channel"
    );
    // `sue` has no moved_on guard.
    assert_eq!(classify(&c, "起诉以后再说").outcome.code(), "legal_channel");
}

#[test]
fn hypotheses_do_not_trigger_emergencies_but_relayed_facts_do() {
    let c = classifier(ORDER_RULES);
    let r = classify(&c, "楼道堆满杂物，一旦着火跑都跑不掉");
    assert_eq!(r.outcome, Outcome::Dispatch);
    let fire = r.explanation.iter().find(|m| m.rule == "fire").unwrap();
    assert_eq!(fire.suppressed.as_deref(), Some("hypothetical: 一旦着火"));
    // Emergencies have no `reported` guard: a relayed fire is a fire.
    assert_eq!(
        classify(&c, "朋友说他家着火了").outcome.code(),
        "emergency_transfer"
    );
    // Legal channels have it.
    assert_eq!(classify(&c, "朋友说可以起诉").outcome, Outcome::Dispatch);
}

#[test]
fn ties_go_to_the_earliest_match_title_first() {
    let rules = r#"
[[rule]]
id = "water"
family = "utility"
utility = "water"
keywords = ["停水"]

[[rule]]
id = "power"
family = "utility"
utility = "power"
keywords = ["停电"]
"#;
    let c = classifier(rules);
    let r = c.classify(&ClassifyInput {
        title: "停电",
        description: "停水又停电",
    });
    assert_eq!(
        r.outcome,
        Outcome::UtilityTransfer {
            utility: Utility::Power
        }
    );
    assert_eq!(
        classify(&c, "停水又停电").outcome,
        Outcome::UtilityTransfer {
            utility: Utility::Water
        }
    );
}

#[test]
fn spans_point_into_the_original_field() {
    let c = classifier(ORDER_RULES);
    let r = c.classify(&ClassifyInput {
        title: "工資",
        description: "公司　說要ＱＱ起訴",
    });
    let sue = r.explanation.iter().find(|m| m.rule == "sue").unwrap();
    assert_eq!((sue.field, sue.start, sue.end), ("description", 7, 9));
    assert_eq!(sue.text, "起訴");
    let wages = r.explanation.iter().find(|m| m.rule == "wages").unwrap();
    assert_eq!((wages.field, wages.text.as_str()), ("title", "工資"));
    assert_eq!(r.category, "labour_social_security");
    assert_eq!(r.domain, PolicyDomain::PublicServices);
}

#[test]
fn nothing_matched_is_a_general_dispatch_with_defaults() {
    let c = classifier(ORDER_RULES);
    let r = classify(&c, "你好");
    assert_eq!(r.outcome, Outcome::Dispatch);
    assert_eq!(
        (r.category, r.topic, r.topic_confident),
        ("other", "general", false)
    );
    assert_eq!(r.request_type, RequestType::Complaint);
    assert_eq!(r.urgency, Urgency::General);
    assert!(r.explanation.is_empty());
}

#[test]
fn topic_scores_add_up_per_category_and_title_counts_more() {
    let c = classifier(ORDER_RULES);
    let r = c.classify(&ClassifyInput {
        title: "工资",
        description: "楼道杂物有隐患",
    });
    // wages: 2 × title weight 2 = 4 > fire safety: 1 + 1.
    assert_eq!(r.topic, "wage_arrears");
    assert!(r.topic_confident);
    let weak = classify(&c, "工资，杂物，隐患");
    assert_eq!(weak.topic, "wage_arrears");
    assert!(!weak.topic_confident, "2 vs 2 is no clear margin");
}

#[test]
fn version_carries_the_file_hash() {
    let text = format!("{CUES}\n{ORDER_RULES}");
    let c = Classifier::from_toml("t.toml", &text).unwrap();
    let digest = Sha256::digest(text.as_bytes());
    assert_eq!(
        c.version(),
        format!(
            "t1+{:02x}{:02x}{:02x}{:02x}",
            digest[0], digest[1], digest[2], digest[3]
        )
    );
}

#[test]
fn classifier_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Classifier>();
}

#[test]
fn the_shipped_rules_cover_every_topic_and_every_outcome_target() {
    use crate::domain::taxonomy::TOPICS;
    use strum::IntoEnumIterator;

    let c = Classifier::built_in();
    assert!(c.version().starts_with("2025."));
    let effects: Vec<&Effect> = c.set.rules.iter().map(|r| &r.effect).collect();
    for topic in TOPICS.iter().filter(|t| t.id != "general") {
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Topic(t) if t.id == topic.id)),
            "no rule for topic {}",
            topic.id
        );
    }
    let covered = |wanted: &dyn Fn(&Effect) -> bool| effects.iter().any(|e| wanted(e));
    for line in EmergencyLine::iter() {
        assert!(covered(&|e| *e == Effect::Emergency(line)), "{line}");
    }
    for utility in Utility::iter() {
        assert!(covered(&|e| *e == Effect::Utility(utility)), "{utility}");
    }
    for channel in LegalChannel::iter() {
        assert!(
            covered(&|e| matches!(e, Effect::LegalChannel { channel: c, .. } if *c == channel)),
            "{channel}"
        );
    }
    for reason in ExplainReason::iter() {
        assert!(
            covered(&|e| matches!(e, Effect::Explain { reason: r, .. } if *r == reason)),
            "{reason}"
        );
    }
}
