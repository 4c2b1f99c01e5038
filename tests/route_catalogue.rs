//! The shipped dispatch catalogue (`config/routing.toml`) against the shipped units
//! (`config/units.toml`) and the fixed taxonomy: coverage and the typical Nanjing cases.

use std::collections::BTreeSet;

use hotline::domain::taxonomy::{self, TOPICS};
use hotline::domain::{UnitCatalog, UnitKind};
use hotline::route::{LineMode, Route, RouteBasis, RouteInput, RoutingTable};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn load() -> (RoutingTable, UnitCatalog) {
    let units = UnitCatalog::from_toml("config/units.toml", &read("config/units.toml")).unwrap();
    let table =
        RoutingTable::from_toml("config/routing.toml", &read("config/routing.toml"), &units)
            .unwrap();
    (table, units)
}

/// A confident 12345 request about `topic` at `region`.
fn input<'a>(topic: &'a str, region: &'a str) -> RouteInput<'a> {
    RouteInput {
        category: taxonomy::topic(topic).map_or("other", |t| t.category),
        topic,
        topic_confident: true,
        region,
        line: "12345",
    }
}

fn lead_of(route: &Route) -> &str {
    route.lead.as_deref().unwrap_or("<manual queue>")
}

#[test]
fn the_file_read_at_run_time_is_the_built_in_one() {
    let (table, units) = load();
    assert_eq!(
        RoutingTable::built_in(&units).unwrap().version(),
        table.version()
    );
}

#[test]
fn every_topic_has_an_owner_in_every_district() {
    let (table, units) = load();
    let streets: Vec<&str> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Street)
        .filter_map(|u| u.region.as_deref())
        .collect();
    assert!(streets.len() > 80);
    for topic in TOPICS.iter().filter(|t| t.id != "general") {
        for region in &streets {
            let route = table.route(&input(topic.id, region), &units);
            let lead = route
                .lead
                .as_deref()
                .unwrap_or_else(|| panic!("{}: {route:?}", topic.id));
            assert!(
                matches!(route.basis, RouteBasis::Catalogue { .. }),
                "{} at {region}: {route:?}",
                topic.id
            );
            assert_ne!(lead, units.centre().id);
            assert!(
                !route
                    .co_units
                    .iter()
                    .any(|c| c == lead || *c == units.centre().id)
            );
        }
    }
    let general = table.route(&input("general", "320102001"), &units);
    assert_eq!(general.lead.as_deref(), Some("xuanwu"));
    assert_eq!(general.basis, RouteBasis::DistrictFallback);
}

#[test]
fn only_territorial_matters_go_down_to_districts_and_streets() {
    let (table, units) = load();
    let grassroots = |region: &str| -> BTreeSet<&str> {
        TOPICS
            .iter()
            .filter(|t| {
                let route = table.route(&input(t.id, region), &units);
                let lead = route.lead.as_deref().and_then(|id| units.get(id));
                lead.is_some_and(|u| matches!(u.kind, UnitKind::District | UnitKind::Street))
            })
            .map(|t| t.id)
            .collect()
    };
    let territorial = BTreeSet::from([
        "property_management",
        "demolition_compensation",
        "rural_construction",
        "noise_pollution",
        "city_appearance",
        "illegal_construction",
        "street_vending",
        "garbage_collection",
        "policy_consultation",
        "general",
    ]);
    assert_eq!(grassroots("320102001"), territorial);
    // Rural roads are the suburban districts' own duty.
    let mut suburban = territorial.clone();
    suburban.insert("roads_bridges");
    assert_eq!(grassroots("320115001"), suburban);
}

#[test]
fn typical_nanjing_requests_reach_their_owners() {
    let (table, units) = load();
    let cases = [
        ("tax", "", "tax-12366"),
        ("invoices", "320104003", "tax-12366"),
        ("customs", "", "customs-12360"),
        ("entry_exit", "", "immigration-12367"),
        ("banking_insurance", "", "finance-12378"),
        ("taxi_ride_hailing", "320106001", "transport-12328"),
        ("prices", "320105002", "market-12315"),
        ("food_safety", "", "market-12315"),
        ("prepaid_cards", "", "market-12315"),
        ("pensions", "", "hrss-12333"),
        ("wage_arrears", "320115004", "hrss-12333"),
        ("medical_insurance", "", "medical-insurance"),
        ("housing_fund", "", "housing-fund-12329"),
        ("traffic_management", "", "public-security"),
        ("water_service", "320113002", "utility-water"),
        ("power_service", "", "utility-power"),
        ("gas_service", "", "utility-gas"),
        ("roads_bridges", "320102001", "urban-rural-construction"),
        ("roads_bridges", "320118002", "gaochun"),
        ("noise_pollution", "320104002", "qinhuai"),
    ];
    for (topic, region, owner) in cases {
        let route = table.route(&input(topic, region), &units);
        assert_eq!(lead_of(&route), owner, "{topic} at {region:?}: {route:?}");
    }
    let transit = table.route(&input("public_transit", ""), &units);
    assert_eq!(lead_of(&transit), "transport-12328");
    assert_eq!(transit.co_units, ["metro"]);
}

#[test]
fn property_management_goes_to_the_street_copied_to_the_district() {
    let (table, units) = load();
    let route = table.route(&input("property_management", "320102001"), &units);
    assert_eq!(route.lead.as_deref(), Some("xuanwu-01"));
    assert_eq!(route.co_units, ["housing"]);
    assert_eq!(route.copy_to, ["xuanwu"]);
}

#[test]
fn calls_on_12366_stay_unless_clearly_someone_elses() {
    let (table, units) = load();
    let unclear = RouteInput {
        line: "12366",
        topic_confident: false,
        ..input("general", "320102001")
    };
    let route = table.route(&unclear, &units);
    assert_eq!(route.lead.as_deref(), Some("tax-12366"));
    assert_eq!(
        route.basis,
        RouteBasis::LineKept {
            line: "12366".into()
        }
    );

    let wages = RouteInput {
        line: "12366",
        ..input("wage_arrears", "320102001")
    };
    assert_eq!(
        table.route(&wages, &units).lead.as_deref(),
        Some("hrss-12333")
    );
}

#[test]
fn fallbacks_when_the_owner_is_unknown() {
    let (table, units) = load();
    let unknown_topic = RouteInput {
        category: "other",
        topic: "unheard_of",
        topic_confident: false,
        region: "320116005",
        line: "12345",
    };
    let route = table.route(&unknown_topic, &units);
    assert_eq!(route.lead.as_deref(), Some("luhe"));
    assert_eq!(route.basis, RouteBasis::DistrictFallback);

    let nothing = RouteInput {
        region: "",
        ..unknown_topic
    };
    let route = table.route(&nothing, &units);
    assert_eq!(route.lead, None);
    assert_eq!(route.basis, RouteBasis::ManualQueue);
    assert!(!route.explanation.is_empty());
}

#[test]
fn the_legacy_lines_follow_their_merger_modes() {
    let (table, _) = load();
    let expected = [
        ("12366", "tax-12366", LineMode::SubCentre),
        ("12360", "customs-12360", LineMode::SubCentre),
        ("12367", "immigration-12367", LineMode::SubCentre),
        ("12378", "finance-12378", LineMode::SubCentre),
        ("12315", "market-12315", LineMode::Dual),
        ("12333", "hrss-12333", LineMode::Dual),
        ("12328", "transport-12328", LineMode::Dual),
        ("12320", "health-12320", LineMode::Dual),
        ("12329", "housing-fund-12329", LineMode::Dual),
        ("12349", "civil-affairs", LineMode::Merged),
        ("12336", "natural-resources", LineMode::Merged),
        ("12319", "urban-management", LineMode::Merged),
        ("12369", "ecology", LineMode::Merged),
        ("12312", "commerce", LineMode::Merged),
    ];
    for (number, owner, mode) in expected {
        let line = table.line(number).unwrap_or_else(|| panic!("{number}"));
        assert_eq!((line.owner.as_str(), line.mode), (owner, mode), "{number}");
    }
}
