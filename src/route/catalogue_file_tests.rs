use super::*;
use crate::route::fixtures::{ROUTING, units};

fn parse_text(text: &str) -> Result<Catalogue, ConfigError> {
    parse("routing.toml", text, &units())
}

/// The fixture with one more `[[rule]]` (or `[[line]]`) table at its end.
fn with(table: &str, body: &str) -> String {
    format!("{ROUTING}\n[[{table}]]\n{body}\n")
}

/// Asserts that `text` is refused at the last line containing `needle`, under `key`.
fn assert_refused(text: &str, needle: &str, key: &str, fragment: &str) {
    let e = parse_text(text).expect_err("should be refused");
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .last()
        .map(|(i, _)| i + 1);
    assert!(line.is_some(), "`{needle}` is not in the text");
    assert_eq!((e.line, e.key.as_str()), (line, key), "{e}");
    assert!(e.message.contains(fragment), "`{fragment}` not in: {e}");
    assert!(e.to_string().starts_with("routing.toml:"), "{e}");
}

#[test]
fn the_fixture_parses_into_lines_and_rules() {
    let catalogue = parse_text(ROUTING).unwrap();
    assert_eq!(catalogue.version, "t1");
    assert_eq!(catalogue.lines.len(), 3);
    assert_eq!(catalogue.lines[0].mode, LineMode::SubCentre);
    assert_eq!(catalogue.lines[2].mode, LineMode::Merged);
    let property = catalogue.rules.iter().find(|r| r.id == "property").unwrap();
    assert_eq!(property.lead, Assignee::Street);
    assert_eq!(property.co_units, ["housing"]);
    assert_eq!(property.priority, 100);
    let labour = catalogue.rules.iter().find(|r| r.id == "labour").unwrap();
    assert_eq!(
        labour.matter,
        Matter::Category("labour_social_security".into())
    );
}

#[test]
fn file_level_errors_are_located() {
    let e = parse_text(&ROUTING.replace("version = \"t1\"", "version = \" \"")).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (Some(1), "version"), "{e}");

    let e = parse_text(&ROUTING.replace("version = \"t1\"", "")).unwrap_err();
    assert_eq!(e.key, "toml");
    assert!(e.message.contains("version"), "{e}");

    let broken = ROUTING.replace("id = \"noise\"", "id = \"noise");
    assert_refused(&broken, "id = \"noise", "toml", "");

    let unknown_key = ROUTING.replace("note = \"buses and metro\"", "nte = \"buses\"");
    assert_refused(&unknown_key, "nte = ", "toml", "nte");

    let bad_mode = with(
        "line",
        "number = \"12399\"\nowner = \"housing\"\nmode = \"partial\"",
    );
    assert_refused(&bad_mode, "mode = \"partial\"", "toml", "partial");
}

#[test]
fn line_errors_name_line_and_key() {
    let cases = [
        (
            "number = \"12a45\"\nowner = \"housing\"\nmode = \"dual\"",
            "number = \"12a45\"",
            "line `12a45`.number",
            "not a 3-8 digit number",
        ),
        (
            "number = \"12345\"\nowner = \"housing\"\nmode = \"dual\"",
            "number = \"12345\"",
            "line `12345`.number",
            "centre's own number",
        ),
        (
            "number = \"12399\"\nowner = \"nobody\"\nmode = \"dual\"",
            "owner = \"nobody\"",
            "line `12399`.owner",
            "unknown unit `nobody`",
        ),
        (
            "number = \"12399\"\nowner = \"centre\"\nmode = \"dual\"",
            "owner = \"centre\"",
            "line `12399`.owner",
            "other than the centre",
        ),
        (
            "number = \"12399\"\nowner = \"market-12315\"\nmode = \"sub_centre\"",
            "owner = \"market-12315\"",
            "line `12399`.owner",
            "needs a sub-centre unit",
        ),
        (
            "number = \"12399\"\nowner = \"housing\"\nmode = \"dual\"\ntopics = [\"rent\"]",
            "topics = [\"rent\"]",
            "line `12399`.topics",
            "unknown topic `rent`",
        ),
        (
            "number = \"12399\"\nowner = \"housing\"\nmode = \"dual\"\ncategories = [\"homes\"]",
            "categories = [\"homes\"]",
            "line `12399`.categories",
            "unknown category `homes`",
        ),
        (
            "number = \"12366\"\nowner = \"tax-12366\"\nmode = \"sub_centre\"",
            "number = \"12366\"",
            "line `12366`.number",
            "duplicate line",
        ),
    ];
    for (body, needle, key, fragment) in cases {
        assert_refused(&with("line", body), needle, key, fragment);
    }
}

#[test]
fn rule_matter_errors_name_line_and_key() {
    let cases = [
        (
            "id = \"Bad Id\"\ntopic = \"invoices\"\nlead = \"tax-12366\"\nnote = \"n\"",
            "id = \"Bad Id\"",
            "rule `Bad Id`.id",
            "not a valid id",
        ),
        (
            "id = \"tax\"\ntopic = \"invoices\"\nlead = \"tax-12366\"\nnote = \"n\"",
            "id = \"tax\"",
            "rule `tax`.id",
            "duplicate rule id `tax`",
        ),
        (
            "id = \"x\"\ntopic = \"taxes\"\nlead = \"tax-12366\"\nnote = \"n\"",
            "topic = \"taxes\"",
            "rule `x`.topic",
            "unknown topic `taxes`",
        ),
        (
            "id = \"x\"\ncategory = \"finance\"\nlead = \"tax-12366\"\nnote = \"n\"",
            "category = \"finance\"",
            "rule `x`.category",
            "unknown category `finance`",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\ncategory = \"finance_tax\"\nlead = \"tax-12366\"\nnote = \"n\"",
            "category = \"finance_tax\"",
            "rule `x`.category",
            "not both",
        ),
        (
            "id = \"x\"\nlead = \"tax-12366\"\nnote = \"n\"",
            "[[rule]]",
            "rule `x`.topic",
            "needs a `topic` or a `category`",
        ),
        (
            "id = \"x\"\ntopic = \"general\"\nlead = \"housing\"\nnote = \"n\"",
            "topic = \"general\"",
            "rule `x`.topic",
            "owner is unclear",
        ),
        (
            "id = \"x\"\ncategory = \"other\"\nlead = \"housing\"\nnote = \"n\"",
            "category = \"other\"",
            "rule `x`.category",
            "owner is unclear",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"tax-12366\"\npriority = 1001\nnote = \"n\"",
            "priority = 1001",
            "rule `x`.priority",
            "outside 0..=1000",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"tax-12366\"\npriority = -1\nnote = \"n\"",
            "priority = -1",
            "rule `x`.priority",
            "outside 0..=1000",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"tax-12366\"",
            "[[rule]]",
            "rule `x`.note",
            "required",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"tax-12366\"\nnote = \"  \"",
            "note = \"  \"",
            "rule `x`.note",
            "required",
        ),
    ];
    for (body, needle, key, fragment) in cases {
        assert_refused(&with("rule", body), needle, key, fragment);
    }
}

#[test]
fn rule_unit_and_region_errors_name_line_and_key() {
    let cases = [
        (
            "id = \"x\"\ntopic = \"invoices\"\nnote = \"n\"",
            "[[rule]]",
            "rule `x`.lead",
            "required",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"nobody\"\nnote = \"n\"",
            "lead = \"nobody\"",
            "rule `x`.lead",
            "unknown unit `nobody`",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"centre\"\nnote = \"n\"",
            "lead = \"centre\"",
            "rule `x`.lead",
            "is the centre",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nregions = [\"320199\"]\nlead = \"tax-12366\"\nnote = \"n\"",
            "regions = [\"320199\"]",
            "rule `x`.regions",
            "not the code of a district or street",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nregions = [\"320100\"]\nlead = \"tax-12366\"\nnote = \"n\"",
            "regions = [\"320100\"]",
            "rule `x`.regions",
            "not the code of a district or street",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nregions = [\"320102\", \"320102\"]\nlead = \"tax-12366\"\nnote = \"n\"",
            "regions = [",
            "rule `x`.regions",
            "listed twice",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"xuanwu-01\"\nnote = \"n\"",
            "lead = \"xuanwu-01\"",
            "rule `x`.lead",
            "bind the rule with `regions`",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nregions = [\"320104001\"]\nlead = \"xuanwu\"\nnote = \"n\"",
            "lead = \"xuanwu\"",
            "rule `x`.lead",
            "does not govern region `320104001`",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nregions = [\"320102\"]\nlead = \"xuanwu-01\"\nnote = \"n\"",
            "lead = \"xuanwu-01\"",
            "rule `x`.lead",
            "does not govern region `320102`",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"tax-12366\"\nco_units = [\"street\"]\nnote = \"n\"",
            "co_units = ",
            "rule `x`.co_units",
            "only `lead` may be `street`",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"housing\"\nco_units = [\"housing\"]\nnote = \"n\"",
            "co_units = ",
            "rule `x`.co_units",
            "already the lead",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"housing\"\nco_units = [\"ecology\", \"ecology\"]\nnote = \"n\"",
            "co_units = ",
            "rule `x`.co_units",
            "listed twice",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"housing\"\nco_units = [\"nobody\"]\nnote = \"n\"",
            "co_units = ",
            "rule `x`.co_units",
            "unknown unit `nobody`",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nlead = \"housing\"\nco_units = [\"centre\"]\nnote = \"n\"",
            "co_units = ",
            "rule `x`.co_units",
            "is the centre",
        ),
        (
            "id = \"x\"\ntopic = \"invoices\"\nregions = [\"320102\"]\nlead = \"housing\"\nco_units = [\"qinhuai\"]\nnote = \"n\"",
            "co_units = ",
            "rule `x`.co_units",
            "does not govern region `320102`",
        ),
    ];
    for (body, needle, key, fragment) in cases {
        assert_refused(&with("rule", body), needle, key, fragment);
    }
}

#[test]
fn rules_that_would_tie_are_refused() {
    let tax_line = ROUTING.lines().position(|l| l == "id = \"tax\"").unwrap();
    let same_everywhere = with(
        "rule",
        "id = \"tax-again\"\ntopic = \"tax\"\nlead = \"hrss-12333\"\nnote = \"n\"",
    );
    assert_refused(
        &same_everywhere,
        "[[rule]]",
        "rule `tax-again`.priority",
        &format!("rule `tax` (line {tax_line})"),
    );

    let shared_region = with(
        "rule",
        "id = \"food-both\"\ntopic = \"food_safety\"\nregions = [\"320102\", \"320104\"]\nlead = \"housing\"\nnote = \"n\"",
    );
    assert_refused(
        &shared_region,
        "[[rule]]",
        "rule `food-both`.priority",
        "rule `food-qinhuai`",
    );
}

#[test]
fn boundaries_and_region_bound_territorial_units_are_accepted() {
    let text = format!(
        "{ROUTING}\n[[rule]]\nid = \"a\"\ntopic = \"tax\"\nlead = \"hrss-12333\"\npriority = 0\nnote = \"n\"\n\
         \n[[rule]]\nid = \"b\"\ntopic = \"tax\"\nlead = \"housing\"\npriority = 1000\nnote = \"n\"\n\
         \n[[rule]]\nid = \"c\"\ntopic = \"invoices\"\nregions = [\"320102001\", \"320102\"]\nlead = \"xuanwu\"\nco_units = [\"housing\"]\nnote = \"n\"\n"
    );
    let catalogue = parse_text(&text).unwrap();
    assert_eq!(catalogue.rules.len(), 15);
    let c = catalogue.rules.last().unwrap();
    assert_eq!(c.lead, Assignee::Unit("xuanwu".into()));
    assert_eq!(c.regions, ["320102001", "320102"]);
}
