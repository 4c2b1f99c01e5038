//! Every series a rule, a rule test or a dashboard query names is one the daemon exports
//! or a rule records, so renaming a metric breaks this test rather than a dashboard.

use std::collections::BTreeSet;

use super::grafana::{dashboard, dashboard_queries};
use super::prometheus::{RULE_TESTS, RULES, RuleFile, RuleTestFile};
use super::tools::yaml;

/// Every metric the daemon records itself (src/metrics.rs), plus Prometheus's own `up`.
/// With the process metrics ([`PROCESS_METRICS`]), a rule, a rule test or a dashboard
/// query naming anything else fails `deploy_files_use_only_exported_metrics`, so a
/// renamed metric cannot go unnoticed.
const EXPORTED_METRICS: &[&str] = &[
    "hotline_tickets_created_total",
    "hotline_tickets_dispatched_total",
    "hotline_tickets_closed_total",
    "hotline_transitions_total",
    "hotline_callbacks_total",
    "hotline_grpc_requests_total",
    "hotline_grpc_request_duration_seconds_bucket",
    "hotline_grpc_request_duration_seconds_sum",
    "hotline_grpc_request_duration_seconds_count",
    "hotline_intake_batch_size_bucket",
    "hotline_intake_batch_size_sum",
    "hotline_intake_batch_size_count",
    "hotline_batch_write_seconds_bucket",
    "hotline_batch_write_seconds_sum",
    "hotline_batch_write_seconds_count",
    "hotline_batch_writers",
    "hotline_ticket_cache_lookups_total",
    "hotline_open_tickets",
    "hotline_overdue_tickets",
    "hotline_response_rate",
    "hotline_resolution_rate",
    "hotline_satisfaction_rate",
    "hotline_deadline_scanner_last_run_timestamp_seconds",
    "hotline_call_connection_rate",
    "hotline_call_connection_rate_target",
    "hotline_call_answer_15s_rate",
    "hotline_call_answer_15s_rate_target",
    "hotline_call_wait_seconds_avg",
    "hotline_call_wait_seconds_avg_target",
    "hotline_call_wait_seconds_p90",
    "hotline_calls_missed_pending",
    "hotline_call_legs_total",
    "hotline_calls_abandoned_total",
    "hotline_callback_tasks_pulled_total",
    "hotline_callback_attempts_total",
    "hotline_linkage_pending",
    "hotline_linkage_sent_total",
    "hotline_linkage_failures_total",
    "up",
];

/// The process metrics a crate records for the daemon; its unit test checks them against
/// a real scrape.
const PROCESS_METRICS: [&str; 7] = hotline::metrics::process::NAMES;

/// Names in a PromQL expression that can be series: identifiers outside string literals
/// that either contain a colon (recording rules) or start with `hotline_` or `process_`,
/// plus `up`.
fn series_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                while let Some(inner) = chars.next() {
                    if inner == '\\' && c != '`' {
                        chars.next();
                    } else if inner == c {
                        break;
                    }
                }
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == ':' => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_ascii_alphanumeric() || next == '_' || next == ':' {
                        word.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let is_number_or_duration = c.is_ascii_digit();
                if !is_number_or_duration
                    && (word.contains(':')
                        || word.starts_with("hotline_")
                        || word.starts_with("process_")
                        || word == "up")
                {
                    names.insert(word);
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn deploy_files_use_only_exported_metrics() {
    let rules: RuleFile = yaml(RULES);
    let recorded: BTreeSet<String> = rules
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter_map(|r| r.record.clone())
        .collect();
    let mut uses: Vec<(String, String)> = Vec::new();
    for rule in rules.groups.iter().flat_map(|g| &g.rules) {
        let place = rule.record.clone().unwrap_or_else(|| "an alert".into());
        uses.extend(
            series_names(&rule.expr)
                .into_iter()
                .map(|n| (place.clone(), n)),
        );
    }
    let tests: RuleTestFile = yaml(RULE_TESTS);
    for series in tests.tests.iter().flat_map(|t| &t.input_series) {
        let name = series.series.split('{').next().unwrap().trim().to_string();
        uses.push((format!("{RULE_TESTS} input"), name));
    }
    for (place, query) in dashboard_queries(&dashboard()) {
        uses.extend(series_names(&query).into_iter().map(|n| (place.clone(), n)));
    }
    let exported: BTreeSet<&str> = EXPORTED_METRICS
        .iter()
        .chain(&PROCESS_METRICS)
        .copied()
        .collect();
    let unknown: Vec<String> = uses
        .iter()
        .filter(|(_, name)| !exported.contains(name.as_str()) && !recorded.contains(name))
        .map(|(place, name)| format!("{name} (in {place})"))
        .collect();
    assert!(
        unknown.is_empty(),
        "names that are neither exported nor recorded: {unknown:#?}"
    );
    // The check above is only as good as the extraction: make sure it sees the metrics.
    let used: BTreeSet<&str> = uses.iter().map(|(_, n)| n.as_str()).collect();
    for name in [
        "hotline_overdue_tickets",
        "hotline_grpc_request_duration_seconds_bucket",
        "unit:hotline_overdue_tickets:max",
    ] {
        assert!(
            used.contains(name),
            "{name} was not found in any expression"
        );
    }
}

#[test]
fn series_names_skip_strings_numbers_and_functions() {
    let names = series_names(
        r#"histogram_quantile(0.99, sum by (le) (rate(hotline_x_bucket{job="hotline_y", a='b\'c'}[5m]))) / unit:hotline_z:max > 1e3 or up"#,
    );
    let expected: BTreeSet<String> = ["hotline_x_bucket", "unit:hotline_z:max", "up"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(names, expected);
}

/// The other half of the contract: every name above is one the daemon's source still
/// records, so a metric renamed in `src/` breaks this test too.
#[test]
fn exported_metrics_are_recorded_by_the_daemon() {
    let mut source = String::new();
    let mut dirs = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                source.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    for name in EXPORTED_METRICS.iter().filter(|n| **n != "up") {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(name);
        assert!(
            source.contains(&format!("\"{base}\"")),
            "`{base}` is in the deploy files' list but no longer recorded in src/"
        );
    }
}
