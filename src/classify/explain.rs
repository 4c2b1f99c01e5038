//! Turns matched rules into [`RuleMatch`]es located in the caller's original words.

use super::RuleMatch;
use super::decide::{Matched, Note};
use super::matcher::Field;
use super::normalize::Normalized;
use super::rule::RuleSet;

/// Each field as the caller wrote it and as it was matched.
pub struct Sources<'a> {
    title: Source<'a>,
    description: Source<'a>,
}

struct Source<'a> {
    original: &'a str,
    normalized: &'a Normalized,
    /// Byte offset of every original char, plus the end: char ranges slice in O(1).
    char_bytes: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(original: &'a str, normalized: &'a Normalized) -> Self {
        let mut char_bytes: Vec<usize> = original.char_indices().map(|(i, _)| i).collect();
        char_bytes.push(original.len());
        Source {
            original,
            normalized,
            char_bytes,
        }
    }
}

impl<'a> Sources<'a> {
    pub fn new(title: (&'a str, &'a Normalized), description: (&'a str, &'a Normalized)) -> Self {
        Sources {
            title: Source::new(title.0, title.1),
            description: Source::new(description.0, description.1),
        }
    }

    /// Original char range and text behind a normalised byte range of a field.
    fn original(&self, field: Field, start: u32, end: u32) -> (usize, usize, &'a str) {
        let source = match field {
            Field::Title => &self.title,
            Field::Description => &self.description,
        };
        let chars = source
            .normalized
            .original_chars(start as usize..end as usize);
        let bytes = source.char_bytes[chars.start]..source.char_bytes[chars.end];
        (chars.start, chars.end, &source.original[bytes])
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
                family: <&str>::from(rule.family).to_string(),
                priority: rule.priority,
                text: text.to_string(),
                field: m.hit.field.name(),
                start,
                end,
                effect: rule.effect_text.clone(),
                suppressed,
            }
        })
        .collect()
}
