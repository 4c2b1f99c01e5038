//! Turns matched rules into [`RuleMatch`]es located in the caller's original words.

use super::RuleMatch;
use super::decide::{Matched, Note};
use super::matcher::Field;
use super::normalize::Normalized;
use super::rule::RuleSet;

/// Each field as the caller wrote it and as it was matched.
pub struct Sources<'a> {
    pub title: (&'a str, &'a Normalized),
    pub description: (&'a str, &'a Normalized),
}

impl Sources<'_> {
    fn field(&self, field: Field) -> (&str, &Normalized) {
        match field {
            Field::Title => self.title,
            Field::Description => self.description,
        }
    }

    /// Original char range and text behind a normalised byte range of a field.
    fn original(&self, field: Field, start: u32, end: u32) -> (usize, usize, String) {
        let (original, normalized) = self.field(field);
        let chars = normalized.original_chars(start as usize..end as usize);
        let text = original
            .chars()
            .skip(chars.start)
            .take(chars.len())
            .collect();
        (chars.start, chars.end, text)
    }
}

pub fn explain(set: &RuleSet, sources: &Sources, matched: &[Matched]) -> Vec<RuleMatch> {
    matched
        .iter()
        .map(|m| {
            let rule = &set.rules[m.rule as usize];
            let (start, end, text) = sources.original(m.hit.field, m.hit.start, m.hit.end);
            let suppressed = m.note.map(|note| match note {
                Note::Suppressed(s) => {
                    let (.., context) = sources.original(m.hit.field, s.start, s.end);
                    format!("{}: {context}", s.kind.label())
                }
                Note::Outranked(winner) => {
                    format!("outranked by rule `{}`", set.rules[winner as usize].id)
                }
                Note::NotConsultation(t) => {
                    format!("answers close consultations only; this is a {t}")
                }
                Note::Outscored(topic) => format!("outscored by topic {topic}"),
            });
            RuleMatch {
                rule: rule.id.clone(),
                family: rule.family.to_string(),
                priority: rule.priority,
                text,
                field: m.hit.field.name(),
                start,
                end,
                effect: rule.effect.describe(),
                suppressed,
            }
        })
        .collect()
}
