//! The Grafana dashboard: well-formed, and every query valid PromQL (through promtool).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::tools::{PROMTOOL, output, path_str, read};

const DASHBOARD: &str = "deploy/grafana/dashboards/hotline.json";

pub fn dashboard() -> Json {
    serde_json::from_str(&read(DASHBOARD)).unwrap_or_else(|e| panic!("{DASHBOARD}: {e}"))
}

/// Every PromQL query of the dashboard: panel targets and the `unit` variable's query,
/// keyed by where it sits (for messages).
pub fn dashboard_queries(dashboard: &Json) -> Vec<(String, String)> {
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("every target has an expr");
            let place = format!("panel {} target {}", panel["title"], target["refId"]);
            queries.push((place, expr.to_string()));
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
    {
        if variable["type"] == "query" {
            let query = variable["query"]["query"]
                .as_str()
                .or(variable["query"].as_str())
                .expect("a query variable has a query");
            queries.push((format!("variable {}", variable["name"]), query.to_string()));
        }
    }
    queries
}

/// The query Prometheus receives once Grafana has filled in its variables.
fn with_variables_filled(expr: &str) -> String {
    let filled = expr
        .replace("$__rate_interval", "1m")
        .replace("$__range", "24h")
        .replace("$unit", ".*");
    assert!(
        !filled.contains('$'),
        "a dashboard query uses a variable this test does not fill: {expr}"
    );
    filled
}

/// Turns `label_values(selector, label)` into the selector, a PromQL expression.
fn variable_selector(query: &str) -> &str {
    let inner = query
        .strip_prefix("label_values(")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("the unit variable should use label_values(…): {query}"));
    inner
        .rsplit_once(',')
        .map_or(inner, |(selector, _label)| selector)
}

#[test]
fn dashboard_is_well_formed() {
    let dashboard = dashboard();
    assert_eq!(dashboard["uid"], "hotline");
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut ids = BTreeSet::new();
    for panel in panels {
        let id = panel["id"].as_u64().expect("every panel has a numeric id");
        assert!(ids.insert(id), "panel id {id} is used twice");
        let grid = &panel["gridPos"];
        let (x, w) = (grid["x"].as_u64().unwrap(), grid["w"].as_u64().unwrap());
        assert!(
            x + w <= 24,
            "panel {} is wider than the grid",
            panel["title"]
        );
        if panel["type"] != "row" {
            assert_eq!(
                panel["datasource"]["uid"], "${datasource}",
                "panel {} should use the datasource variable",
                panel["title"]
            );
        }
    }
    let variables = dashboard["templating"]["list"]
        .as_array()
        .expect("variables");
    let unit = variables
        .iter()
        .find(|v| v["name"] == "unit")
        .expect("a unit variable");
    assert!(unit["multi"].as_bool().unwrap() && unit["includeAll"].as_bool().unwrap());
    // Grafana shows `definition`, runs `query`: they must agree.
    assert_eq!(unit["definition"], unit["query"]["query"]);
    assert!(variables.iter().any(|v| v["type"] == "datasource"));
    let queries = dashboard_queries(&dashboard);
    for needle in [
        "histogram_quantile",
        "hotline_response_rate",
        "unit=~\"$unit\"",
    ] {
        assert!(
            queries.iter().any(|(_, q)| q.contains(needle)),
            "no dashboard query uses {needle}"
        );
    }
}

#[test]
fn dashboard_queries_are_valid_promql() {
    let dashboard = dashboard();
    let queries = dashboard_queries(&dashboard);
    assert!(queries.len() >= 20, "only {} queries found", queries.len());
    // promtool parses PromQL when it checks rules: each query becomes a recording rule.
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (n, (place, query)) in queries.iter().enumerate() {
        let expr = if place.starts_with("variable") {
            variable_selector(query).to_string()
        } else {
            with_variables_filled(query)
        };
        // A JSON string is a valid YAML scalar.
        rules.push_str(&format!(
            "      # {place}\n      - record: dashboard:query_{n}\n        expr: {}\n",
            serde_json::to_string(&expr).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dashboard-queries.yml");
    std::fs::write(&file, &rules).unwrap();
    let out = output(&PROMTOOL, &["check", "rules", path_str(&file)]);
    assert!(
        out.status.success(),
        "a dashboard query is not valid PromQL:\n{}{}\nqueries as checked:\n{rules}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
