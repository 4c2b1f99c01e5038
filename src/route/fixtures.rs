//! Small unit and routing catalogues shared by the unit tests of this module.

use crate::domain::UnitCatalog;

pub const UNITS: &str = r#"
[city]
name = "Test City"
region = "320100"

[[unit]]
id = "centre"
name = "12345 centre"
kind = "centre"
hotline = "12345"

[[unit]]
id = "tax-12366"
name = "Tax sub-centre"
kind = "sub_centre"
hotline = "12366"

[[unit]]
id = "hrss-12333"
name = "Human resources and social security"
kind = "department"
hotline = "12333"

[[unit]]
id = "market-12315"
name = "Market regulation"
kind = "department"
hotline = "12315"

[[unit]]
id = "transport-12328"
name = "Transport"
kind = "department"
hotline = "12328"

[[unit]]
id = "housing"
name = "Housing"
kind = "department"

[[unit]]
id = "ecology"
name = "Ecology and environment"
kind = "department"

[[unit]]
id = "metro"
name = "Metro company"
kind = "enterprise"

[[unit]]
id = "xuanwu"
name = "Xuanwu district"
kind = "district"
region = "320102"

[[unit]]
id = "xuanwu-01"
name = "Xuanwu street 1"
kind = "street"
parent = "xuanwu"
region = "320102001"

[[unit]]
id = "xuanwu-02"
name = "Xuanwu street 2"
kind = "street"
parent = "xuanwu"
region = "320102002"

[[unit]]
id = "qinhuai"
name = "Qinhuai district"
kind = "district"
region = "320104"

[[unit]]
id = "qinhuai-01"
name = "Qinhuai street 1"
kind = "street"
parent = "qinhuai"
region = "320104001"
"#;

/// A catalogue exercising every kind of rule: topic and category keys, territorial leads,
/// region-bound rules at district and street level, and a priority override.
pub const ROUTING: &str = r#"version = "t1"

[[line]]
number = "12366"
owner = "tax-12366"
mode = "sub_centre"
topics = ["tax", "social_insurance"]

[[line]]
number = "12333"
owner = "hrss-12333"
mode = "dual"
topics = ["wage_arrears"]

[[line]]
number = "12349"
owner = "housing"
mode = "merged"

[[rule]]
id = "tax"
topic = "tax"
lead = "tax-12366"
note = "tax bureau"

[[rule]]
id = "wages"
topic = "wage_arrears"
lead = "hrss-12333"
note = "labour inspection"

[[rule]]
id = "social-insurance"
topic = "social_insurance"
lead = "hrss-12333"
note = "social insurance agency"

[[rule]]
id = "labour"
category = "labour_social_security"
lead = "hrss-12333"
note = "most labour matters"

[[rule]]
id = "property"
topic = "property_management"
lead = "street"
co_units = ["housing"]
note = "territorial"

[[rule]]
id = "noise"
topic = "noise_pollution"
lead = "district"
co_units = ["ecology"]
note = "the district sorts noise sources"

[[rule]]
id = "transit"
topic = "public_transit"
lead = "transport-12328"
co_units = ["metro"]
note = "buses and metro"

[[rule]]
id = "air"
topic = "air_pollution"
lead = "ecology"
note = "city-wide"

[[rule]]
id = "air-xuanwu"
topic = "air_pollution"
regions = ["320102"]
lead = "xuanwu"
note = "district pilot"

[[rule]]
id = "air-xuanwu-01"
topic = "air_pollution"
regions = ["320102001"]
lead = "xuanwu-01"
co_units = ["ecology"]
note = "street pilot"

[[rule]]
id = "food-qinhuai"
topic = "food_safety"
regions = ["320104"]
lead = "qinhuai"
note = "district duty"

[[rule]]
id = "food"
topic = "food_safety"
lead = "market-12315"
priority = 200
note = "campaign: market regulation everywhere"
"#;

pub fn units() -> UnitCatalog {
    UnitCatalog::from_toml("units.toml", UNITS).expect("fixture units parse")
}
