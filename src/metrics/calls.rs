//! Call-line metrics: counters of the legs and callback attempts this process stored, and
//! per-line gauges over the last 24 hours recomputed from the store's hourly aggregates
//! (with the rate gauges, on the same tick), so every replica exports the same values.
//! Line labels are the known lines only (the units' own and `calls.toml`'s): bounded.
//!
//! Gauges: `hotline_call_connection_rate`, `hotline_call_answer_15s_rate`,
//! `hotline_call_wait_seconds_avg`, `hotline_call_wait_seconds_p90`, each with a
//! `…_target` beside it where `calls.toml` sets one, and `hotline_calls_missed_pending`
//! (the 漏接回拨 queue). A rate without calls is NaN and never fires an alert.

use chrono::Duration;
use metrics::{counter, describe_counter, describe_gauge, gauge};

use crate::domain::Timestamp;
use crate::domain::calls::{CallCounts, CallLeg};
use crate::domain::calls_file::CallbackChannel;
use crate::rules::RuleSet;
use crate::store::calls::{CallGrouping, CallStatsQuery};
use crate::store::{Store, StoreResult};

pub const CONNECTION_RATE: (&str, &str) = (
    "hotline_call_connection_rate",
    "hotline_call_connection_rate_target",
);
pub const ANSWER_15S_RATE: (&str, &str) = (
    "hotline_call_answer_15s_rate",
    "hotline_call_answer_15s_rate_target",
);
pub const WAIT_AVG: (&str, &str) = (
    "hotline_call_wait_seconds_avg",
    "hotline_call_wait_seconds_avg_target",
);
pub const WAIT_P90: &str = "hotline_call_wait_seconds_p90";
pub const MISSED_PENDING: &str = "hotline_calls_missed_pending";
pub const LEGS: &str = "hotline_call_legs_total";
pub const ABANDONED: &str = "hotline_calls_abandoned_total";
pub const TASKS_PULLED: &str = "hotline_callback_tasks_pulled_total";
pub const ATTEMPTS: &str = "hotline_callback_attempts_total";

/// The window of the gauges (GB/T 33358 assesses the 15-s answer rate over 24 hours).
pub const WINDOW: Duration = Duration::hours(24);

pub fn describe() {
    let window = "over the last 24 hours, per line, from the store; NaN without calls";
    describe_gauge!(
        CONNECTION_RATE.0,
        format!("Answered ÷ offered (short abandons left out), {window}.")
    );
    describe_gauge!(
        ANSWER_15S_RATE.0,
        format!("Answered within 15 s ÷ offered (short abandons left out), {window}.")
    );
    describe_gauge!(
        WAIT_AVG.0,
        format!("Average wait of answered calls in seconds, {window}.")
    );
    describe_gauge!(
        WAIT_P90,
        format!(
            "90th-percentile wait of answered calls in seconds (interpolated in a histogram), {window}."
        )
    );
    for target in [CONNECTION_RATE.1, ANSWER_15S_RATE.1, WAIT_AVG.1] {
        describe_gauge!(target, "The line's target (config/calls.toml).");
    }
    describe_gauge!(
        MISSED_PENDING,
        "Missed calls due for a callback and not yet called back (漏接回拨), per line."
    );
    describe_counter!(
        LEGS,
        "Call legs stored (retries not counted), by line and outcome (answered, abandoned, short_abandoned)."
    );
    describe_counter!(
        ABANDONED,
        "Abandoned calls stored (short abandons included), by line."
    );
    describe_counter!(
        TASKS_PULLED,
        "Callback tasks leased to channel adapters, by channel."
    );
    describe_counter!(
        ATTEMPTS,
        "Callback attempts reported, by channel and result (recorded, declined, retry, handed_over)."
    );
}

pub fn leg_stored(leg: &CallLeg, short_abandon: Duration) {
    let outcome = if leg.is_answered() {
        "answered"
    } else if leg.is_short_abandon(short_abandon) {
        "short_abandoned"
    } else {
        "abandoned"
    };
    counter!(LEGS, "line" => leg.line.clone(), "outcome" => outcome).increment(1);
    if !leg.is_answered() {
        counter!(ABANDONED, "line" => leg.line.clone()).increment(1);
    }
}

pub fn callback_tasks_pulled(channel: CallbackChannel, tasks: usize) {
    counter!(TASKS_PULLED, "channel" => channel.code()).increment(tasks as u64);
}

/// `result` is the proto name (CALLBACK_ATTEMPT_RESULT_…); the label is its last part.
pub fn callback_attempt(channel: CallbackChannel, result: &str) {
    let result = result
        .strip_prefix("CALLBACK_ATTEMPT_RESULT_")
        .unwrap_or(result)
        .to_ascii_lowercase();
    counter!(ATTEMPTS, "channel" => channel.code(), "result" => result).increment(1);
}

/// Sets every known line's gauges from the store's counts of the 24 hours before `now`.
pub async fn refresh(store: &dyn Store, rules: &RuleSet, now: Timestamp) -> StoreResult<()> {
    let rows = store
        .call_stats(&CallStatsQuery {
            line: None,
            from: now - WINDOW,
            to: now,
            group: CallGrouping::Whole,
        })
        .await?;
    let missed = store.missed_call_counts(now).await?;
    for line in rules.call_lines() {
        let counts = rows
            .iter()
            .find(|r| r.line == line)
            .map(|r| r.counts)
            .unwrap_or_else(CallCounts::default);
        let stats = counts.stats();
        let targets = rules.calls.targets(&line);
        let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
        for ((name, target_name), value, target) in [
            (
                CONNECTION_RATE,
                stats.connection_rate,
                targets.connection_rate,
            ),
            (
                ANSWER_15S_RATE,
                stats.answer_15s_rate,
                targets.answer_15s_rate,
            ),
            (WAIT_AVG, stats.wait_avg_seconds, targets.wait_seconds_avg),
        ] {
            gauge!(name, "line" => line.clone()).set(nan(value));
            if let Some(target) = target {
                gauge!(target_name, "line" => line.clone()).set(target);
            }
        }
        gauge!(WAIT_P90, "line" => line.clone()).set(nan(stats.wait_p90_seconds));
        let pending = missed
            .iter()
            .find(|(l, _)| *l == line)
            .map_or(0, |(_, n)| *n);
        gauge!(MISSED_PENDING, "line" => line.clone()).set(pending as f64);
    }
    Ok(())
}
