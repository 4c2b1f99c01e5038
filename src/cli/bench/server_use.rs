//! What the daemon spent on a run, read from its own `/metrics` before and after the
//! clock (`--server-metrics`): CPU seconds per request and in cores, its resident memory
//! at the end, and how busy each kind of batch writer was. Throughput says how fast; CPU
//! per request says how much work a call costs, and so what the machine's cores allow at
//! most; a writer busy nearly all the time is where writes queue.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;

use super::report::Report;
use super::target::{loopback, resolve_loopback};
use crate::metrics::exposition;
use crate::metrics::process::{CPU_SECONDS as CPU, RESIDENT_BYTES as RSS};
use crate::store::{BATCH_WRITE_SECONDS, BATCH_WRITERS};

const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

/// The daemon's metrics listener, and the token a scrape needs when auth is on.
pub struct Probe {
    /// As given, for messages.
    addr: String,
    host: String,
    port: u16,
    token: Option<String>,
}

/// The daemon's counters at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub cpu_seconds: f64,
    pub rss_bytes: f64,
    /// Per writer kind: seconds spent on batches so far, and its writer tasks.
    pub batch_seconds: BTreeMap<String, f64>,
    pub writers: BTreeMap<String, f64>,
}

/// The daemon's readings just before and just after the clock.
pub struct Spent {
    pub before: Reading,
    pub after: Reading,
}

impl Probe {
    /// `addr` is `HOST:PORT` on loopback, as `--addr` is.
    pub fn new(addr: &str, token: Option<String>) -> anyhow::Result<Probe> {
        let (scheme, host, port) = loopback(addr).context("--server-metrics")?;
        if scheme == "https" {
            bail!("--server-metrics `{addr}`: the metrics listener speaks plain HTTP");
        }
        Ok(Probe {
            addr: addr.to_string(),
            host,
            port,
            token,
        })
    }

    pub async fn read(&self) -> anyhow::Result<Reading> {
        let url = format!("http://{}:{}/metrics", self.host, self.port);
        let text = tokio::time::timeout(SCRAPE_TIMEOUT, self.scrape())
            .await
            .with_context(|| format!("no answer from {url}"))?
            .with_context(|| format!("reading the daemon's metrics at {url}"))?;
        parse(&text).with_context(|| {
            format!("{url} has no {CPU} or {RSS}: is it a hotline daemon's metrics listener?")
        })
    }

    async fn scrape(&self) -> anyhow::Result<String> {
        let resolved =
            resolve_loopback("--server-metrics", &self.addr, &self.host, self.port).await?;
        let stream = tokio::net::TcpStream::connect(&resolved[..])
            .await
            .with_context(|| {
                format!(
                    "connecting to the metrics listener {}:{}",
                    self.host, self.port
                )
            })?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let mut request = http::Request::get("/metrics").header(http::header::HOST, &self.host);
        if let Some(token) = &self.token {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let answer = sender
            .send_request(request.body(Empty::<Bytes>::new())?)
            .await?;
        let status = answer.status();
        if !status.is_success() {
            bail!(
                "GET /metrics answered {status} (a token of the centre or an admin is needed when auth is on)"
            );
        }
        let body = answer.into_body().collect().await?.to_bytes();
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
}

/// The process samples (unlabelled) and the writers' (by their `writer` label); `None` if
/// the text is not a metrics page with the process samples.
fn parse(text: &str) -> Option<Reading> {
    let samples = exposition::samples(text).ok()?;
    let by_writer = |name: &str| -> BTreeMap<String, f64> {
        samples
            .iter()
            .filter(|s| s.name == name)
            .filter_map(|s| Some((s.labels.get("writer")?.clone(), s.value)))
            .collect()
    };
    Some(Reading {
        cpu_seconds: exposition::find(&samples, CPU, &[])?,
        rss_bytes: exposition::find(&samples, RSS, &[])?,
        batch_seconds: by_writer(&format!("{BATCH_WRITE_SECONDS}_sum")),
        writers: by_writer(BATCH_WRITERS),
    })
}

/// Per writer kind that wrote between the readings: the share of its writer tasks that
/// had a batch in flight over `seconds`.
fn writers_busy(before: &Reading, after: &Reading, seconds: f64) -> BTreeMap<String, f64> {
    after
        .batch_seconds
        .iter()
        .filter_map(|(kind, &total)| {
            let spent = total - before.batch_seconds.get(kind).copied().unwrap_or(0.0);
            let writers = after.writers.get(kind).copied().unwrap_or(1.0).max(1.0);
            (spent > 0.0).then(|| (kind.clone(), spent / seconds.max(1e-9) / writers))
        })
        .collect()
}

/// Adds what the daemon spent between its two readings to the report.
pub fn add_to(report: &mut Report, Spent { before, after }: &Spent) {
    let cpu = (after.cpu_seconds - before.cpu_seconds).max(0.0);
    let round = |x: f64, scale: f64| (x * scale).round() / scale;
    let mut server = json!({
        "cpu_us_per_request": round(cpu * 1e6 / report.requests.max(1) as f64, 10.0),
        "cpu_cores": round(cpu / report.duration_s.max(1e-9), 100.0),
        "rss_mb": round(after.rss_bytes / 1_048_576.0, 10.0),
    });
    for (kind, share) in writers_busy(before, after, report.duration_s) {
        server[format!("{kind}_writers_busy")] = json!(round(share, 100.0));
    }
    report.extra("server", server);
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRAPE: &str = "\
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
process_cpu_seconds_total_other 3
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 52428800
hotline_tickets_created_total{channel=\"phone\"} 7
hotline_batch_write_seconds_sum{writer=\"intake\"} 4.5
hotline_batch_write_seconds_count{writer=\"intake\"} 900
hotline_batch_write_seconds_sum{writer=\"lease\"} 0.25
hotline_batch_writers{writer=\"intake\"} 2
hotline_batch_writers{writer=\"lease\"} 1
";

    fn writers(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn reads_the_samples_and_nothing_that_only_starts_alike() {
        assert_eq!(
            parse(SCRAPE),
            Some(Reading {
                cpu_seconds: 12.5,
                rss_bytes: 52_428_800.0,
                batch_seconds: writers(&[("intake", 4.5), ("lease", 0.25)]),
                writers: writers(&[("intake", 2.0), ("lease", 1.0)]),
            })
        );
        assert_eq!(parse("hotline_tickets_created_total 7\n"), None);
    }

    #[test]
    fn a_writer_kind_s_busy_share_is_its_batch_time_over_its_tasks_and_the_clock() {
        let before = parse(SCRAPE).unwrap();
        let mut after = before.clone();
        // Intake: 19 s of batches in 10 s over its two tasks; lease: nothing written.
        after.batch_seconds.insert("intake".into(), 4.5 + 19.0);
        let busy = writers_busy(&before, &after, 10.0);
        assert_eq!(busy, writers(&[("intake", 0.95)]));
        // A daemon that does not export its writer count is taken to have one.
        after.writers.clear();
        assert_eq!(
            writers_busy(&before, &after, 10.0),
            writers(&[("intake", 1.9)])
        );
    }

    #[test]
    fn only_a_plain_loopback_listener_is_probed() {
        assert!(Probe::new("127.0.0.1:9464", None).is_ok());
        assert!(Probe::new("10.0.0.1:9464", None).is_err());
        assert!(Probe::new("https://127.0.0.1:9464", None).is_err());
    }
}
