//! Where a matter is, as far as its region code tells: a street and its district, only a
//! district, or nothing usable. Unknown codes are never an error here; they are explained.

use crate::domain::{Unit, UnitCatalog, UnitKind};

/// How closely a rule's regions fit a place; more specific rules win at equal priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RegionFit {
    CityWide,
    District,
    Street,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Place<'u> {
    pub street: Option<&'u Unit>,
    pub district: Option<&'u Unit>,
}

impl<'u> Place<'u> {
    /// Resolves a division code; says in `why` when the code cannot be used.
    pub fn resolve(region: &str, units: &'u UnitCatalog, why: &mut Vec<String>) -> Place<'u> {
        if region.is_empty() {
            why.push("place unknown: no region code given".into());
            return Place::default();
        }
        match units.unit_for_region(region) {
            Some(unit) if unit.kind == UnitKind::Street => {
                let district = unit
                    .parent
                    .as_deref()
                    .and_then(|id| units.get(id))
                    .filter(|d| d.kind == UnitKind::District);
                Place {
                    street: Some(unit),
                    district,
                }
            }
            Some(unit) if unit.kind == UnitKind::District => Place {
                street: None,
                district: Some(unit),
            },
            _ if units.is_known_region(region) => {
                why.push(format!(
                    "region {region} is the whole city: no district or street to fall back on"
                ));
                Place::default()
            }
            _ => {
                why.push(format!(
                    "region {} is not a known district or street code; ignored",
                    region.escape_debug()
                ));
                Place::default()
            }
        }
    }

    /// How a rule bound to `regions` (empty = city-wide) fits this place, if at all.
    /// A district code covers the district's streets.
    pub fn fit(&self, regions: &[String]) -> Option<RegionFit> {
        if regions.is_empty() {
            return Some(RegionFit::CityWide);
        }
        let listed = |unit: Option<&Unit>| {
            unit.and_then(|u| u.region.as_deref())
                .is_some_and(|code| regions.iter().any(|r| r == code))
        };
        if listed(self.street) {
            Some(RegionFit::Street)
        } else if listed(self.district) {
            Some(RegionFit::District)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::fixtures::units;

    #[test]
    fn a_street_code_gives_street_and_district() {
        let units = units();
        let mut why = Vec::new();
        let place = Place::resolve("320102001", &units, &mut why);
        assert_eq!(place.street.unwrap().id, "xuanwu-01");
        assert_eq!(place.district.unwrap().id, "xuanwu");
        assert!(why.is_empty());
    }

    #[test]
    fn district_codes_cover_their_streets() {
        let units = units();
        let street = Place::resolve("320102001", &units, &mut Vec::new());
        let district = Place::resolve("320102", &units, &mut Vec::new());
        let code = |c: &str| vec![c.to_string()];
        assert_eq!(street.fit(&code("320102")), Some(RegionFit::District));
        assert_eq!(street.fit(&code("320102001")), Some(RegionFit::Street));
        assert_eq!(street.fit(&code("320104")), None);
        assert_eq!(district.fit(&code("320102001")), None);
        assert_eq!(district.fit(&[]), Some(RegionFit::CityWide));
    }

    #[test]
    fn unusable_codes_resolve_to_nowhere_with_a_reason() {
        let units = units();
        for code in ["", "320100", "999999"] {
            let mut why = Vec::new();
            let place = Place::resolve(code, &units, &mut why);
            assert!(place.street.is_none() && place.district.is_none());
            assert_eq!(why.len(), 1, "{code}: {why:?}");
        }
    }
}
