//! Arbitrary request text through normalisation, the classifier and the router with the
//! shipped rules: never a panic, and every match located inside the words it quotes.

use super::{fields, shipped_rules};
use crate::classify::RuleMatch;
use crate::triage::{Request, triage};

/// The `classify` fuzz target's check of one input.
pub fn classify(data: &[u8]) {
    let Some([title, description, line, region]) = fields::<4>(data) else {
        return;
    };
    let decided = triage(
        shipped_rules(),
        &Request {
            title,
            description,
            line,
            region,
        },
    );
    for m in &decided.classification.explanation {
        let field = if m.field == "title" {
            title
        } else {
            description
        };
        check_span(m, field);
    }
    // What the CLI prints and the create event records.
    let _ = decided.to_json().to_string();
    let _ = decided.event_details().to_string();
}

/// The documented contract of a match: char offsets into the field, end exclusive, and
/// the quoted text is what lies there.
fn check_span(m: &RuleMatch, field: &str) {
    assert!(
        m.start <= m.end && m.end <= field.chars().count(),
        "span {}..{} of rule {} outside the field",
        m.start,
        m.end,
        m.rule
    );
    let quoted: String = field.chars().skip(m.start).take(m.end - m.start).collect();
    assert_eq!(quoted, m.text, "rule {} quotes other words", m.rule);
}
