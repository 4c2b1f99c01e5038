//! Keeps this replica's knowledge index in step with the database: built at start, then
//! checked every interval against the store's stamp (one cheap aggregate query) and
//! rebuilt when another replica (or an import straight into the database) changed it.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::service::App;

/// Default of `--knowledge-refresh-seconds`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

pub fn spawn(app: Arc<App>, every: Duration, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticks.tick() => {}
            }
            match app.knowledge.refresh(app.store.as_ref()).await {
                Ok(true) => tracing::info!(
                    entries = app.knowledge.indexed(),
                    "knowledge index refreshed from the database"
                ),
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "knowledge index not refreshed"),
            }
        }
    })
}
