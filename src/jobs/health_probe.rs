//! The database health probe. Every interval it pings the store; while the database cannot
//! be reached every service — and the server as a whole (`""`) — reports NOT_SERVING on
//! the gRPC health service, and SERVING again once it answers. So load balancers and
//! readiness probes take a replica out of rotation while its database is down and put it
//! back without a restart; calls that still arrive fail fast with UNAVAILABLE.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::store::Store;

/// How often the daemon pings its database by default.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// A database that takes longer than this to answer `SELECT 1` counts as down.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// The health statuses of the daemon's services, set together.
#[derive(Clone)]
pub struct Health {
    reporter: HealthReporter,
    services: Vec<&'static str>,
}

impl Health {
    /// `services`: the gRPC names of the services whose status follows the database.
    pub fn new(reporter: HealthReporter, services: Vec<&'static str>) -> Self {
        Health { reporter, services }
    }

    /// Reports the whole server and every service as serving or not.
    pub async fn set(&self, serving: bool) {
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.reporter.set_service_status("", status).await;
        for service in &self.services {
            self.reporter.set_service_status(service, status).await;
        }
    }
}

/// Pings the store every `interval` until `stop`, keeping `health` (assumed serving at
/// the start) and the `hotline_database_up` gauge in step with what it finds.
pub fn spawn(
    store: Arc<dyn Store>,
    health: Health,
    interval: Duration,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        // A slow ping delays the next one rather than causing a burst after it.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut serving = true;
        crate::metrics::database_up(true);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let reachable = tokio::select! {
                _ = stop.cancelled() => return,
                reachable = reachable(&*store) => reachable,
            };
            crate::metrics::database_up(reachable);
            if reachable != serving {
                serving = reachable;
                if serving {
                    tracing::info!("the database answers again: serving");
                } else {
                    tracing::warn!("the database cannot be reached: reporting NOT_SERVING");
                }
                health.set(serving).await;
            }
        }
    })
}

async fn reachable(store: &dyn Store) -> bool {
    match tokio::time::timeout(PING_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::debug!(%error, "health probe: ping failed");
            false
        }
        Err(_) => {
            tracing::debug!(timeout = ?PING_TIMEOUT, "health probe: ping timed out");
            false
        }
    }
}
