//! The daemon's own CPU, memory, threads and file descriptors, under the names every
//! Prometheus client uses (`process_cpu_seconds_total`, `process_resident_memory_bytes`…):
//! an operator's dashboards and alerts already know them, and `hotline bench-load
//! --server-metrics` divides the CPU by the requests of a run.

use std::sync::OnceLock;

use metrics_process::Collector;

static COLLECTOR: OnceLock<Collector> = OnceLock::new();

fn collector() -> &'static Collector {
    COLLECTOR.get_or_init(Collector::default)
}

/// Registers the metrics' descriptions; once, with the recorder.
pub fn describe() {
    collector().describe();
}

/// Reads the process's figures now, so a scrape sees them as of the scrape.
pub fn collect() {
    collector().collect();
}
