use std::collections::{HashMap, HashSet};

use super::*;
use crate::domain::taxonomy;
use crate::triage::{Request, triage};

const SAMPLE: usize = 1_000;

fn sample(seed: u64) -> Vec<SyntheticRequest> {
    Generator::new(seed).take(SAMPLE).collect()
}

fn shipped_rules() -> crate::rules::RuleSet {
    crate::config::load_rule_set(&crate::rules::RulePaths::default()).expect("shipped rules")
}

#[test]
fn the_same_seed_gives_the_same_requests() {
    let a: Vec<_> = Generator::new(42).take(50).collect();
    let b: Vec<_> = Generator::new(42).take(50).collect();
    let c: Vec<_> = Generator::new(43).take(50).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn every_matter_is_well_formed() {
    let mut ids = HashSet::new();
    for matter in MATTERS {
        assert!(ids.insert(matter.id), "{} twice", matter.id);
        assert!(taxonomy::topic(matter.topic).is_some(), "{}", matter.id);
        assert!(matter.weight > 0, "{}", matter.id);
        assert!(matter.details.len() >= 2, "{} needs two details", matter.id);
        for list in [matter.titles, matter.openings, matter.asks] {
            assert!(!list.is_empty(), "{}", matter.id);
        }
    }
}

#[test]
fn texts_are_realistic_lengths_and_vary() {
    let requests = sample(1);
    for r in &requests {
        let title = r.title.chars().count();
        let description = r.description.chars().count();
        assert!((4..=30).contains(&title), "{title}: {}", r.title);
        assert!(
            (100..=250).contains(&description),
            "{description} chars: {}",
            r.description
        );
        assert!(!r.title.contains('{') && !r.description.contains('{'));
    }
    let distinct: HashSet<&str> = requests.iter().map(|r| r.description.as_str()).collect();
    assert!(
        distinct.len() >= SAMPLE * 99 / 100,
        "{} distinct",
        distinct.len()
    );
    let matters: HashSet<&str> = requests.iter().map(|r| r.matter).collect();
    assert!(matters.len() >= 40, "{} matters", matters.len());
}

#[test]
fn places_lines_and_requesters_are_ones_the_configuration_knows() {
    let rules = shipped_rules();
    let requests = sample(2);
    let mut lines: HashMap<&str, usize> = HashMap::new();
    for r in &requests {
        assert!(rules.units.is_known_region(&r.region), "{}", r.region);
        assert!(
            r.line == "12345" || rules.routing.line(&r.line).is_some(),
            "line {} is not in the dispatch catalogue",
            r.line
        );
        *lines.entry(&r.line).or_default() += 1;
        crate::domain::validate::phone("requester.phone", &r.requester.phone).unwrap();
        assert!(r.requester.name.chars().count() >= 2);
    }
    // Mostly 12345, and the department lines the catalogue keeps.
    assert!(lines["12345"] > SAMPLE * 80 / 100, "{lines:?}");
    for line in ["12328", "12333", "12315", "12366"] {
        assert!(lines.contains_key(line), "{line} never dialled: {lines:?}");
    }
    let regions: HashSet<&str> = requests.iter().map(|r| r.region.as_str()).collect();
    assert!(regions.len() > 60, "{} regions", regions.len());
}

#[test]
fn the_shipped_rules_dispatch_most_and_agree_with_the_intent() {
    let rules = shipped_rules();
    let requests = sample(3);
    let mut outcomes: HashMap<&str, usize> = HashMap::new();
    let mut categories = HashSet::new();
    let (mut agree, mut same_category) = (0, 0);
    let mut misses = Vec::new();
    for r in &requests {
        let decided = triage(
            &rules,
            &Request {
                title: &r.title,
                description: &r.description,
                line: &r.line,
                region: &r.region,
            },
        );
        let outcome = decided.disposition.code();
        *outcomes.entry(outcome).or_default() += 1;
        if r.intent.accepts(outcome) {
            agree += 1;
        } else {
            misses.push(format!(
                "{} → {outcome}: {}{}",
                r.matter, r.title, r.description
            ));
        }
        let category = decided.classification.category;
        categories.insert(category);
        if taxonomy::topic(r.topic).map(|t| t.category) == Some(category) {
            same_category += 1;
        }
    }
    println!(
        "outcomes {outcomes:?}; intent agreed {agree}, category agreed {same_category} of {SAMPLE}"
    );
    let dispatched = outcomes.get("dispatch").copied().unwrap_or_default();
    assert!(dispatched >= SAMPLE * 80 / 100, "{outcomes:?}");
    assert!(
        dispatched <= SAMPLE * 95 / 100,
        "too few of the rest: {outcomes:?}"
    );
    for outcome in [
        "answer_directly",
        "utility_transfer",
        "emergency_transfer",
        "legal_channel",
        "explain",
    ] {
        assert!(outcomes.contains_key(outcome), "no {outcome}: {outcomes:?}");
    }
    assert!(
        agree >= SAMPLE * 97 / 100,
        "{agree}/{SAMPLE} agree; first misses:\n{}",
        misses[..misses.len().min(10)].join("\n")
    );
    assert!(
        same_category >= SAMPLE * 85 / 100,
        "{same_category}/{SAMPLE} in the intended category"
    );
    assert!(
        categories.len() >= 14,
        "{} categories: {categories:?}",
        categories.len()
    );
}

#[test]
fn a_create_request_carries_the_request_as_taken_down() {
    let r = Generator::new(5).next_request();
    let actor = proto::Actor {
        unit: "centre".into(),
        person: "agent-1".into(),
    };
    let create = r.create_request("req-1", actor.clone());
    assert_eq!(create.request_id, "req-1");
    assert_eq!(create.actor, Some(actor));
    assert_eq!(create.description, r.description);
    assert_eq!(create.region, r.region);
    assert_ne!(create.channel, 0);
    assert!(create.disposition.is_none());
    assert_eq!(create.requester.unwrap().phone, r.requester.phone);
}
