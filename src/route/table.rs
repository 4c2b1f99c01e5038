//! The loaded dispatch catalogue, indexed for routing: rules by topic and by category, so
//! a decision looks at the few rules of its matter, never at the whole catalogue.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::catalogue::{LegacyLine, Matter, Rule};
use super::catalogue_file;
use super::decide::{self, Route, RouteInput};
use super::place::{Place, RegionFit};
use crate::domain::taxonomy::TOPICS;
use crate::domain::{ConfigError, UnitCatalog};

const BUILT_IN_NAME: &str = "config/routing.toml";
const BUILT_IN: &str = include_str!("../../config/routing.toml");

/// An immutable, validated routing catalogue. Reloading builds a new table and swaps it in.
#[derive(Debug, Clone)]
pub struct RoutingTable {
    version: String,
    lines: HashMap<String, LegacyLine>,
    by_topic: HashMap<String, Vec<Rule>>,
    by_category: HashMap<String, Vec<Rule>>,
    /// The taxonomy's topic ids, hashed: the taxonomy itself is a list to scan.
    topics: HashSet<&'static str>,
}

impl RoutingTable {
    /// Parses and validates a catalogue against the units it dispatches to.
    pub fn from_toml(
        source_name: &str,
        text: &str,
        units: &UnitCatalog,
    ) -> Result<RoutingTable, ConfigError> {
        let catalogue = catalogue_file::parse(source_name, text, units)?;
        let digest = Sha256::digest(text.as_bytes());
        let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let mut table = RoutingTable {
            version: format!("{}+{short}", catalogue.version),
            lines: HashMap::new(),
            by_topic: HashMap::new(),
            by_category: HashMap::new(),
            topics: TOPICS.iter().map(|t| t.id).collect(),
        };
        for line in catalogue.lines {
            table.lines.insert(line.number.clone(), line);
        }
        for rule in catalogue.rules {
            let index = match &rule.matter {
                Matter::Topic(topic) => table.by_topic.entry(topic.clone()),
                Matter::Category(category) => table.by_category.entry(category.clone()),
            };
            index.or_default().push(rule);
        }
        Ok(table)
    }

    /// The catalogue shipped in `config/routing.toml`.
    pub fn built_in(units: &UnitCatalog) -> Result<RoutingTable, ConfigError> {
        Self::from_toml(BUILT_IN_NAME, BUILT_IN, units)
    }

    /// The file's `version`, `+`, and the first 8 hex digits of the SHA-256 of its text,
    /// so two different files never report the same version.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn line(&self, number: &str) -> Option<&LegacyLine> {
        self.lines.get(number)
    }

    /// Picks the handling unit(s) for a classified matter. Never panics: unknown topics,
    /// regions and lines fall back, and the explanation says why.
    pub fn route(&self, input: &RouteInput, units: &UnitCatalog) -> Route {
        decide::route(self, input, units)
    }

    pub(super) fn knows_topic(&self, topic: &str) -> bool {
        self.topics.contains(topic)
    }

    /// The winning rule for a topic at a place: highest priority, then the closest region.
    pub(super) fn topic_rule(&self, topic: &str, place: &Place) -> Option<&Rule> {
        best(self.by_topic.get(topic), place)
    }

    pub(super) fn category_rule(&self, category: &str, place: &Place) -> Option<&Rule> {
        best(self.by_category.get(category), place)
    }
}

/// The catalogue check refuses rules that would tie here, so the best rule is unique.
fn best<'t>(rules: Option<&'t Vec<Rule>>, place: &Place) -> Option<&'t Rule> {
    let mut best: Option<(&Rule, (u16, RegionFit))> = None;
    for rule in rules.into_iter().flatten() {
        let Some(fit) = place.fit(&rule.regions) else {
            continue;
        };
        let rank = (rule.priority, fit);
        if best.is_none_or(|(_, top)| rank > top) {
            best = Some((rule, rank));
        }
    }
    best.map(|(rule, _)| rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::LineMode;
    use crate::route::fixtures::{ROUTING, units};

    #[test]
    fn the_version_carries_a_digest_of_the_text() {
        let table = RoutingTable::from_toml("routing.toml", ROUTING, &units()).unwrap();
        let (name, digest) = table.version().split_once('+').unwrap();
        assert_eq!(name, "t1");
        assert_eq!(digest.len(), 8);
        assert!(digest.chars().all(|c| c.is_ascii_hexdigit()));
        let edited = format!("{ROUTING}\n# a comment\n");
        let other = RoutingTable::from_toml("routing.toml", &edited, &units()).unwrap();
        assert_ne!(other.version(), table.version());
        assert!(other.version().starts_with("t1+"));
    }

    #[test]
    fn lines_are_found_by_number() {
        let table = RoutingTable::from_toml("routing.toml", ROUTING, &units()).unwrap();
        assert_eq!(table.line("12366").unwrap().mode, LineMode::SubCentre);
        assert_eq!(table.line("12349").unwrap().owner, "housing");
        assert!(table.line("12345").is_none());
        assert!(table.line("").is_none());
    }

    #[test]
    fn the_table_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<RoutingTable>();
    }

    #[test]
    fn the_built_in_catalogue_fits_the_built_in_units() {
        let units =
            UnitCatalog::from_toml("units.toml", include_str!("../../config/units.toml")).unwrap();
        let table = RoutingTable::built_in(&units).unwrap();
        assert!(table.version().starts_with("2025.1-nanjing+"));
        assert_eq!(table.line("12366").unwrap().owner, "tax-12366");
    }
}
