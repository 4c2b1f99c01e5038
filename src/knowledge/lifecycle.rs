//! The life cycle of an entry: draft → pending approval → published → retired. The owner
//! unit writes and submits, the centre approves or rejects, either may retire or confirm
//! that a published answer still holds. Every command appends one [`Version`].

use super::entry::{Content, Entry, EntryStatus, Version, is_centre};
use crate::domain::{Actor, DomainError, Timestamp, UnitCatalog, validate};

/// Why a knowledge command was refused; each variant maps to one gRPC status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnowledgeError {
    /// INVALID_ARGUMENT, naming the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// PERMISSION_DENIED.
    #[error("{0}")]
    NotPermitted(String),
    /// FAILED_PRECONDITION: not in the entry's current status.
    #[error("{0}")]
    Precondition(String),
}

impl KnowledgeError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<DomainError> for KnowledgeError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid { field, message } => Self::Invalid { field, message },
            DomainError::NotPermitted(why) => Self::NotPermitted(why),
            other => Self::Precondition(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KbCommand {
    Create {
        content: Content,
    },
    /// A new draft; what was published stays live until the edit is approved.
    Update {
        content: Content,
        note: String,
    },
    Submit {
        note: String,
    },
    Approve {
        note: String,
    },
    /// Back to draft; the note tells the unit why.
    Reject {
        note: String,
    },
    Retire {
        note: String,
    },
    /// The published answer was checked and still holds (resets the review clock).
    Confirm {
        note: String,
    },
}

impl KbCommand {
    pub fn name(&self) -> &'static str {
        match self {
            KbCommand::Create { .. } => "create",
            KbCommand::Update { .. } => "update",
            KbCommand::Submit { .. } => "submit",
            KbCommand::Approve { .. } => "approve",
            KbCommand::Reject { .. } => "reject",
            KbCommand::Retire { .. } => "retire",
            KbCommand::Confirm { .. } => "confirm",
        }
    }
}

/// The entry after a command and the version row that records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub entry: Entry,
    pub version: Version,
}

/// Applies `command` to `before` (`None` only for Create). The caller checks the version
/// the client read; the store checks it again on write.
pub fn apply(
    before: Option<&Entry>,
    command: KbCommand,
    actor: &Actor,
    units: &UnitCatalog,
    now: Timestamp,
) -> Result<Change, KnowledgeError> {
    validate::unit("actor.unit", &actor.unit, units)?;
    validate::label("actor.person", &actor.person, true)?;
    let centre = is_centre(&actor.unit, units);
    let name = command.name();
    let (mut entry, note) = match (before, command) {
        (None, KbCommand::Create { content }) => {
            let content = content.tidied();
            content.validate(units)?;
            if !centre && content.owner_unit != actor.unit {
                return Err(KnowledgeError::NotPermitted(format!(
                    "unit `{}` may only create entries it owns (owner_unit `{}`)",
                    actor.unit, content.owner_unit
                )));
            }
            let entry = Entry {
                id: 0,
                version: 0,
                status: EntryStatus::Draft,
                content,
                published_version: None,
                reviewed_at: None,
                created_at: now,
                updated_at: now,
            };
            (entry, String::new())
        }
        (None, _) => return Err(KnowledgeError::invalid("entry_id", "must be an entry id")),
        (Some(_), KbCommand::Create { .. }) => {
            return Err(KnowledgeError::Precondition(
                "the entry exists already".into(),
            ));
        }
        (Some(before), command) => {
            let owner = before.content.owner_unit == actor.unit;
            let mut entry = before.clone();
            let status = before.status;
            let refuse = |why: &str| {
                Err(KnowledgeError::Precondition(format!(
                    "cannot {name} entry {} in status {status}{why}",
                    before.id
                )))
            };
            let deny = |who: &str| {
                Err(KnowledgeError::NotPermitted(format!(
                    "unit `{}` may not {name} entry {}: {who}",
                    actor.unit, before.id
                )))
            };
            let note = match command {
                KbCommand::Create { .. } => unreachable!("handled above"),
                KbCommand::Update { content, note } => {
                    if !owner && !centre {
                        return deny("only its owner unit or the centre edits it");
                    }
                    if status == EntryStatus::Retired {
                        return refuse("");
                    }
                    let content = content.tidied();
                    content.validate(units)?;
                    if content.owner_unit != before.content.owner_unit {
                        return Err(KnowledgeError::invalid(
                            "owner_unit",
                            format!(
                                "is `{}`; an entry stays with its unit (retire it and create a new one)",
                                before.content.owner_unit
                            ),
                        ));
                    }
                    entry.content = content;
                    entry.status = EntryStatus::Draft;
                    note
                }
                KbCommand::Submit { note } => {
                    if !owner && !centre {
                        return deny("only its owner unit or the centre submits it");
                    }
                    if status != EntryStatus::Draft {
                        return refuse(": only drafts are submitted");
                    }
                    entry.status = EntryStatus::PendingApproval;
                    note
                }
                KbCommand::Approve { .. } | KbCommand::Reject { .. } if !centre => {
                    return deny("only the centre approves entries");
                }
                KbCommand::Approve { note } => {
                    if status != EntryStatus::PendingApproval {
                        return refuse(": submit it for approval first");
                    }
                    entry.status = EntryStatus::Published;
                    entry.published_version = Some(before.version + 1);
                    entry.reviewed_at = Some(now);
                    note
                }
                KbCommand::Reject { note } => {
                    if status != EntryStatus::PendingApproval {
                        return refuse(": only entries awaiting approval are rejected");
                    }
                    if note.trim().is_empty() {
                        return Err(KnowledgeError::invalid(
                            "note",
                            "say why the entry is rejected",
                        ));
                    }
                    entry.status = EntryStatus::Draft;
                    note
                }
                KbCommand::Retire { note } => {
                    if !owner && !centre {
                        return deny("only its owner unit or the centre retires it");
                    }
                    if status == EntryStatus::Retired {
                        return refuse("");
                    }
                    entry.status = EntryStatus::Retired;
                    entry.published_version = None;
                    note
                }
                KbCommand::Confirm { note } => {
                    if !owner && !centre {
                        return deny("only its owner unit or the centre confirms it");
                    }
                    if status != EntryStatus::Published {
                        return refuse(": only a published entry is confirmed");
                    }
                    entry.reviewed_at = Some(now);
                    note
                }
            };
            (entry, note)
        }
    };
    let note = note.trim().to_string();
    validate::text("note", &note, validate::MAX_NOTE_CHARS, false)?;
    entry.version += 1;
    entry.updated_at = now;
    let version = Version {
        entry_id: entry.id,
        version: entry.version,
        action: name.to_string(),
        status: entry.status,
        content: entry.content.clone(),
        actor: actor.clone(),
        at: now,
        note,
    };
    Ok(Change { entry, version })
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
