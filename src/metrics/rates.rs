//! The three rates of the current month per unit as gauges — `hotline_response_rate`,
//! `hotline_resolution_rate`, `hotline_satisfaction_rate` — with the targets of each
//! unit's class beside them (`hotline_*_rate_target`) for alert rules.
//!
//! They are recomputed from the store's aggregate (a cheap query), not from what this
//! process saw: so they are right after a restart, and every replica on one database
//! exports the same values. A rate without a denominator this month is NaN, which
//! compares false with every target, so it never fires an alert.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics::gauge;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::domain::Timestamp;
use crate::domain::rates::{self, RateCounts};
use crate::domain::rates_ledger::{local_day, next_month};
use crate::rules::RuleSet;
use crate::service::App;
use crate::store::{RateGrouping, RatePeriod, RateQuery, Store, StoreResult};

/// Gauge names: (rate, target).
pub const RESPONSE: (&str, &str) = ("hotline_response_rate", "hotline_response_rate_target");
pub const RESOLUTION: (&str, &str) = ("hotline_resolution_rate", "hotline_resolution_rate_target");
pub const SATISFACTION: (&str, &str) = (
    "hotline_satisfaction_rate",
    "hotline_satisfaction_rate_target",
);

/// Units given a value by an earlier refresh: set to NaN once they drop out (a new month).
static EXPORTED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The query of the month `now` falls in (local days), by unit.
pub fn current_month(now: Timestamp) -> RateQuery {
    use chrono::Datelike;
    let today = local_day(now);
    let first = today.with_day(1).expect("every month has a first day");
    RateQuery {
        from: first,
        to: next_month(first),
        group_by: RateGrouping::Unit,
        period: RatePeriod::Whole,
        unit: None,
        region: None,
        category: None,
    }
}

/// Sets the gauges from the store's counts for the month of `now`. Only units of the
/// catalogue get a label value.
pub async fn refresh(store: &dyn Store, rules: &RuleSet, now: Timestamp) -> StoreResult<()> {
    let rows = store.rate_counts(&current_month(now)).await?;
    let mut seen = BTreeSet::new();
    for row in rows {
        let Some(unit) = rules.units.get(&row.key) else {
            continue;
        };
        set(
            &unit.id,
            &row.counts,
            rules,
            Some(rules.assessment.targets.for_kind(unit.kind)),
        );
        seen.insert(unit.id.clone());
    }
    let mut exported = EXPORTED.lock().unwrap_or_else(|e| e.into_inner());
    for gone in exported.difference(&seen) {
        set(gone, &RateCounts::default(), rules, None);
    }
    exported.extend(seen);
    Ok(())
}

fn set(
    unit: &str,
    counts: &RateCounts,
    rules: &RuleSet,
    targets: Option<crate::domain::assessment::Targets>,
) {
    let r = rates::compute(counts, rules.assessment.weights);
    let label = unit.to_string();
    for ((name, target_name), rate, target) in [
        (RESPONSE, r.response, targets.map(|t| t.response)),
        (RESOLUTION, r.resolution, targets.map(|t| t.resolution)),
        (
            SATISFACTION,
            r.satisfaction,
            targets.map(|t| t.satisfaction),
        ),
    ] {
        gauge!(name, "unit" => label.clone()).set(rate.unwrap_or(f64::NAN));
        if let Some(target) = target {
            gauge!(target_name, "unit" => label.clone()).set(target);
        }
    }
}

/// Refreshes the gauges at once and then every `every`, until `stop`.
pub fn spawn(app: Arc<App>, every: Duration, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        // A zero period would spin (and tokio refuses it).
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(100)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let rules = app.rules.load();
            if let Err(e) = refresh(app.store.as_ref(), &rules, crate::service::now()).await {
                // The last values stay; the next tick tries again.
                tracing::warn!(error = %e, "rate gauges not refreshed");
            }
            let now = crate::service::now();
            if let Err(e) = super::calls::refresh(app.store.as_ref(), &rules, now).await {
                tracing::warn!(error = %e, "call-line gauges not refreshed");
            }
        }
    })
}
