//! The dispatch decision (domain brief §3): the catalogue owner if clear, the legacy line's
//! unit for calls that arrived on a kept line, the district as fallback (兜底), else the
//! centre's manual-dispatch queue. Every step taken is written into the explanation.

use serde::Serialize;

use super::catalogue::{Assignee, LegacyLine, Rule};
use super::place::Place;
use super::table::RoutingTable;
use crate::domain::{Unit, UnitCatalog, UnitKind};

/// What the classifier decided about a request to be dispatched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInput<'a> {
    pub category: &'a str,
    pub topic: &'a str,
    /// The classifier matched the topic clearly.
    pub topic_confident: bool,
    /// Division code of the place concerned (district or street); "" when unknown.
    pub region: &'a str,
    /// The number dialled: "12345" or a legacy line.
    pub line: &'a str,
}

/// Why the lead was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RouteBasis {
    /// A catalogue rule names the owner.
    Catalogue { rule: String },
    /// The call arrived on a dual-number or sub-centre line whose unit keeps it.
    LineKept { line: String },
    /// Owner unclear, district known: the district government takes it (兜底).
    DistrictFallback,
    /// Nothing usable: the centre names lead and co-units by hand.
    ManualQueue,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// `None` = the centre's manual-dispatch queue.
    pub lead: Option<String>,
    /// 协办 units, never the lead.
    pub co_units: Vec<String>,
    /// 抄送: the districts of streets dispatched to.
    pub copy_to: Vec<String>,
    pub basis: RouteBasis,
    pub explanation: Vec<String>,
    pub routing_version: String,
}

/// The catalogue's answer before the line and fallbacks are considered.
struct Owner<'t, 'u> {
    rule: &'t Rule,
    /// `None` when the rule's assignee cannot be resolved for this place.
    lead: Option<&'u Unit>,
}

pub(super) fn route(table: &RoutingTable, input: &RouteInput, units: &UnitCatalog) -> Route {
    let mut why = Vec::new();
    let place = Place::resolve(input.region, units, &mut why);
    let topic_clear = topic_is_clear(table, input, &mut why);
    let owner = catalogue_owner(table, input, topic_clear, &place, units, &mut why);

    if let Some(line) = kept_line(table, input.line, units, &mut why) {
        let elsewhere = topic_clear
            && !line.owns(input.topic, input.category)
            && owner
                .as_ref()
                .is_some_and(|o| !matches!(&o.rule.lead, Assignee::Unit(id) if *id == line.owner));
        match (elsewhere, units.get(&line.owner)) {
            (true, _) => why.push(format!(
                "the call came in on {} but is clearly about `{}`, which the catalogue gives to {}: not kept by {}",
                line.number,
                input.topic,
                owner.as_ref().map_or("another unit", |o| o.rule.lead.describe()),
                line.owner
            )),
            (false, Some(unit)) if owner.as_ref().is_some_and(|o| same_unit(o.lead, unit)) => {
                why.push(format!(
                    "the call came in on {}, whose unit {} is also the catalogue owner",
                    line.number, unit.id
                ));
            }
            (false, Some(unit)) if unit.kind != UnitKind::Centre => {
                why.push(format!(
                    "the call came in on {} ({}): {} keeps it, {}",
                    line.number,
                    line.mode,
                    unit.id,
                    keep_reason(line, input, topic_clear, owner.is_some())
                ));
                let basis = RouteBasis::LineKept {
                    line: line.number.clone(),
                };
                return finish(table, Some(unit), &[], basis, why, units);
            }
            (false, _) => why.push(format!(
                "line {}'s unit {} cannot take dispatches (not in the unit catalogue, or the centre): routed as a 12345 ticket",
                line.number, line.owner
            )),
        }
    }

    if let Some(Owner {
        rule,
        lead: Some(lead),
    }) = owner
    {
        let basis = RouteBasis::Catalogue {
            rule: rule.id.clone(),
        };
        return finish(table, Some(lead), &rule.co_units, basis, why, units);
    }
    if let Some(district) = place.district {
        why.push(format!(
            "owner unclear: the district government {} takes it (兜底)",
            district.id
        ));
        return finish(
            table,
            Some(district),
            &[],
            RouteBasis::DistrictFallback,
            why,
            units,
        );
    }
    why.push("owner and district both unknown: the centre names lead and co-units by hand".into());
    finish(table, None, &[], RouteBasis::ManualQueue, why, units)
}

/// A topic the catalogue can key on: known, specific and recognised clearly.
fn topic_is_clear(table: &RoutingTable, input: &RouteInput, why: &mut Vec<String>) -> bool {
    let problem = if !table.knows_topic(input.topic) {
        format!(
            "topic `{}` is not in the taxonomy",
            input.topic.escape_debug()
        )
    } else if input.topic == "general" {
        "topic `general`: no specific matter recognised".to_string()
    } else if !input.topic_confident {
        format!("topic `{}` is not a confident match", input.topic)
    } else {
        return true;
    };
    why.push(format!("{problem}; only the category can name an owner"));
    false
}

/// The matching rule, topic before category, and its assignee resolved for the place.
fn catalogue_owner<'t, 'u>(
    table: &'t RoutingTable,
    input: &RouteInput,
    topic_clear: bool,
    place: &Place<'u>,
    units: &'u UnitCatalog,
    why: &mut Vec<String>,
) -> Option<Owner<'t, 'u>> {
    let topic_rule = topic_clear
        .then(|| table.topic_rule(input.topic, place))
        .flatten();
    let rule = topic_rule.or_else(|| table.category_rule(input.category, place));
    let Some(rule) = rule else {
        why.push(format!(
            "no catalogue rule for {}category `{}` at this place",
            if topic_clear {
                format!("topic `{}` or ", input.topic)
            } else {
                String::new()
            },
            input.category.escape_debug()
        ));
        return None;
    };
    let matched = if topic_rule.is_some() {
        format!("topic `{}`", input.topic)
    } else {
        format!("category `{}`", input.category)
    };
    why.push(format!(
        "rule `{}` matches {matched}: {}",
        rule.id, rule.note
    ));
    let lead = resolve(rule, place, units, why);
    Some(Owner { rule, lead })
}

/// The unit a rule's assignee means at this place, if there is one.
fn resolve<'u>(
    rule: &Rule,
    place: &Place<'u>,
    units: &'u UnitCatalog,
    why: &mut Vec<String>,
) -> Option<&'u Unit> {
    let unknown_place = || {
        format!(
            "rule `{}` gives this to {}, but the place is unknown",
            rule.id,
            rule.lead.describe()
        )
    };
    let unit = match &rule.lead {
        Assignee::Unit(id) => {
            let found = units.get(id);
            if found.is_none() {
                why.push(format!(
                    "rule `{}` names unit {id}, which the unit catalogue no longer has",
                    rule.id
                ));
            }
            found
        }
        Assignee::District => {
            if place.district.is_none() {
                why.push(unknown_place());
            }
            place.district
        }
        Assignee::Street => match (place.street, place.district) {
            (Some(street), _) => Some(street),
            (None, Some(district)) => {
                why.push(format!(
                    "only the district is known: sent to {}, which passes it to the street",
                    district.id
                ));
                Some(district)
            }
            (None, None) => {
                why.push(unknown_place());
                None
            }
        },
    };
    // Units files are reloaded on their own; the centre is never a dispatch target.
    unit.filter(|u| {
        let centre = u.kind == UnitKind::Centre;
        if centre {
            why.push(format!("rule `{}` resolves to the centre itself", rule.id));
        }
        !centre
    })
}

/// The legacy line the call arrived on, if its unit still keeps such calls.
fn kept_line<'t>(
    table: &'t RoutingTable,
    number: &str,
    units: &UnitCatalog,
    why: &mut Vec<String>,
) -> Option<&'t LegacyLine> {
    if number.is_empty() || units.centre().hotline.as_deref() == Some(number) {
        return None;
    }
    match table.line(number) {
        None => {
            why.push(format!(
                "line {} is not a legacy line of the catalogue: routed as a 12345 ticket",
                number.escape_debug()
            ));
            None
        }
        Some(line) if !line.keeps_calls() => {
            why.push(format!(
                "line {} was merged whole into 12345 (formerly {}): a plain 12345 ticket",
                line.number, line.owner
            ));
            None
        }
        Some(line) => Some(line),
    }
}

fn keep_reason(line: &LegacyLine, input: &RouteInput, topic_clear: bool, has_rule: bool) -> String {
    if !topic_clear {
        "as the matter is not clearly someone else's".into()
    } else if line.owns(input.topic, input.category) {
        format!("as `{}` is one of the line's own matters", input.topic)
    } else if !has_rule {
        "as the catalogue names no other owner".into()
    } else {
        "as the catalogue's owner cannot be resolved here".into()
    }
}

fn same_unit(lead: Option<&Unit>, unit: &Unit) -> bool {
    lead.is_some_and(|l| l.id == unit.id)
}

/// Applies the dispatch conventions common to every basis: co-units are known units other
/// than the lead and the centre; a street dispatched to is copied to its district.
fn finish(
    table: &RoutingTable,
    lead: Option<&Unit>,
    co_unit_ids: &[String],
    basis: RouteBasis,
    mut why: Vec<String>,
    units: &UnitCatalog,
) -> Route {
    let mut co_units: Vec<&Unit> = Vec::with_capacity(co_unit_ids.len());
    for id in co_unit_ids {
        match units.get(id) {
            None => why.push(format!(
                "co-unit {id} is not in the unit catalogue; left out"
            )),
            Some(unit)
                if unit.kind == UnitKind::Centre
                    || lead.is_some_and(|l| l.id == unit.id)
                    || co_units.iter().any(|c| c.id == unit.id) => {}
            Some(unit) => co_units.push(unit),
        }
    }
    let mut copy_to: Vec<String> = Vec::new();
    for unit in lead.into_iter().chain(co_units.iter().copied()) {
        let Some(district) = unit
            .parent
            .as_deref()
            .filter(|_| unit.kind == UnitKind::Street)
        else {
            continue;
        };
        let dispatched =
            lead.is_some_and(|l| l.id == district) || co_units.iter().any(|c| c.id == district);
        if !dispatched && !copy_to.iter().any(|c| c == district) {
            why.push(format!(
                "{} is a street: copied to its district {district}",
                unit.id
            ));
            copy_to.push(district.to_string());
        }
    }
    Route {
        lead: lead.map(|u| u.id.clone()),
        co_units: co_units.iter().map(|u| u.id.clone()).collect(),
        copy_to,
        basis,
        explanation: why,
        routing_version: table.version().to_string(),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
