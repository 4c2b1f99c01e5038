//! Opening a ticket: validating what the agent took down and applying the intake outcome.

use serde_json::json;

use super::error::DomainError;
use super::event::Event;
use super::lifecycle::{self, Command, Context};
use super::ticket::*;
use super::unit::UnitCatalog;
use super::validate::{self, MAX_ADDRESS_CHARS, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};

/// A new ticket and the events that opened it (`create`, then its outcome's step).
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub ticket: Ticket,
    pub events: Vec<Event>,
}

/// Field checks that do not depend on any stored ticket.
pub fn validate(
    intake: &Intake,
    disposition: &Disposition,
    units: &UnitCatalog,
) -> Result<(), DomainError> {
    validate::line("line", &intake.line)?;
    validate::category_and_topic(&intake.category, &intake.topic)?;
    validate::text("title", &intake.title, MAX_TITLE_CHARS, false)?;
    validate::text(
        "description",
        &intake.description,
        MAX_DESCRIPTION_CHARS,
        true,
    )?;
    validate::region("region", &intake.region, units)?;
    validate::text("address", &intake.address, MAX_ADDRESS_CHARS, false)?;
    validate::requester(&intake.requester)?;
    if let Disposition::Dispatch {
        unit: None,
        co_units,
    } = disposition
        && !co_units.is_empty()
    {
        return Err(DomainError::invalid(
            "disposition.dispatch.co_units",
            "co-handling units need a lead unit",
        ));
    }
    Ok(())
}

/// Opens a ticket. `parent_state` is the state of the parent when the outcome is a merge
/// (`None` if the caller found no such ticket).
pub fn open(
    intake: Intake,
    disposition: Disposition,
    parent_state: Option<State>,
    ctx: &Context,
) -> Result<Opened, DomainError> {
    let desk = lifecycle::acting_unit(ctx)?;
    if !desk.kind.takes_requests() {
        return Err(DomainError::NotPermitted(format!(
            "unit `{}` is a {}; only the centre and sub-centres take requests",
            desk.id, desk.kind
        )));
    }
    validate::label("actor.person", &ctx.actor.person, true)?;
    validate(&intake, &disposition, ctx.units)?;

    let mut ticket = Ticket::received(intake, disposition.clone(), ctx.now);
    ticket.version = 1;
    let created = Event {
        ticket_id: 0,
        version: 1,
        command: "create".into(),
        from_state: None,
        to_state: State::Received,
        actor: ctx.actor.clone(),
        principal: ctx.principal.to_string(),
        at: ctx.now,
        reason: String::new(),
        details: json!({
            "channel": ticket.intake.channel,
            "line": ticket.intake.line,
            "outcome": disposition.code(),
        }),
    };

    let outcome_code = disposition.code();
    let outcome = match disposition {
        Disposition::Dispatch { unit: None, .. } => None,
        Disposition::Dispatch {
            unit: Some(unit),
            co_units,
        } => Some(Command::Dispatch {
            unit,
            co_units,
            reason: String::new(),
        }),
        Disposition::AnswerDirectly { answer } => Some(Command::AnswerDirectly { answer }),
        to @ (Disposition::EmergencyTransfer { .. }
        | Disposition::UtilityTransfer { .. }
        | Disposition::ReferPolice { .. }) => Some(Command::Transfer {
            to,
            reason: String::new(),
        }),
        outcome @ (Disposition::LegalChannel { .. } | Disposition::Explain { .. }) => {
            Some(Command::Refuse { outcome })
        }
        Disposition::Merge { parent } => {
            let Some(parent_state) = parent_state else {
                return Err(DomainError::invalid(
                    "disposition.merge.parent_id",
                    format!("no ticket {parent}"),
                ));
            };
            Some(Command::MergeInto {
                parent,
                parent_state,
                reason: String::new(),
            })
        }
    };

    let mut events = vec![created];
    if let Some(command) = outcome {
        // The outcome's fields come from the request's disposition: name them so.
        let step = lifecycle::apply(&ticket, command, ctx).map_err(|e| match e {
            DomainError::Invalid { field, message } if !field.starts_with("actor.") => {
                DomainError::invalid(format!("disposition.{outcome_code}.{field}"), message)
            }
            other => other,
        })?;
        ticket = step.ticket;
        events.push(step.event);
    }
    Ok(Opened { ticket, events })
}
