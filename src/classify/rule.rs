//! A validated classification rule: what it looks for and what it decides.

use strum::{Display, EnumIter, EnumString, IntoStaticStr};

use crate::domain::taxonomy::Topic;
use crate::domain::{EmergencyLine, ExplainReason, LegalChannel, RequestType, Urgency, Utility};

/// Rule families, in decision order: an earlier family's outcome beats a later one's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Display,
    EnumString,
    IntoStaticStr,
    EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Family {
    Emergency,
    ReferPolice,
    /// 告知法定途径 and 解释说明 are both exclusions and compete by priority.
    LegalChannel,
    Explain,
    Utility,
    Answer,
    Topic,
    RequestType,
    Urgency,
    Repeat,
}

impl Family {
    /// Families whose winner becomes the intake outcome.
    pub fn decides_outcome(self) -> bool {
        self <= Family::Answer
    }

    /// The guards a rule of this family gets unless it lists its own.
    pub fn default_guards(self) -> Guards {
        let negation = Guards {
            negation: true,
            ..Guards::default()
        };
        match self {
            // A refusal needs the caller's own, real request.
            Family::LegalChannel | Family::Explain => Guards {
                reported: true,
                hypothetical: true,
                ..negation
            },
            // A relayed emergency is still one; "if it caught fire…" is not.
            Family::Emergency | Family::Utility => Guards {
                hypothetical: true,
                ..negation
            },
            Family::Topic => Guards::default(),
            _ => negation,
        }
    }
}

/// Which context cues can suppress a rule's match (see `[cues]` in rules.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guards {
    /// 不是/没有/不想… shortly before the match.
    pub negation: bool,
    /// 朋友说/听说… earlier in the sentence: someone else's idea, not the caller's request.
    pub reported: bool,
    /// 如果/一旦/是否需要… earlier in the sentence: a hypothesis or a question, not a fact.
    pub hypothetical: bool,
    /// 以后/之后/但是… shortly after: the matter was settled elsewhere and the caller moved on
    /// to a different one.
    pub moved_on: bool,
}

/// What a rule decides when it counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Emergency(EmergencyLine),
    ReferPolice {
        reason: String,
    },
    LegalChannel {
        channel: LegalChannel,
        advice: String,
    },
    Explain {
        reason: ExplainReason,
        explanation: String,
    },
    Utility(Utility),
    Answer(String),
    Topic(&'static Topic),
    RequestType(RequestType),
    Urgency(Urgency),
    Repeat,
}

impl Effect {
    /// Human-readable effect for explanations: "outcome legal_channel (litigation)".
    pub fn describe(&self) -> String {
        match self {
            Effect::Emergency(line) => format!("outcome emergency_transfer ({line})"),
            Effect::ReferPolice { .. } => "outcome refer_police".into(),
            Effect::LegalChannel { channel, .. } => format!("outcome legal_channel ({channel})"),
            Effect::Explain { reason, .. } => format!("outcome explain ({reason})"),
            Effect::Utility(utility) => format!("outcome utility_transfer ({utility})"),
            Effect::Answer(_) => "outcome answer_directly".into(),
            Effect::Topic(topic) => format!("topic {}", topic.id),
            Effect::RequestType(t) => format!("request_type {t}"),
            Effect::Urgency(u) => format!("urgency {u}"),
            Effect::Repeat => "repeat hint".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub family: Family,
    pub priority: u16,
    /// Score of one hit, for topic rules (title hits count more, see `Scoring`).
    pub weight: f32,
    /// Normalised; any one of them is a hit.
    pub keywords: Vec<String>,
    /// Each phrase is a sequence of normalised parts that must follow each other, at most
    /// `phrase_gap` chars apart, within one sentence.
    pub phrases: Vec<Vec<String>>,
    pub phrase_gap: usize,
    /// Regular expressions over the normalised text.
    pub patterns: Vec<String>,
    /// Normalised; one of them in the same sentence cancels a hit.
    pub unless: Vec<String>,
    pub guards: Guards,
    pub effect: Effect,
    /// `effect.describe()`, computed once for explanations.
    pub effect_text: String,
}

/// Context cues shared by all rules, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Cues {
    pub negation: Vec<String>,
    pub reported: Vec<String>,
    pub hypothetical: Vec<String>,
    pub moved_on: Vec<String>,
    /// Phrases that contain a shorter cue word without carrying its meaning (不是第一次,
    /// 没有人管).
    pub neutral: Vec<String>,
    /// Max chars between a negation cue's end and the match; the cue must be in the clause.
    pub negation_window: usize,
    /// Max chars between a reported-speech or hypothetical cue's end and the match, within
    /// the sentence.
    pub reported_window: usize,
    /// Max chars between the match's end and a moved-on cue, within the sentence.
    pub moved_on_window: usize,
    /// Chars that end a clause (negation does not reach over them).
    pub clause_breaks: Vec<char>,
    /// Chars that end a sentence (no cue, `unless` or phrase reaches over them).
    pub sentence_breaks: Vec<char>,
}

/// How topic hits add up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scoring {
    /// A hit in the title counts this many times a hit in the description.
    pub title_weight: f32,
    /// The first repeat of a word in a field counts this fraction; later repeats nothing.
    pub repeat_weight: f32,
    /// A topic is confident when its score reaches this…
    pub confident_score: f32,
    /// …and its category's score is at least this multiple of the runner-up category's.
    pub confident_margin: f32,
}

/// What a request gets when no rule of a family counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Defaults {
    pub request_type: RequestType,
    pub urgency: Urgency,
}

/// A whole validated rules file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub version: String,
    pub cues: Cues,
    pub scoring: Scoring,
    pub defaults: Defaults,
    pub rules: Vec<Rule>,
}
