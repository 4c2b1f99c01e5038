//! Prometheus: both configs and the rules pass `promtool check`, and the alerts pass their
//! unit tests (`promtool test rules`).

use serde::Deserialize;

use super::tools::{PROMTOOL, check};

pub const RULES: &str = "deploy/prometheus/rules/hotline.rules.yml";
pub const RULE_TESTS: &str = "deploy/prometheus/tests/hotline.test.yml";
pub const PROMETHEUS_CONFIGS: &[&str] = &[
    "deploy/prometheus/prometheus.yml",
    "deploy/prometheus/prometheus-kubernetes.yml",
];

#[derive(Deserialize)]
pub struct RuleFile {
    pub groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
pub struct RuleGroup {
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
pub struct Rule {
    pub record: Option<String>,
    pub expr: String,
}

#[derive(Deserialize)]
pub struct RuleTestFile {
    pub tests: Vec<RuleTest>,
}

#[derive(Deserialize)]
pub struct RuleTest {
    #[serde(default)]
    pub input_series: Vec<InputSeries>,
}

#[derive(Deserialize)]
pub struct InputSeries {
    pub series: String,
}

#[test]
fn configs_and_rules_pass_promtool() {
    for config in PROMETHEUS_CONFIGS {
        // Also checks the rule files the config loads.
        check(&PROMTOOL, &["check", "config", config]);
    }
    let out = check(&PROMTOOL, &["check", "rules", RULES]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SUCCESS"), "promtool said: {stdout}");
}

#[test]
fn alert_rules_pass_their_unit_tests() {
    let out = check(&PROMTOOL, &["test", "rules", RULE_TESTS]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("SUCCESS"), "promtool said: {stdout}");
}
