//! `hotline serve` as a real child process, for the tests that signal, kill and restart it:
//! started on a free port, its log kept for failure messages, killed and reaped on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hotline::auth::client::AuthedChannel as Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use super::postgres::TestDatabase;
use super::server::Backend;

const BINARY: &str = env!("CARGO_BIN_EXE_hotline");

pub struct Daemon {
    child: Child,
    pub grpc: SocketAddr,
    /// Where /metrics is served, when started with [`Options::metrics`].
    pub metrics: Option<SocketAddr>,
    /// An admin token made in the database before the daemon started.
    pub token: String,
    log: Arc<Mutex<Vec<String>>>,
}

/// How [`Daemon::start_with`] runs `hotline serve`; the default is [`Daemon::start`]'s.
#[derive(Debug, Clone)]
pub struct Options {
    /// Flags after the defaults.
    pub extra: Vec<String>,
    /// `HOTLINE_LOG`, the log filter.
    pub log: String,
    /// Serve /metrics on a free port.
    pub metrics: bool,
    /// Watch rule (and TLS) files for changes.
    pub watch: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            extra: Vec::new(),
            log: "info".into(),
            metrics: false,
            watch: false,
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// Starts `hotline serve` on a free port (no metrics) against `database_url`, with
    /// `extra` flags, and waits for its banner.
    pub async fn start(database_url: &str, extra: &[&str]) -> Daemon {
        let options = Options {
            extra: extra.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        };
        Self::start_with(database_url, options).await
    }

    /// Like [`Daemon::start`], with /metrics on a free port too.
    pub async fn start_with_metrics(database_url: &str, extra: &[&str]) -> Daemon {
        let options = Options {
            extra: extra.iter().map(|s| s.to_string()).collect(),
            metrics: true,
            ..Options::default()
        };
        Self::start_with(database_url, options).await
    }

    pub async fn start_with(database_url: &str, options: Options) -> Daemon {
        let token = super::auth::admin_token(database_url).await;
        let url = database_url.to_string();
        tokio::task::spawn_blocking(move || Self::spawn(&url, &options, token))
            .await
            .expect("spawning the daemon")
    }

    fn spawn(database_url: &str, options: &Options, token: String) -> Daemon {
        let mut command = Command::new(BINARY);
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["serve", "--listen", "127.0.0.1:0"]);
        if options.metrics {
            command.args(["--metrics-listen", "127.0.0.1:0"]);
        } else {
            command.arg("--no-metrics");
        }
        if !options.watch {
            command.arg("--no-watch");
        }
        let child = command
            .args(["--database-url", database_url])
            .args(&options.extra)
            .env("HOTLINE_LOG", &options.log)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn hotline serve");
        let mut daemon = Daemon {
            child,
            grpc: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics: None,
            token,
            log: Arc::new(Mutex::new(Vec::new())),
        };
        let mut lines = BufReader::new(daemon.child.stderr.take().expect("piped stderr")).lines();
        for line in lines.by_ref() {
            let line = line.expect("daemon stderr");
            daemon.log.lock().unwrap().push(line.clone());
            // hotline: gRPC on 127.0.0.1:P, metrics on http://127.0.0.1:Q/metrics, … store
            if let Some(rest) = line.strip_prefix("hotline: gRPC on ") {
                let addr = rest.split(',').next().expect("banner");
                daemon.grpc = addr.parse().expect("the banner's gRPC address");
                daemon.metrics = rest
                    .split("metrics on http://")
                    .nth(1)
                    .and_then(|m| m.split('/').next())
                    .map(|m| m.parse().expect("the banner's metrics address"));
                // Keep draining the log so the daemon never writes to a full or closed pipe.
                let log = daemon.log.clone();
                std::thread::spawn(move || {
                    for line in lines.map_while(Result::ok) {
                        log.lock().unwrap().push(line);
                    }
                });
                return daemon;
            }
        }
        panic!(
            "hotline serve exited before serving:\n{}",
            daemon.log.lock().unwrap().join("\n")
        );
    }

    /// A connection whose calls carry the admin token.
    pub async fn channel(&self) -> Channel {
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", self.grpc))
            .expect("valid uri")
            .connect()
            .await
            .expect("the daemon accepts connections");
        super::auth::with_token(channel, Some(&self.token))
    }

    /// Everything the daemon logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Asserts that the daemon's log shows no panic.
    pub fn assert_no_panic(&self) {
        let log = self.log();
        assert!(!log.contains("panicked"), "the daemon panicked:\n{log}");
    }

    /// Sends a signal by name (`TERM`, `HUP`…).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {name} failed");
    }

    /// SIGKILL: the process dies at once, whatever it was doing.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the daemon");
        self.child.wait().expect("reap the daemon");
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("poll the daemon").is_none()
    }

    /// Waits up to `limit` for the process to exit; `None` if it is still running.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the daemon") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// What the health service says about `service` ("" for the whole server).
pub async fn health(channel: &Channel, service: &str) -> Result<ServingStatus, tonic::Status> {
    let response = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await?;
    Ok(ServingStatus::try_from(response.into_inner().status).unwrap_or(ServingStatus::Unknown))
}

/// Polls the health service until `service` reports `wanted`; panics after `limit`.
pub async fn await_health(
    channel: &Channel,
    service: &str,
    wanted: ServingStatus,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < limit {
        let now = health(channel, service).await;
        if matches!(&now, Ok(status) if *status == wanted) {
            return started.elapsed();
        }
        last = Some(now);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("health of `{service}` was not {wanted:?} within {limit:?}; last: {last:?}");
}

/// A database for daemons to share: a SQLite file in a temporary directory, or a
/// PostgreSQL database of its own on the test server.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<TestDatabase>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("hotline.db").display()
                );
                TestDb {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let db = TestDatabase::create().await;
                TestDb {
                    url: db.url.clone(),
                    _dir: None,
                    postgres: Some(db),
                }
            }
        }
    }

    /// Drops the PostgreSQL database (the SQLite directory goes with the value).
    pub async fn remove(mut self) {
        if let Some(db) = self.postgres.take() {
            db.drop_db().await;
        }
    }
}
