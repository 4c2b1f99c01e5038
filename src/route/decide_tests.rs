use super::*;
use crate::domain::taxonomy;
use crate::route::fixtures::{ROUTING, UNITS, units};

fn table() -> RoutingTable {
    RoutingTable::from_toml("routing.toml", ROUTING, &units()).unwrap()
}

/// A confident request on 12345 about `topic` (whose category the taxonomy gives) in `region`.
fn input<'a>(topic: &'a str, region: &'a str) -> RouteInput<'a> {
    RouteInput {
        category: taxonomy::topic(topic).map_or("other", |t| t.category),
        topic,
        topic_confident: true,
        region,
        line: "12345",
    }
}

fn route(input: &RouteInput) -> Route {
    table().route(input, &units())
}

fn explained(route: &Route, fragment: &str) -> bool {
    route.explanation.iter().any(|step| step.contains(fragment))
}

fn catalogue(rule: &str) -> RouteBasis {
    RouteBasis::Catalogue { rule: rule.into() }
}

#[test]
fn a_clear_owner_gets_the_matter() {
    let r = route(&input("tax", ""));
    assert_eq!(r.lead.as_deref(), Some("tax-12366"));
    assert_eq!(r.basis, catalogue("tax"));
    assert!(r.co_units.is_empty() && r.copy_to.is_empty());
    assert!(
        explained(&r, "rule `tax` matches topic `tax`: tax bureau"),
        "{r:?}"
    );
    assert_eq!(r.routing_version, table().version());
}

#[test]
fn a_topic_rule_beats_its_category_rule() {
    let r = route(&input("wage_arrears", ""));
    assert_eq!(r.basis, catalogue("wages"));
}

#[test]
fn an_unclear_topic_is_routed_on_its_category() {
    let unsure = RouteInput {
        topic_confident: false,
        ..input("pensions", "320102001")
    };
    let r = route(&unsure);
    assert_eq!(r.lead.as_deref(), Some("hrss-12333"));
    assert_eq!(r.basis, catalogue("labour"));
    assert!(explained(&r, "not a confident match"), "{r:?}");
    // A confident topic without a topic rule also falls to its category.
    assert_eq!(route(&input("pensions", "")).basis, catalogue("labour"));
}

#[test]
fn street_matters_go_to_the_street_and_are_copied_to_its_district() {
    let r = route(&input("property_management", "320102001"));
    assert_eq!(r.lead.as_deref(), Some("xuanwu-01"));
    assert_eq!(r.co_units, ["housing"]);
    assert_eq!(r.copy_to, ["xuanwu"]);
    assert_eq!(r.basis, catalogue("property"));
    assert!(explained(&r, "copied to its district xuanwu"), "{r:?}");
}

#[test]
fn street_matters_with_only_a_district_known_go_to_the_district() {
    let r = route(&input("property_management", "320102"));
    assert_eq!(r.lead.as_deref(), Some("xuanwu"));
    assert!(r.copy_to.is_empty());
    assert_eq!(r.basis, catalogue("property"));
    assert!(explained(&r, "only the district is known"), "{r:?}");
}

#[test]
fn district_matters_go_to_the_district_of_the_place() {
    let r = route(&input("noise_pollution", "320104001"));
    assert_eq!(r.lead.as_deref(), Some("qinhuai"));
    assert_eq!(r.co_units, ["ecology"]);
    assert!(r.copy_to.is_empty());
}

#[test]
fn territorial_matters_without_a_place_go_to_the_manual_queue() {
    for topic in ["property_management", "noise_pollution"] {
        let r = route(&input(topic, ""));
        assert_eq!(r.lead, None);
        assert!(r.co_units.is_empty());
        assert_eq!(r.basis, RouteBasis::ManualQueue);
        assert!(explained(&r, "but the place is unknown"), "{r:?}");
    }
}

#[test]
fn the_closest_region_wins_at_equal_priority() {
    let street = route(&input("air_pollution", "320102001"));
    assert_eq!(street.basis, catalogue("air-xuanwu-01"));
    assert_eq!(street.lead.as_deref(), Some("xuanwu-01"));
    assert_eq!(street.co_units, ["ecology"]);
    assert_eq!(street.copy_to, ["xuanwu"]);

    let other_street = route(&input("air_pollution", "320102002"));
    assert_eq!(other_street.basis, catalogue("air-xuanwu"));
    assert_eq!(other_street.lead.as_deref(), Some("xuanwu"));

    let elsewhere = route(&input("air_pollution", "320104001"));
    assert_eq!(elsewhere.basis, catalogue("air"));
    assert_eq!(route(&input("air_pollution", "")).basis, catalogue("air"));
}

#[test]
fn a_higher_priority_beats_a_closer_region() {
    let r = route(&input("food_safety", "320104001"));
    assert_eq!(r.basis, catalogue("food"));
    assert_eq!(r.lead.as_deref(), Some("market-12315"));
}

#[test]
fn a_sub_centre_line_keeps_a_matter_that_is_not_clearly_someone_elses() {
    let unclear = RouteInput {
        line: "12366",
        ..input("general", "320102001")
    };
    let r = route(&unclear);
    assert_eq!(r.lead.as_deref(), Some("tax-12366"));
    assert_eq!(
        r.basis,
        RouteBasis::LineKept {
            line: "12366".into()
        }
    );
    assert!(explained(&r, "tax-12366 keeps it"), "{r:?}");

    let unsure = RouteInput {
        line: "12366",
        topic_confident: false,
        ..input("wage_arrears", "")
    };
    assert_eq!(route(&unsure).lead.as_deref(), Some("tax-12366"));
}

#[test]
fn a_line_keeps_its_own_topics_even_when_the_catalogue_names_another_owner() {
    let own = RouteInput {
        line: "12366",
        ..input("social_insurance", "")
    };
    let r = route(&own);
    assert_eq!(r.lead.as_deref(), Some("tax-12366"));
    assert!(explained(&r, "one of the line's own matters"), "{r:?}");
    // The same matter on 12345 goes to the catalogue owner.
    assert_eq!(
        route(&input("social_insurance", "")).lead.as_deref(),
        Some("hrss-12333")
    );
}

#[test]
fn a_line_keeps_a_clear_matter_the_catalogue_has_no_owner_for() {
    let r = route(&RouteInput {
        line: "12366",
        ..input("funeral", "320102001")
    });
    assert_eq!(r.lead.as_deref(), Some("tax-12366"));
    assert!(explained(&r, "names no other owner"), "{r:?}");
}

#[test]
fn a_line_gives_up_a_matter_clearly_owned_by_another_unit() {
    let r = route(&RouteInput {
        line: "12366",
        ..input("wage_arrears", "")
    });
    assert_eq!(r.lead.as_deref(), Some("hrss-12333"));
    assert_eq!(r.basis, catalogue("wages"));
    assert!(explained(&r, "not kept by tax-12366"), "{r:?}");

    let territorial = route(&RouteInput {
        line: "12333",
        ..input("property_management", "320104001")
    });
    assert_eq!(territorial.lead.as_deref(), Some("qinhuai-01"));
    assert_eq!(territorial.copy_to, ["qinhuai"]);
}

#[test]
fn a_line_whose_unit_is_also_the_owner_reports_the_rule() {
    let r = route(&RouteInput {
        line: "12366",
        ..input("tax", "")
    });
    assert_eq!(r.lead.as_deref(), Some("tax-12366"));
    assert_eq!(r.basis, catalogue("tax"));
    assert!(explained(&r, "also the catalogue owner"), "{r:?}");
}

#[test]
fn merged_and_unknown_lines_are_plain_12345_tickets() {
    let merged = route(&RouteInput {
        line: "12349",
        ..input("general", "320102")
    });
    assert_eq!(merged.lead.as_deref(), Some("xuanwu"));
    assert_eq!(merged.basis, RouteBasis::DistrictFallback);
    assert!(explained(&merged, "merged whole into 12345"), "{merged:?}");

    let unknown = route(&RouteInput {
        line: "12399",
        ..input("tax", "")
    });
    assert_eq!(unknown.basis, catalogue("tax"));
    assert!(explained(&unknown, "not a legacy line"), "{unknown:?}");
}

#[test]
fn an_unclear_owner_falls_back_to_the_district() {
    let unknown_topic = RouteInput {
        category: "other",
        topic: "alien_landing",
        topic_confident: true,
        region: "320102001",
        line: "12345",
    };
    let r = route(&unknown_topic);
    assert_eq!(r.lead.as_deref(), Some("xuanwu"));
    assert_eq!(r.basis, RouteBasis::DistrictFallback);
    assert!(r.copy_to.is_empty() && r.co_units.is_empty());
    assert!(explained(&r, "not in the taxonomy"), "{r:?}");

    let general = route(&input("general", "320104"));
    assert_eq!(general.lead.as_deref(), Some("qinhuai"));
    assert_eq!(general.basis, RouteBasis::DistrictFallback);
}

#[test]
fn nothing_known_goes_to_the_manual_queue() {
    let r = route(&input("general", ""));
    assert_eq!(r.lead, None);
    assert_eq!(r.basis, RouteBasis::ManualQueue);
    assert!(explained(&r, "centre names lead and co-units"), "{r:?}");
}

#[test]
fn unusable_region_codes_are_explained_not_fatal() {
    let unknown = route(&input("general", "999999"));
    assert_eq!(unknown.basis, RouteBasis::ManualQueue);
    assert!(
        explained(&unknown, "not a known district or street"),
        "{unknown:?}"
    );

    let city = route(&input("property_management", "320100"));
    assert_eq!(city.basis, RouteBasis::ManualQueue);
    assert!(explained(&city, "the whole city"), "{city:?}");

    let garbage = route(&input("tax", "\u{0}x\"1"));
    assert_eq!(garbage.lead.as_deref(), Some("tax-12366"));
}

#[test]
fn units_missing_after_a_units_reload_are_left_out_with_a_reason() {
    let table = table();
    let fewer = UnitCatalog::from_toml(
        "units.toml",
        &UNITS
            .replace("id = \"metro\"", "id = \"metro-group\"")
            .replace("id = \"hrss-12333\"", "id = \"hrss\""),
    )
    .unwrap();
    let transit = table.route(&input("public_transit", ""), &fewer);
    assert_eq!(transit.lead.as_deref(), Some("transport-12328"));
    assert!(transit.co_units.is_empty());
    assert!(explained(
        &transit,
        "co-unit metro is not in the unit catalogue"
    ));

    let wages = table.route(&input("wage_arrears", "320102"), &fewer);
    assert_eq!(wages.lead.as_deref(), Some("xuanwu"));
    assert_eq!(wages.basis, RouteBasis::DistrictFallback);
    assert!(explained(&wages, "no longer has"), "{wages:?}");

    let on_line = table.route(
        &RouteInput {
            line: "12333",
            ..input("general", "")
        },
        &fewer,
    );
    assert_eq!(on_line.basis, RouteBasis::ManualQueue);
    assert!(
        explained(&on_line, "routed as a 12345 ticket"),
        "{on_line:?}"
    );
}

#[test]
fn routes_serialise_with_a_tagged_basis() {
    let r = route(&input("property_management", "320102001"));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["lead"], "xuanwu-01");
    assert_eq!(json["copy_to"], serde_json::json!(["xuanwu"]));
    assert_eq!(
        json["basis"],
        serde_json::json!({"kind": "catalogue", "rule": "property"})
    );
    let queued = serde_json::to_value(route(&input("general", ""))).unwrap();
    assert_eq!(queued["lead"], serde_json::Value::Null);
    assert_eq!(queued["basis"], serde_json::json!({"kind": "manual_queue"}));
}
