//! The checks of a command's own fields that hold in every state: lengths, control
//! characters, list sizes and numeric ranges. They run before the ticket is read, so bad
//! input is INVALID_ARGUMENT naming the field whatever the ticket's state (or existence);
//! whether a field is required is the state machine's call, since it depends on the step.

use super::calendar::{MAX_NATURAL_DAYS, MAX_WORKING_DAYS};
use super::error::DomainError;
use super::lifecycle::Command;
use super::ticket::{Disposition, UnitId};
use super::validate::{self, MAX_CO_UNITS, MAX_NOTE_CHARS};

/// The longest extension in hours a request may name: a year, the longest window.
pub const MAX_EXTENSION_HOURS: u32 = MAX_NATURAL_DAYS as u32 * 24;

fn note(field: &str, value: &str) -> Result<(), DomainError> {
    validate::text(field, value, MAX_NOTE_CHARS, false)
}

/// An optional unit id: one short line (whether it exists is checked with the catalogue).
fn unit_id(field: &str, value: &str) -> Result<(), DomainError> {
    validate::label(field, value, false)
}

fn co_units(units: &[UnitId]) -> Result<(), DomainError> {
    validate::list_len("co_units", units.len(), MAX_CO_UNITS)?;
    units.iter().try_for_each(|u| unit_id("co_units", u))
}

/// The free text a transfer or refusal outcome carries, named as in the disposition.
fn outcome_text(outcome: &Disposition) -> Result<(), DomainError> {
    match outcome {
        Disposition::AnswerDirectly { answer } => note("answer", answer),
        Disposition::LegalChannel { advice, .. } => note("advice", advice),
        Disposition::Explain { explanation, .. } => note("explanation", explanation),
        Disposition::ReferPolice { reason } => note("reason", reason),
        Disposition::Dispatch { unit, co_units: c } => {
            unit_id("unit", unit.as_deref().unwrap_or_default())?;
            co_units(c)
        }
        Disposition::EmergencyTransfer { .. }
        | Disposition::UtilityTransfer { .. }
        | Disposition::Merge { .. } => Ok(()),
    }
}

impl Command {
    /// Refuses fields no state could accept. Field names are those of the request.
    pub fn check_input(&self) -> Result<(), DomainError> {
        match self {
            Command::Dispatch {
                unit,
                co_units: c,
                reason,
            } => {
                unit_id("unit", unit)?;
                co_units(c)?;
                note("reason", reason)
            }
            Command::AnswerDirectly { answer } => note("answer", answer),
            Command::Transfer { to, reason } => {
                outcome_text(to)?;
                note("reason", reason)
            }
            Command::Refuse { outcome } => outcome_text(outcome),
            Command::ReviewReturn {
                approve,
                reassign_to,
                co_units: c,
                reason,
            } => {
                if !approve && (reassign_to.is_some() || !c.is_empty()) {
                    return Err(DomainError::invalid(
                        "reassign_to",
                        "a rejected return stays with the unit; reassign only on approval",
                    ));
                }
                unit_id("reassign_to", reassign_to.as_deref().unwrap_or_default())?;
                co_units(c)?;
                note("reason", reason)
            }
            Command::RequestExtension {
                hours,
                working_days,
                reason,
            } => {
                if *hours > MAX_EXTENSION_HOURS {
                    return Err(DomainError::invalid(
                        "hours",
                        format!("{hours} is more than a year ({MAX_EXTENSION_HOURS} hours)"),
                    ));
                }
                if *working_days > MAX_WORKING_DAYS {
                    return Err(DomainError::invalid(
                        "working_days",
                        format!("{working_days} is more than {MAX_WORKING_DAYS} working days"),
                    ));
                }
                note("reason", reason)
            }
            Command::MergeInto { reason, .. }
            | Command::RequestReturn { reason }
            | Command::ReviewExtension { reason, .. }
            | Command::Escalate { reason }
            | Command::ReviewReply { reason, .. } => note("reason", reason),
            // The wire calls these notes `reason` (TicketCommand).
            Command::Respond { note: text }
            | Command::Handle { note: text }
            | Command::AddNote { note: text } => note("reason", text),
            Command::Reply { reply } => note("reply", reply),
            Command::RecordCallback { note: text, .. }
            | Command::Supervise { note: text, .. }
            | Command::ChaseUp { note: text }
            | Command::ExcludeFromRates { note: text, .. } => note("note", text),
            Command::Sign | Command::Archive => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::EmergencyLine;

    fn field_of(command: Command) -> String {
        match command.check_input() {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("{command:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn oversized_and_control_text_is_refused_in_every_command() {
        let long = "办".repeat(MAX_NOTE_CHARS + 1);
        let bell = "已处理\u{7}".to_string();
        for bad in [long, bell] {
            let t = || bad.clone();
            let cases = [
                (Command::Respond { note: t() }, "reason"),
                (Command::Handle { note: t() }, "reason"),
                (Command::AddNote { note: t() }, "reason"),
                (Command::RequestReturn { reason: t() }, "reason"),
                (Command::Escalate { reason: t() }, "reason"),
                (Command::Reply { reply: t() }, "reply"),
                (Command::ChaseUp { note: t() }, "note"),
                (
                    Command::Supervise {
                        on: false,
                        note: t(),
                    },
                    "note",
                ),
                (
                    Command::ReviewReply {
                        approve: true,
                        reason: t(),
                    },
                    "reason",
                ),
                (
                    Command::Transfer {
                        to: Disposition::ReferPolice { reason: t() },
                        reason: String::new(),
                    },
                    "reason",
                ),
                (
                    Command::Refuse {
                        outcome: Disposition::Explain {
                            reason: crate::domain::ticket::ExplainReason::Privacy,
                            explanation: t(),
                        },
                    },
                    "explanation",
                ),
                (Command::AnswerDirectly { answer: t() }, "answer"),
            ];
            for (command, field) in cases {
                assert_eq!(field_of(command), field);
            }
        }
    }

    #[test]
    fn unit_lists_and_ids_are_bounded() {
        let many: Vec<UnitId> = (0..=MAX_CO_UNITS).map(|i| format!("u{i}")).collect();
        let dispatch = |unit: &str, co_units: Vec<UnitId>| Command::Dispatch {
            unit: unit.into(),
            co_units,
            reason: String::new(),
        };
        assert_eq!(field_of(dispatch("a", many.clone())), "co_units");
        assert_eq!(field_of(dispatch("a", vec!["b\nc".into()])), "co_units");
        assert_eq!(field_of(dispatch(&"x".repeat(65), vec![])), "unit");
        assert!(
            dispatch("a", many[..MAX_CO_UNITS].to_vec())
                .check_input()
                .is_ok()
        );
    }

    #[test]
    fn a_rejected_return_names_no_new_unit() {
        let review = |approve, reassign_to: Option<&str>| Command::ReviewReturn {
            approve,
            reassign_to: reassign_to.map(String::from),
            co_units: Vec::new(),
            reason: "不属于本单位职责".into(),
        };
        assert_eq!(field_of(review(false, Some("water"))), "reassign_to");
        assert!(review(false, None).check_input().is_ok());
        assert!(review(true, Some("water")).check_input().is_ok());
    }

    #[test]
    fn extensions_are_bounded_in_both_units() {
        let ask = |hours, working_days| Command::RequestExtension {
            hours,
            working_days,
            reason: "需要协调".into(),
        };
        assert_eq!(field_of(ask(u32::MAX, 0)), "hours");
        assert_eq!(field_of(ask(0, MAX_WORKING_DAYS + 1)), "working_days");
        assert!(ask(MAX_EXTENSION_HOURS, 0).check_input().is_ok());
        assert!(ask(0, 5).check_input().is_ok());
    }

    #[test]
    fn commands_without_text_pass() {
        assert!(Command::Sign.check_input().is_ok());
        assert!(Command::Archive.check_input().is_ok());
        let to = Disposition::EmergencyTransfer {
            line: EmergencyLine::Fire119,
        };
        let transfer = Command::Transfer {
            to,
            reason: String::new(),
        };
        assert!(transfer.check_input().is_ok());
    }
}
