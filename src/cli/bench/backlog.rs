//! Work for the back-offices before the clock starts: synthetic requests created through
//! CreateTicket until enough of them are dispatched, spread over the units the rules send
//! them to.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail};
use tokio::sync::Mutex;

use super::{Run, progress};
use crate::proto::{TicketState, intake_service_client::IntakeServiceClient};

/// Dispatched tickets and the unit each was dispatched to.
#[derive(Debug, Default)]
pub struct Backlog {
    pub tickets: Vec<(i64, String)>,
}

impl Backlog {
    pub fn ids(&self) -> HashSet<i64> {
        self.tickets.iter().map(|(id, _)| *id).collect()
    }

    /// The units with work, the busiest first (then by id, for a stable order).
    pub fn units(&self) -> Vec<String> {
        let mut sizes: HashMap<&str, usize> = HashMap::new();
        for (_, unit) in &self.tickets {
            *sizes.entry(unit).or_default() += 1;
        }
        let mut units: Vec<(&str, usize)> = sizes.into_iter().collect();
        units.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        units
            .into_iter()
            .map(|(unit, _)| unit.to_string())
            .collect()
    }
}

/// Creates requests until at least `wanted` are dispatched to a unit. Some requests are answered,
/// transferred or queued instead; if far too many are, the rules in force do not dispatch
/// the synthetic requests and preparing stops with an error.
pub async fn prepare(run: &Run, wanted: u64) -> anyhow::Result<Backlog> {
    let bar = progress::bar(wanted, run.progress, progress::COUNT);
    bar.set_message("preparing backlog");
    let dispatched = Arc::new(AtomicU64::new(0));
    let attempts = Arc::new(AtomicU64::new(0));
    let max_attempts = wanted * 3 + 100;
    let backlog = Arc::new(Mutex::new(Backlog::default()));
    let mut tasks = Vec::new();
    for i in 0..run.concurrency {
        let mut client = IntakeServiceClient::new(run.target.channel(i));
        let mut requests = run.generator(i, "backlog");
        let actor = run.agent(i);
        let request_ids = run.request_ids(i, "backlog");
        let (dispatched, attempts, backlog, bar) = (
            dispatched.clone(),
            attempts.clone(),
            backlog.clone(),
            bar.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for request_id in request_ids {
                if dispatched.load(Ordering::Relaxed) >= wanted
                    || attempts.fetch_add(1, Ordering::Relaxed) >= max_attempts
                {
                    break;
                }
                let request = requests
                    .next_request()
                    .create_request(request_id, actor.clone());
                let ticket = client
                    .create_ticket(request)
                    .await
                    .context("creating the backlog")?
                    .into_inner()
                    .ticket
                    .context("CreateTicket answered without a ticket")?;
                let on_a_desk = ticket.state == TicketState::Dispatched as i32
                    && !ticket.assigned_unit.is_empty();
                // Calls in flight when the count is reached add a few more: they are on
                // desks all the same, so they are part of the backlog.
                if on_a_desk {
                    dispatched.fetch_add(1, Ordering::Relaxed);
                    backlog
                        .lock()
                        .await
                        .tickets
                        .push((ticket.id, ticket.assigned_unit));
                    bar.inc(1);
                }
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await.context("a backlog client panicked")??;
    }
    bar.finish_and_clear();
    let backlog = std::mem::take(&mut *backlog.lock().await);
    if (backlog.tickets.len() as u64) < wanted {
        bail!(
            "only {} of {} requests were dispatched to a unit: do the daemon's rules dispatch \
             the synthetic requests?",
            backlog.tickets.len(),
            attempts.load(Ordering::Relaxed).min(max_attempts)
        );
    }
    Ok(backlog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_units_come_first() {
        let backlog = Backlog {
            tickets: vec![
                (1, "b".into()),
                (2, "a".into()),
                (3, "b".into()),
                (4, "c".into()),
            ],
        };
        assert_eq!(backlog.units(), ["b", "a", "c"]);
        assert_eq!(backlog.ids(), HashSet::from([1, 2, 3, 4]));
    }
}
