//! Parsing and validation of `config/rules.toml`: text in, a [`RuleSet`] or a
//! [`ConfigError`] naming file, line and key out. Regular expressions are only checked
//! here; the matcher compiles them into its own structures.

use std::collections::HashSet;
use std::ops::Range;
use std::str::FromStr;

use serde::Deserialize;
use strum::IntoEnumIterator;
use toml::Spanned;

use super::normalize::normalize;
use super::rule::{Cues, Defaults, Effect, Family, Guards, Rule, RuleSet, Scoring};
use crate::domain::config_file::{ConfigError, line_of, line_of_key};
use crate::domain::taxonomy;
use crate::domain::{EmergencyLine, ExplainReason, LegalChannel, RequestType, Urgency, Utility};

pub const MAX_PRIORITY: i64 = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: Spanned<String>,
    cues: Spanned<RawCues>,
    #[serde(default)]
    scoring: Option<Spanned<RawScoring>>,
    #[serde(default)]
    defaults: Option<Spanned<RawDefaults>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCues {
    negation: Vec<String>,
    #[serde(default)]
    reported: Vec<String>,
    #[serde(default)]
    hypothetical: Vec<String>,
    #[serde(default)]
    moved_on: Vec<String>,
    #[serde(default)]
    neutral: Vec<String>,
    negation_window: usize,
    reported_window: usize,
    moved_on_window: usize,
    clause_breaks: String,
    sentence_breaks: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScoring {
    title_weight: f32,
    repeat_weight: f32,
    confident_score: f32,
    confident_margin: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    request_type: String,
    urgency: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    family: String,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    weight: Option<f32>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    phrase_gap: Option<usize>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    guards: Option<Vec<String>>,
    // Effects; which ones are allowed depends on the family.
    #[serde(default)]
    line: Option<String>,
    #[serde(default)]
    utility: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    advice: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    explanation: Option<String>,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    request_type: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
}

impl RawRule {
    /// The effect keys that are present, with their values.
    fn effect_fields(&self) -> [(&'static str, Option<&String>); 10] {
        [
            ("line", self.line.as_ref()),
            ("utility", self.utility.as_ref()),
            ("channel", self.channel.as_ref()),
            ("advice", self.advice.as_ref()),
            ("reason", self.reason.as_ref()),
            ("explanation", self.explanation.as_ref()),
            ("answer", self.answer.as_ref()),
            ("topic", self.topic.as_ref()),
            ("request_type", self.request_type.as_ref()),
            ("urgency", self.urgency.as_ref()),
        ]
    }
}

/// The effect keys each family needs (and the only ones it accepts).
fn effect_keys(family: Family) -> &'static [&'static str] {
    match family {
        Family::Emergency => &["line"],
        Family::ReferPolice => &["reason"],
        Family::LegalChannel => &["channel", "advice"],
        Family::Explain => &["reason", "explanation"],
        Family::Utility => &["utility"],
        Family::Answer => &["answer"],
        Family::Topic => &["topic"],
        Family::RequestType => &["request_type"],
        Family::Urgency => &["urgency"],
        Family::Repeat => &[],
    }
}

/// Locates errors in one source text.
struct Locator<'a> {
    source_name: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    fn error(
        &self,
        line: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(self.source_name, Some(line), key, message)
    }

    fn key_line(&self, span: &Range<usize>, key: &str) -> usize {
        line_of_key(self.text, span.clone(), key)
    }

    /// The line where `value` appears in the value of `key` (arrays may span lines), or the
    /// key's line when the value is written with escapes.
    fn value_line(&self, span: &Range<usize>, key: &str, value: &str) -> usize {
        let key_line = self.key_line(span, key);
        let key_offset = self
            .text
            .split_inclusive('\n')
            .take(key_line - 1)
            .map(str::len)
            .sum::<usize>();
        let next_table = self.text[key_offset..]
            .find("\n[")
            .map_or(self.text.len(), |i| key_offset + i);
        match self.text[key_offset..next_table].find(value) {
            Some(i) if !value.is_empty() => line_of(self.text, key_offset + i),
            _ => key_line,
        }
    }
}

/// Parses and validates the text of a rules file; `source_name` is used in errors.
pub fn parse(source_name: &str, text: &str) -> Result<RuleSet, ConfigError> {
    let at = Locator { source_name, text };
    let file: RawFile =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(source_name, text, &e))?;

    let version = file.version.get_ref().trim().to_string();
    if version.is_empty() {
        let line = line_of(text, file.version.span().start);
        return Err(at.error(line, "version", "must not be empty"));
    }
    let cues = parse_cues(&at, &file.cues)?;
    let scoring = match &file.scoring {
        Some(s) => parse_scoring(&at, s)?,
        None => Scoring {
            title_weight: 2.0,
            repeat_weight: 0.5,
            confident_score: 2.0,
            confident_margin: 1.5,
        },
    };
    let defaults = match &file.defaults {
        Some(d) => parse_defaults(&at, d)?,
        None => Defaults {
            request_type: RequestType::Complaint,
            urgency: Urgency::General,
        },
    };

    let mut ids = HashSet::new();
    let mut rules = Vec::with_capacity(file.rule.len());
    for spanned in &file.rule {
        let rule = parse_rule(&at, spanned)?;
        if !ids.insert(rule.id.clone()) {
            let line = at.key_line(&spanned.span(), "id");
            return Err(at.error(line, format!("rule `{}`.id", rule.id), "duplicate rule id"));
        }
        rules.push(rule);
    }
    Ok(RuleSet {
        version,
        cues,
        scoring,
        defaults,
        rules,
    })
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// Normalises a list of words; an empty word would match everywhere, so it is an error.
fn words(
    at: &Locator,
    span: &Range<usize>,
    key: &str,
    error_key: &str,
    raw: &[String],
) -> Result<Vec<String>, ConfigError> {
    raw.iter()
        .map(|w| {
            let n = normalize(w.trim());
            if n.as_str().trim().is_empty() {
                let line = at.value_line(span, key, "\"\"");
                Err(at.error(line, error_key, "empty word (it would match everything)"))
            } else {
                Ok(n.as_str().to_string())
            }
        })
        .collect()
}

fn parse_cues(at: &Locator, raw: &Spanned<RawCues>) -> Result<Cues, ConfigError> {
    let span = raw.span();
    let c = raw.get_ref();
    let list = |key: &str, values: &[String]| words(at, &span, key, &format!("cues.{key}"), values);
    let windows = [
        ("negation_window", c.negation_window),
        ("reported_window", c.reported_window),
        ("moved_on_window", c.moved_on_window),
    ];
    for (key, value) in windows {
        if value > 200 {
            let line = at.key_line(&span, key);
            return Err(at.error(line, format!("cues.{key}"), "must be 0-200 chars"));
        }
    }
    if c.negation.is_empty() {
        let line = at.key_line(&span, "negation");
        return Err(at.error(line, "cues.negation", "needs at least one cue"));
    }
    let breaks = |key: &str, value: &str| -> Result<Vec<char>, ConfigError> {
        let chars: Vec<char> = value.chars().map(normalize_char).collect();
        if chars.is_empty() {
            let line = at.key_line(&span, key);
            return Err(at.error(line, format!("cues.{key}"), "needs at least one char"));
        }
        Ok(chars)
    };
    let sentence_breaks = breaks("sentence_breaks", &c.sentence_breaks)?;
    let mut clause_breaks = breaks("clause_breaks", &c.clause_breaks)?;
    // A sentence break also ends the clause.
    clause_breaks.extend(sentence_breaks.iter().copied());
    Ok(Cues {
        negation: list("negation", &c.negation)?,
        reported: list("reported", &c.reported)?,
        hypothetical: list("hypothetical", &c.hypothetical)?,
        moved_on: list("moved_on", &c.moved_on)?,
        neutral: list("neutral", &c.neutral)?,
        negation_window: c.negation_window,
        reported_window: c.reported_window,
        moved_on_window: c.moved_on_window,
        clause_breaks,
        sentence_breaks,
    })
}

/// Break chars go through the same folding as text (full-width ，→ ,); '\n' stays, as
/// whitespace folding keeps no newline, callers rely on the punctuation.
fn normalize_char(c: char) -> char {
    normalize(&c.to_string())
        .as_str()
        .chars()
        .next()
        .unwrap_or(c)
}

fn parse_scoring(at: &Locator, raw: &Spanned<RawScoring>) -> Result<Scoring, ConfigError> {
    let span = raw.span();
    let s = raw.get_ref();
    let fields = [
        ("title_weight", s.title_weight, 0.0, 10.0),
        ("repeat_weight", s.repeat_weight, 0.0, 1.0),
        ("confident_score", s.confident_score, 0.0, 100.0),
        ("confident_margin", s.confident_margin, 1.0, 10.0),
    ];
    for (key, value, low, high) in fields {
        if !(low..=high).contains(&value) {
            let line = at.key_line(&span, key);
            return Err(at.error(
                line,
                format!("scoring.{key}"),
                format!("{value} is outside {low}-{high}"),
            ));
        }
    }
    Ok(Scoring {
        title_weight: s.title_weight,
        repeat_weight: s.repeat_weight,
        confident_score: s.confident_score,
        confident_margin: s.confident_margin,
    })
}

fn parse_defaults(at: &Locator, raw: &Spanned<RawDefaults>) -> Result<Defaults, ConfigError> {
    let span = raw.span();
    let d = raw.get_ref();
    Ok(Defaults {
        request_type: code(
            at,
            &span,
            "request_type",
            "defaults.request_type",
            &d.request_type,
        )?,
        urgency: code(at, &span, "urgency", "defaults.urgency", &d.urgency)?,
    })
}

/// Parses a vocabulary code, naming the accepted ones when it is unknown.
fn code<T: FromStr + IntoEnumIterator + std::fmt::Display>(
    at: &Locator,
    span: &Range<usize>,
    key: &str,
    error_key: &str,
    value: &str,
) -> Result<T, ConfigError> {
    T::from_str(value).map_err(|_| {
        let line = at.key_line(span, key);
        at.error(
            line,
            error_key,
            format!(
                "unknown value `{value}` (expected one of: {})",
                T::iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

fn parse_rule(at: &Locator, spanned: &Spanned<RawRule>) -> Result<Rule, ConfigError> {
    let span = spanned.span();
    let raw = spanned.get_ref();
    let key = |field: &str| format!("rule `{}`.{field}", raw.id);
    let line = |field: &str| at.key_line(&span, field);

    if !valid_id(&raw.id) {
        return Err(at.error(
            line("id"),
            "rule.id",
            format!(
                "`{}` is not a valid id (1-64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit)",
                raw.id
            ),
        ));
    }
    let family: Family = code(at, &span, "family", &key("family"), &raw.family)?;
    let priority = raw.priority.unwrap_or(100);
    if !(0..=MAX_PRIORITY).contains(&priority) {
        return Err(at.error(
            line("priority"),
            key("priority"),
            format!("impossible priority {priority} (must be 0-{MAX_PRIORITY})"),
        ));
    }
    let weight = raw.weight.unwrap_or(1.0);
    if raw.weight.is_some() && family != Family::Topic {
        return Err(at.error(
            line("weight"),
            key("weight"),
            "only topic rules have a weight",
        ));
    }
    if !(weight > 0.0 && weight <= 10.0) {
        return Err(at.error(
            line("weight"),
            key("weight"),
            format!("{weight} is outside (0, 10]"),
        ));
    }

    let keywords = words(at, &span, "keywords", &key("keywords"), &raw.keywords)?;
    let unless = words(at, &span, "unless", &key("unless"), &raw.unless)?;
    let mut phrases = Vec::with_capacity(raw.phrases.len());
    for phrase in &raw.phrases {
        let parts: Vec<String> = phrase.split('+').map(str::to_string).collect();
        if parts.len() < 2 {
            return Err(at.error(
                at.value_line(&span, "phrases", phrase),
                key("phrases"),
                format!("`{phrase}` needs at least two parts joined by '+' (use keywords for one)"),
            ));
        }
        phrases.push(words(at, &span, "phrases", &key("phrases"), &parts)?);
    }
    let phrase_gap = raw.phrase_gap.unwrap_or(8);
    if phrase_gap > 100 {
        return Err(at.error(line("phrase_gap"), key("phrase_gap"), "must be 0-100 chars"));
    }
    for pattern in &raw.patterns {
        if let Err(e) = regex::Regex::new(pattern) {
            let message = e
                .to_string()
                .lines()
                .last()
                .unwrap_or("invalid")
                .trim()
                .to_string();
            return Err(at.error(
                at.value_line(&span, "patterns", pattern),
                key("patterns"),
                format!("bad regular expression `{pattern}`: {message}"),
            ));
        }
    }
    if keywords.is_empty() && phrases.is_empty() && raw.patterns.is_empty() {
        return Err(at.error(
            line("keywords"),
            key("keywords"),
            "empty match spec: give keywords, phrases or patterns",
        ));
    }
    let guards = match &raw.guards {
        None => family.default_guards(),
        Some(list) => guards(at, &span, &key("guards"), list)?,
    };
    let effect = effect(at, &span, family, raw)?;
    Ok(Rule {
        id: raw.id.clone(),
        family,
        priority: priority as u16,
        weight,
        keywords,
        phrases,
        phrase_gap,
        patterns: raw.patterns.clone(),
        unless,
        guards,
        effect_text: effect.describe(),
        effect,
    })
}

fn guards(
    at: &Locator,
    span: &Range<usize>,
    error_key: &str,
    list: &[String],
) -> Result<Guards, ConfigError> {
    let mut g = Guards::default();
    for name in list {
        match name.as_str() {
            "negation" => g.negation = true,
            "reported" => g.reported = true,
            "hypothetical" => g.hypothetical = true,
            "moved_on" => g.moved_on = true,
            other => {
                return Err(at.error(
                    at.value_line(span, "guards", other),
                    error_key,
                    format!(
                        "unknown guard `{other}` (expected negation, reported, hypothetical, moved_on)"
                    ),
                ));
            }
        }
    }
    Ok(g)
}

fn effect(
    at: &Locator,
    span: &Range<usize>,
    family: Family,
    raw: &RawRule,
) -> Result<Effect, ConfigError> {
    let wanted = effect_keys(family);
    for (field, value) in raw.effect_fields() {
        let key = format!("rule `{}`.{field}", raw.id);
        let line = at.key_line(span, field);
        match value {
            Some(_) if !wanted.contains(&field) => {
                return Err(at.error(line, key, format!("not allowed for family {family}")));
            }
            Some(v) if v.trim().is_empty() => {
                return Err(at.error(line, key, "must not be empty"));
            }
            None if wanted.contains(&field) => {
                let line = at.key_line(span, "family");
                return Err(at.error(line, key, format!("required for family {family}")));
            }
            _ => {}
        }
    }
    // Every wanted field is present from here on.
    let get = |field: &str| -> &str {
        raw.effect_fields()
            .into_iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, v)| v)
            .map_or("", |v| v.as_str())
    };
    let code_of = |field: &'static str| (field, format!("rule `{}`.{field}", raw.id));
    Ok(match family {
        Family::Emergency => {
            let (f, k) = code_of("line");
            Effect::Emergency(code::<EmergencyLine>(at, span, f, &k, get(f))?)
        }
        Family::ReferPolice => Effect::ReferPolice {
            reason: get("reason").to_string(),
        },
        Family::LegalChannel => {
            let (f, k) = code_of("channel");
            Effect::LegalChannel {
                channel: code::<LegalChannel>(at, span, f, &k, get(f))?,
                advice: get("advice").to_string(),
            }
        }
        Family::Explain => {
            let (f, k) = code_of("reason");
            Effect::Explain {
                reason: code::<ExplainReason>(at, span, f, &k, get(f))?,
                explanation: get("explanation").to_string(),
            }
        }
        Family::Utility => {
            let (f, k) = code_of("utility");
            Effect::Utility(code::<Utility>(at, span, f, &k, get(f))?)
        }
        Family::Answer => Effect::Answer(get("answer").to_string()),
        Family::Topic => {
            let id = get("topic");
            let topic = taxonomy::topic(id).ok_or_else(|| {
                at.error(
                    at.key_line(span, "topic"),
                    format!("rule `{}`.topic", raw.id),
                    format!("unknown topic `{id}` (see src/domain/taxonomy.rs)"),
                )
            })?;
            Effect::Topic(topic)
        }
        Family::RequestType => {
            let (f, k) = code_of("request_type");
            Effect::RequestType(code::<RequestType>(at, span, f, &k, get(f))?)
        }
        Family::Urgency => {
            let (f, k) = code_of("urgency");
            Effect::Urgency(code::<Urgency>(at, span, f, &k, get(f))?)
        }
        Family::Repeat => Effect::Repeat,
    })
}

#[cfg(test)]
#[path = "rules_file_tests.rs"]
mod tests;
