//! Finding rule hits in normalised text. Every keyword, phrase part, `unless` word and cue
//! of the whole rule set lives in ONE Aho-Corasick automaton (overlapping search, so a
//! word inside a longer one is still seen); regular expressions go through one RegexSet
//! first so that only the ones that match are run for their positions.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Regex, RegexSet};

use super::cues::{CueHit, CueKind, Guarding};
use super::normalize::Normalized;
use super::rule::{Cues, Family, Guards, RuleSet};

/// The request fields, in matching order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Title,
    Description,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Description => "description",
        }
    }
}

/// Why a hit does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressKind {
    Negated,
    Reported,
    Hypothetical,
    MovedOn,
    Unless,
}

impl SuppressKind {
    pub fn label(self) -> &'static str {
        match self {
            SuppressKind::Negated => "negated",
            SuppressKind::Reported => "reported",
            SuppressKind::Hypothetical => "hypothetical",
            SuppressKind::MovedOn => "settled elsewhere, asks about something else",
            SuppressKind::Unless => "unless",
        }
    }
}

/// A suppressed hit remembers the normalised byte span of the context that suppressed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressKind,
    pub start: u32,
    pub end: u32,
}

/// One place where a rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub rule: u32,
    pub field: Field,
    /// Normalised byte offsets in the field.
    pub start: u32,
    pub end: u32,
    /// Which keyword, phrase or pattern matched: repeats of the same one count less.
    pub source: u32,
    pub suppressed: Option<Suppression>,
}

#[derive(Debug, Clone, Copy)]
enum Role {
    Keyword { rule: u32 },
    PhrasePart { rule: u32, phrase: u16, part: u16 },
    Unless { rule: u32 },
    Cue(CueKind),
}

/// One matched part of a phrase, waiting to be chained with the next part.
#[derive(Debug, Clone, Copy)]
struct PartHit {
    rule: u32,
    phrase: u16,
    part: u16,
    start: u32,
    end: u32,
}

struct RuleShape {
    guards: Guards,
    family: Family,
    phrase_gap: usize,
    /// Number of parts of each phrase.
    phrase_parts: Vec<u16>,
}

/// The compiled, immutable matching side of a rule set.
pub struct Matcher {
    automaton: AhoCorasick,
    /// Roles of automaton pattern i: `roles[role_index[i]..role_index[i + 1]]`.
    roles: Vec<Role>,
    role_index: Vec<u32>,
    regex_set: RegexSet,
    regexes: Vec<(Regex, u32)>,
    shapes: Vec<RuleShape>,
    guarding: Guarding,
}

/// Distinct sources of hits other than keywords are numbered past the automaton patterns.
const PHRASE_SOURCE: u32 = 1 << 30;
const REGEX_SOURCE: u32 = 1 << 31;

impl Matcher {
    /// Compiles a validated rule set. Patterns were checked by the parser, so compiling
    /// them again cannot fail; the automaton can only fail on absurd sizes.
    pub fn new(set: &RuleSet) -> Result<Matcher, String> {
        let mut words: Vec<String> = Vec::new();
        let mut roles_of: Vec<Vec<Role>> = Vec::new();
        let mut index = std::collections::HashMap::<String, usize>::new();
        let mut add = |word: &str, role: Role| {
            let id = *index.entry(word.to_string()).or_insert_with(|| {
                words.push(word.to_string());
                roles_of.push(Vec::new());
                words.len() - 1
            });
            roles_of[id].push(role);
        };
        let Cues {
            negation,
            reported,
            hypothetical,
            moved_on,
            neutral,
            ..
        } = &set.cues;
        for (list, kind) in [
            (negation, CueKind::Negation),
            (reported, CueKind::Reported),
            (hypothetical, CueKind::Hypothetical),
            (moved_on, CueKind::MovedOn),
            (neutral, CueKind::Neutral),
        ] {
            for word in list {
                add(word, Role::Cue(kind));
            }
        }
        let mut patterns = Vec::new();
        let mut regexes = Vec::new();
        let mut shapes = Vec::with_capacity(set.rules.len());
        for (r, rule) in set.rules.iter().enumerate() {
            let rule_id = r as u32;
            for word in &rule.keywords {
                add(word, Role::Keyword { rule: rule_id });
            }
            for word in &rule.unless {
                add(word, Role::Unless { rule: rule_id });
            }
            for (p, phrase) in rule.phrases.iter().enumerate() {
                for (part, word) in phrase.iter().enumerate() {
                    let role = Role::PhrasePart {
                        rule: rule_id,
                        phrase: p as u16,
                        part: part as u16,
                    };
                    add(word, role);
                }
            }
            for pattern in &rule.patterns {
                patterns.push(pattern.clone());
                regexes.push((Regex::new(pattern).map_err(|e| e.to_string())?, rule_id));
            }
            shapes.push(RuleShape {
                guards: rule.guards,
                family: rule.family,
                phrase_gap: rule.phrase_gap,
                phrase_parts: rule.phrases.iter().map(|p| p.len() as u16).collect(),
            });
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&words)
            .map_err(|e| e.to_string())?;
        let mut roles = Vec::new();
        let mut role_index = vec![0u32];
        for list in roles_of {
            roles.extend(list);
            role_index.push(roles.len() as u32);
        }
        Ok(Matcher {
            automaton,
            roles,
            role_index,
            regex_set: RegexSet::new(&patterns).map_err(|e| e.to_string())?,
            regexes,
            shapes,
            guarding: Guarding::new(&set.cues),
        })
    }

    /// All hits of all rules in the fields, guarded, sorted by rule, field and position.
    pub fn scan(&self, fields: [(Field, &Normalized); 2]) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut unless = Vec::new();
        for (field, normalized) in fields {
            let text = normalized.as_str();
            if text.is_empty() {
                continue;
            }
            let field_start = hits.len();
            let mut cues: Vec<CueHit> = Vec::new();
            let mut parts: Vec<PartHit> = Vec::new();
            unless.clear();
            for m in self.automaton.find_overlapping_iter(text) {
                let (start, end) = (m.start() as u32, m.end() as u32);
                let p = m.pattern().as_usize();
                let roles =
                    &self.roles[self.role_index[p] as usize..self.role_index[p + 1] as usize];
                for role in roles {
                    match *role {
                        Role::Keyword { rule } => hits.push(Hit {
                            rule,
                            field,
                            start,
                            end,
                            source: p as u32,
                            suppressed: None,
                        }),
                        Role::PhrasePart { rule, phrase, part } => parts.push(PartHit {
                            rule,
                            phrase,
                            part,
                            start,
                            end,
                        }),
                        Role::Unless { rule } => unless.push((rule, start, end)),
                        Role::Cue(kind) => cues.push(CueHit { kind, start, end }),
                    }
                }
            }
            if !parts.is_empty() {
                self.chain_phrases(text, field, &parts, &mut hits);
            }
            if !self.regexes.is_empty() {
                for i in self.regex_set.matches(text).iter() {
                    let (regex, rule) = &self.regexes[i];
                    for m in regex.find_iter(text) {
                        hits.push(Hit {
                            rule: *rule,
                            field,
                            start: m.start() as u32,
                            end: m.end() as u32,
                            source: REGEX_SOURCE + i as u32,
                            suppressed: None,
                        });
                    }
                }
            }
            self.drop_shadowed(field_start, &mut hits);
            Guarding::drop_neutralised(&mut cues);
            for hit in &mut hits[field_start..] {
                let shape = &self.shapes[hit.rule as usize];
                let rule_unless = unless
                    .iter()
                    .filter(|u| u.0 == hit.rule)
                    .map(|u| (u.1, u.2));
                hit.suppressed = self
                    .guarding
                    .check(text, hit, shape.guards, &cues, rule_unless);
            }
        }
        hits.sort_unstable_by_key(|h| (h.rule, h.field, h.start, h.end));
        hits
    }

    /// Drops every hit that lies strictly inside a longer hit of a rule of the same family
    /// in the same field: 已经申请了劳动仲裁 is the settled case, not also a new 劳动仲裁;
    /// 医疗保险 is insurance, not also 医疗 (health).
    fn drop_shadowed(&self, from: usize, hits: &mut Vec<Hit>) {
        let family = |h: &Hit| self.shapes[h.rule as usize].family;
        let field = &mut hits[from..];
        if field.len() < 2 {
            return;
        }
        // Per family by start, longest first: a hit is shadowed when an earlier-starting hit
        // reaches at least as far, or a same-start hit reaches further.
        field.sort_unstable_by_key(|h| (family(h), h.start, std::cmp::Reverse(h.end)));
        let mut keep = vec![true; field.len()];
        let mut i = 0;
        while i < field.len() {
            let f = family(&field[i]);
            let mut reach_before: Option<u32> = None; // max end of hits starting earlier
            let mut j = i;
            while j < field.len() && family(&field[j]) == f {
                let start = field[j].start;
                let run_end = field[j].end; // longest of this start
                let mut k = j;
                while k < field.len() && family(&field[k]) == f && field[k].start == start {
                    let h = field[k];
                    keep[k] = !(reach_before.is_some_and(|r| r >= h.end) || run_end > h.end);
                    k += 1;
                }
                reach_before = Some(reach_before.map_or(run_end, |r| r.max(run_end)));
                j = k;
            }
            i = j;
        }
        let mut index = 0;
        hits.retain(|_| {
            let kept = index < from || keep[index - from];
            index += 1;
            kept
        });
    }

    /// Chains phrase parts: part k+1 must start after part k ends, within the rule's gap
    /// and the same sentence. Each chain that completes is one hit.
    fn chain_phrases(&self, text: &str, field: Field, parts: &[PartHit], hits: &mut Vec<Hit>) {
        for first in parts.iter().filter(|p| p.part == 0) {
            let shape = &self.shapes[first.rule as usize];
            let count = shape.phrase_parts[first.phrase as usize];
            let mut end = first.end;
            let mut complete = true;
            for part in 1..count {
                let next = parts
                    .iter()
                    .filter(|p| p.rule == first.rule && p.phrase == first.phrase && p.part == part)
                    .filter(|p| p.start >= end)
                    .find(|p| {
                        let gap = &text[end as usize..p.start as usize];
                        gap.chars().count() <= shape.phrase_gap
                            && !self.guarding.breaks_sentence(gap)
                    });
                match next {
                    Some(p) => end = p.end,
                    None => {
                        complete = false;
                        break;
                    }
                }
            }
            if complete {
                hits.push(Hit {
                    rule: first.rule,
                    field,
                    start: first.start,
                    end,
                    source: PHRASE_SOURCE + first.phrase as u32,
                    suppressed: None,
                });
            }
        }
    }
}
