//! From guarded hits to one decision. Outcome families are tried in decision order
//! (emergency → refer_police → exclusions (legal_channel, explain) → utility → answer →
//! dispatch); within a family the highest priority wins and ties go to the earliest match.
//! Topics are scored: the category with the highest summed score wins, then its best topic.

use std::cmp::Ordering;

use super::matcher::{Field, Hit, Suppression};
use super::rule::{Effect, Family, RuleSet};
use crate::domain::taxonomy::{self, Topic};
use crate::domain::{RequestType, Urgency};

/// Why a rule that matched did not decide anything.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Note {
    /// Every hit was suppressed by a guard; this is the first one.
    Suppressed(Suppression),
    /// Another rule (index) decided this rule's question.
    Outranked(u32),
    /// Answer rules only close consultations; this request is of another type.
    NotConsultation(RequestType),
    /// Another topic scored higher.
    Outscored(&'static str),
}

/// A rule that matched, with the hit shown to the agent and what became of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matched {
    pub rule: u32,
    pub hit: Hit,
    pub note: Option<Note>,
    score: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The rule whose effect is the outcome; `None` is dispatch.
    pub outcome_rule: Option<u32>,
    pub topic: Option<&'static Topic>,
    pub topic_confident: bool,
    pub request_type: RequestType,
    pub urgency: Urgency,
    pub repeat_hint: bool,
    /// Every matched rule, in decision order.
    pub matched: Vec<Matched>,
}

fn position(hit: &Hit) -> (Field, u32) {
    (hit.field, hit.start)
}

/// Summarises the hits of each rule (hits come sorted by rule).
fn matched_rules(set: &RuleSet, hits: &[Hit]) -> Vec<Matched> {
    let scoring = &set.scoring;
    let mut out = Vec::new();
    for group in hits.chunk_by(|a, b| a.rule == b.rule) {
        let rule = &set.rules[group[0].rule as usize];
        let mut score = 0.0;
        let mut first_effective = None;
        for (i, hit) in group.iter().enumerate() {
            if hit.suppressed.is_some() {
                continue;
            }
            first_effective.get_or_insert(*hit);
            let field = match hit.field {
                Field::Title => scoring.title_weight,
                Field::Description => 1.0,
            };
            // The first repeat of a word adds a little; more repeats add nothing.
            let earlier = group[..i]
                .iter()
                .filter(|h| {
                    h.suppressed.is_none() && h.field == hit.field && h.source == hit.source
                })
                .count();
            let repeat = match earlier {
                0 => 1.0,
                1 => scoring.repeat_weight,
                _ => 0.0,
            };
            score += rule.weight * field * repeat;
        }
        out.push(match first_effective {
            Some(hit) => Matched {
                rule: group[0].rule,
                hit,
                note: None,
                score,
            },
            None => Matched {
                rule: group[0].rule,
                hit: group[0],
                note: group[0].suppressed.map(Note::Suppressed),
                score: 0.0,
            },
        });
    }
    out
}

/// The winner among counting matches: highest priority, then earliest.
fn winner<'m>(
    set: &RuleSet,
    matched: &'m [Matched],
    family: impl Fn(Family) -> bool,
) -> Option<&'m Matched> {
    matched
        .iter()
        .filter(|m| m.note.is_none() && family(set.rules[m.rule as usize].family))
        .min_by(|a, b| {
            let (ra, rb) = (&set.rules[a.rule as usize], &set.rules[b.rule as usize]);
            rb.priority
                .cmp(&ra.priority)
                .then(position(&a.hit).cmp(&position(&b.hit)))
        })
}

pub fn decide(set: &RuleSet, hits: &[Hit]) -> Decision {
    let mut matched = matched_rules(set, hits);
    let rule = |m: &Matched| &set.rules[m.rule as usize];

    let request_type = match winner(set, &matched, |f| f == Family::RequestType) {
        Some(m) => match rule(m).effect {
            Effect::RequestType(t) => t,
            _ => set.defaults.request_type,
        },
        None => set.defaults.request_type,
    };
    if request_type != RequestType::Consultation {
        for m in matched.iter_mut() {
            if m.note.is_none() && set.rules[m.rule as usize].family == Family::Answer {
                m.note = Some(Note::NotConsultation(request_type));
            }
        }
    }

    // Outcome families in decision order; exclusions compete as one.
    let stages: [&dyn Fn(Family) -> bool; 5] = [
        &|f| f == Family::Emergency,
        &|f| f == Family::ReferPolice,
        &|f| matches!(f, Family::LegalChannel | Family::Explain),
        &|f| f == Family::Utility,
        &|f| f == Family::Answer,
    ];
    let outcome_rule = stages
        .iter()
        .find_map(|stage| winner(set, &matched, stage).map(|m| m.rule));

    let (topic, topic_confident) = choose_topic(set, &matched);
    let urgency_rule = winner(set, &matched, |f| f == Family::Urgency).map(|m| m.rule);
    let type_rule = winner(set, &matched, |f| f == Family::RequestType).map(|m| m.rule);
    let urgency = match urgency_rule.map(|r| &set.rules[r as usize].effect) {
        Some(Effect::Urgency(u)) => *u,
        _ => {
            // 水电气热 matters get the utility tier even when no urgency rule spoke.
            let utility_outcome = outcome_rule
                .is_some_and(|r| matches!(set.rules[r as usize].effect, Effect::Utility(_)));
            if utility_outcome || topic.is_some_and(|t| t.category == "utilities") {
                Urgency::Utility
            } else {
                set.defaults.urgency
            }
        }
    };
    let repeat_hint = matched
        .iter()
        .any(|m| m.note.is_none() && rule(m).family == Family::Repeat);

    // Notes for the matches that counted but did not decide.
    for m in matched.iter_mut() {
        if m.note.is_some() {
            continue;
        }
        let family = set.rules[m.rule as usize].family;
        let decided_by = if family.decides_outcome() {
            outcome_rule
        } else {
            match family {
                Family::RequestType => type_rule,
                Family::Urgency => urgency_rule,
                _ => None,
            }
        };
        if let Some(winner) = decided_by.filter(|&w| w != m.rule) {
            m.note = Some(Note::Outranked(winner));
        }
        if let (Effect::Topic(t), Some(chosen)) = (&set.rules[m.rule as usize].effect, topic)
            && t.id != chosen.id
        {
            m.note = Some(Note::Outscored(chosen.id));
        }
    }
    sort_in_decision_order(set, &mut matched, outcome_rule);
    Decision {
        outcome_rule,
        topic,
        topic_confident,
        request_type,
        urgency,
        repeat_hint,
        matched,
    }
}

/// Sums topic scores per category; the best category's best topic wins.
fn choose_topic(set: &RuleSet, matched: &[Matched]) -> (Option<&'static Topic>, bool) {
    // (topic, score, best priority, earliest position)
    let mut topics: Vec<(&'static Topic, f32, u16, (Field, u32))> = Vec::new();
    for m in matched.iter().filter(|m| m.note.is_none()) {
        let rule = &set.rules[m.rule as usize];
        if let Effect::Topic(t) = rule.effect {
            match topics.iter_mut().find(|e| e.0.id == t.id) {
                Some(e) => {
                    e.1 += m.score;
                    e.2 = e.2.max(rule.priority);
                    e.3 = e.3.min(position(&m.hit));
                }
                None => topics.push((t, m.score, rule.priority, position(&m.hit))),
            }
        }
    }
    let mut categories: Vec<(&str, f32)> = Vec::new();
    for (t, score, ..) in &topics {
        match categories.iter_mut().find(|c| c.0 == t.category) {
            Some(c) => c.1 += score,
            None => categories.push((t.category, *score)),
        }
    }
    let better = |a: &(&'static Topic, f32, u16, (Field, u32)),
                  b: &(&'static Topic, f32, u16, (Field, u32))| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(Ordering::Equal)
            .then(a.2.cmp(&b.2))
            .then(b.3.cmp(&a.3))
    };
    let category_score = |id: &str| categories.iter().find(|c| c.0 == id).map_or(0.0, |c| c.1);
    // The best category; among equal scores, the one holding the better topic.
    let best = topics.iter().max_by(|a, b| {
        category_score(a.0.category)
            .partial_cmp(&category_score(b.0.category))
            .unwrap_or(Ordering::Equal)
            .then(better(a, b))
    });
    let Some(best) = best else {
        return (None, false);
    };
    let best_category = best.0.category;
    let topic = topics
        .iter()
        .filter(|t| t.0.category == best_category)
        .max_by(|a, b| better(a, b))
        .unwrap_or(best);
    let runner_up = categories
        .iter()
        .filter(|c| c.0 != best_category)
        .map(|c| c.1)
        .fold(0.0, f32::max);
    let scoring = &set.scoring;
    let confident = topic.1 >= scoring.confident_score
        && category_score(best_category) >= scoring.confident_margin * runner_up;
    debug_assert!(taxonomy::topic(topic.0.id).is_some());
    (Some(topic.0), confident)
}

/// Families in decision order; within one, what decided first, then by priority (topic
/// rules by score), then by position.
fn sort_in_decision_order(set: &RuleSet, matched: &mut [Matched], outcome_rule: Option<u32>) {
    matched.sort_by(|a, b| {
        let (ra, rb) = (&set.rules[a.rule as usize], &set.rules[b.rule as usize]);
        let set_aside = |m: &Matched| m.note.is_some() && Some(m.rule) != outcome_rule;
        ra.family
            .cmp(&rb.family)
            .then(set_aside(a).cmp(&set_aside(b)))
            .then(b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal))
            .then(rb.priority.cmp(&ra.priority))
            .then(position(&a.hit).cmp(&position(&b.hit)))
    });
}
