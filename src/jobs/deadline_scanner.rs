//! The deadline scanner: every interval it records the yellow, red and overdue warnings
//! tickets have reached, and sets the per-unit gauges.
//!
//! Deadlines are computed, not polled per row: each ticket row carries a cursor,
//! `next_alert_at` (the next instant a warning falls), and a pass reads only the rows whose
//! cursor has fallen, through an index. For each it records the warnings reached (each
//! once: the alerts table has a unique key) and moves the cursor to the next warning
//! instant, or clears it, without changing the ticket's version, so the units' commands
//! that carry `expected_version` never fail because of a scan.
//!
//! With PostgreSQL only the replica holding the scanner's advisory lock scans; if it dies
//! its database session ends, the lock is released, and another replica's next pass takes
//! over. Should two ever overlap (a replica that has not yet noticed it lost its session),
//! the unique key keeps every warning single.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::domain::warning;
use crate::domain::{Timestamp, UnitCatalog, UnitKind};
use crate::service::App;
use crate::store::{JobLock, StoreResult, UnitDeadlineCounts};

/// How often the daemon scans by default.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// Tickets read per query, and queries per pass at most (a backlog is worked off over
/// several passes rather than in one long one).
const BATCH: u32 = 500;
const MAX_BATCHES: usize = 100;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// False when another replica holds the scanner lock: nothing was done.
    pub scanned: bool,
    /// Tickets whose cursor had fallen.
    pub checked: usize,
    /// Warnings recorded for the first time.
    pub alerts: usize,
}

pub struct DeadlineScanner {
    app: Arc<App>,
    lock: Option<Box<dyn JobLock>>,
    /// Units whose gauges were set, to zero those that leave the catalogue.
    published: BTreeSet<String>,
}

impl DeadlineScanner {
    pub fn new(app: Arc<App>) -> Self {
        DeadlineScanner {
            app,
            lock: None,
            published: BTreeSet::new(),
        }
    }

    /// Whether this scanner holds the lock now: keeps a live one, else tries to take it.
    async fn hold_lock(&mut self) -> StoreResult<bool> {
        if let Some(lock) = &mut self.lock {
            if lock.is_held().await {
                return Ok(true);
            }
            tracing::warn!("lost the deadline scanner lock: the database session ended");
            if let Some(lost) = self.lock.take() {
                lost.release().await;
            }
        }
        self.lock = self.app.store.try_lock_scanner().await?;
        if self.lock.is_some() {
            tracing::info!("this replica now runs the deadline scanner");
        }
        Ok(self.lock.is_some())
    }

    /// One pass at `now`.
    pub async fn run_once(&mut self, now: Timestamp) -> StoreResult<ScanReport> {
        if !self.hold_lock().await? {
            return Ok(ScanReport::default());
        }
        let rules = self.app.rules.load_full();
        let thresholds = rules.policy.deadlines.thresholds();
        let store = &self.app.store;
        let mut report = ScanReport {
            scanned: true,
            ..ScanReport::default()
        };
        for _ in 0..MAX_BATCHES {
            let batch = store.tickets_to_check(now, BATCH).await?;
            for ticket in &batch {
                let reached = warning::alerts_reached(ticket, thresholds, now);
                let next = warning::next_alert_after(ticket, thresholds, now);
                // `None`: the ticket changed since it was read; the next batch sees it anew.
                let recorded = store.record_alerts(ticket, &reached, next, now).await?;
                for alert in recorded.unwrap_or_default() {
                    tracing::info!(
                        ticket = ticket.id,
                        unit = ticket.assigned_unit.as_deref().unwrap_or_default(),
                        deadline = %alert.deadline,
                        level = %alert.level,
                        due_at = %alert.due_at,
                        "deadline warning"
                    );
                    crate::metrics_deadlines::alert_recorded(alert.level);
                    report.alerts += 1;
                }
            }
            report.checked += batch.len();
            if batch.len() < BATCH as usize {
                break;
            }
        }
        let counts = store.unit_deadline_counts(None, now).await?;
        self.publish(&rules.units, &counts);
        crate::metrics_deadlines::scanner_ran(now);
        Ok(report)
    }

    /// Sets the gauges of every unit that can hold tickets; units without open tickets read
    /// zero, units no longer in the catalogue are zeroed once, and tickets of units outside
    /// the catalogue are left out (label values stay the catalogue's ids).
    fn publish(&mut self, units: &UnitCatalog, counts: &[UnitDeadlineCounts]) {
        let current: BTreeSet<String> = units
            .iter()
            .filter(|u| u.kind != UnitKind::Centre)
            .map(|u| u.id.clone())
            .collect();
        for unit in &current {
            let (open, overdue) = counts
                .iter()
                .find(|c| &c.unit == unit)
                .map_or((0, 0), |c| (c.open, c.overdue));
            crate::metrics_deadlines::unit_tickets(unit, open, overdue);
        }
        for gone in self.published.difference(&current) {
            crate::metrics_deadlines::unit_tickets(gone, 0, 0);
        }
        self.published = current;
    }

    /// Gives the lock back so another replica can take over at once.
    pub async fn release(mut self) {
        if let Some(lock) = self.lock.take() {
            lock.release().await;
        }
    }
}

/// Scans every `interval` until `stop` is cancelled (a pass under way finishes first).
pub fn spawn(app: Arc<App>, interval: Duration, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut scanner = DeadlineScanner::new(app);
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = ticks.tick() => {
                    match scanner.run_once(crate::service::now()).await {
                        Ok(report) if report.alerts > 0 => {
                            tracing::debug!(checked = report.checked, alerts = report.alerts, "deadline scan");
                        }
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(%error, "deadline scan failed; retrying at the next interval");
                        }
                    }
                }
            }
        }
        scanner.release().await;
    })
}
