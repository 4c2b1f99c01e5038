//! Request classification: text → exactly one intake outcome, plus request type, policy
//! domain, category, topic and urgency, with the rules that decided it.
//!
//! Rules are data (`config/rules.toml`, see its header for the format). The pipeline is
//! [`normalize`] (traditional/full-width/case/whitespace) → [`matcher`] (one automaton for
//! all words, guarded by [`cues`]) → [`decide`] (decision order, topic scoring) →
//! [`explain`] (spans back into the caller's original words). Pure: no I/O.

pub mod cues;
pub mod decide;
pub mod explain;
pub mod matcher;
pub mod normalize;
pub mod rule;
pub mod rules_file;
pub mod sms_reply;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::config_file::ConfigError;
use crate::domain::taxonomy;
use crate::domain::{
    EmergencyLine, ExplainReason, LegalChannel, PolicyDomain, RequestType, Urgency, Utility,
};
use matcher::{Field, Matcher};
use rule::{Effect, RuleSet};

/// The rules shipped with the daemon.
pub const BUILT_IN_RULES: &str = include_str!("../../config/rules.toml");

/// A compiled, immutable rule set. Cheap to share between threads.
pub struct Classifier {
    set: RuleSet,
    matcher: Matcher,
    version: String,
}

/// What the agent took down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassifyInput<'a> {
    pub title: &'a str,
    pub description: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    pub outcome: Outcome,
    pub request_type: RequestType,
    pub domain: PolicyDomain,
    /// Taxonomy category id ("other" when no topic rule matched).
    pub category: &'static str,
    /// Taxonomy topic id ("general" when no topic rule matched).
    pub topic: &'static str,
    /// The topic scored clearly above the rest (the router may trust it).
    pub topic_confident: bool,
    pub urgency: Urgency,
    /// The text says it chases an earlier request; the service looks it up and may merge.
    pub repeat_hint: bool,
    /// Every rule that matched, in decision order, including the ones that did not count.
    pub explanation: Vec<RuleMatch>,
    pub rules_version: String,
}

/// The intake outcome proposed by the rules (`merge` is decided by the service).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Dispatch,
    AnswerDirectly {
        answer: String,
        rule: String,
    },
    EmergencyTransfer {
        line: EmergencyLine,
    },
    UtilityTransfer {
        utility: Utility,
    },
    LegalChannel {
        channel: LegalChannel,
        advice: String,
    },
    Explain {
        reason: ExplainReason,
        explanation: String,
    },
    ReferPolice {
        reason: String,
    },
}

impl Outcome {
    /// Stable code, the same as `Disposition::code`.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Dispatch => "dispatch",
            Outcome::AnswerDirectly { .. } => "answer_directly",
            Outcome::EmergencyTransfer { .. } => "emergency_transfer",
            Outcome::UtilityTransfer { .. } => "utility_transfer",
            Outcome::LegalChannel { .. } => "legal_channel",
            Outcome::Explain { .. } => "explain",
            Outcome::ReferPolice { .. } => "refer_police",
        }
    }
}

/// One rule that matched, located in the original text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMatch {
    pub rule: String,
    pub family: String,
    pub priority: u16,
    /// The matched text as the caller wrote it.
    pub text: String,
    /// "title" or "description".
    pub field: &'static str,
    /// Char offsets in that original field.
    pub start: usize,
    pub end: usize,
    /// "outcome legal_channel (litigation)", "topic prices"…
    pub effect: String,
    /// Why it did not count: "negated: 不是要打官司", "outranked by rule `fire`"…
    pub suppressed: Option<String>,
}

impl Classifier {
    /// Parses, validates and compiles a rules file.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Classifier, ConfigError> {
        let set = rules_file::parse(source_name, text)?;
        let matcher = Matcher::new(&set)
            .map_err(|message| ConfigError::new(source_name, None, "rule", message))?;
        let digest = Sha256::digest(text.as_bytes());
        let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let version = format!("{}+{hash}", set.version);
        Ok(Classifier {
            set,
            matcher,
            version,
        })
    }

    /// The rules shipped in `config/rules.toml`; its validity is a tested invariant.
    pub fn built_in() -> Classifier {
        Classifier::from_toml("config/rules.toml", BUILT_IN_RULES)
            .expect("the shipped config/rules.toml is valid (see its tests)")
    }

    /// The file's `version`, "+", and the first 8 hex digits of the file's SHA-256.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn classify(&self, input: &ClassifyInput) -> Classification {
        let title = normalize::normalize(input.title);
        let description = normalize::normalize(input.description);
        let hits = self
            .matcher
            .scan([(Field::Title, &title), (Field::Description, &description)]);
        let decision = decide::decide(&self.set, &hits);
        let outcome = match decision.outcome_rule {
            None => Outcome::Dispatch,
            Some(r) => self.outcome(r),
        };
        let (category, topic, domain) = match decision.topic {
            Some(t) => {
                let category = taxonomy::category(t.category).expect("topics name a category");
                (category.id, t.id, category.domain)
            }
            None => {
                let other = taxonomy::category("other").expect("the taxonomy has `other`");
                (other.id, "general", other.domain)
            }
        };
        let sources =
            explain::Sources::new((input.title, &title), (input.description, &description));
        Classification {
            outcome,
            request_type: decision.request_type,
            domain,
            category,
            topic,
            topic_confident: decision.topic_confident,
            urgency: decision.urgency,
            repeat_hint: decision.repeat_hint,
            explanation: explain::explain(&self.set, &sources, &decision.matched),
            rules_version: self.version.clone(),
        }
    }

    fn outcome(&self, rule: u32) -> Outcome {
        let rule = &self.set.rules[rule as usize];
        match &rule.effect {
            Effect::Emergency(line) => Outcome::EmergencyTransfer { line: *line },
            Effect::ReferPolice { reason } => Outcome::ReferPolice {
                reason: reason.clone(),
            },
            Effect::LegalChannel { channel, advice } => Outcome::LegalChannel {
                channel: *channel,
                advice: advice.clone(),
            },
            Effect::Explain {
                reason,
                explanation,
            } => Outcome::Explain {
                reason: *reason,
                explanation: explanation.clone(),
            },
            Effect::Utility(utility) => Outcome::UtilityTransfer { utility: *utility },
            Effect::Answer(answer) => Outcome::AnswerDirectly {
                answer: answer.clone(),
                rule: rule.id.clone(),
            },
            // Only outcome families become outcome rules.
            _ => Outcome::Dispatch,
        }
    }
}

#[cfg(test)]
mod tests;
