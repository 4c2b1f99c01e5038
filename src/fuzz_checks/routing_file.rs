//! Arbitrary text as `config/routing.toml`, checked against the shipped units: refused
//! with an error or loaded; a catalogue that loads routes every topic without a panic.

use super::{SAMPLE_REGIONS, shipped_rules};
use crate::domain::taxonomy::TOPICS;
use crate::route::{RouteInput, RoutingTable};

/// The `routing_file` fuzz target's check of one input.
pub fn routing_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let units = &shipped_rules().units;
    let table = match RoutingTable::from_toml("fuzz/routing.toml", text, units) {
        Ok(table) => table,
        Err(error) => {
            assert!(error.to_string().starts_with("fuzz/routing.toml"));
            return;
        }
    };
    for (i, topic) in TOPICS.iter().enumerate() {
        let route = table.route(
            &RouteInput {
                category: topic.category,
                topic: topic.id,
                topic_confident: i % 2 == 0,
                region: SAMPLE_REGIONS[i % SAMPLE_REGIONS.len()],
                line: ["12345", "12366", "12315"][i % 3],
            },
            units,
        );
        // A lead is a unit of the catalogue, or empty for the manual-dispatch queue.
        if let Some(lead) = &route.lead {
            assert!(units.get(lead).is_some(), "routed to unknown unit {lead}");
        }
    }
}
