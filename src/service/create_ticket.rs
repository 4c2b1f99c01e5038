//! What CreateTicket decides without the database: the request's checks and conversion,
//! triage, the agent's override, and the opened ticket with its events. The handler adds
//! only the look-ups (a repeated request's open ticket, a merge parent's state) and the
//! write; the `create_request` fuzz target drives this same path without a server.

use tonic::Status;

use super::convert;
use super::invalid;
use crate::domain::intake::{self, Opened};
use crate::domain::lifecycle::Context;
use crate::domain::{Actor, Disposition, Intake, State, Timestamp, validate};
use crate::proto;
use crate::rules::RuleSet;
use crate::triage::{self, Triage, triage};

/// A request checked and converted, with triage's proposal.
#[derive(Debug, Clone)]
pub struct Draft {
    pub actor: Actor,
    pub triage: Triage,
    pub intake: Intake,
    /// The outcome the agent chose, when the request carries one.
    pub chosen: Option<Disposition>,
}

/// The outcome to apply, and the proposal it overrides (if it does).
#[derive(Debug, Clone)]
pub struct Decision {
    pub disposition: Disposition,
    pub overridden: Option<Disposition>,
    pub override_reason: String,
}

/// Checks and converts a request and lets triage propose an outcome. The request id is
/// the handler's to check, before anything else, since it also finds retries.
pub fn draft(request: &proto::CreateTicketRequest, rules: &RuleSet) -> Result<Draft, Status> {
    let actor = convert::actor("actor", request.actor.as_ref())?;
    let triage = triage(
        rules,
        &triage::Request {
            title: &request.title,
            description: &request.description,
            line: &request.line,
            region: request.region.trim(),
        },
    );
    let intake = convert::intake(request, &triage.classification)?;
    let chosen = request
        .disposition
        .as_ref()
        .map(|d| convert::disposition(Some(d)))
        .transpose()?;
    Ok(Draft {
        actor,
        triage,
        intake,
        chosen,
    })
}

impl Draft {
    /// The agent's outcome over `proposed` (triage's, or a merge the handler found); one
    /// that departs from the proposal needs a reason.
    pub fn decide(&self, proposed: Disposition, override_reason: &str) -> Result<Decision, Status> {
        let override_reason = override_reason.trim();
        validate::text(
            "override_reason",
            override_reason,
            validate::MAX_NOTE_CHARS,
            false,
        )?;
        let Some(chosen) = &self.chosen else {
            return Ok(Decision {
                disposition: proposed,
                overridden: None,
                override_reason: String::new(),
            });
        };
        if !triage::is_override(&proposed, chosen) {
            return Ok(Decision {
                disposition: chosen.clone(),
                overridden: None,
                override_reason: String::new(),
            });
        }
        if override_reason.is_empty() {
            return Err(invalid(
                "override_reason",
                format!(
                    "the disposition differs from the proposal ({} {}): say why the agent overrides it",
                    proposed.code(),
                    triage::target(&proposed)
                ),
            ));
        }
        Ok(Decision {
            disposition: chosen.clone(),
            overridden: Some(proposed),
            override_reason: override_reason.to_string(),
        })
    }
}

/// Opens the ticket. `parent_state` is the merge parent's state, `None` if there is no
/// such ticket (or no merge).
pub fn open(
    draft: Draft,
    decision: Decision,
    parent_state: Option<State>,
    rules: &RuleSet,
    now: Timestamp,
) -> Result<Opened, Status> {
    let ctx = Context {
        actor: &draft.actor,
        units: &rules.units,
        policy: &rules.policy,
        now,
    };
    let mut opened = intake::open(
        draft.intake,
        decision.disposition.clone(),
        parent_state,
        &ctx,
    )?;
    let overridden = decision
        .overridden
        .as_ref()
        .map(|proposed| (proposed, decision.override_reason.as_str()));
    draft.triage.record(&mut opened, overridden);
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;
    use crate::rules::RulePaths;

    fn rules() -> RuleSet {
        config::load_rule_set(&RulePaths::default()).expect("the shipped rules load")
    }

    fn request() -> proto::CreateTicketRequest {
        proto::CreateTicketRequest {
            request_id: "r-1".into(),
            actor: Some(proto::Actor {
                unit: "centre".into(),
                person: "agent-1".into(),
            }),
            channel: proto::Channel::Phone as i32,
            description: "小区门口路灯坏了两周，晚上很黑".into(),
            region: "320102001".into(),
            ..Default::default()
        }
    }

    fn now() -> Timestamp {
        chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    #[test]
    fn the_proposal_is_applied_without_a_disposition() {
        let rules = rules();
        let draft = draft(&request(), &rules).unwrap();
        let proposed = draft.triage.disposition.clone();
        let decision = draft.decide(proposed.clone(), "").unwrap();
        assert_eq!(decision.disposition, proposed);
        let opened = open(draft, decision, None, &rules, now()).unwrap();
        assert_eq!(opened.ticket.disposition, proposed);
        assert!(opened.events[0].details["triage"]["rules_version"].is_string());
    }

    #[test]
    fn an_override_needs_a_reason_and_is_recorded() {
        let rules = rules();
        let mut r = request();
        r.disposition = Some(convert::disposition_to_proto(&Disposition::Dispatch {
            unit: None,
            co_units: Vec::new(),
        }));
        let draft = draft(&r, &rules).unwrap();
        let proposed = draft.triage.disposition.clone();
        assert_ne!(
            triage::target(&proposed),
            "",
            "the lamp is routed to a unit"
        );
        let refused = draft.decide(proposed.clone(), "  ").unwrap_err();
        assert!(
            refused.message().starts_with("override_reason"),
            "{refused:?}"
        );
        let decision = draft.decide(proposed, "市民要求人工派单").unwrap();
        let opened = open(draft, decision, None, &rules, now()).unwrap();
        assert_eq!(opened.ticket.state, State::Received);
        assert_eq!(opened.events[0].reason, "市民要求人工派单");
        assert!(opened.events[0].details["triage"]["overridden"].is_object());
    }

    #[test]
    fn a_caller_copy_list_is_refused() {
        let rules = rules();
        let mut r = request();
        r.disposition = Some(proto::Disposition {
            outcome: Some(proto::disposition::Outcome::Dispatch(proto::DispatchTo {
                unit: "urban-management".into(),
                co_units: Vec::new(),
                copy_to: vec!["xuanwu".into()],
            })),
        });
        let status = draft(&r, &rules).unwrap_err();
        assert!(
            status.message().starts_with("disposition.dispatch.copy_to"),
            "{status:?}"
        );
    }
}
