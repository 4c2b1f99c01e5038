//! The result of a run: throughput, latency percentiles and errors, per kind of call too,
//! with the scenario's own figures. A table for people, one JSON line for scripts.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::latency::Summary;
use super::record::{CallSummary, Record};
use crate::cli::client::output;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    /// What `throughput` counts per second: "requests" (successful calls) or "tickets
    /// claimed" (pull).
    pub throughput_of: &'static str,
    pub throughput: f64,
    pub requests: u64,
    pub errors: u64,
    #[serde(flatten)]
    pub latency: Summary,
    pub concurrency: u32,
    pub duration_s: f64,
    pub target: String,
    pub calls: BTreeMap<String, CallSummary>,
    /// Error code → how many calls failed with it.
    pub error_codes: BTreeMap<String, u64>,
    /// The scenario's own figures (outcomes, tickets claimed, double claims…).
    #[serde(flatten)]
    pub extras: Map<String, Value>,
    /// The first message of each error code, for the table and stderr.
    #[serde(skip)]
    pub first_errors: BTreeMap<String, String>,
    /// Why the run must end in an error exit (double claims), after the report is printed.
    #[serde(skip)]
    pub failure: Option<String>,
}

fn per_second(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Rounded for reading; JSON keeps what a person would quote.
fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

impl Report {
    /// Requests per second from everything recorded; scenarios add to it.
    pub fn new(
        scenario: &'static str,
        concurrency: u32,
        target: &str,
        record: &Record,
        elapsed: Duration,
    ) -> Report {
        let (requests, errors) = record.totals();
        let latency = record.overall().summary();
        Report {
            scenario,
            throughput_of: "requests",
            throughput: round(per_second(requests - errors, elapsed), 1),
            requests,
            errors,
            latency,
            concurrency,
            duration_s: round(elapsed.as_secs_f64(), 3),
            target: target.to_string(),
            calls: record.by_call(),
            error_codes: record
                .errors
                .iter()
                .map(|(c, e)| (c.clone(), e.count))
                .collect(),
            extras: Map::new(),
            first_errors: record
                .errors
                .iter()
                .map(|(c, e)| (c.clone(), e.first_message.clone()))
                .collect(),
            failure: None,
        }
    }

    /// Throughput in something other than successful requests.
    pub fn throughput_in(&mut self, of: &'static str, count: u64, elapsed: Duration) {
        self.throughput_of = of;
        self.throughput = round(per_second(count, elapsed), 1);
    }

    pub fn extra(&mut self, key: &str, value: impl Into<Value>) {
        self.extras.insert(key.to_string(), value.into());
    }

    pub fn json_line(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string(self)?)
    }

    pub fn tables(&self) -> String {
        let ms = |x: f64| format!("{x:.3}");
        let mut rows = vec![
            ("scenario", self.scenario.to_string()),
            ("target", self.target.clone()),
            ("concurrency", self.concurrency.to_string()),
            ("duration", format!("{:.2} s", self.duration_s)),
            (
                "throughput",
                format!("{:.1} {}/s", self.throughput, self.throughput_of),
            ),
            ("requests", self.requests.to_string()),
            ("errors", self.errors.to_string()),
            (
                "p50 / p90 / p99",
                format!(
                    "{} / {} / {} ms",
                    ms(self.latency.p50_ms),
                    ms(self.latency.p90_ms),
                    ms(self.latency.p99_ms)
                ),
            ),
            (
                "max / mean",
                format!(
                    "{} / {} ms",
                    ms(self.latency.max_ms),
                    ms(self.latency.mean_ms)
                ),
            ),
        ];
        for (key, value) in &self.extras {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Object(map) => map
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            rows.push((key.as_str(), text));
        }
        let mut out = output::fields(rows).to_string();

        let mut calls = output::table(&[
            "call", "count", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms",
        ]);
        for (name, c) in &self.calls {
            calls.add_row(vec![
                name.clone(),
                c.count.to_string(),
                c.errors.to_string(),
                ms(c.latency.p50_ms),
                ms(c.latency.p90_ms),
                ms(c.latency.p99_ms),
                ms(c.latency.max_ms),
            ]);
        }
        out.push('\n');
        out.push_str(&calls.to_string());

        if !self.first_errors.is_empty() {
            let mut errors = output::table(&["error", "count", "first message"]);
            for (code, message) in &self.first_errors {
                errors.add_row(vec![
                    code.clone(),
                    self.error_codes
                        .get(code)
                        .copied()
                        .unwrap_or_default()
                        .to_string(),
                    message.clone(),
                ]);
            }
            out.push('\n');
            out.push_str(&errors.to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn record() -> Record {
        let mut record = Record::default();
        for _ in 0..9 {
            record.call("Echo", Instant::now(), Ok(tonic::Response::new(())));
        }
        let failed: Result<tonic::Response<()>, _> = Err(tonic::Status::aborted("stale"));
        record.call("Echo", Instant::now(), failed);
        record
    }

    #[test]
    fn the_json_line_has_the_fields_scripts_read() {
        let mut report = Report::new(
            "echo",
            4,
            "in-process daemon, sqlite",
            &record(),
            Duration::from_secs(2),
        );
        report.extra("payload_bytes", 512);
        let line = report.json_line().unwrap();
        assert!(!line.contains('\n'));
        let json: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(json["scenario"], "echo");
        assert_eq!(json["requests"], 10);
        assert_eq!(json["errors"], 1);
        assert_eq!(json["throughput"], 4.5);
        assert_eq!(json["concurrency"], 4);
        assert_eq!(json["duration_s"], 2.0);
        assert_eq!(json["payload_bytes"], 512);
        assert_eq!(json["error_codes"]["ABORTED"], 1);
        assert_eq!(json["calls"]["Echo"]["count"], 10);
        for key in ["p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"] {
            assert!(json[key].is_f64(), "{key}: {json}");
        }
    }

    #[test]
    fn the_table_names_the_errors_and_the_scenario_figures() {
        let mut report = Report::new(
            "pull",
            2,
            "http://127.0.0.1:50051",
            &record(),
            Duration::from_secs(1),
        );
        report.throughput_in("tickets claimed", 30, Duration::from_secs(1));
        report.extra("double_claims", 0);
        let text = report.tables();
        assert!(text.contains("30.0 tickets claimed/s"), "{text}");
        assert!(text.contains("double_claims"), "{text}");
        assert!(
            text.contains("ABORTED") && text.contains("Echo: stale"),
            "{text}"
        );
    }
}
