//! What one client saw during a run: latency and errors per kind of call, and the
//! scenario's own counts (tickets claimed, outcomes…). Each client keeps its own; the
//! runner adds them up at the end, so the hot path takes no lock.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::latency::{Latencies, Summary};
use crate::cli::client::connection::code_name;

#[derive(Debug, Clone, Default)]
pub struct CallStats {
    pub latencies: Latencies,
    pub errors: u64,
}

/// An error code seen, how often, and its first message (to tell the user what went wrong).
#[derive(Debug, Clone, Default)]
pub struct ErrorSeen {
    pub count: u64,
    pub first_message: String,
}

#[derive(Debug, Clone, Default)]
pub struct Record {
    pub calls: BTreeMap<&'static str, CallStats>,
    pub errors: BTreeMap<String, ErrorSeen>,
    pub counts: BTreeMap<String, u64>,
}

/// One kind of call in a report.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CallSummary {
    pub count: u64,
    pub errors: u64,
    #[serde(flatten)]
    pub latency: Summary,
}

impl Record {
    /// Times one call from `started`, and keeps its answer or its error.
    pub fn call<T>(
        &mut self,
        name: &'static str,
        started: Instant,
        answer: Result<tonic::Response<T>, tonic::Status>,
    ) -> Option<T> {
        let elapsed = started.elapsed();
        match answer {
            Ok(response) => {
                self.latency(name, elapsed);
                Some(response.into_inner())
            }
            Err(status) => {
                self.failed(name, elapsed, code_name(status.code()), status.message());
                None
            }
        }
    }

    fn latency(&mut self, name: &'static str, elapsed: Duration) -> &mut CallStats {
        let stats = self.calls.entry(name).or_default();
        stats.latencies.record(elapsed);
        stats
    }

    /// A call that came back, but wrong (or with an error status).
    pub fn failed(&mut self, name: &'static str, elapsed: Duration, code: &str, message: &str) {
        self.latency(name, elapsed).errors += 1;
        let seen = self.errors.entry(code.to_string()).or_default();
        if seen.count == 0 {
            seen.first_message = format!("{name}: {message}");
        }
        seen.count += 1;
    }

    pub fn count(&mut self, what: &str, n: u64) {
        *self.counts.entry(what.to_string()).or_default() += n;
    }

    pub fn counted(&self, what: &str) -> u64 {
        self.counts.get(what).copied().unwrap_or_default()
    }

    /// Calls made, and how many of them failed.
    pub fn totals(&self) -> (u64, u64) {
        self.calls.values().fold((0, 0), |(calls, errors), s| {
            (calls + s.latencies.count(), errors + s.errors)
        })
    }

    pub fn merge(&mut self, other: &Record) {
        for (name, stats) in &other.calls {
            let mine = self.calls.entry(name).or_default();
            mine.latencies.merge(&stats.latencies);
            mine.errors += stats.errors;
        }
        for (code, seen) in &other.errors {
            let mine = self.errors.entry(code.clone()).or_default();
            if mine.count == 0 {
                mine.first_message = seen.first_message.clone();
            }
            mine.count += seen.count;
        }
        for (what, n) in &other.counts {
            self.count(what, *n);
        }
    }

    /// Every call together.
    pub fn overall(&self) -> Latencies {
        let mut all = Latencies::default();
        for stats in self.calls.values() {
            all.merge(&stats.latencies);
        }
        all
    }

    pub fn by_call(&self) -> BTreeMap<String, CallSummary> {
        self.calls
            .iter()
            .map(|(name, s)| {
                (
                    name.to_string(),
                    CallSummary {
                        count: s.latencies.count(),
                        errors: s.errors,
                        latency: s.latencies.summary(),
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_errors_and_counts_add_up_across_clients() {
        let started = Instant::now();
        let mut a = Record::default();
        assert_eq!(
            a.call("Echo", started, Ok(tonic::Response::new(1))),
            Some(1)
        );
        let lost: Result<tonic::Response<()>, _> = Err(tonic::Status::unavailable("gone"));
        assert_eq!(a.call("Echo", started, lost), None);
        a.count("claimed", 3);

        let mut b = Record::default();
        b.call("Sign", started, Ok(tonic::Response::new(())));
        b.failed("Sign", Duration::from_millis(1), "MISMATCH", "changed");
        b.count("claimed", 2);

        a.merge(&b);
        assert_eq!(a.totals(), (4, 2));
        assert_eq!(a.counted("claimed"), 5);
        assert_eq!(a.errors["UNAVAILABLE"].count, 1);
        assert_eq!(a.errors["UNAVAILABLE"].first_message, "Echo: gone");
        assert_eq!(a.by_call()["Sign"].errors, 1);
        assert_eq!(a.overall().count(), 4);
    }
}
