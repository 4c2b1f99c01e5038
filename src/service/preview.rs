//! PreviewClassification: what CreateTicket would decide for a request, and why.

use tonic::Status;

use super::App;
use super::convert::{self, ProtoEnum};
use crate::domain::{RequestType, Requester, taxonomy, validate};
use crate::knowledge::entry::local_day;
use crate::knowledge::index::SearchQuery;
use crate::proto;
use crate::triage::{self, Triage, triage};

impl App {
    pub(super) async fn preview(
        &self,
        request: proto::PreviewClassificationRequest,
    ) -> Result<proto::PreviewClassificationResponse, Status> {
        validate::text("title", &request.title, validate::MAX_TITLE_CHARS, false)?;
        validate::text(
            "description",
            &request.description,
            validate::MAX_DESCRIPTION_CHARS,
            true,
        )?;
        if !request.line.is_empty() {
            validate::line("line", &request.line)?;
        }
        let rules = self.rules.load_full();
        validate::region("region", request.region.trim(), &rules.units)?;
        let requester = request.requester.unwrap_or_default();
        validate::requester(&Requester {
            name: requester.name,
            phone: requester.phone.clone(),
            id_number: requester.id_number,
            confidential: requester.confidential,
        })?;
        let triage = triage(
            &rules,
            &triage::Request {
                title: &request.title,
                description: &request.description,
                line: &request.line,
                region: request.region.trim(),
            },
        );
        let repeat_of = self
            .repeat_of(
                triage.classification.repeat_hint,
                &Requester {
                    phone: requester.phone,
                    ..Requester::default()
                },
                triage.classification.category,
                super::now(),
            )
            .await?;
        let proposed = match repeat_of {
            Some(parent) if triage.disposition.code() == "dispatch" => {
                crate::domain::Disposition::Merge { parent }
            }
            _ => triage.disposition.clone(),
        };
        Ok(proto::PreviewClassificationResponse {
            classification: Some(classification(&triage, &proposed)),
            routing: triage.route.as_ref().map(|r| proto::Routing {
                lead: r.lead.clone().unwrap_or_default(),
                co_units: r.co_units.clone(),
                copy_to: r.copy_to.clone(),
                // The basis serialises with a `kind` tag: catalogue, line_kept, …
                basis: serde_json::to_value(&r.basis)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
                    .unwrap_or_default(),
                explanation: r.explanation.clone(),
                routing_version: r.routing_version.clone(),
            }),
            proposed: Some(convert::disposition_to_proto(&proposed)),
            repeat_of: repeat_of.unwrap_or_default(),
            knowledge: self.knowledge_for(
                &triage,
                &request.title,
                &request.description,
                request.region.trim(),
                &rules.units,
            )?,
        })
    }
}

/// How many knowledge entries a preview offers.
const PREVIEW_ENTRIES: usize = 3;

impl App {
    /// The entries that best answer a consultation; none for other request types.
    fn knowledge_for(
        &self,
        triage: &Triage,
        title: &str,
        description: &str,
        region: &str,
        units: &crate::domain::UnitCatalog,
    ) -> Result<Vec<proto::EntryHit>, Status> {
        if triage.classification.request_type != RequestType::Consultation {
            return Ok(Vec::new());
        }
        let text = format!("{title} {description}");
        let hits = self.knowledge.search(
            &SearchQuery {
                text: &text,
                region,
                category: "",
                limit: PREVIEW_ENTRIES,
            },
            local_day(super::now()),
            units,
        )?;
        Ok(hits.iter().map(super::knowledge::hit_to_proto).collect())
    }
}

fn classification(triage: &Triage, proposed: &crate::domain::Disposition) -> proto::Classification {
    let c = &triage.classification;
    proto::Classification {
        outcome: proposed.code().to_string(),
        request_type: c.request_type.to_proto(),
        policy_domain: c.domain.to_proto(),
        category: c.category.to_string(),
        category_name: taxonomy::category(c.category)
            .map(|x| x.name.to_string())
            .unwrap_or_default(),
        topic: c.topic.to_string(),
        topic_name: taxonomy::topic(c.topic)
            .map(|x| x.name.to_string())
            .unwrap_or_default(),
        urgency: c.urgency.to_proto(),
        target: triage::target(proposed),
        advice: triage.advice().to_string(),
        matches: c
            .explanation
            .iter()
            .map(|m| proto::RuleMatch {
                rule: m.rule.clone(),
                family: m.family.clone(),
                priority: u32::from(m.priority),
                text: m.text.clone(),
                field: m.field.to_string(),
                start: m.start as u32,
                end: m.end as u32,
                effect: m.effect.clone(),
                suppressed: m.suppressed.clone().unwrap_or_default(),
            })
            .collect(),
        rules_version: c.rules_version.clone(),
        topic_confident: c.topic_confident,
        repeat_hint: c.repeat_hint,
    }
}
