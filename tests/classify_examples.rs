//! The shipped rules on labelled, realistic citizen requests (`tests/data/
//! classify_examples.toml`): every outcome, every rule family, negation and reported
//! speech, traditional characters and full-width forms. Each failure is printed with the
//! explanation; all must pass.

use std::collections::BTreeMap;

use hotline::classify::{Classification, Classifier, ClassifyInput, Outcome};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Examples {
    example: Vec<Example>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    #[serde(default)]
    title: String,
    text: String,
    outcome: String,
    target: Option<String>,
    category: Option<String>,
    topic: Option<String>,
    request_type: Option<String>,
    urgency: Option<String>,
    repeat: Option<bool>,
}

fn examples() -> Vec<Example> {
    let text = include_str!("data/classify_examples.toml");
    toml::from_str::<Examples>(text)
        .expect("examples file parses")
        .example
}

/// The line, utility, channel or reason of a non-dispatch outcome.
fn target(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Dispatch | Outcome::AnswerDirectly { .. } | Outcome::ReferPolice { .. } => None,
        Outcome::EmergencyTransfer { line } => Some(line.to_string()),
        Outcome::UtilityTransfer { utility } => Some(utility.to_string()),
        Outcome::LegalChannel { channel, .. } => Some(channel.to_string()),
        Outcome::Explain { reason, .. } => Some(reason.to_string()),
    }
}

/// What differs from the expectation, one line per field.
fn differences(e: &Example, c: &Classification) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, expected: Option<String>, actual: String| {
        if let Some(expected) = expected
            && expected != actual
        {
            out.push(format!("{field}: expected {expected}, got {actual}"));
        }
    };
    check(
        "outcome",
        Some(e.outcome.clone()),
        c.outcome.code().to_string(),
    );
    check(
        "target",
        e.target.clone(),
        target(&c.outcome).unwrap_or_default(),
    );
    check("category", e.category.clone(), c.category.to_string());
    check("topic", e.topic.clone(), c.topic.to_string());
    check(
        "request_type",
        e.request_type.clone(),
        c.request_type.to_string(),
    );
    check("urgency", e.urgency.clone(), c.urgency.to_string());
    check(
        "repeat",
        e.repeat.map(|r| r.to_string()),
        c.repeat_hint.to_string(),
    );
    out
}

#[test]
fn labelled_examples_classify_as_labelled() {
    let classifier = Classifier::built_in();
    let examples = examples();
    let mut failures = Vec::new();
    for e in &examples {
        let c = classifier.classify(&ClassifyInput {
            title: &e.title,
            description: &e.text,
        });
        let diff = differences(e, &c);
        if !diff.is_empty() {
            let rules: Vec<String> = c
                .explanation
                .iter()
                .map(|m| {
                    let why = m
                        .suppressed
                        .as_deref()
                        .map(|s| format!(" [{s}]"))
                        .unwrap_or_default();
                    format!("      {} «{}» → {}{why}", m.rule, m.text, m.effect)
                })
                .collect();
            failures.push(format!(
                "{} {}\n    {}\n{}",
                e.title,
                e.text,
                diff.join("\n    "),
                rules.join("\n")
            ));
        }
    }
    println!("{} examples, {} failures", examples.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} examples misclassified:\n\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_examples_cover_every_outcome_and_family() {
    let classifier = Classifier::built_in();
    let examples = examples();
    assert!(examples.len() >= 150, "{} examples", examples.len());
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut families: BTreeMap<String, usize> = BTreeMap::new();
    let mut suppressed_by_cue = 0;
    for e in &examples {
        *outcomes.entry(e.outcome.clone()).or_default() += 1;
        let c = classifier.classify(&ClassifyInput {
            title: &e.title,
            description: &e.text,
        });
        for m in c.explanation.iter().filter(|m| m.suppressed.is_none()) {
            *families.entry(m.family.clone()).or_default() += 1;
        }
        if c.explanation.iter().any(|m| {
            m.suppressed.as_deref().is_some_and(|s| {
                ["negated", "reported", "hypothetical", "settled"]
                    .iter()
                    .any(|k| s.starts_with(k))
            })
        }) {
            suppressed_by_cue += 1;
        }
    }
    for outcome in [
        "dispatch",
        "answer_directly",
        "emergency_transfer",
        "utility_transfer",
        "legal_channel",
        "explain",
        "refer_police",
    ] {
        let n = outcomes.get(outcome).copied().unwrap_or(0);
        assert!(n >= 5, "only {n} examples of outcome {outcome}");
    }
    for family in [
        "emergency",
        "refer_police",
        "legal_channel",
        "explain",
        "utility",
        "answer",
        "topic",
        "request_type",
        "urgency",
        "repeat",
    ] {
        let n = families.get(family).copied().unwrap_or(0);
        assert!(n >= 5, "only {n} examples where a {family} rule counted");
    }
    assert!(
        suppressed_by_cue >= 5,
        "only {suppressed_by_cue} negation/reported examples"
    );
}
