//! Handling units — the centre, sub-centres, departments, districts, streets and utility
//! enterprises — as configured in `config/units.toml`. Parsing is pure: the caller reads
//! the file, this module turns its text into a validated catalogue or a precise error
//! naming the file, line and key.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::config_file::{ConfigError, line_of_key};
use strum::{Display, EnumString, IntoStaticStr};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum UnitKind {
    /// The 12345 centre itself: manual dispatch, reviews, supervision, callbacks.
    Centre,
    /// A legacy line kept as a sub-centre (12366 tax, 12367 immigration…).
    SubCentre,
    /// A municipal department (市场监管局, 人社局…).
    Department,
    /// A district government (区政府), the fallback owner of local matters.
    District,
    /// A street office or township (街道/乡镇) under a district.
    Street,
    /// A utility or state-owned enterprise (water, power, gas, heating).
    Enterprise,
    /// A partner city's 12345 centre (区域联动), from `config/partners.toml`: tickets whose
    /// place lies in its regions are handed to it.
    Partner,
}

impl UnitKind {
    /// Agents at the centre and at sub-centre seats take requests (the intake desk).
    pub fn takes_requests(self) -> bool {
        matches!(self, UnitKind::Centre | UnitKind::SubCentre)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub kind: UnitKind,
    /// Where escalation (提级) goes: a street's district, for example.
    #[serde(default)]
    pub parent: Option<String>,
    /// Administrative division code of a district or street.
    #[serde(default)]
    pub region: Option<String>,
    /// The unit's own public line, if it kept one (12366, 12328…).
    #[serde(default)]
    pub hotline: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitsFile {
    #[serde(default)]
    city: Option<City>,
    #[serde(default)]
    unit: Vec<toml::Spanned<Unit>>,
}

/// The city the catalogue describes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    pub name: String,
    #[serde(default)]
    pub region: Option<String>,
}

/// A validated set of units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitCatalog {
    city: City,
    units: BTreeMap<String, Unit>,
    centre: String,
    regions: HashMap<String, String>,
    /// Division-code prefixes of partner centres, with the partner's unit id.
    partner_regions: Vec<(String, String)>,
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn all_digits(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit())
}

impl UnitCatalog {
    /// Parses and validates the text of a units file; `source_name` is used in errors.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Self, ConfigError> {
        let err = |line: Option<usize>, key: &str, message: String| ConfigError {
            source_name: source_name.to_string(),
            line,
            key: key.to_string(),
            message,
        };
        let file: UnitsFile =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(source_name, text, &e))?;

        let mut units = BTreeMap::new();
        let mut spans = HashMap::new();
        let mut regions = HashMap::new();
        let mut centre = None;
        for spanned in &file.unit {
            let span = spanned.span();
            let at = |field: &str| Some(line_of_key(text, span.clone(), field));
            let unit = spanned.get_ref();
            let key = |field: &str| format!("unit `{}`.{field}", unit.id);
            if !valid_id(&unit.id) {
                return Err(err(
                    at("id"),
                    "unit.id",
                    format!(
                        "`{}` is not a valid id (1-64 of a-z, 0-9, '-', '_', '.', starting with a letter or digit)",
                        unit.id
                    ),
                ));
            }
            if unit.name.trim().is_empty() {
                return Err(err(at("name"), &key("name"), "must not be empty".into()));
            }
            if let Some(hotline) = &unit.hotline
                && !all_digits(hotline, 3..=8)
            {
                return Err(err(
                    at("hotline"),
                    &key("hotline"),
                    format!("`{hotline}` is not a 3-8 digit number"),
                ));
            }
            match (&unit.region, unit.kind) {
                (Some(region), _) if !all_digits(region, 6..=12) => {
                    return Err(err(
                        at("region"),
                        &key("region"),
                        format!("`{region}` is not a 6-12 digit division code"),
                    ));
                }
                (None, UnitKind::District | UnitKind::Street) => {
                    return Err(err(
                        at("region"),
                        &key("region"),
                        format!("a {} needs its division code", unit.kind),
                    ));
                }
                (Some(region), UnitKind::District | UnitKind::Street) => {
                    if let Some(other) = regions.insert(region.clone(), unit.id.clone()) {
                        return Err(err(
                            at("region"),
                            &key("region"),
                            format!("`{region}` is already the region of `{other}`"),
                        ));
                    }
                }
                _ => {}
            }
            if unit.kind == UnitKind::Centre
                && let Some(first) = centre.replace(unit.id.clone())
            {
                return Err(err(
                    at("kind"),
                    &key("kind"),
                    format!("only one centre is allowed; `{first}` is already one"),
                ));
            }
            if units.insert(unit.id.clone(), unit.clone()).is_some() {
                return Err(err(
                    at("id"),
                    "unit.id",
                    format!("duplicate id `{}`", unit.id),
                ));
            }
            spans.insert(unit.id.clone(), span);
        }
        let Some(centre) = centre else {
            return Err(err(
                None,
                "unit",
                "no unit of kind `centre`: the 12345 centre must be listed".into(),
            ));
        };

        for unit in units.values() {
            let line = Some(line_of_key(text, spans[&unit.id].clone(), "parent"));
            let key = format!("unit `{}`.parent", unit.id);
            match (&unit.parent, unit.kind) {
                (None, UnitKind::Street) => {
                    return Err(err(
                        line,
                        &key,
                        "a street needs its district as parent".into(),
                    ));
                }
                (Some(parent_id), kind) => {
                    let Some(parent) = units.get(parent_id) else {
                        return Err(err(line, &key, format!("unknown unit `{parent_id}`")));
                    };
                    if kind == UnitKind::Street && parent.kind != UnitKind::District {
                        return Err(err(
                            line,
                            &key,
                            format!(
                                "a street's parent must be a district, `{parent_id}` is a {}",
                                parent.kind
                            ),
                        ));
                    }
                }
                (None, _) => {}
            }
            // Escalation walks parents; a cycle would never reach the centre.
            let mut seen = HashSet::from([unit.id.as_str()]);
            let mut cursor = unit.parent.as_deref();
            while let Some(next) = cursor {
                if !seen.insert(next) {
                    return Err(err(
                        line,
                        &key,
                        format!("parent chain of `{}` loops back to `{next}`", unit.id),
                    ));
                }
                cursor = units.get(next).and_then(|u| u.parent.as_deref());
            }
        }

        Ok(UnitCatalog {
            city: file.city.unwrap_or_default(),
            units,
            centre,
            regions,
            partner_regions: Vec::new(),
        })
    }

    /// Adds the partner centres as units of kind `partner` (their ids were checked
    /// against this catalogue's) with the regions they serve.
    pub fn with_partners(mut self, partners: &super::linkage::Partners) -> Self {
        for p in &partners.partners {
            self.units.insert(
                p.id.clone(),
                Unit {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    kind: UnitKind::Partner,
                    parent: None,
                    region: None,
                    hotline: None,
                },
            );
            for prefix in &p.regions {
                self.partner_regions.push((prefix.clone(), p.id.clone()));
            }
        }
        self
    }

    /// The partner centre serving a division code outside the city, if any.
    pub fn partner_for_region(&self, region: &str) -> Option<&Unit> {
        if region.is_empty() || self.is_known_region(region) {
            return None;
        }
        self.partner_regions
            .iter()
            .find(|(prefix, _)| region.starts_with(prefix.as_str()))
            .and_then(|(_, id)| self.units.get(id))
    }

    pub fn get(&self, id: &str) -> Option<&Unit> {
        self.units.get(id)
    }

    pub fn centre(&self) -> &Unit {
        &self.units[&self.centre]
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// The district or street whose division code this is.
    pub fn unit_for_region(&self, region: &str) -> Option<&Unit> {
        self.regions.get(region).and_then(|id| self.units.get(id))
    }

    /// Whether the region is the city itself or one of its districts and streets.
    pub fn is_known_region(&self, region: &str) -> bool {
        self.regions.contains_key(region) || self.city.region.as_deref() == Some(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[city]
name = "Test City"
region = "320100"

[[unit]]
id = "centre"
name = "12345 centre"
kind = "centre"
hotline = "12345"

[[unit]]
id = "district-a"
name = "District A"
kind = "district"
region = "320102"

[[unit]]
id = "street-a1"
name = "Street A1"
kind = "street"
parent = "district-a"
region = "320102001"
"#;

    fn parse(text: &str) -> Result<UnitCatalog, ConfigError> {
        UnitCatalog::from_toml("units.toml", text)
    }

    #[test]
    fn parses_a_valid_catalogue() {
        let catalog = parse(MINIMAL).unwrap();
        assert_eq!(catalog.len(), 3);
        assert_eq!(catalog.centre().id, "centre");
        assert_eq!(
            catalog.unit_for_region("320102001").unwrap().id,
            "street-a1"
        );
        assert!(catalog.is_known_region("320100"));
        assert!(!catalog.is_known_region("999999"));
    }

    #[test]
    fn unknown_parent_names_line_and_key() {
        let text = MINIMAL.replace("parent = \"district-a\"", "parent = \"district-x\"");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.key, "unit `street-a1`.parent");
        assert_eq!(e.line, Some(22));
        assert!(
            e.to_string()
                .starts_with("units.toml:22: unit `street-a1`.parent: unknown unit"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let text = format!(
            "{MINIMAL}\n[[unit]]\nid = \"centre\"\nname = \"again\"\nkind = \"department\"\n"
        );
        assert!(parse(&text).unwrap_err().message.contains("duplicate id"));
    }

    #[test]
    fn missing_centre_is_refused() {
        let text = MINIMAL.replace("kind = \"centre\"", "kind = \"department\"");
        assert!(
            parse(&text)
                .unwrap_err()
                .message
                .contains("no unit of kind `centre`")
        );
    }

    #[test]
    fn street_needs_a_district_parent() {
        let text = MINIMAL.replace("parent = \"district-a\"", "parent = \"centre\"");
        assert!(
            parse(&text)
                .unwrap_err()
                .message
                .contains("must be a district")
        );
    }

    #[test]
    fn unknown_keys_and_kinds_are_refused_with_a_line() {
        let e = parse(&MINIMAL.replace("hotline = \"12345\"", "hotlin = \"12345\"")).unwrap_err();
        assert_eq!(e.key, "toml");
        assert!(e.line.is_some());
        let e = parse(&MINIMAL.replace("kind = \"district\"", "kind = \"county\"")).unwrap_err();
        assert!(e.message.contains("county"), "{e}");
    }

    #[test]
    fn bad_ids_regions_and_parent_loops_are_refused() {
        assert!(parse(&MINIMAL.replace("id = \"district-a\"", "id = \"District A\"")).is_err());
        assert!(parse(&MINIMAL.replace("region = \"320102\"", "region = \"32a\"")).is_err());
        let looped = MINIMAL.replace(
            "kind = \"district\"\nregion = \"320102\"",
            "kind = \"district\"\nregion = \"320102\"\nparent = \"street-a1\"",
        );
        assert!(parse(&looped).unwrap_err().message.contains("loops back"));
    }

    #[test]
    fn the_shipped_catalogue_is_valid() {
        let text = include_str!("../../config/units.toml");
        let catalog = parse(text).unwrap();
        assert!(catalog.len() > 50);
        assert!(
            catalog
                .iter()
                .any(|u| u.hotline.as_deref() == Some("12366"))
        );
    }
}
