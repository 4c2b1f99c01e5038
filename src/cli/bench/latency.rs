//! Latencies of calls in an HDR histogram (microsecond resolution, three significant
//! digits), and their summary in milliseconds.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Longest latency recorded as itself: a minute; longer ones count as a minute.
const CEILING_MICROS: u64 = 60_000_000;

#[derive(Debug, Clone)]
pub struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        Latencies(
            Histogram::new_with_bounds(1, CEILING_MICROS, 3).expect("constant bounds are valid"),
        )
    }
}

/// The figures a report prints, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

fn millis(micros: u64) -> f64 {
    micros as f64 / 1_000.0
}

impl Latencies {
    pub fn record(&mut self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.0.saturating_record(micros.max(1));
    }

    pub fn merge(&mut self, other: &Latencies) {
        // Same bounds on both sides, so adding cannot fail.
        self.0
            .add(&other.0)
            .expect("histograms with the same bounds add up");
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// Milliseconds to the microsecond, the histogram's resolution.
    pub fn summary(&self) -> Summary {
        if self.0.is_empty() {
            return Summary::default();
        }
        let at = |q: f64| millis(self.0.value_at_quantile(q));
        Summary {
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: millis(self.0.max()),
            mean_ms: (self.0.mean()).round() / 1_000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn quantiles_of_a_known_spread() {
        let mut latencies = Latencies::default();
        for n in 1..=100 {
            latencies.record(ms(n));
        }
        let s = latencies.summary();
        // Three significant digits: within 0.1% of the exact value.
        let near = |got: f64, want: f64| (got - want).abs() <= want * 0.001 + 0.001;
        assert!(near(s.p50_ms, 50.0), "{s:?}");
        assert!(near(s.p90_ms, 90.0), "{s:?}");
        assert!(near(s.p99_ms, 99.0), "{s:?}");
        assert!(near(s.max_ms, 100.0), "{s:?}");
        assert!(near(s.mean_ms, 50.5), "{s:?}");
        assert!(s.p50_ms <= s.p90_ms && s.p90_ms <= s.p99_ms && s.p99_ms <= s.max_ms);
    }

    #[test]
    fn merged_histograms_count_both_sides() {
        let (mut a, mut b) = (Latencies::default(), Latencies::default());
        for _ in 0..90 {
            a.record(ms(1));
        }
        for _ in 0..10 {
            b.record(ms(200));
        }
        a.merge(&b);
        assert_eq!(a.count(), 100);
        let s = a.summary();
        assert!(s.p50_ms < 1.01, "{s:?}");
        assert!(s.p99_ms > 199.0, "{s:?}");
    }

    #[test]
    fn nothing_recorded_is_all_zero_and_outliers_are_capped() {
        assert_eq!(Latencies::default().summary(), Summary::default());
        let mut latencies = Latencies::default();
        latencies.record(Duration::from_secs(3_600));
        latencies.record(Duration::ZERO);
        assert_eq!(latencies.count(), 2);
        assert!(latencies.summary().max_ms <= 60_100.0);
    }
}
