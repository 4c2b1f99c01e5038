//! The places requests are about: the districts and streets of the unit catalogue, so every
//! generated region code is one the router knows and the text names the same place.

use crate::domain::{UnitCatalog, unit::UnitKind};

/// A district or street a citizen can call about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Division code, as `CreateTicketRequest.region` takes it.
    pub region: String,
    /// How a caller names it: "鼓楼区湖南路街道", or "鼓楼区" for a district.
    pub name: String,
    /// The district it lies in ("鼓楼区").
    pub district: String,
}

/// How callers say a unit's place: without the office's own title.
fn spoken(unit_name: &str) -> &str {
    ["办事处", "人民政府"]
        .iter()
        .find_map(|suffix| unit_name.strip_suffix(suffix))
        .unwrap_or(unit_name)
}

/// Every district and street of the catalogue, streets first (most calls name one), in
/// catalogue order so that the same seed gives the same places.
pub fn places(units: &UnitCatalog) -> (Vec<Place>, Vec<Place>) {
    let mut streets = Vec::new();
    let mut districts = Vec::new();
    for unit in units.iter() {
        let Some(region) = &unit.region else { continue };
        match unit.kind {
            UnitKind::Street => {
                let district = unit
                    .parent
                    .as_deref()
                    .and_then(|p| units.get(p))
                    .map(|d| spoken(&d.name).to_string())
                    .unwrap_or_default();
                streets.push(Place {
                    region: region.clone(),
                    name: spoken(&unit.name).to_string(),
                    district,
                });
            }
            UnitKind::District => {
                let name = spoken(&unit.name).to_string();
                districts.push(Place {
                    region: region.clone(),
                    district: name.clone(),
                    name,
                });
            }
            _ => {}
        }
    }
    (streets, districts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_come_from_the_catalogue_with_their_spoken_names() {
        let units = crate::config::built_in_units();
        let (streets, districts) = places(&units);
        assert!(streets.len() > 50, "{}", streets.len());
        assert!(districts.len() >= 10, "{}", districts.len());
        for place in streets.iter().chain(&districts) {
            assert!(units.is_known_region(&place.region), "{place:?}");
            assert!(!place.name.ends_with("办事处") && !place.name.ends_with("人民政府"));
            assert!(place.name.starts_with(&place.district), "{place:?}");
        }
        let xuanwu = districts.iter().find(|d| d.region == "320102").unwrap();
        assert_eq!(xuanwu.name, "玄武区");
    }
}
