//! How tickets look in tables: a one-row-per-ticket list, the field/value card of
//! `ticket show`, and its history of events.

use comfy_table::Table;

use super::beijing;
use super::mask;
use super::output::{fields, table};
use super::vocabulary::{
    CHANNEL, DEADLINE_KIND, EMERGENCY_LINE, EXCLUSION_REASON, EXPLAIN_REASON, LEGAL_CHANNEL,
    POLICY_DOMAIN, REQUEST_TYPE, SATISFACTION, TICKET_STATE, URGENCY, UTILITY, WARNING_LEVEL,
};
use crate::proto::{self, disposition::Outcome};

const TITLE_WIDTH: usize = 40;

fn or_dash(value: &str) -> String {
    if value.is_empty() {
        "-".to_string()
    } else {
        value.to_string()
    }
}

fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(width - 1).collect();
        short.push('…');
        short
    }
}

/// The title, or the start of the description when the agent gave no title.
fn headline(ticket: &proto::Ticket) -> String {
    let text = if ticket.title.is_empty() {
        &ticket.description
    } else {
        &ticket.title
    };
    shorten(text.lines().next().unwrap_or_default(), TITLE_WIDTH)
}

/// The ticket's state; a merged duplicate also shows the state of the ticket it follows.
pub fn state(ticket: &proto::Ticket) -> String {
    let own = TICKET_STATE.code(ticket.state);
    if ticket.merged_into != 0 && ticket.followed_state != 0 {
        format!(
            "{own} (#{} is {})",
            ticket.merged_into,
            TICKET_STATE.code(ticket.followed_state)
        )
    } else {
        own
    }
}

/// Flags worth a glance: 督办 supervision, escalation, rework, pending extension.
fn flags(ticket: &proto::Ticket) -> String {
    let mut flags = Vec::new();
    if ticket.supervised {
        flags.push("supervised".to_string());
    }
    if ticket.escalation_level > 0 {
        flags.push(format!("escalated×{}", ticket.escalation_level));
    }
    if ticket.rework_count > 0 {
        flags.push(format!("rework×{}", ticket.rework_count));
    }
    if ticket.pending_extension.is_some() {
        flags.push("extension?".to_string());
    }
    if ticket.chase_up_count > 0 {
        flags.push(format!("chased×{}", ticket.chase_up_count));
    }
    flags.join(" ")
}

/// One row per ticket: id, state, unit, category, urgency, deadlines, flags, title.
pub fn list(tickets: &[proto::Ticket]) -> Table {
    let mut table = table(&[
        "ID", "State", "Unit", "Category", "Urgency", "Sign by", "Reply by", "Flags", "Title",
    ]);
    for t in tickets {
        let deadlines = t.deadlines.unwrap_or_default();
        table.add_row(vec![
            t.id.to_string(),
            state(t),
            or_dash(&t.assigned_unit),
            or_dash(&t.category),
            URGENCY.code(t.urgency),
            beijing::format(deadlines.sign_due_at.as_ref()),
            beijing::format(deadlines.reply_due_at.as_ref()),
            flags(t),
            headline(t),
        ]);
    }
    table
}

/// The intake outcome in words.
pub fn outcome(disposition: Option<&proto::Disposition>) -> String {
    let Some(outcome) = disposition.and_then(|d| d.outcome.as_ref()) else {
        return String::new();
    };
    match outcome {
        Outcome::Dispatch(d) if d.unit.is_empty() => "manual dispatch queue".to_string(),
        Outcome::Dispatch(d) if d.co_units.is_empty() => format!("dispatch to {}", d.unit),
        Outcome::Dispatch(d) => format!(
            "dispatch to {} (co-handling: {})",
            d.unit,
            d.co_units.join(", ")
        ),
        Outcome::AnswerDirectly(a) => format!("answered directly: {}", a.answer),
        Outcome::EmergencyTransfer(e) => {
            format!("emergency transfer to {}", EMERGENCY_LINE.code(e.line))
        }
        Outcome::UtilityTransfer(u) => format!("utility linkage: {}", UTILITY.code(u.utility)),
        Outcome::LegalChannel(l) => format!(
            "legal channel {}: {}",
            LEGAL_CHANNEL.code(l.channel),
            l.advice
        ),
        Outcome::Explain(e) => format!(
            "explained ({}): {}",
            EXPLAIN_REASON.code(e.reason),
            e.explanation
        ),
        Outcome::Merge(m) => format!("merged into #{}", m.parent_id),
        Outcome::ReferPolice(r) => format!("referred to police: {}", r.reason),
    }
}

fn ids(ids: &[i64]) -> String {
    ids.iter()
        .map(|id| format!("#{id}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn nonzero(value: u32) -> String {
    if value == 0 {
        String::new()
    } else {
        value.to_string()
    }
}

fn extension(ticket: &proto::Ticket) -> String {
    ticket
        .pending_extension
        .as_ref()
        .map(|e| {
            format!(
                "{} h asked {}: {}",
                e.hours,
                beijing::format(e.requested_at.as_ref()),
                e.reason
            )
        })
        .unwrap_or_default()
}

fn callback(ticket: &proto::Ticket) -> String {
    ticket
        .callback
        .as_ref()
        .map(|c| {
            let resolved = if c.resolved { "resolved" } else { "unresolved" };
            let note = if c.note.is_empty() {
                String::new()
            } else {
                format!(": {}", c.note)
            };
            format!(
                "{resolved}, {} at {}{note}",
                SATISFACTION.code(c.satisfaction),
                beijing::format(c.at.as_ref())
            )
        })
        .unwrap_or_default()
}

/// The field/value card of one ticket, personal data masked.
pub fn card(t: &proto::Ticket) -> Table {
    let deadlines = t.deadlines.unwrap_or_default();
    let time = |at: &Option<prost_types::Timestamp>| {
        at.as_ref()
            .map(|at| beijing::format(Some(at)))
            .unwrap_or_default()
    };
    fields(vec![
        ("ID", t.id.to_string()),
        ("Version", t.version.to_string()),
        ("State", state(t)),
        ("Title", t.title.clone()),
        ("Description", t.description.clone()),
        (
            "Request",
            format!(
                "{} / {} via {} on {}",
                REQUEST_TYPE.code(t.request_type),
                POLICY_DOMAIN.code(t.policy_domain),
                CHANNEL.code(t.channel),
                t.line
            ),
        ),
        ("Category", t.category.clone()),
        ("Urgency", URGENCY.code(t.urgency)),
        ("Region", t.region.clone()),
        ("Address", t.address.clone()),
        (
            "Requester",
            t.requester
                .as_ref()
                .map(mask::requester)
                .unwrap_or_default(),
        ),
        ("Outcome", outcome(t.disposition.as_ref())),
        ("Assigned unit", t.assigned_unit.clone()),
        ("Co-handling", t.co_units.join(", ")),
        ("Merged children", ids(&t.merged_children)),
        (
            "Supervised",
            if t.supervised {
                format!("yes: {}", t.supervision_note)
            } else {
                String::new()
            },
        ),
        ("Chase-ups", nonzero(t.chase_up_count)),
        ("Escalation level", nonzero(t.escalation_level)),
        ("Rework count", nonzero(t.rework_count)),
        ("Return count", nonzero(t.return_count)),
        ("Extension asked", extension(t)),
        ("Sign by", time(&deadlines.sign_due_at)),
        ("Respond by", time(&deadlines.respond_due_at)),
        ("Reply by", time(&deadlines.reply_due_at)),
        ("Return allowed until", time(&deadlines.return_due_at)),
        ("Warnings", warnings(deadlines.watch.as_ref())),
        ("Reply", t.reply.clone()),
        (
            "Answered with",
            t.answered_with
                .as_ref()
                .map(|c| format!("knowledge entry {} v{}", c.entry_id, c.version))
                .unwrap_or_default(),
        ),
        ("Callback", callback(t)),
        (
            "Out of the rates",
            if t.excluded_from_rates != 0 {
                EXCLUSION_REASON.code(t.excluded_from_rates)
            } else {
                String::new()
            },
        ),
        ("Created", time(&t.created_at)),
        ("Dispatched", time(&t.dispatched_at)),
        ("Updated", time(&t.updated_at)),
        ("Closed", time(&t.closed_at)),
    ])
}

/// When the first running deadline turns yellow and red.
fn warnings(watch: Option<&proto::DeadlineWatch>) -> String {
    watch
        .map(|w| {
            format!(
                "{}: yellow {}, red {}",
                DEADLINE_KIND.code(w.deadline),
                beijing::format(w.yellow_at.as_ref()),
                beijing::format(w.red_at.as_ref())
            )
        })
        .unwrap_or_default()
}

/// The warnings the deadline scanner recorded, oldest first.
pub fn alerts(alerts: &[proto::DeadlineAlert]) -> Table {
    let mut table = table(&["Reached", "Level", "Deadline", "Due", "Unit"]);
    for a in alerts {
        table.add_row(vec![
            beijing::format(a.reached_at.as_ref()),
            WARNING_LEVEL.code(a.level),
            DEADLINE_KIND.code(a.deadline),
            beijing::format(a.due_at.as_ref()),
            a.unit.clone(),
        ]);
    }
    table
}

/// The audit trail: every event, oldest first.
pub fn history(events: &[proto::TicketEvent]) -> Table {
    let mut table = table(&[
        "Version",
        "Time",
        "Command",
        "From → To",
        "Actor",
        "Principal",
        "Reason",
        "Details",
    ]);
    for e in events {
        let from = if e.from_state == 0 {
            "-".to_string()
        } else {
            TICKET_STATE.code(e.from_state)
        };
        let actor = e
            .actor
            .as_ref()
            .map(|a| format!("{} / {}", a.unit, a.person))
            .unwrap_or_default();
        let details = match e.details_json.as_str() {
            "" | "{}" | "null" => String::new(),
            json => json.to_string(),
        };
        table.add_row(vec![
            e.version.to_string(),
            beijing::format(e.at.as_ref()),
            e.command.clone(),
            format!("{from} → {}", TICKET_STATE.code(e.to_state)),
            actor,
            e.principal.clone(),
            e.reason.clone(),
            details,
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_masks_personal_data() {
        let ticket = proto::Ticket {
            id: 3,
            requester: Some(proto::Requester {
                name: "张三".into(),
                phone: "13800138000".into(),
                id_number: "11010519491231002X".into(),
                confidential: false,
            }),
            ..Default::default()
        };
        let text = card(&ticket).to_string();
        assert!(text.contains("138******00"), "{text}");
        assert!(!text.contains("13800138000"));
        assert!(!text.contains("11010519491231002X"));
    }

    #[test]
    fn history_names_actor_and_principal() {
        let event = proto::TicketEvent {
            version: 3,
            command: "sign".into(),
            actor: Some(proto::Actor {
                unit: "market-12315".into(),
                person: "clerk-1".into(),
            }),
            principal: "token:market".into(),
            ..Default::default()
        };
        let text = history(&[event]).to_string();
        assert!(text.contains("Principal"), "{text}");
        assert!(text.contains("token:market"), "{text}");
        assert!(text.contains("market-12315 / clerk-1"), "{text}");
    }

    #[test]
    fn outcomes_read_as_words() {
        let queue = proto::Disposition {
            outcome: Some(Outcome::Dispatch(proto::DispatchTo::default())),
        };
        assert_eq!(outcome(Some(&queue)), "manual dispatch queue");
        let fire = proto::Disposition {
            outcome: Some(Outcome::EmergencyTransfer(proto::EmergencyTransfer {
                line: proto::EmergencyLine::Fire119 as i32,
            })),
        };
        assert_eq!(outcome(Some(&fire)), "emergency transfer to fire_119");
    }
}
