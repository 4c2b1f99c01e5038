//! Triage: the classifier's decision and the router's choice, turned into the intake
//! outcome an agent would otherwise pick by hand. Pure, and shared by the server and by
//! `hotline classify` / `hotline route`, so the CLI shows exactly what the server decides.

use serde::Serialize;
use serde_json::{Value, json};

use crate::classify::{Classification, ClassifyInput, Outcome};
use crate::domain::intake::Opened;
use crate::domain::{Disposition, taxonomy};
use crate::route::{Route, RouteInput};
use crate::rules::RuleSet;

/// What triage looks at: the request's words, the number dialled and the place.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// Number dialled; empty means 12345.
    pub line: &'a str,
    /// Division code of the place concerned, or empty.
    pub region: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    pub classification: Classification,
    /// Present when the outcome is a dispatch.
    pub route: Option<Route>,
    /// The proposed intake outcome (before the service's look-up for a repeated request).
    pub disposition: Disposition,
}

pub fn triage(rules: &RuleSet, request: &Request) -> Triage {
    let classification = rules.classifier.classify(&ClassifyInput {
        title: request.title,
        description: request.description,
    });
    let route = matches!(classification.outcome, Outcome::Dispatch).then(|| {
        rules.routing.route(
            &RouteInput {
                category: classification.category,
                topic: classification.topic,
                topic_confident: classification.topic_confident,
                region: request.region,
                line: if request.line.is_empty() {
                    "12345"
                } else {
                    request.line
                },
            },
            &rules.units,
        )
    });
    let disposition = match (
        rules.units.partner_for_region(request.region),
        proposal(&classification.outcome, route.as_ref()),
    ) {
        // Regional linkage: a matter in a partner centre's region is handed to the partner
        // (dispatched to it) instead of wherever the catalogue's fallback would send it.
        (Some(partner), Disposition::Dispatch { .. }) => Disposition::Dispatch {
            unit: Some(partner.id.clone()),
            co_units: Vec::new(),
        },
        (_, proposed) => proposed,
    };
    Triage {
        classification,
        route,
        disposition,
    }
}

fn proposal(outcome: &Outcome, route: Option<&Route>) -> Disposition {
    match outcome {
        Outcome::Dispatch => Disposition::Dispatch {
            unit: route.and_then(|r| r.lead.clone()),
            co_units: route.map(|r| r.co_units.clone()).unwrap_or_default(),
        },
        Outcome::AnswerDirectly { answer, .. } => Disposition::AnswerDirectly {
            answer: answer.clone(),
        },
        Outcome::EmergencyTransfer { line } => Disposition::EmergencyTransfer { line: *line },
        Outcome::UtilityTransfer { utility } => Disposition::UtilityTransfer { utility: *utility },
        Outcome::LegalChannel { channel, advice } => Disposition::LegalChannel {
            channel: *channel,
            advice: advice.clone(),
        },
        Outcome::Explain {
            reason,
            explanation,
        } => Disposition::Explain {
            reason: *reason,
            explanation: explanation.clone(),
        },
        Outcome::ReferPolice { reason } => Disposition::ReferPolice {
            reason: reason.clone(),
        },
    }
}

/// The id an outcome names: the emergency line, utility, legal channel, explain reason,
/// lead unit (empty for the manual-dispatch queue) or parent ticket.
pub fn target(disposition: &Disposition) -> String {
    match disposition {
        Disposition::Dispatch { unit, .. } => unit.clone().unwrap_or_default(),
        Disposition::AnswerDirectly { .. } => String::new(),
        Disposition::EmergencyTransfer { line } => line.code().to_string(),
        Disposition::UtilityTransfer { utility } => utility.code().to_string(),
        Disposition::LegalChannel { channel, .. } => channel.code().to_string(),
        Disposition::Explain { reason, .. } => reason.code().to_string(),
        Disposition::Merge { parent } => parent.to_string(),
        Disposition::ReferPolice { .. } => "police_110".to_string(),
    }
}

/// Whether the agent's outcome departs from the proposal: another outcome or another
/// target. Wording (an answer, an explanation) is the agent's to choose.
pub fn is_override(proposed: &Disposition, chosen: &Disposition) -> bool {
    proposed.code() != chosen.code() || target(proposed) != target(chosen)
}

impl Triage {
    /// The sentence the agent reads to the caller, for refusals and direct answers.
    pub fn advice(&self) -> &str {
        match &self.disposition {
            Disposition::AnswerDirectly { answer } => answer,
            Disposition::LegalChannel { advice, .. } => advice,
            Disposition::Explain { explanation, .. } => explanation,
            Disposition::ReferPolice { reason } => reason,
            _ => "",
        }
    }

    /// One JSON object for `hotline classify --json` and `hotline route --json`.
    pub fn to_json(&self) -> Value {
        let c = &self.classification;
        json!({
            "outcome": self.disposition.code(),
            "request_type": c.request_type,
            "domain": c.domain,
            "category": c.category,
            "category_name": taxonomy::category(c.category).map(|x| x.name),
            "topic": c.topic,
            "topic_name": taxonomy::topic(c.topic).map(|x| x.name),
            "urgency": c.urgency,
            "target": target(&self.disposition),
            "advice": self.advice(),
            "repeat_hint": c.repeat_hint,
            "explanation": c.explanation,
            "rules_version": c.rules_version,
            "route": self.route,
        })
    }

    /// Records on the create event what triage proposed and, for an override, what the
    /// agent chose instead and why; a dispatch as proposed carries the catalogue's copies
    /// (a street's district). Rule ids and codes only: no personal data in events' details.
    pub fn record(&self, opened: &mut Opened, overridden: Option<(&Disposition, &str)>) {
        let created = &mut opened.events[0];
        let mut details = self.event_details();
        if let Some((proposed, reason)) = overridden {
            details["overridden"] = json!({
                "proposed": proposed.code(),
                "proposed_target": target(proposed),
            });
            created.reason = reason.to_string();
        }
        created.details["triage"] = details;
        if let (Some(route), Disposition::Dispatch { unit, .. }) =
            (&self.route, &opened.ticket.disposition)
            && route.lead == *unit
        {
            opened.ticket.copy_to = route.copy_to.clone();
        }
    }

    /// What the create event records about the decision (no personal data: rule ids and
    /// outcome codes only).
    pub fn event_details(&self) -> Value {
        let c = &self.classification;
        let matched: Vec<&str> = c
            .explanation
            .iter()
            .filter(|m| m.suppressed.is_none())
            .map(|m| m.rule.as_str())
            .collect();
        json!({
            "rules_version": c.rules_version,
            "routing_version": self.route.as_ref().map(|r| r.routing_version.as_str()),
            "outcome": self.disposition.code(),
            "target": target(&self.disposition),
            "category": c.category,
            "topic": c.topic,
            "rules": matched,
            "route_basis": self.route.as_ref().map(|r| &r.basis),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RulePaths;

    fn lamp(rules: &RuleSet, region: &str) -> Disposition {
        triage(
            rules,
            &Request {
                title: "",
                description: "小区门口三盏路灯坏了两周，晚上很黑，希望尽快修复。",
                line: "",
                region,
            },
        )
        .disposition
    }

    #[test]
    fn a_matter_in_a_partner_region_is_dispatched_to_the_partner() {
        let rules = crate::config::load_rule_set(&RulePaths::default()).unwrap();
        let to = |d: Disposition| target(&d);
        assert_eq!(to(lamp(&rules, "310101")), "partner-shanghai");
        assert_eq!(to(lamp(&rules, "340102")), "partner-hefei");
        let home = to(lamp(&rules, "320102001"));
        assert!(!home.starts_with("partner-"), "{home}");
        // Only a dispatch is handed off: an emergency stays an emergency.
        let fire = triage(
            &rules,
            &Request {
                title: "",
                description: "楼道里着火了，浓烟很大，有人被困！",
                line: "",
                region: "310101",
            },
        );
        assert_eq!(fire.disposition.code(), "emergency_transfer");
    }
}
