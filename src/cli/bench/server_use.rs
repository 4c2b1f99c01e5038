//! What the daemon spent on a run, read from its own `/metrics` before and after the
//! clock (`--server-metrics`): CPU seconds per request and in cores, and its resident
//! memory at the end. Throughput says how fast; CPU per request says how much work a call
//! costs, and so what the machine's cores allow at most.

use std::time::Duration;

use anyhow::{Context as _, bail};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;

use super::report::Report;
use super::target::loopback;
use crate::metrics::process::{CPU_SECONDS as CPU, RESIDENT_BYTES as RSS};

const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

/// The daemon's metrics listener, and the token a scrape needs when auth is on.
pub struct Probe {
    host: String,
    port: u16,
    token: Option<String>,
}

/// The daemon's counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub cpu_seconds: f64,
    pub rss_bytes: f64,
}

impl Probe {
    /// `addr` is `HOST:PORT` on loopback, as `--addr` is.
    pub fn new(addr: &str, token: Option<String>) -> anyhow::Result<Probe> {
        let (scheme, host, port) = loopback(addr).context("--server-metrics")?;
        if scheme == "https" {
            bail!("--server-metrics `{addr}`: the metrics listener speaks plain HTTP");
        }
        Ok(Probe { host, port, token })
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
        let stream =
            tokio::net::TcpStream::connect((self.host.trim_matches(['[', ']']), self.port))
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

/// The two samples in Prometheus' text format (unlabelled, as the daemon exports them).
fn parse(text: &str) -> Option<Reading> {
    let sample = |name: &str| {
        text.lines()
            .filter_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .find_map(|value| value.split_whitespace().next()?.parse::<f64>().ok())
    };
    Some(Reading {
        cpu_seconds: sample(CPU)?,
        rss_bytes: sample(RSS)?,
    })
}

/// Adds what the daemon spent between two readings to the report.
pub fn add_to(report: &mut Report, before: Reading, after: Reading) {
    let cpu = (after.cpu_seconds - before.cpu_seconds).max(0.0);
    let round = |x: f64, scale: f64| (x * scale).round() / scale;
    report.extra(
        "server",
        json!({
            "cpu_us_per_request": round(cpu * 1e6 / report.requests.max(1) as f64, 10.0),
            "cpu_cores": round(cpu / report.duration_s.max(1e-9), 100.0),
            "rss_mb": round(after.rss_bytes / 1_048_576.0, 10.0),
        }),
    );
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
";

    #[test]
    fn reads_the_process_samples_and_nothing_that_only_starts_alike() {
        assert_eq!(
            parse(SCRAPE),
            Some(Reading {
                cpu_seconds: 12.5,
                rss_bytes: 52_428_800.0
            })
        );
        assert_eq!(parse("hotline_tickets_created_total 7\n"), None);
    }

    #[test]
    fn only_a_plain_loopback_listener_is_probed() {
        assert!(Probe::new("127.0.0.1:9464", None).is_ok());
        assert!(Probe::new("10.0.0.1:9464", None).is_err());
        assert!(Probe::new("https://127.0.0.1:9464", None).is_err());
    }
}
