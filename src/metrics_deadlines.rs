//! Deadline metrics, set by the deadline scanner on every pass: when it last ran, and per
//! unit the open and overdue tickets. `unit` label values are ids of the unit catalogue
//! only, so the series stay bounded.

use metrics::{counter, describe_counter, describe_gauge, gauge};

use crate::domain::Timestamp;
use crate::domain::warning::WarningLevel;

pub fn describe() {
    describe_gauge!(
        "hotline_deadline_scanner_last_run_timestamp_seconds",
        "When this replica's deadline scanner last finished a pass (Unix seconds); only the \
         replica holding the scanner lock runs it."
    );
    describe_gauge!(
        "hotline_open_tickets",
        "Tickets on a unit's desk with a deadline running, by unit."
    );
    describe_gauge!(
        "hotline_overdue_tickets",
        "Open tickets past their first running deadline, by unit."
    );
    describe_counter!(
        "hotline_deadline_alerts_total",
        "Deadline warnings recorded (each once per ticket, deadline, due instant and level), by level."
    );
}

pub fn scanner_ran(at: Timestamp) {
    gauge!("hotline_deadline_scanner_last_run_timestamp_seconds")
        .set(at.timestamp_millis() as f64 / 1000.0);
}

pub fn unit_tickets(unit: &str, open: u64, overdue: u64) {
    gauge!("hotline_open_tickets", "unit" => unit.to_string()).set(open as f64);
    gauge!("hotline_overdue_tickets", "unit" => unit.to_string()).set(overdue as f64);
}

pub fn alert_recorded(level: WarningLevel) {
    counter!("hotline_deadline_alerts_total", "level" => level.code()).increment(1);
}
