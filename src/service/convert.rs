//! Mapping between protobuf messages and domain types. Proto enum names are the domain
//! codes with a prefix (`TICKET_STATE_IN_PROGRESS` ↔ `in_progress`), so one macro maps
//! every vocabulary and a test proves each mapping is total.

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use tonic::Status;

use super::status::invalid;
use crate::classify::Classification;
use crate::domain::deadline::DeadlineKind;
use crate::domain::warning::{WarningLevel, Watch};
use crate::domain::{self, Disposition, Timestamp};
use crate::proto;
use crate::store::RecordedAlert;

/// A domain vocabulary that has a proto enum twin.
pub trait ProtoEnum: Sized + Copy {
    /// Decodes a wire value; UNSPECIFIED and unknown numbers are INVALID_ARGUMENT.
    fn from_proto(field: &str, value: i32) -> Result<Self, Status>;
    fn to_proto(self) -> i32;
}

macro_rules! proto_enum {
    ($domain:ty, $proto:ty, $prefix:literal) => {
        impl ProtoEnum for $domain {
            fn from_proto(field: &str, value: i32) -> Result<Self, Status> {
                let wire = <$proto>::try_from(value)
                    .map_err(|_| invalid(field, format!("unknown value {value}")))?;
                let code = wire
                    .as_str_name()
                    .strip_prefix($prefix)
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if code == "unspecified" {
                    return Err(invalid(field, "is required"));
                }
                <$domain>::from_str(&code)
                    .map_err(|_| invalid(field, format!("unsupported value {value}")))
            }

            fn to_proto(self) -> i32 {
                let name = format!("{}{}", $prefix, self.code().to_ascii_uppercase());
                <$proto>::from_str_name(&name)
                    .map(|v| v as i32)
                    .unwrap_or_default()
            }
        }
    };
}

proto_enum!(domain::Channel, proto::Channel, "CHANNEL_");
proto_enum!(
    crate::knowledge::EntryStatus,
    proto::EntryStatus,
    "ENTRY_STATUS_"
);
proto_enum!(domain::RequestType, proto::RequestType, "REQUEST_TYPE_");
proto_enum!(domain::PolicyDomain, proto::PolicyDomain, "POLICY_DOMAIN_");
proto_enum!(domain::Urgency, proto::Urgency, "URGENCY_");
proto_enum!(domain::State, proto::TicketState, "TICKET_STATE_");
proto_enum!(
    domain::EmergencyLine,
    proto::EmergencyLine,
    "EMERGENCY_LINE_"
);
proto_enum!(domain::Utility, proto::Utility, "UTILITY_");
proto_enum!(domain::LegalChannel, proto::LegalChannel, "LEGAL_CHANNEL_");
proto_enum!(
    domain::ExplainReason,
    proto::ExplainReason,
    "EXPLAIN_REASON_"
);
proto_enum!(domain::Satisfaction, proto::Satisfaction, "SATISFACTION_");
proto_enum!(DeadlineKind, proto::DeadlineKind, "DEADLINE_KIND_");
proto_enum!(WarningLevel, proto::WarningLevel, "WARNING_LEVEL_");
proto_enum!(
    domain::ExclusionReason,
    proto::ExclusionReason,
    "EXCLUSION_REASON_"
);

/// Urgency is optional on the wire: UNSPECIFIED means the general tier.
pub fn urgency(value: i32) -> Result<domain::Urgency, Status> {
    if value == proto::Urgency::Unspecified as i32 {
        return Ok(domain::Urgency::General);
    }
    domain::Urgency::from_proto("urgency", value)
}

/// Earliest and latest instants accepted from clients; anything else is a typo or an attack.
fn plausible(at: &Timestamp) -> bool {
    (2000..2200).contains(&chrono::Datelike::year(at))
}

pub fn timestamp_from_proto(field: &str, ts: &prost_types::Timestamp) -> Result<Timestamp, Status> {
    let nanos = u32::try_from(ts.nanos)
        .ok()
        .filter(|n| *n < 1_000_000_000)
        .ok_or_else(|| invalid(field, "nanos out of range"))?;
    Utc.timestamp_opt(ts.seconds, nanos)
        .single()
        .filter(plausible)
        .ok_or_else(|| invalid(field, "is not a plausible instant (years 2000-2199)"))
}

pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    }
}

fn opt_timestamp(at: Option<Timestamp>) -> Option<prost_types::Timestamp> {
    at.map(timestamp)
}

pub fn actor(field: &str, actor: Option<&proto::Actor>) -> Result<domain::Actor, Status> {
    let actor = actor.ok_or_else(|| invalid(field, "is required"))?;
    domain::validate::label(&format!("{field}.unit"), &actor.unit, true)?;
    domain::validate::label(&format!("{field}.person"), &actor.person, true)?;
    Ok(domain::Actor {
        unit: actor.unit.clone(),
        person: actor.person.clone(),
    })
}

fn actor_to_proto(actor: &domain::Actor) -> proto::Actor {
    proto::Actor {
        unit: actor.unit.clone(),
        person: actor.person.clone(),
    }
}

pub fn disposition(value: Option<&proto::Disposition>) -> Result<Disposition, Status> {
    use proto::disposition::Outcome;
    let outcome = value.and_then(|d| d.outcome.as_ref()).ok_or_else(|| {
        invalid(
            "disposition",
            "is required: dispatch, answer_directly, a transfer, a refusal or merge",
        )
    })?;
    Ok(match outcome {
        Outcome::Dispatch(d) => {
            // Copies go where the dispatch catalogue says; a caller's list would be lost.
            if !d.copy_to.is_empty() {
                return Err(invalid(
                    "disposition.dispatch.copy_to",
                    "is set from the dispatch catalogue; leave it empty",
                ));
            }
            Disposition::Dispatch {
                unit: (!d.unit.is_empty()).then(|| d.unit.clone()),
                co_units: d.co_units.clone(),
            }
        }
        Outcome::AnswerDirectly(a) => Disposition::AnswerDirectly {
            answer: a.answer.clone(),
        },
        Outcome::EmergencyTransfer(t) => Disposition::EmergencyTransfer {
            line: ProtoEnum::from_proto("disposition.emergency_transfer.line", t.line)?,
        },
        Outcome::UtilityTransfer(t) => Disposition::UtilityTransfer {
            utility: ProtoEnum::from_proto("disposition.utility_transfer.utility", t.utility)?,
        },
        Outcome::LegalChannel(l) => Disposition::LegalChannel {
            channel: ProtoEnum::from_proto("disposition.legal_channel.channel", l.channel)?,
            advice: l.advice.clone(),
        },
        Outcome::Explain(e) => Disposition::Explain {
            reason: ProtoEnum::from_proto("disposition.explain.reason", e.reason)?,
            explanation: e.explanation.clone(),
        },
        Outcome::Merge(m) => {
            if m.parent_id <= 0 {
                return Err(invalid(
                    "disposition.merge.parent_id",
                    "must be a ticket id",
                ));
            }
            Disposition::Merge {
                parent: m.parent_id,
            }
        }
        Outcome::ReferPolice(r) => Disposition::ReferPolice {
            reason: r.reason.clone(),
        },
    })
}

pub fn disposition_to_proto(value: &Disposition) -> proto::Disposition {
    use proto::disposition::Outcome;
    let outcome = match value {
        Disposition::Dispatch { unit, co_units } => Outcome::Dispatch(proto::DispatchTo {
            unit: unit.clone().unwrap_or_default(),
            co_units: co_units.clone(),
            copy_to: Vec::new(),
        }),
        Disposition::AnswerDirectly { answer } => Outcome::AnswerDirectly(proto::AnswerDirectly {
            answer: answer.clone(),
        }),
        Disposition::EmergencyTransfer { line } => {
            Outcome::EmergencyTransfer(proto::EmergencyTransfer {
                line: line.to_proto(),
            })
        }
        Disposition::UtilityTransfer { utility } => {
            Outcome::UtilityTransfer(proto::UtilityTransfer {
                utility: utility.to_proto(),
            })
        }
        Disposition::LegalChannel { channel, advice } => {
            Outcome::LegalChannel(proto::LegalChannelReferral {
                channel: channel.to_proto(),
                advice: advice.clone(),
            })
        }
        Disposition::Explain {
            reason,
            explanation,
        } => Outcome::Explain(proto::Explanation {
            reason: reason.to_proto(),
            explanation: explanation.clone(),
        }),
        Disposition::Merge { parent } => Outcome::Merge(proto::MergeInto { parent_id: *parent }),
        Disposition::ReferPolice { reason } => Outcome::ReferPolice(proto::ReferPolice {
            reason: reason.clone(),
        }),
    };
    proto::Disposition {
        outcome: Some(outcome),
    }
}

/// A proto enum the agent may leave unspecified, taking the classifier's value instead.
fn or_classified<T: ProtoEnum>(field: &str, value: i32, classified: T) -> Result<T, Status> {
    if value == 0 {
        Ok(classified)
    } else {
        T::from_proto(field, value)
    }
}

/// What the agent took down, with the classifier's findings wherever the agent left a
/// field unspecified. A category given without a topic keeps the classifier's topic only
/// if it lies under that category.
pub fn intake(
    request: &proto::CreateTicketRequest,
    classified: &Classification,
) -> Result<domain::Intake, Status> {
    let requester = request.requester.clone().unwrap_or_default();
    let category = match request.category.trim() {
        "" => classified.category.to_string(),
        given => given.to_string(),
    };
    let topic = match request.topic.trim() {
        "" if category == classified.category => classified.topic.to_string(),
        given => given.to_string(),
    };
    Ok(domain::Intake {
        channel: ProtoEnum::from_proto("channel", request.channel)?,
        line: if request.line.is_empty() {
            "12345".to_string()
        } else {
            request.line.clone()
        },
        request_type: or_classified(
            "request_type",
            request.request_type,
            classified.request_type,
        )?,
        policy_domain: or_classified("policy_domain", request.policy_domain, classified.domain)?,
        category,
        topic,
        urgency: or_classified("urgency", request.urgency, classified.urgency)?,
        title: request.title.clone(),
        description: request.description.clone(),
        region: request.region.trim().to_string(),
        address: request.address.clone(),
        requester: domain::Requester {
            name: requester.name,
            phone: requester.phone,
            id_number: requester.id_number,
            confidential: requester.confidential,
        },
    })
}

pub fn event(event: &domain::Event) -> proto::TicketEvent {
    proto::TicketEvent {
        ticket_id: event.ticket_id,
        version: event.version,
        command: event.command.clone(),
        from_state: event
            .from_state
            .map(ProtoEnum::to_proto)
            .unwrap_or_default(),
        to_state: event.to_state.to_proto(),
        actor: Some(actor_to_proto(&event.actor)),
        at: Some(timestamp(event.at)),
        reason: event.reason.clone(),
        details_json: event.details.to_string(),
        principal: event.principal.clone(),
    }
}

pub fn ticket(ticket: &domain::Ticket) -> proto::Ticket {
    let intake = &ticket.intake;
    proto::Ticket {
        id: ticket.id,
        version: ticket.version,
        state: ticket.state.to_proto(),
        channel: intake.channel.to_proto(),
        line: intake.line.clone(),
        request_type: intake.request_type.to_proto(),
        policy_domain: intake.policy_domain.to_proto(),
        category: intake.category.clone(),
        urgency: intake.urgency.to_proto(),
        title: intake.title.clone(),
        description: intake.description.clone(),
        region: intake.region.clone(),
        address: intake.address.clone(),
        requester: Some(requester(&intake.requester)),
        disposition: Some(disposition_to_proto(&ticket.disposition)),
        assigned_unit: ticket.assigned_unit.clone().unwrap_or_default(),
        co_units: ticket.co_units.clone(),
        copy_to: ticket.copy_to.clone(),
        topic: intake.topic.clone(),
        merged_into: ticket.merged_into.unwrap_or_default(),
        followed_state: 0,
        merged_children: Vec::new(),
        supervised: ticket.supervised,
        supervision_note: ticket.supervision_note.clone(),
        escalation_level: ticket.escalation_level,
        rework_count: ticket.rework_count,
        return_count: ticket.return_count,
        pending_extension: ticket
            .pending_extension
            .as_ref()
            .map(|e| proto::ExtensionRequest {
                hours: e.hours,
                working_days: e.working_days,
                reason: e.reason.clone(),
                requested_at: Some(timestamp(e.requested_at)),
            }),
        deadlines: Some(proto::Deadlines {
            sign_due_at: opt_timestamp(ticket.due.sign),
            respond_due_at: opt_timestamp(ticket.due.respond),
            reply_due_at: opt_timestamp(ticket.due.reply),
            return_due_at: opt_timestamp(ticket.due.return_by),
            watch: ticket.watch.as_ref().map(watch),
        }),
        callback: ticket.callback.as_ref().map(|c| proto::CallbackResult {
            resolved: c.resolved,
            satisfaction: c.satisfaction.to_proto(),
            note: c.note.clone(),
            at: Some(timestamp(c.at)),
        }),
        reply: ticket.reply.clone(),
        answered_with: ticket.answered_with.map(|c| proto::KnowledgeCitation {
            entry_id: c.entry_id,
            version: c.version,
        }),
        created_at: Some(timestamp(ticket.created_at)),
        updated_at: Some(timestamp(ticket.updated_at)),
        dispatched_at: opt_timestamp(ticket.dispatched_at),
        closed_at: opt_timestamp(ticket.closed_at),
        chase_up_count: ticket.chase_up_count,
        excluded_from_rates: ticket
            .excluded_from_rates
            .map(ProtoEnum::to_proto)
            .unwrap_or_default(),
        history: Vec::new(),
        alerts: Vec::new(),
    }
}

fn watch(watch: &Watch) -> proto::DeadlineWatch {
    proto::DeadlineWatch {
        deadline: watch.deadline.to_proto(),
        due_at: Some(timestamp(watch.due_at)),
        yellow_at: Some(timestamp(watch.yellow_at)),
        red_at: Some(timestamp(watch.red_at)),
    }
}

pub fn alert(recorded: &RecordedAlert) -> proto::DeadlineAlert {
    let alert = &recorded.alert;
    proto::DeadlineAlert {
        deadline: alert.deadline.to_proto(),
        due_at: Some(timestamp(alert.due_at)),
        level: alert.level.to_proto(),
        reached_at: Some(timestamp(alert.reached_at)),
        recorded_at: Some(timestamp(recorded.recorded_at)),
        unit: recorded.unit.clone().unwrap_or_default(),
    }
}

pub fn requester(r: &domain::Requester) -> proto::Requester {
    proto::Requester {
        name: r.name.clone(),
        phone: r.phone.clone(),
        id_number: r.id_number.clone(),
        confidential: r.confidential,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    fn round_trip<T: ProtoEnum + IntoEnumIterator + PartialEq + std::fmt::Debug>() {
        for value in T::iter() {
            let wire = value.to_proto();
            assert_ne!(wire, 0, "{value:?} has no proto twin");
            assert_eq!(T::from_proto("f", wire).unwrap(), value);
        }
        assert_eq!(
            T::from_proto("f", 0).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            T::from_proto("f", 9999).unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
    }

    #[test]
    fn every_vocabulary_maps_both_ways() {
        round_trip::<domain::Channel>();
        round_trip::<domain::RequestType>();
        round_trip::<domain::PolicyDomain>();
        round_trip::<domain::Urgency>();
        round_trip::<domain::State>();
        round_trip::<domain::EmergencyLine>();
        round_trip::<domain::Utility>();
        round_trip::<domain::LegalChannel>();
        round_trip::<domain::ExplainReason>();
        round_trip::<domain::Satisfaction>();
        round_trip::<DeadlineKind>();
        round_trip::<WarningLevel>();
        round_trip::<domain::ExclusionReason>();
    }

    #[test]
    fn absurd_timestamps_are_refused() {
        let far = prost_types::Timestamp {
            seconds: 1 << 40,
            nanos: 0,
        };
        assert!(timestamp_from_proto("from", &far).is_err());
        let bad_nanos = prost_types::Timestamp {
            seconds: 1_800_000_000,
            nanos: -1,
        };
        assert!(timestamp_from_proto("from", &bad_nanos).is_err());
        let ok = prost_types::Timestamp {
            seconds: 1_800_000_000,
            nanos: 5,
        };
        assert!(timestamp_from_proto("from", &ok).is_ok());
    }
}
