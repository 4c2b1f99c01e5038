//! Reads `config/routing.toml` and checks it against the unit catalogue and the taxonomy.
//! Every refusal names file, line and key; a catalogue that loads can always be routed on.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::catalogue::{Assignee, Catalogue, LegacyLine, LineMode, Matter, Rule};
use crate::domain::config_file::{ConfigError, line_of, line_of_key};
use crate::domain::taxonomy;
use crate::domain::{Unit, UnitCatalog, UnitKind};

pub const MAX_PRIORITY: i64 = 1000;
const DEFAULT_PRIORITY: i64 = 100;
/// The topic and category that mean "owner unclear": they fall back by design.
const UNCLEAR_TOPIC: &str = "general";
const UNCLEAR_CATEGORY: &str = "other";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingFile {
    version: Spanned<String>,
    #[serde(default)]
    line: Vec<Spanned<LineEntry>>,
    #[serde(default)]
    rule: Vec<Spanned<RuleEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineEntry {
    number: String,
    owner: String,
    mode: LineMode,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    id: String,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    lead: Option<String>,
    #[serde(default)]
    co_units: Vec<String>,
    // Wider than the allowed range so that a wrong number gets our message, not serde's.
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    note: Option<String>,
}

/// Locates errors inside one `[[line]]` or `[[rule]]` table.
struct Locator<'a> {
    source_name: &'a str,
    text: &'a str,
    span: Range<usize>,
    table: String,
}

impl Locator<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::new(
            self.source_name,
            Some(line_of_key(self.text, self.span.clone(), field)),
            format!("{}.{field}", self.table),
            message,
        )
    }
}

/// Parses and validates a routing catalogue; `source_name` is used in errors.
pub fn parse(source_name: &str, text: &str, units: &UnitCatalog) -> Result<Catalogue, ConfigError> {
    let file: RoutingFile =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(source_name, text, &e))?;
    let version = file.version.get_ref().trim();
    if version.is_empty() {
        let line = line_of(text, file.version.span().start);
        return Err(ConfigError::new(
            source_name,
            Some(line),
            "version",
            "must not be empty",
        ));
    }

    let mut lines = Vec::with_capacity(file.line.len());
    for entry in &file.line {
        let at = Locator {
            source_name,
            text,
            span: entry.span(),
            table: format!("line `{}`", entry.get_ref().number),
        };
        let line = check_line(entry.get_ref(), &at, units)?;
        if lines.iter().any(|l: &LegacyLine| l.number == line.number) {
            return Err(at.error("number", format!("duplicate line `{}`", line.number)));
        }
        lines.push(line);
    }

    let mut rules: Vec<Rule> = Vec::with_capacity(file.rule.len());
    let mut located = Vec::with_capacity(file.rule.len());
    for entry in &file.rule {
        let at = Locator {
            source_name,
            text,
            span: entry.span(),
            table: format!("rule `{}`", entry.get_ref().id),
        };
        let rule = check_rule(entry.get_ref(), &at, units)?;
        if rules.iter().any(|r| r.id == rule.id) {
            return Err(at.error("id", format!("duplicate rule id `{}`", rule.id)));
        }
        check_not_ambiguous(&rule, &rules, &located, &at)?;
        rules.push(rule);
        located.push(at);
    }

    Ok(Catalogue {
        version: version.to_string(),
        lines,
        rules,
    })
}

fn check_line(
    entry: &LineEntry,
    at: &Locator,
    units: &UnitCatalog,
) -> Result<LegacyLine, ConfigError> {
    let number = &entry.number;
    if !(3..=8).contains(&number.len()) || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err(at.error("number", format!("`{number}` is not a 3-8 digit number")));
    }
    if number == "12345" {
        return Err(at.error(
            "number",
            "12345 is the centre's own number, not a legacy line",
        ));
    }
    let owner = known_unit(&entry.owner, "owner", at, units)?;
    if owner.kind == UnitKind::Centre {
        return Err(at.error(
            "owner",
            "a legacy line belongs to a unit other than the centre",
        ));
    }
    if entry.mode == LineMode::SubCentre && owner.kind != UnitKind::SubCentre {
        return Err(at.error(
            "owner",
            format!(
                "a sub_centre line needs a sub-centre unit; `{}` is a {}",
                owner.id, owner.kind
            ),
        ));
    }
    for topic in &entry.topics {
        known_topic(topic, "topics", at)?;
    }
    for category in &entry.categories {
        known_category(category, "categories", at)?;
    }
    Ok(LegacyLine {
        number: number.clone(),
        owner: owner.id.clone(),
        mode: entry.mode,
        topics: entry.topics.clone(),
        categories: entry.categories.clone(),
        note: entry.note.clone().filter(|n| !n.trim().is_empty()),
    })
}

fn check_rule(entry: &RuleEntry, at: &Locator, units: &UnitCatalog) -> Result<Rule, ConfigError> {
    if !valid_rule_id(&entry.id) {
        return Err(at.error(
            "id",
            format!(
                "`{}` is not a valid id (1-64 of a-z, 0-9, '-', '_', '.')",
                entry.id
            ),
        ));
    }
    let matter = match (&entry.topic, &entry.category) {
        (Some(topic), None) => {
            known_topic(topic, "topic", at)?;
            if topic == UNCLEAR_TOPIC {
                return Err(at.error(
                    "topic",
                    "`general` means the owner is unclear; it falls back to the district or the centre's queue by design",
                ));
            }
            Matter::Topic(topic.clone())
        }
        (None, Some(category)) => {
            known_category(category, "category", at)?;
            if category == UNCLEAR_CATEGORY {
                return Err(at.error(
                    "category",
                    "`other` means the owner is unclear; it falls back to the district or the centre's queue by design",
                ));
            }
            Matter::Category(category.clone())
        }
        (Some(_), Some(_)) => {
            return Err(at.error(
                "category",
                "a rule matches either a topic or a category, not both",
            ));
        }
        (None, None) => return Err(at.error("topic", "a rule needs a `topic` or a `category`")),
    };

    let mut regions = Vec::with_capacity(entry.regions.len());
    for code in &entry.regions {
        if units.unit_for_region(code).is_none() {
            return Err(at.error(
                "regions",
                format!("`{code}` is not the code of a district or street"),
            ));
        }
        if regions.contains(code) {
            return Err(at.error("regions", format!("`{code}` is listed twice")));
        }
        regions.push(code.clone());
    }

    let lead = match entry.lead.as_deref() {
        None => return Err(at.error("lead", "required: a unit id, `district` or `street`")),
        Some("district") => Assignee::District,
        Some("street") => Assignee::Street,
        Some(id) => {
            let unit = dispatchable_unit(id, "lead", at, units)?;
            check_territory(unit, &regions, "lead", at, units)?;
            Assignee::Unit(id.to_string())
        }
    };

    let mut co_units: Vec<String> = Vec::with_capacity(entry.co_units.len());
    for id in &entry.co_units {
        if matches!(id.as_str(), "district" | "street") {
            return Err(at.error(
                "co_units",
                format!("co_units name units; only `lead` may be `{id}`"),
            ));
        }
        let unit = dispatchable_unit(id, "co_units", at, units)?;
        check_territory(unit, &regions, "co_units", at, units)?;
        if lead == Assignee::Unit(id.clone()) {
            return Err(at.error("co_units", format!("`{id}` is already the lead")));
        }
        if co_units.contains(id) {
            return Err(at.error("co_units", format!("`{id}` is listed twice")));
        }
        co_units.push(id.clone());
    }

    let priority = entry.priority.unwrap_or(DEFAULT_PRIORITY);
    if !(0..=MAX_PRIORITY).contains(&priority) {
        return Err(at.error(
            "priority",
            format!("{priority} is outside 0..={MAX_PRIORITY}"),
        ));
    }
    let note = entry.note.as_deref().map(str::trim).unwrap_or_default();
    if note.is_empty() {
        return Err(at.error("note", "required: say why this unit owns the matter"));
    }

    Ok(Rule {
        id: entry.id.clone(),
        matter,
        regions,
        lead,
        co_units,
        priority: priority as u16,
        note: note.to_string(),
    })
}

/// Two rules for the same matter, at the same priority, both city-wide or sharing a region
/// code would tie: nothing in the catalogue would say which one wins.
fn check_not_ambiguous(
    rule: &Rule,
    earlier: &[Rule],
    located: &[Locator],
    at: &Locator,
) -> Result<(), ConfigError> {
    for (other, other_at) in earlier.iter().zip(located) {
        let overlap = (rule.regions.is_empty() && other.regions.is_empty())
            || rule.regions.iter().any(|code| other.regions.contains(code));
        if other.matter == rule.matter && other.priority == rule.priority && overlap {
            return Err(at.error(
                "priority",
                format!(
                    "rule `{}` (line {}) matches the same matter in the same places at priority {}; give one a different priority or other regions",
                    other.id,
                    line_of(other_at.text, other_at.span.start),
                    rule.priority
                ),
            ));
        }
    }
    Ok(())
}

fn known_unit<'u>(
    id: &str,
    field: &str,
    at: &Locator,
    units: &'u UnitCatalog,
) -> Result<&'u Unit, ConfigError> {
    units
        .get(id)
        .ok_or_else(|| at.error(field, format!("unknown unit `{id}`")))
}

/// A unit that tickets may be dispatched to: known, and not the centre itself.
fn dispatchable_unit<'u>(
    id: &str,
    field: &str,
    at: &Locator,
    units: &'u UnitCatalog,
) -> Result<&'u Unit, ConfigError> {
    let unit = known_unit(id, field, at, units)?;
    if unit.kind == UnitKind::Centre {
        return Err(at.error(
            field,
            format!(
                "`{id}` is the centre; leave the owner unclear to reach its manual-dispatch queue"
            ),
        ));
    }
    Ok(unit)
}

/// A named district or street only governs its own area, so a rule naming one must be
/// bound to regions inside that area.
fn check_territory(
    unit: &Unit,
    regions: &[String],
    field: &str,
    at: &Locator,
    units: &UnitCatalog,
) -> Result<(), ConfigError> {
    if !matches!(unit.kind, UnitKind::District | UnitKind::Street) {
        return Ok(());
    }
    if regions.is_empty() {
        return Err(at.error(
            field,
            format!("`{}` is a {} and governs only its own area; bind the rule with `regions` (or use `district`/`street`)", unit.id, unit.kind),
        ));
    }
    for code in regions {
        let place = units.unit_for_region(code);
        let inside = place.is_some_and(|p| {
            p.id == unit.id
                || (unit.kind == UnitKind::District
                    && p.parent.as_deref() == Some(unit.id.as_str()))
        });
        if !inside {
            return Err(at.error(
                field,
                format!(
                    "`{}` does not govern region `{code}` that the rule is bound to",
                    unit.id
                ),
            ));
        }
    }
    Ok(())
}

fn known_topic(id: &str, field: &str, at: &Locator) -> Result<(), ConfigError> {
    match taxonomy::topic(id) {
        Some(_) => Ok(()),
        None => Err(at.error(
            field,
            format!("unknown topic `{id}` (see src/domain/taxonomy.rs)"),
        )),
    }
}

fn known_category(id: &str, field: &str, at: &Locator) -> Result<(), ConfigError> {
    match taxonomy::category(id) {
        Some(_) => Ok(()),
        None => Err(at.error(
            field,
            format!("unknown category `{id}` (see src/domain/taxonomy.rs)"),
        )),
    }
}

fn valid_rule_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
#[path = "catalogue_file_tests.rs"]
mod tests;
