//! The API's closed vocabularies (ticket states, channels, urgencies, …) as the short
//! lowercase codes people type and read: `TICKET_STATE_IN_PROGRESS` ↔ `in_progress`.
//! Driven by the API descriptors, so a value added to a proto enum is accepted on the
//! command line and printed without touching the CLI.

use std::ffi::OsStr;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use prost_reflect::EnumDescriptor;

use super::json::descriptor_pool;

/// A proto enum, named by its full name.
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary(&'static str);

pub const CHANNEL: Vocabulary = Vocabulary("hotline.v1.Channel");
pub const REQUEST_TYPE: Vocabulary = Vocabulary("hotline.v1.RequestType");
pub const POLICY_DOMAIN: Vocabulary = Vocabulary("hotline.v1.PolicyDomain");
pub const URGENCY: Vocabulary = Vocabulary("hotline.v1.Urgency");
pub const TICKET_STATE: Vocabulary = Vocabulary("hotline.v1.TicketState");
pub const EMERGENCY_LINE: Vocabulary = Vocabulary("hotline.v1.EmergencyLine");
pub const UTILITY: Vocabulary = Vocabulary("hotline.v1.Utility");
pub const LEGAL_CHANNEL: Vocabulary = Vocabulary("hotline.v1.LegalChannel");
pub const EXPLAIN_REASON: Vocabulary = Vocabulary("hotline.v1.ExplainReason");
pub const SATISFACTION: Vocabulary = Vocabulary("hotline.v1.Satisfaction");
pub const EXCLUSION_REASON: Vocabulary = Vocabulary("hotline.v1.ExclusionReason");
pub const DEADLINE_KIND: Vocabulary = Vocabulary("hotline.v1.DeadlineKind");
pub const WARNING_LEVEL: Vocabulary = Vocabulary("hotline.v1.WarningLevel");

/// One value a user may type.
struct Choice {
    /// What `--help` offers: the code, or its number for codes like `police_110`.
    spelling: String,
    /// The full code, when the spelling is shorter.
    alias: Option<String>,
    number: i32,
}

impl Vocabulary {
    fn descriptor(self) -> EnumDescriptor {
        descriptor_pool()
            .get_enum_by_name(self.0)
            .unwrap_or_else(|| panic!("{} is not in the API descriptors", self.0))
    }

    /// Every value name starts with the zero value's name less `UNSPECIFIED`.
    fn prefix(descriptor: &EnumDescriptor) -> String {
        descriptor
            .get_value(0)
            .map(|v| v.name().trim_end_matches("UNSPECIFIED").to_string())
            .unwrap_or_default()
    }

    /// The short code of a wire value (`in_progress`); unknown numbers print as numbers.
    pub fn code(self, number: i32) -> String {
        let descriptor = self.descriptor();
        match descriptor.get_value(number) {
            Some(value) => {
                let prefix = Self::prefix(&descriptor);
                value
                    .name()
                    .strip_prefix(prefix.as_str())
                    .unwrap_or(value.name())
                    .to_ascii_lowercase()
            }
            None => number.to_string(),
        }
    }

    /// The values a user may type; UNSPECIFIED is never offered.
    fn choices(self) -> Vec<Choice> {
        let descriptor = self.descriptor();
        descriptor
            .values()
            .filter(|v| v.number() != 0)
            .map(|v| {
                let code = self.code(v.number());
                match code.rsplit_once('_') {
                    Some((_, digits)) if digits.chars().all(|c| c.is_ascii_digit()) => Choice {
                        spelling: digits.to_string(),
                        alias: Some(code.clone()),
                        number: v.number(),
                    },
                    _ => Choice {
                        spelling: code,
                        alias: None,
                        number: v.number(),
                    },
                }
            })
            .collect()
    }

    /// A clap value parser that turns a code into its wire number.
    pub fn parser(self) -> VocabularyParser {
        VocabularyParser(self)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct VocabularyParser(Vocabulary);

impl VocabularyParser {
    fn possible(&self) -> Vec<PossibleValue> {
        self.0
            .choices()
            .into_iter()
            .map(|c| PossibleValue::new(c.spelling).aliases(c.alias))
            .collect()
    }
}

impl TypedValueParser for VocabularyParser {
    type Value = i32;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<i32, clap::Error> {
        // Let clap word the error, with its list of valid values.
        let typed = PossibleValuesParser::new(self.possible()).parse_ref(cmd, arg, value)?;
        let choice = self
            .0
            .choices()
            .into_iter()
            .find(|c| c.spelling == typed || c.alias.as_deref() == Some(typed.as_str()))
            .expect("clap accepted one of the offered values");
        Ok(choice.number)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.possible().into_iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto;

    fn parse(vocabulary: Vocabulary, value: &str) -> Result<i32, clap::Error> {
        let cmd = clap::Command::new("test");
        vocabulary.parser().parse_ref(&cmd, None, OsStr::new(value))
    }

    #[test]
    fn every_vocabulary_is_in_the_descriptors() {
        for v in [
            CHANNEL,
            REQUEST_TYPE,
            POLICY_DOMAIN,
            URGENCY,
            TICKET_STATE,
            EMERGENCY_LINE,
            UTILITY,
            LEGAL_CHANNEL,
            EXPLAIN_REASON,
            SATISFACTION,
            DEADLINE_KIND,
            WARNING_LEVEL,
        ] {
            assert!(!v.choices().is_empty(), "{v:?}");
        }
    }

    #[test]
    fn codes_drop_the_prefix() {
        assert_eq!(
            TICKET_STATE.code(proto::TicketState::InProgress as i32),
            "in_progress"
        );
        assert_eq!(
            EMERGENCY_LINE.code(proto::EmergencyLine::Police110 as i32),
            "police_110"
        );
        assert_eq!(TICKET_STATE.code(99), "99");
    }

    #[test]
    fn parsing() {
        assert_eq!(
            parse(TICKET_STATE, "return_requested").unwrap(),
            proto::TicketState::ReturnRequested as i32
        );
        assert_eq!(
            parse(EMERGENCY_LINE, "119").unwrap(),
            proto::EmergencyLine::Fire119 as i32
        );
        assert_eq!(
            parse(EMERGENCY_LINE, "fire_119").unwrap(),
            proto::EmergencyLine::Fire119 as i32
        );
        assert!(parse(TICKET_STATE, "unspecified").is_err());
        assert!(parse(CHANNEL, "fax").is_err());
    }
}
