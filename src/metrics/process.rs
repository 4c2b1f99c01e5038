//! The daemon's own CPU, memory, threads and file descriptors, under the names every
//! Prometheus client uses (`process_cpu_seconds_total`, `process_resident_memory_bytes`…):
//! an operator's dashboards and alerts already know them, and `hotline bench-load
//! --server-metrics` divides the CPU by the requests of a run.

use std::sync::OnceLock;

use metrics_process::Collector;

/// The series the collector writes (on Linux), as dashboards and bench-load name them.
pub const CPU_SECONDS: &str = "process_cpu_seconds_total";
pub const RESIDENT_BYTES: &str = "process_resident_memory_bytes";
pub const NAMES: [&str; 7] = [
    CPU_SECONDS,
    RESIDENT_BYTES,
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_threads",
    "process_start_time_seconds",
];

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The names above are what a scrape shows.
    #[test]
    fn a_scrape_shows_every_process_series() {
        let handle = crate::metrics::handle();
        collect();
        let text = handle.render();
        let samples = crate::metrics::exposition::samples(&text).expect("a well-formed scrape");
        let value = |name| crate::metrics::exposition::find(&samples, name, &[]);
        for name in NAMES {
            assert!(value(name).is_some(), "{name} is not in\n{text}");
        }
        let cpu = value(CPU_SECONDS).expect("the CPU sample");
        // A test process may not have used a tick of CPU yet: zero is a reading too.
        assert!(cpu >= 0.0, "{cpu}");
    }
}
