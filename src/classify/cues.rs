//! Context guards: a keyword is not a request when the caller denies it (不是要打官司),
//! reports someone else's idea (朋友说可以去仲裁), speaks of a hypothesis (如果…, 一旦…), or
//! mentions a
//! matter settled elsewhere before moving on to another (法院判了以后，单位还是…). The cue
//! words and windows come from `[cues]` in rules.toml; this module only applies them.

use super::matcher::{Hit, SuppressKind, Suppression};
use super::rule::{Cues, Guards};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueKind {
    Negation,
    Reported,
    Hypothetical,
    MovedOn,
    /// A phrase that contains a cue word without its meaning; it cancels cues inside it.
    Neutral,
}

/// A cue found in the normalised text (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CueHit {
    pub kind: CueKind,
    pub start: u32,
    pub end: u32,
}

pub struct Guarding {
    negation_window: usize,
    reported_window: usize,
    moved_on_window: usize,
    clause_breaks: Vec<char>,
    sentence_breaks: Vec<char>,
}

impl Guarding {
    pub fn new(cues: &Cues) -> Guarding {
        Guarding {
            negation_window: cues.negation_window,
            reported_window: cues.reported_window,
            moved_on_window: cues.moved_on_window,
            clause_breaks: cues.clause_breaks.clone(),
            sentence_breaks: cues.sentence_breaks.clone(),
        }
    }

    pub fn breaks_sentence(&self, between: &str) -> bool {
        between.contains(self.sentence_breaks.as_slice())
    }

    fn breaks_clause(&self, between: &str) -> bool {
        between.contains(self.clause_breaks.as_slice())
    }

    /// Removes cues that lie strictly inside a neutral phrase (不是 in 是不是, but not the cue
    /// 是不是 itself), and the neutral phrases themselves.
    pub fn drop_neutralised(cues: &mut Vec<CueHit>) {
        if !cues.iter().any(|c| c.kind == CueKind::Neutral) {
            return;
        }
        let neutral: Vec<(u32, u32)> = cues
            .iter()
            .filter(|c| c.kind == CueKind::Neutral)
            .map(|c| (c.start, c.end))
            .collect();
        cues.retain(|c| {
            c.kind != CueKind::Neutral
                && !neutral
                    .iter()
                    .any(|&(s, e)| s <= c.start && c.end <= e && (e - s) > (c.end - c.start))
        });
    }

    /// Why `hit` does not count, if it does not. `unless` are the positions of the rule's
    /// `unless` words in the same field.
    pub fn check(
        &self,
        text: &str,
        hit: &Hit,
        guards: Guards,
        cues: &[CueHit],
        mut unless: impl Iterator<Item = (u32, u32)>,
    ) -> Option<Suppression> {
        let suppression = |kind, start: u32, end: u32| Suppression {
            kind,
            start: start.min(hit.start),
            end: end.max(hit.end),
        };
        if let Some((start, end)) = unless.find(|&(s, e)| {
            let (from, to) = if e <= hit.start {
                (e, hit.start)
            } else if s >= hit.end {
                (hit.end, s)
            } else {
                (hit.start, hit.start) // overlapping: same place, same sentence
            };
            !self.breaks_sentence(&text[from as usize..to as usize])
        }) {
            return Some(suppression(SuppressKind::Unless, start, end));
        }
        for cue in cues {
            let kind = match cue.kind {
                CueKind::Negation if guards.negation => SuppressKind::Negated,
                CueKind::Reported if guards.reported => SuppressKind::Reported,
                CueKind::Hypothetical if guards.hypothetical => SuppressKind::Hypothetical,
                CueKind::MovedOn if guards.moved_on => SuppressKind::MovedOn,
                _ => continue,
            };
            let applies = match kind {
                SuppressKind::Negated => self.before(text, cue, hit, self.negation_window, true),
                SuppressKind::Reported | SuppressKind::Hypothetical => {
                    self.before(text, cue, hit, self.reported_window, false)
                }
                _ => self.after(text, cue, hit),
            };
            if applies {
                return Some(suppression(kind, cue.start, cue.end));
            }
        }
        None
    }

    /// The cue ends at most `window` chars before the hit, in the same clause (negation)
    /// or sentence (reported speech).
    fn before(&self, text: &str, cue: &CueHit, hit: &Hit, window: usize, clause: bool) -> bool {
        if cue.end > hit.start {
            return false;
        }
        let between = &text[cue.end as usize..hit.start as usize];
        let broken = if clause {
            self.breaks_clause(between)
        } else {
            self.breaks_sentence(between)
        };
        !broken && between.chars().count() <= window
    }

    /// The cue starts at most `moved_on_window` chars after the hit, in the same sentence.
    fn after(&self, text: &str, cue: &CueHit, hit: &Hit) -> bool {
        if cue.start < hit.end {
            return false;
        }
        let between = &text[hit.end as usize..cue.start as usize];
        !self.breaks_sentence(between) && between.chars().count() <= self.moved_on_window
    }
}
