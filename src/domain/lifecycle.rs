//! The closed loop of a 12345 ticket as a pure state machine (domain.md §3-4):
//!
//! ```text
//! received ─dispatch─▶ dispatched ─sign─▶ signed ─respond─▶ responded ─handle─▶ in_progress
//!    ▲                   │   ▲               │                                 │
//!    │              return│   │review_return  │return                      reply│
//!    │                   ▼   │(approve)       ▼                                 ▼
//!    └──(approve, ──── return_requested ◀─────┘        in_progress ◀─(send back)─ replied
//!        no unit)          │(reject: back to prior state)                          │accept
//!                                                                                  ▼
//!   closed ◀─record_callback── awaiting_callback ──(dissatisfied, reopen)──▶ in_progress
//!     │archive
//!     ▼
//!   archived
//! ```
//! Side paths: extension request/review, escalation (提级) to the parent unit, reassignment
//! (改派) by the centre, supervision (督办) and chase-ups (催办), notes, duplicate merge
//! (并单), and the intake outcomes that end the loop at once (answered directly,
//! transferred, refused).
//!
//! Time limits come from the [`DeadlinePolicy`](super::deadline::DeadlinePolicy) in the
//! context: due instants at dispatch, reassignment, rework and an approved extension; the
//! return (退单) window; and the ticket's [`Watch`](super::warning::Watch), recomputed by
//! every transition.
//!
//! [`apply`] checks who may act, then whether the state allows the command, and returns
//! the next ticket together with the event that records the step.

use serde_json::json;

use super::calendar::{MAX_WORKING_DAYS, Window};
use super::deadline::missed_deadline;
use super::error::DomainError;
use super::event::{Actor, Event};
use super::policy::{Policy, Reopen};
use super::ticket::*;
use super::unit::{Unit, UnitCatalog, UnitKind};
use super::validate;
use super::warning;

/// What an actor asks to do to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// 派单 from the queue, or 改派 of an assigned ticket by the centre.
    Dispatch {
        unit: UnitId,
        co_units: Vec<UnitId>,
        reason: String,
    },
    /// 直接答复: answered from the knowledge base at intake.
    AnswerDirectly {
        answer: String,
    },
    /// Hand-off to 110/119/120/122, a utility line, or the police for abuse of the line.
    Transfer {
        to: Disposition,
        reason: String,
    },
    /// Outside 12345's scope: tell the legal channel or explain.
    Refuse {
        outcome: Disposition,
    },
    /// 并单 into `parent`, whose state the caller looked up.
    MergeInto {
        parent: TicketId,
        parent_state: State,
        reason: String,
    },
    Sign,
    Respond {
        note: String,
    },
    Handle {
        note: String,
    },
    /// 退单: dispute the dispatch.
    RequestReturn {
        reason: String,
    },
    ReviewReturn {
        approve: bool,
        reassign_to: Option<UnitId>,
        co_units: Vec<UnitId>,
        reason: String,
    },
    /// 延期: more time for the reply, in hours or in working days (one of the two).
    RequestExtension {
        hours: u32,
        working_days: u32,
        reason: String,
    },
    ReviewExtension {
        approve: bool,
        reason: String,
    },
    /// 提级: to the unit's parent, or to the centre's queue if it has none.
    Escalate {
        reason: String,
    },
    Reply {
        reply: String,
    },
    /// Centre review (审核) of a reply: accept, or send back for rework (重办).
    ReviewReply {
        approve: bool,
        reason: String,
    },
    RecordCallback {
        resolved: bool,
        satisfaction: Satisfaction,
        reopen: bool,
        note: String,
    },
    Supervise {
        on: bool,
        note: String,
    },
    /// 催办: the centre presses the unit holding a supervised or overdue ticket to act.
    ChaseUp {
        note: String,
    },
    AddNote {
        note: String,
    },
    Archive,
    /// 甄别: the centre takes the ticket out of the assessment; what it counted is retracted.
    ExcludeFromRates {
        reason: ExclusionReason,
        note: String,
    },
}

impl Command {
    /// Stable name used in events, errors and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Dispatch { .. } => "dispatch",
            Command::AnswerDirectly { .. } => "answer_directly",
            Command::Transfer { .. } => "transfer",
            Command::Refuse { .. } => "refuse",
            Command::MergeInto { .. } => "merge",
            Command::Sign => "sign",
            Command::Respond { .. } => "respond",
            Command::Handle { .. } => "handle",
            Command::RequestReturn { .. } => "return",
            Command::ReviewReturn { .. } => "review_return",
            Command::RequestExtension { .. } => "request_extension",
            Command::ReviewExtension { .. } => "review_extension",
            Command::Escalate { .. } => "escalate",
            Command::Reply { .. } => "reply",
            Command::ReviewReply { .. } => "review_reply",
            Command::RecordCallback { .. } => "record_callback",
            Command::Supervise { .. } => "supervise",
            Command::ChaseUp { .. } => "chase_up",
            Command::AddNote { .. } => "add_note",
            Command::Archive => "archive",
            Command::ExcludeFromRates { .. } => "exclude_from_rates",
        }
    }
}

/// Who may issue a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// Agents at the centre or at a sub-centre's seats.
    IntakeDesk,
    /// The 12345 centre only.
    Centre,
    /// The ticket's lead unit only.
    AssignedUnit,
    /// The lead unit, a co-handling unit, or the centre.
    InvolvedUnitOrCentre,
}

fn authority(command: &Command, state: State) -> Authority {
    match command {
        Command::Dispatch { .. } if state == State::Received => Authority::IntakeDesk,
        Command::Dispatch { .. }
        | Command::ReviewReturn { .. }
        | Command::ReviewExtension { .. }
        | Command::ReviewReply { .. }
        | Command::Supervise { .. }
        | Command::ChaseUp { .. }
        | Command::Archive
        | Command::ExcludeFromRates { .. } => Authority::Centre,
        Command::AnswerDirectly { .. }
        | Command::Transfer { .. }
        | Command::Refuse { .. }
        | Command::MergeInto { .. }
        | Command::RecordCallback { .. } => Authority::IntakeDesk,
        Command::Sign
        | Command::Respond { .. }
        | Command::Handle { .. }
        | Command::RequestReturn { .. }
        | Command::RequestExtension { .. }
        | Command::Escalate { .. }
        | Command::Reply { .. } => Authority::AssignedUnit,
        Command::AddNote { .. } => Authority::InvolvedUnitOrCentre,
    }
}

/// Everything a decision needs besides the ticket and the command.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub actor: &'a Actor,
    /// Who is calling (`token:desk-1`), recorded on the event besides the actor.
    pub principal: &'a str,
    pub units: &'a UnitCatalog,
    pub policy: &'a Policy,
    pub now: Timestamp,
}

/// The outcome of a legal command: the ticket after it and the event recording it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub ticket: Ticket,
    pub event: Event,
}

/// The unit the actor acts for, which must be in the catalogue.
pub(super) fn acting_unit<'a>(ctx: &Context<'a>) -> Result<&'a Unit, DomainError> {
    ctx.units.get(&ctx.actor.unit).ok_or_else(|| {
        DomainError::invalid(
            "actor.unit",
            format!("unknown unit `{}`", validate::printable(&ctx.actor.unit)),
        )
    })
}

fn check_authority(ticket: &Ticket, command: &Command, ctx: &Context) -> Result<(), DomainError> {
    let actor_unit = acting_unit(ctx)?;
    let unit = actor_unit.id.as_str();
    let is_centre = actor_unit.kind == UnitKind::Centre;
    let allowed = match authority(command, ticket.state) {
        Authority::IntakeDesk => actor_unit.kind.takes_requests(),
        Authority::Centre => is_centre,
        Authority::AssignedUnit => ticket.assigned_unit.as_deref() == Some(unit),
        Authority::InvolvedUnitOrCentre => is_centre || ticket.involves_unit(unit),
    };
    if allowed {
        Ok(())
    } else {
        Err(DomainError::NotPermitted(format!(
            "unit `{unit}` may not {} this ticket",
            command.name()
        )))
    }
}

/// A unit that can be handed tickets: known, and not the centre itself.
fn check_assignee(field: &str, unit: &str, units: &UnitCatalog) -> Result<(), DomainError> {
    validate::unit(field, unit, units)?;
    if units.get(unit).is_some_and(|u| u.kind == UnitKind::Centre) {
        return Err(DomainError::invalid(
            field,
            "the centre cannot be assigned a ticket; leave the unit empty to queue it",
        ));
    }
    Ok(())
}

fn check_co_units(lead: &str, co_units: &[UnitId], units: &UnitCatalog) -> Result<(), DomainError> {
    if co_units.len() > validate::MAX_CO_UNITS {
        return Err(DomainError::invalid(
            "co_units",
            format!("at most {} co-handling units", validate::MAX_CO_UNITS),
        ));
    }
    for (i, unit) in co_units.iter().enumerate() {
        check_assignee("co_units", unit, units)?;
        if unit == lead || co_units[..i].contains(unit) {
            return Err(DomainError::invalid(
                "co_units",
                format!("`{unit}` is listed twice or is the lead unit"),
            ));
        }
    }
    Ok(())
}

fn required(field: &str, value: &str) -> Result<(), DomainError> {
    validate::text(field, value, validate::MAX_NOTE_CHARS, true)
}

/// Puts the ticket on a unit's desk with fresh deadlines.
fn assign(ticket: &mut Ticket, unit: UnitId, co_units: Vec<UnitId>, ctx: &Context) {
    let now = ctx.now;
    ticket.state = State::Dispatched;
    ticket.assigned_unit = Some(unit);
    ticket.co_units = co_units;
    ticket.dispatched_at = Some(now);
    ticket.signed_at = None;
    ticket.responded_at = None;
    ticket.prior_state = None;
    ticket.pending_extension = None;
    ticket.due = ctx.policy.deadlines.on_dispatch(&ticket.intake, now);
}

/// Back to the centre's manual-dispatch queue.
/// 重办: back to the unit for more handling, with a fresh reply window from now (the
/// original one has usually run out by the time a reply is sent back).
fn rework(ticket: &mut Ticket, ctx: &Context) {
    let now = ctx.now;
    ticket.state = State::InProgress;
    ticket.rework_count += 1;
    ctx.policy
        .deadlines
        .on_rework(&ticket.intake, &mut ticket.due, now);
}

/// Back to the centre's manual-dispatch queue; the next dispatch starts the clocks afresh.
fn unassign(ticket: &mut Ticket) {
    ticket.state = State::Received;
    ticket.assigned_unit = None;
    ticket.co_units.clear();
    ticket.prior_state = None;
    ticket.pending_extension = None;
    ticket.due = Deadlines::default();
    ticket.dispatched_at = None;
    ticket.signed_at = None;
    ticket.responded_at = None;
}

/// Whether a callback reopens the ticket (重办), by the callback policy: a verdict set to
/// `always` reopens whatever was asked, one set to `never` refuses a request to reopen.
fn reopens(
    resolved: bool,
    satisfaction: Satisfaction,
    requested: bool,
    ctx: &Context,
) -> Result<bool, DomainError> {
    let policy = ctx.policy.callbacks;
    // A declined callback gives no verdict, so it is never unhappy.
    let unhappy: Vec<(&str, Reopen)> = [
        (satisfaction == Satisfaction::Dissatisfied)
            .then_some(("reopen_when_dissatisfied", policy.when_dissatisfied)),
        (!resolved && satisfaction != Satisfaction::Declined)
            .then_some(("reopen_when_unresolved", policy.when_unresolved)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if unhappy.iter().any(|(_, r)| *r == Reopen::Always) {
        return Ok(true);
    }
    if !requested {
        return Ok(false);
    }
    if unhappy.is_empty() {
        return Err(DomainError::invalid(
            "reopen",
            "only a dissatisfied or unresolved callback can reopen the ticket",
        ));
    }
    if unhappy.iter().all(|(_, r)| *r == Reopen::Never) {
        let keys: Vec<String> = unhappy
            .iter()
            .map(|(k, _)| format!("{k} = \"never\""))
            .collect();
        return Err(DomainError::illegal_because(
            "record_callback",
            State::AwaitingCallback,
            format!(
                "the assessment policy does not reopen on this verdict ({})",
                keys.join(", ")
            ),
        ));
    }
    Ok(true)
}

/// Decides one step of the loop. Pure: the same inputs always give the same answer.
pub fn apply(ticket: &Ticket, command: Command, ctx: &Context) -> Result<Transition, DomainError> {
    use State::*;
    check_authority(ticket, &command, ctx)?;
    let name = command.name();
    let state = ticket.state;
    let illegal = || DomainError::illegal(name, state);
    let mut next = ticket.clone();
    let mut reason = String::new();
    let mut details = json!({});

    match command {
        Command::Dispatch {
            unit,
            co_units,
            reason: why,
        } => {
            match state {
                Received => validate::text("reason", &why, validate::MAX_NOTE_CHARS, false)?,
                Dispatched | Signed | Responded | InProgress => required("reason", &why)?,
                _ => return Err(illegal()),
            }
            check_assignee("unit", &unit, ctx.units)?;
            check_co_units(&unit, &co_units, ctx.units)?;
            details = json!({ "unit": unit, "co_units": co_units, "previous_unit": ticket.assigned_unit });
            next.disposition = Disposition::Dispatch {
                unit: Some(unit.clone()),
                co_units: co_units.clone(),
            };
            assign(&mut next, unit, co_units, ctx);
            reason = why;
        }
        Command::AnswerDirectly { answer } => {
            if state != Received {
                return Err(illegal());
            }
            required("answer", &answer)?;
            next.state = Closed;
            next.closed_at = Some(ctx.now);
            next.reply = answer.clone();
            next.disposition = Disposition::AnswerDirectly { answer };
        }
        Command::Transfer { to, reason: why } => {
            if !matches!(
                state,
                Received | Dispatched | Signed | Responded | InProgress
            ) {
                return Err(illegal());
            }
            match &to {
                Disposition::EmergencyTransfer { .. } | Disposition::UtilityTransfer { .. } => {}
                Disposition::ReferPolice { reason: why } => required("reason", why)?,
                other => {
                    return Err(DomainError::invalid(
                        "disposition",
                        format!("`{}` is not a transfer", other.code()),
                    ));
                }
            }
            validate::text("reason", &why, validate::MAX_NOTE_CHARS, false)?;
            details = serde_json::to_value(&to).unwrap_or_default();
            reason = why;
            next.state = Transferred;
            next.closed_at = Some(ctx.now);
            next.pending_extension = None;
            next.disposition = to;
        }
        Command::Refuse { outcome } => {
            if state != Received {
                return Err(illegal());
            }
            match &outcome {
                Disposition::LegalChannel { advice: text, .. } => required("advice", text)?,
                Disposition::Explain {
                    explanation: text, ..
                } => required("explanation", text)?,
                other => {
                    return Err(DomainError::invalid(
                        "disposition",
                        format!("`{}` is not a refusal", other.code()),
                    ));
                }
            }
            details = serde_json::to_value(&outcome).unwrap_or_default();
            next.state = Refused;
            next.closed_at = Some(ctx.now);
            next.disposition = outcome;
        }
        Command::MergeInto {
            parent,
            parent_state,
            reason: why,
        } => {
            if !matches!(
                state,
                Received | Dispatched | Signed | Responded | InProgress
            ) {
                return Err(illegal());
            }
            if parent == ticket.id {
                return Err(DomainError::invalid(
                    "parent_id",
                    "a ticket cannot be merged into itself",
                ));
            }
            if parent_state.is_finished() {
                return Err(DomainError::illegal_because(
                    name,
                    state,
                    format!("parent ticket {parent} is {parent_state}; merge into an open ticket"),
                ));
            }
            validate::text("reason", &why, validate::MAX_NOTE_CHARS, false)?;
            details = json!({ "parent": parent });
            next.state = Merged;
            next.merged_into = Some(parent);
            next.pending_extension = None;
            next.disposition = Disposition::Merge { parent };
            reason = why;
        }
        Command::Sign => {
            if state != Dispatched {
                return Err(illegal());
            }
            next.state = Signed;
            next.signed_at = Some(ctx.now);
        }
        Command::Respond { note } => {
            if state != Signed {
                return Err(illegal());
            }
            validate::text("reason", &note, validate::MAX_NOTE_CHARS, false)?;
            next.state = Responded;
            next.responded_at = Some(ctx.now);
            // The response counts for the unit and the day of the dispatch it answers.
            details = json!({
                "in_time": next.responded_in_time(),
                "unit": ticket.assigned_unit,
                "dispatched_at": ticket.dispatched_at,
            });
            reason = note;
        }
        Command::Handle { note } => {
            if !matches!(state, Responded | InProgress) {
                return Err(illegal());
            }
            validate::text("reason", &note, validate::MAX_NOTE_CHARS, false)?;
            next.state = InProgress;
            reason = note;
        }
        Command::RequestReturn { reason: why } => {
            if !matches!(state, Dispatched | Signed) {
                return Err(illegal());
            }
            // 首接负责: past the return window the unit keeps what it was given.
            if let Some(until) = ticket.due.return_by
                && ctx.now > until
            {
                let local = until.with_timezone(&ctx.policy.deadlines.calendar().offset());
                return Err(DomainError::illegal_because(
                    name,
                    state,
                    format!(
                        "the return window closed at {}",
                        local.format("%Y-%m-%d %H:%M %:z")
                    ),
                ));
            }
            required("reason", &why)?;
            next.state = ReturnRequested;
            next.prior_state = Some(state);
            next.return_count += 1;
            reason = why;
        }
        Command::ReviewReturn {
            approve,
            reassign_to,
            co_units,
            reason: why,
        } => {
            if state != ReturnRequested {
                return Err(illegal());
            }
            if approve {
                validate::text("reason", &why, validate::MAX_NOTE_CHARS, false)?;
                match reassign_to {
                    Some(unit) => {
                        check_assignee("reassign_to", &unit, ctx.units)?;
                        if ticket.assigned_unit.as_deref() == Some(unit.as_str()) {
                            return Err(DomainError::invalid(
                                "reassign_to",
                                "is the unit that returned the ticket",
                            ));
                        }
                        check_co_units(&unit, &co_units, ctx.units)?;
                        details = json!({ "approved": true, "unit": unit, "co_units": co_units, "previous_unit": ticket.assigned_unit });
                        next.disposition = Disposition::Dispatch {
                            unit: Some(unit.clone()),
                            co_units: co_units.clone(),
                        };
                        assign(&mut next, unit, co_units, ctx);
                    }
                    None => {
                        if !co_units.is_empty() {
                            return Err(DomainError::invalid(
                                "co_units",
                                "co-handling units need a unit to reassign to",
                            ));
                        }
                        details =
                            json!({ "approved": true, "previous_unit": ticket.assigned_unit });
                        unassign(&mut next);
                    }
                }
            } else {
                required("reason", &why)?;
                // An improper return counts against the unit in its assessment.
                details = json!({ "approved": false, "improper_return": true, "unit": ticket.assigned_unit });
                next.state = ticket.prior_state.unwrap_or(Dispatched);
                next.prior_state = None;
            }
            reason = why;
        }
        Command::RequestExtension {
            hours,
            working_days,
            reason: why,
        } => {
            if !matches!(state, Signed | Responded | InProgress) {
                return Err(illegal());
            }
            if ticket.pending_extension.is_some() {
                return Err(DomainError::illegal_because(
                    name,
                    state,
                    "an extension request is already pending",
                ));
            }
            let (field, window) = match (hours, working_days) {
                (0, 0) => {
                    return Err(DomainError::invalid(
                        "hours",
                        "give the extra time in hours or in working_days",
                    ));
                }
                (hours, 0) => ("hours", Window::hours(i64::from(hours))),
                (0, days) => ("working_days", Window::WorkingDays(days)),
                _ => {
                    return Err(DomainError::invalid(
                        "working_days",
                        "give hours or working_days, not both",
                    ));
                }
            };
            let cap = ctx.policy.deadlines.max_extension();
            if working_days > MAX_WORKING_DAYS {
                return Err(DomainError::invalid(
                    field,
                    format!("is longer than the longest extension, {cap}"),
                ));
            }
            let reply_due = ticket.due.reply.unwrap_or(ctx.now);
            ctx.policy
                .deadlines
                .extend(reply_due, window)
                .map_err(|message| DomainError::invalid(field, message))?;
            required("reason", &why)?;
            details = json!({ "hours": hours, "working_days": working_days });
            next.pending_extension = Some(ExtensionRequest {
                hours,
                working_days,
                reason: why.clone(),
                requested_at: ctx.now,
            });
            reason = why;
        }
        Command::ReviewExtension {
            approve,
            reason: why,
        } => {
            // Only while a unit still holds the ticket: a request left pending when the
            // ticket was transferred or merged must not move a finished ticket's deadline.
            if !matches!(state, Signed | Responded | InProgress | ReturnRequested) {
                return Err(illegal());
            }
            let Some(request) = &ticket.pending_extension else {
                return Err(DomainError::illegal_because(
                    name,
                    state,
                    "no extension request is pending",
                ));
            };
            if approve {
                validate::text("reason", &why, validate::MAX_NOTE_CHARS, false)?;
                let calendar = ctx.policy.deadlines.calendar();
                next.due.reply = next
                    .due
                    .reply
                    .map(|due| calendar.add(due, request.window()));
            } else {
                required("reason", &why)?;
            }
            details = json!({
                "approved": approve,
                "hours": request.hours,
                "working_days": request.working_days,
                "reply_due": next.due.reply,
            });
            next.pending_extension = None;
            reason = why;
        }
        Command::Escalate { reason: why } => {
            if !matches!(state, Dispatched | Signed | Responded | InProgress) {
                return Err(illegal());
            }
            required("reason", &why)?;
            let parent: Option<&Unit> = ticket
                .assigned_unit
                .as_deref()
                .and_then(|u| ctx.units.get(u))
                .and_then(|u| u.parent.as_deref())
                .and_then(|p| ctx.units.get(p))
                .filter(|p| p.kind != UnitKind::Centre);
            details =
                json!({ "from_unit": ticket.assigned_unit, "to_unit": parent.map(|p| &p.id) });
            match parent {
                Some(p) => assign(&mut next, p.id.clone(), Vec::new(), ctx),
                None => unassign(&mut next),
            }
            next.escalation_level += 1;
            reason = why;
        }
        Command::Reply { reply } => {
            if !matches!(state, Responded | InProgress) {
                return Err(illegal());
            }
            required("reply", &reply)?;
            // The event keeps every reply, even those later sent back for rework.
            details = json!({ "reply": reply });
            next.state = Replied;
            next.replied_at = Some(ctx.now);
            next.reply = reply;
            next.pending_extension = None;
        }
        Command::ReviewReply {
            approve,
            reason: why,
        } => {
            if state != Replied {
                return Err(illegal());
            }
            if approve {
                validate::text("reason", &why, validate::MAX_NOTE_CHARS, false)?;
                next.state = AwaitingCallback;
            } else {
                required("reason", &why)?;
                rework(&mut next, ctx);
            }
            details = json!({ "approved": approve });
            reason = why;
        }
        Command::RecordCallback {
            resolved,
            satisfaction,
            reopen,
            note,
        } => {
            if state != AwaitingCallback {
                return Err(illegal());
            }
            validate::text("note", &note, validate::MAX_NOTE_CHARS, false)?;
            if satisfaction == Satisfaction::Declined && resolved {
                return Err(DomainError::invalid(
                    "resolved",
                    "a declined callback gives no verdict on resolution",
                ));
            }
            let reopen = reopens(resolved, satisfaction, reopen, ctx)?;
            // The verdict counts for the unit that handled the ticket.
            details = json!({
                "resolved": resolved,
                "satisfaction": satisfaction,
                "reopened": reopen,
                "unit": ticket.assigned_unit,
            });
            next.callback = Some(CallbackResult {
                resolved,
                satisfaction,
                note: note.clone(),
                at: ctx.now,
            });
            if reopen {
                rework(&mut next, ctx);
            } else {
                next.state = Closed;
                next.closed_at = Some(ctx.now);
            }
            reason = note;
        }
        Command::Supervise { on, note } => {
            if state.is_finished() {
                return Err(illegal());
            }
            if on {
                required("note", &note)?;
            } else {
                validate::text("note", &note, validate::MAX_NOTE_CHARS, false)?;
            }
            details = json!({ "supervised": on });
            next.supervised = on;
            next.supervision_note = if on { note.clone() } else { String::new() };
            reason = note;
        }
        Command::ChaseUp { note } => {
            // Only the unit holding the ticket can be pressed; under a return review the
            // centre itself holds the ball.
            if !matches!(state, Dispatched | Signed | Responded | InProgress) {
                return Err(illegal());
            }
            let missed = missed_deadline(ticket, ctx.now);
            if !ticket.supervised && missed.is_none() {
                return Err(DomainError::illegal_because(
                    name,
                    state,
                    "only supervised (督办) or overdue tickets are chased up",
                ));
            }
            required("note", &note)?;
            next.chase_up_count += 1;
            details = json!({
                "chase_up_count": next.chase_up_count,
                "unit": ticket.assigned_unit,
                "supervised": ticket.supervised,
                "overdue": missed.map(|(deadline, _)| deadline),
            });
            reason = note;
        }
        Command::AddNote { note } => {
            if state == Archived {
                return Err(illegal());
            }
            required("reason", &note)?;
            reason = note;
        }
        Command::Archive => {
            if !matches!(state, Closed | Transferred | Refused | Merged) {
                return Err(illegal());
            }
            next.state = Archived;
        }
        Command::ExcludeFromRates { reason: why, note } => {
            if !ticket.in_rates_scope() {
                return Err(DomainError::illegal_because(
                    name,
                    state,
                    "the ticket is already outside the rates (excluded, merged or transferred)",
                ));
            }
            required("note", &note)?;
            details = json!({ "reason": why });
            next.excluded_from_rates = Some(why);
            reason = note;
        }
    }

    next.version = ticket.version + 1;
    next.updated_at = ctx.now;
    next.watch = warning::watch(&next, ctx.policy.deadlines.thresholds());
    let event = Event {
        ticket_id: ticket.id,
        version: next.version,
        command: name.to_string(),
        from_state: Some(state),
        to_state: next.state,
        actor: ctx.actor.clone(),
        principal: ctx.principal.to_string(),
        at: ctx.now,
        reason,
        details,
    };
    Ok(Transition {
        ticket: next,
        event,
    })
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
