//! Call-line statistics (话务指标) from the call legs agent consoles report: per line,
//! the connection rate (接通率), the 15-second answer rate (GB/T 33358: answered within
//! 15 s, at least 95 % over 24 h), average and 90th-percentile wait, and abandoned calls.
//!
//! Rules, as computed here and documented in the README:
//! - a leg is *offered* when it reaches the queue; it ends *answered* or *abandoned*,
//!   never both;
//! - an abandon within `short_abandon_seconds` of the offer is a *short abandon* (a
//!   misdial, a caller hanging up during the greeting): it counts as abandoned but is left
//!   out of the denominators of both rates;
//! - connection rate = answered ÷ (offered − short abandons);
//!   15-s answer rate = answered within 15 s ÷ (offered − short abandons);
//! - wait is the time from offer to answer, over answered legs only; the p90 is read from
//!   a fixed histogram ([`WAIT_BOUNDS_SECONDS`]) by linear interpolation inside the bucket,
//!   like Prometheus's `histogram_quantile`, so stats are sums of stored buckets and never
//!   a scan of the legs.

use chrono::Duration;

use super::error::DomainError;
use super::ticket::{TicketId, Timestamp};

/// GB/T 33358's answer threshold.
pub const ANSWER_WITHIN_SECONDS: i64 = 15;

/// Upper bounds (inclusive, seconds) of the wait histogram's buckets; one more bucket
/// holds longer waits. Fine where targets sit (15 s, 34 s), coarse beyond.
pub const WAIT_BOUNDS_SECONDS: [i64; 20] = [
    5, 10, 15, 20, 25, 30, 34, 40, 45, 50, 60, 75, 90, 120, 180, 240, 300, 600, 1200, 3600,
];

/// Buckets in a histogram: the bounded ones and the overflow.
pub const WAIT_BUCKETS: usize = WAIT_BOUNDS_SECONDS.len() + 1;

/// The longest plausible wait or ring before abandoning.
pub const MAX_WAIT: Duration = Duration::hours(6);
/// How far back a console may report a leg (a console offline over a long weekend).
pub const MAX_AGE: Duration = Duration::days(31);
/// Clock skew tolerated between a console and the daemon.
pub const MAX_SKEW: Duration = Duration::minutes(5);

const MAX_LEG_ID_CHARS: usize = 64;
const MAX_AGENT_CHARS: usize = 64;

/// How a leg ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegEnd {
    Answered(Timestamp),
    Abandoned(Timestamp),
}

/// One call leg as a console reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLeg {
    /// The console's id of the leg: a retry with the same id is not counted twice.
    pub leg_id: String,
    /// The number dialled: 12345, or a merged line kept as a number (12328, 12366…).
    pub line: String,
    /// The caller's number, when the switch passed it on (personal data: never logged).
    pub caller: Option<String>,
    /// The agent who answered, if any.
    pub agent: Option<String>,
    /// The ticket the call produced, if any.
    pub ticket_id: Option<TicketId>,
    pub offered_at: Timestamp,
    pub end: LegEnd,
}

impl CallLeg {
    pub fn is_answered(&self) -> bool {
        matches!(self.end, LegEnd::Answered(_))
    }

    pub fn ended_at(&self) -> Timestamp {
        match self.end {
            LegEnd::Answered(at) | LegEnd::Abandoned(at) => at,
        }
    }

    /// Time from the offer to the answer or the abandon.
    pub fn wait(&self) -> Duration {
        self.ended_at() - self.offered_at
    }

    pub fn is_short_abandon(&self, short_abandon: Duration) -> bool {
        !self.is_answered() && self.wait() < short_abandon
    }

    /// Checks a leg against the known lines and the daemon's clock; errors name the
    /// field, prefixed with `field` (e.g. `legs[3]`).
    pub fn validate(
        &self,
        field: &str,
        known_line: impl Fn(&str) -> bool,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        let bad =
            |name: &str, message: String| DomainError::invalid(format!("{field}.{name}"), message);
        let id_ok = !self.leg_id.is_empty()
            && self.leg_id.chars().count() <= MAX_LEG_ID_CHARS
            && self
                .leg_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
        if !id_ok {
            return Err(bad(
                "leg_id",
                format!("must be 1-{MAX_LEG_ID_CHARS} characters of letters, digits and - _ . :"),
            ));
        }
        if !known_line(&self.line) {
            return Err(bad(
                "line",
                format!(
                    "`{}` is not a line of the unit catalogue or config/calls.toml",
                    self.line
                ),
            ));
        }
        if let Some(caller) = &self.caller
            && !(3..=20).contains(&caller.len())
        {
            return Err(bad(
                "caller",
                "must be 3-20 digits (or empty when withheld)".into(),
            ));
        }
        if let Some(caller) = &self.caller
            && !caller
                .bytes()
                .enumerate()
                .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'+'))
        {
            return Err(bad(
                "caller",
                "must be 3-20 digits (or empty when withheld)".into(),
            ));
        }
        if let Some(agent) = &self.agent
            && (agent.trim().is_empty() || agent.chars().count() > MAX_AGENT_CHARS)
        {
            return Err(bad(
                "agent",
                format!("must be 1-{MAX_AGENT_CHARS} characters"),
            ));
        }
        if self.is_answered() && self.agent.is_none() {
            return Err(bad("agent", "is required for an answered leg".into()));
        }
        if self.ticket_id.is_some_and(|id| id <= 0) {
            return Err(bad("ticket_id", "must be a ticket id".into()));
        }
        if self.offered_at < now - MAX_AGE {
            return Err(bad(
                "offered_at",
                format!("is more than {} days ago", MAX_AGE.num_days()),
            ));
        }
        let end_name = if self.is_answered() {
            "answered_at"
        } else {
            "abandoned_at"
        };
        if self.ended_at() > now + MAX_SKEW {
            return Err(bad(end_name, "is in the future".into()));
        }
        if self.ended_at() < self.offered_at {
            return Err(bad(end_name, "is before offered_at".into()));
        }
        if self.wait() > MAX_WAIT {
            return Err(bad(
                end_name,
                format!(
                    "is more than {} hours after offered_at",
                    MAX_WAIT.num_hours()
                ),
            ));
        }
        Ok(())
    }
}

/// The bucket of a wait.
pub fn wait_bucket(wait: Duration) -> usize {
    let ms = wait.num_milliseconds();
    WAIT_BOUNDS_SECONDS
        .iter()
        .position(|&bound| ms <= bound * 1000)
        .unwrap_or(WAIT_BOUNDS_SECONDS.len())
}

/// What one leg adds to its line's hour: the unit of incremental aggregation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub offered: u64,
    pub answered: u64,
    pub answered_in_15s: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    /// Sum of the waits of answered legs.
    pub wait_ms: u64,
    /// Answered legs per wait bucket.
    pub wait_buckets: [u64; WAIT_BUCKETS],
}

impl CallCounts {
    pub fn of_leg(leg: &CallLeg, short_abandon: Duration) -> Self {
        let mut c = CallCounts {
            offered: 1,
            ..Default::default()
        };
        let wait = leg.wait();
        if leg.is_answered() {
            c.answered = 1;
            c.answered_in_15s = u64::from(wait <= Duration::seconds(ANSWER_WITHIN_SECONDS));
            c.wait_ms = wait.num_milliseconds().max(0) as u64;
            c.wait_buckets[wait_bucket(wait)] = 1;
        } else {
            c.abandoned = 1;
            c.short_abandoned = u64::from(leg.is_short_abandon(short_abandon));
        }
        c
    }

    pub fn add(&mut self, other: &CallCounts) {
        self.offered += other.offered;
        self.answered += other.answered;
        self.answered_in_15s += other.answered_in_15s;
        self.abandoned += other.abandoned;
        self.short_abandoned += other.short_abandoned;
        self.wait_ms += other.wait_ms;
        for (mine, theirs) in self.wait_buckets.iter_mut().zip(other.wait_buckets) {
            *mine += theirs;
        }
    }

    /// Offered legs that count in the rates' denominators.
    pub fn counted(&self) -> u64 {
        self.offered.saturating_sub(self.short_abandoned)
    }

    pub fn stats(&self) -> CallStats {
        let ratio = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
        CallStats {
            connection_rate: ratio(self.answered, self.counted()),
            answer_15s_rate: ratio(self.answered_in_15s, self.counted()),
            wait_avg_seconds: ratio(self.wait_ms, self.answered).map(|ms| ms / 1000.0),
            wait_p90_seconds: quantile(&self.wait_buckets, 0.9),
        }
    }
}

/// The rates of a set of counts; `None` without a denominator.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallStats {
    pub connection_rate: Option<f64>,
    pub answer_15s_rate: Option<f64>,
    pub wait_avg_seconds: Option<f64>,
    pub wait_p90_seconds: Option<f64>,
}

/// The `q` quantile of a wait histogram in seconds, interpolated linearly inside its
/// bucket; a quantile in the overflow bucket is its lower bound (the histogram knows no
/// more). `None` for an empty histogram.
pub fn quantile(buckets: &[u64; WAIT_BUCKETS], q: f64) -> Option<f64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut below = 0u64;
    for (i, &count) in buckets.iter().enumerate() {
        if count > 0 && (below + count) as f64 >= rank {
            let lower = if i == 0 {
                0
            } else {
                WAIT_BOUNDS_SECONDS[i - 1]
            } as f64;
            let Some(&upper) = WAIT_BOUNDS_SECONDS.get(i) else {
                return Some(lower);
            };
            let within = (rank - below as f64) / count as f64;
            return Some(lower + (upper as f64 - lower) * within.clamp(0.0, 1.0));
        }
        below += count;
    }
    Some(*WAIT_BOUNDS_SECONDS.last().expect("bounds are not empty") as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn t(seconds: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::seconds(seconds)
    }

    fn leg(wait: i64, answered: bool) -> CallLeg {
        CallLeg {
            leg_id: format!("leg-{wait}-{answered}"),
            line: "12328".into(),
            caller: Some("13800138000".into()),
            agent: answered.then(|| "agent-1".to_string()),
            ticket_id: None,
            offered_at: t(0),
            end: if answered {
                LegEnd::Answered(t(wait))
            } else {
                LegEnd::Abandoned(t(wait))
            },
        }
    }

    fn known(line: &str) -> bool {
        ["12345", "12328"].contains(&line)
    }

    fn field_of(result: Result<(), DomainError>) -> String {
        match result {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_plausible_leg_is_accepted() {
        assert_eq!(leg(12, true).validate("legs[0]", known, t(60)), Ok(()));
        assert_eq!(leg(40, false).validate("legs[0]", known, t(60)), Ok(()));
    }

    #[test]
    fn bad_legs_name_the_field() {
        let now = t(60);
        let mut l = leg(12, true);
        l.line = "12399".into();
        assert_eq!(field_of(l.validate("legs[2]", known, now)), "legs[2].line");
        let mut l = leg(12, true);
        l.leg_id = String::new();
        assert_eq!(
            field_of(l.validate("legs[0]", known, now)),
            "legs[0].leg_id"
        );
        let mut l = leg(12, true);
        l.leg_id = "a b".into();
        assert_eq!(
            field_of(l.validate("legs[0]", known, now)),
            "legs[0].leg_id"
        );
        let mut l = leg(12, true);
        l.end = LegEnd::Answered(t(-1));
        assert_eq!(
            field_of(l.validate("legs[0]", known, now)),
            "legs[0].answered_at"
        );
        let l = leg(12, false);
        assert_eq!(
            field_of(l.validate("legs[0]", known, t(-600))),
            "legs[0].abandoned_at"
        );
        let mut l = leg(12, true);
        l.agent = None;
        assert_eq!(field_of(l.validate("legs[0]", known, now)), "legs[0].agent");
        let mut l = leg(12, true);
        l.caller = Some("138-0013".into());
        assert_eq!(
            field_of(l.validate("legs[0]", known, now)),
            "legs[0].caller"
        );
        let l = leg(7 * 3600, true);
        assert_eq!(
            field_of(l.validate("legs[0]", known, t(8 * 3600))),
            "legs[0].answered_at"
        );
        let l = leg(10, true);
        assert_eq!(
            field_of(l.validate("legs[0]", known, t(0) + Duration::days(40))),
            "legs[0].offered_at"
        );
        let mut l = leg(10, true);
        l.ticket_id = Some(0);
        assert_eq!(
            field_of(l.validate("legs[0]", known, now)),
            "legs[0].ticket_id"
        );
    }

    #[test]
    fn buckets_are_inclusive_of_their_bound() {
        assert_eq!(wait_bucket(Duration::seconds(0)), 0);
        assert_eq!(wait_bucket(Duration::seconds(5)), 0);
        assert_eq!(wait_bucket(Duration::milliseconds(5001)), 1);
        assert_eq!(wait_bucket(Duration::seconds(15)), 2);
        assert_eq!(wait_bucket(Duration::seconds(34)), 6);
        assert_eq!(wait_bucket(Duration::hours(2)), WAIT_BUCKETS - 1);
    }

    #[test]
    fn hand_computed_stats() {
        // Answered after 4, 12, 15 and 30 s; abandoned after 3 s (short) and 50 s.
        let short = Duration::seconds(5);
        let mut c = CallCounts::default();
        for l in [
            leg(4, true),
            leg(12, true),
            leg(15, true),
            leg(30, true),
            leg(3, false),
            leg(50, false),
        ] {
            c.add(&CallCounts::of_leg(&l, short));
        }
        assert_eq!((c.offered, c.answered, c.answered_in_15s), (6, 4, 3));
        assert_eq!((c.abandoned, c.short_abandoned, c.counted()), (2, 1, 5));
        let s = c.stats();
        assert_eq!(s.connection_rate, Some(4.0 / 5.0));
        assert_eq!(s.answer_15s_rate, Some(3.0 / 5.0));
        assert_eq!(s.wait_avg_seconds, Some(61.0 / 4.0));
        // Rank 3.6 of 4 falls in (25, 30], which holds one wait: 25 + 5 × 0.6.
        assert!((s.wait_p90_seconds.unwrap() - 28.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn no_calls_give_no_rates() {
        assert_eq!(CallCounts::default().stats(), CallStats::default());
        // Only short abandons: nothing counted, so no rate either.
        let c = CallCounts::of_leg(&leg(2, false), Duration::seconds(5));
        assert_eq!(c.stats().connection_rate, None);
    }

    #[test]
    fn quantile_interpolates_and_stops_at_the_overflow() {
        let mut b = [0u64; WAIT_BUCKETS];
        b[0] = 10; // ten waits in [0, 5]
        assert_eq!(quantile(&b, 0.9), Some(4.5));
        assert_eq!(quantile(&b, 0.5), Some(2.5));
        let mut b = [0u64; WAIT_BUCKETS];
        b[WAIT_BUCKETS - 1] = 1;
        assert_eq!(quantile(&b, 0.9), Some(3600.0));
    }
}
