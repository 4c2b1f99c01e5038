//! Arbitrary text as `config/units.toml`: refused with an error or loaded; a catalogue
//! that loads answers look-ups, and the shipped routing and deadlines are checked against
//! it (refused or accepted, never a panic).

use crate::domain::{UnitCatalog, UnitKind, deadline_file};
use crate::route::RoutingTable;

const SHIPPED_DEADLINES: &str = include_str!("../../config/deadlines.toml");

/// The `units_file` fuzz target's check of one input.
pub fn units_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let units = match UnitCatalog::from_toml("fuzz/units.toml", text) {
        Ok(units) => units,
        Err(error) => {
            assert!(error.to_string().starts_with("fuzz/units.toml"));
            return;
        }
    };
    assert!(!units.is_empty(), "a catalogue has at least its centre");
    let _ = units.centre();
    for unit in units.iter() {
        assert!(units.get(&unit.id).is_some());
        if let (Some(region), UnitKind::District | UnitKind::Street) = (&unit.region, unit.kind) {
            let owner = units.unit_for_region(region).map(|u| u.id.as_str());
            assert_eq!(
                owner,
                Some(unit.id.as_str()),
                "region {region} has another owner"
            );
        }
    }
    let _ = RoutingTable::built_in(&units);
    let known = |code: &str| units.is_known_region(code);
    let _ = deadline_file::parse("config/deadlines.toml", SHIPPED_DEADLINES, &known);
}
