//! The no-double-claim check of the pull scenario, from what the workers were handed and
//! from the tickets' events: every ticket was handed to one worker once, signed at most
//! once, and only by the worker that claimed it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::Mutex;

use super::progress;
use super::target::Target;
use crate::proto::{self, intake_service_client::IntakeServiceClient};

/// What the workers of one run were handed and signed.
#[derive(Debug, Default)]
pub struct Claims {
    /// Ticket → every worker a PullAssigned answer handed it to.
    pub handed_to: HashMap<i64, Vec<String>>,
    /// Ticket → the worker whose Sign of it succeeded.
    pub signed_by: HashMap<i64, String>,
}

impl Claims {
    pub fn handed(&mut self, ticket: i64, worker: &str) {
        self.handed_to
            .entry(ticket)
            .or_default()
            .push(worker.to_string());
    }

    pub fn signed(&mut self, ticket: i64, worker: &str) {
        self.signed_by.insert(ticket, worker.to_string());
    }

    pub fn merge(&mut self, other: Claims) {
        for (ticket, workers) in other.handed_to {
            self.handed_to.entry(ticket).or_default().extend(workers);
        }
        self.signed_by.extend(other.signed_by);
    }
}

/// A ticket claimed more than once, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoubleClaim {
    pub ticket: i64,
    pub why: String,
}

/// Checks the claims against the signers of each ticket (`signers`: the persons of its
/// `sign` events, oldest first). `fresh` tickets were created for this run, so nobody
/// outside it can have signed them.
pub fn double_claims(
    claims: &Claims,
    signers: &HashMap<i64, Vec<String>>,
    fresh: &HashSet<i64>,
) -> Vec<DoubleClaim> {
    let mut found = Vec::new();
    let mut tickets: Vec<&i64> = claims.handed_to.keys().collect();
    tickets.sort();
    for &ticket in tickets {
        let handed = &claims.handed_to[&ticket];
        let signed = signers.get(&ticket).map(Vec::as_slice).unwrap_or_default();
        let why = if handed.len() > 1 {
            Some(format!(
                "handed to {} workers: {}",
                handed.len(),
                handed.join(", ")
            ))
        } else if signed.len() > 1 {
            Some(format!(
                "signed {} times, by {}",
                signed.len(),
                signed.join(", ")
            ))
        } else if let Some(worker) = claims.signed_by.get(&ticket)
            && signed != [worker.as_str()]
        {
            Some(format!("{worker} signed it, the events say {signed:?}"))
        } else if fresh.contains(&ticket)
            && let Some(signer) = signed.first()
            && !handed.contains(signer)
        {
            Some(format!("signed by {signer}, who was never handed it"))
        } else {
            None
        };
        if let Some(why) = why {
            found.push(DoubleClaim { ticket, why });
        }
    }
    found
}

/// Reads the `sign` events of every claimed ticket (GetTicket with history) made at or
/// after `since` (the run's start: a ticket seeded or worked on before may have been
/// signed already, by another unit before a return), with as many clients as the run had.
pub async fn signers(
    target: &Target,
    claims: &Claims,
    since: std::time::SystemTime,
    concurrency: usize,
    progress: bool,
) -> anyhow::Result<HashMap<i64, Vec<String>>> {
    let since = prost_types::Timestamp::from(since);
    let ids: Vec<i64> = claims.handed_to.keys().copied().collect();
    let bar = progress::bar(ids.len() as u64, progress, progress::COUNT);
    bar.set_message("checking claims");
    let queue = Arc::new(Mutex::new(ids));
    let mut tasks = Vec::new();
    for i in 0..concurrency.max(1) {
        let (queue, bar) = (queue.clone(), bar.clone());
        let mut client = IntakeServiceClient::new(target.channel(i));
        tasks.push(tokio::spawn(async move {
            let mut found = Vec::new();
            loop {
                let Some(id) = queue.lock().await.pop() else {
                    break;
                };
                let ticket = client
                    .get_ticket(proto::GetTicketRequest {
                        ticket_id: id,
                        include_history: true,
                    })
                    .await
                    .with_context(|| format!("reading the events of ticket {id}"))?
                    .into_inner()
                    .ticket
                    .with_context(|| format!("GetTicket {id} answered without a ticket"))?;
                let signed: Vec<String> = ticket
                    .history
                    .iter()
                    .filter(|e| {
                        e.command == "sign"
                            && e.at.as_ref().is_some_and(|at| {
                                (at.seconds, at.nanos) >= (since.seconds, since.nanos)
                            })
                    })
                    .map(|e| {
                        e.actor
                            .as_ref()
                            .map(|a| a.person.clone())
                            .unwrap_or_default()
                    })
                    .collect();
                found.push((id, signed));
                bar.inc(1);
            }
            anyhow::Ok(found)
        }));
    }
    let mut signers = HashMap::new();
    for task in tasks {
        signers.extend(task.await.context("a checking client panicked")??);
    }
    bar.finish_and_clear();
    Ok(signers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signers(pairs: &[(i64, &[&str])]) -> HashMap<i64, Vec<String>> {
        pairs
            .iter()
            .map(|(t, s)| (*t, s.iter().map(|x| x.to_string()).collect()))
            .collect()
    }

    #[test]
    fn clean_claims_pass() {
        let mut claims = Claims::default();
        claims.handed(1, "w1");
        claims.signed(1, "w1");
        claims.handed(2, "w2"); // claimed, not signed before the clock ran out
        claims.handed(3, "w3"); // an older ticket someone signed before this run
        let fresh = HashSet::from([1, 2]);
        let found = double_claims(
            &claims,
            &signers(&[(1, &["w1"]), (3, &["earlier"])]),
            &fresh,
        );
        assert_eq!(found, []);
    }

    #[test]
    fn every_kind_of_double_claim_is_found() {
        let mut claims = Claims::default();
        claims.handed(1, "w1");
        claims.handed(1, "w2");
        claims.handed(2, "w1");
        claims.signed(2, "w1");
        claims.handed(3, "w3");
        claims.signed(3, "w3");
        claims.handed(4, "w4");
        let fresh = HashSet::from([1, 2, 3, 4]);
        let events = signers(&[(2, &["w1", "w9"]), (3, &["w8"]), (4, &["w7"])]);
        let found = double_claims(&claims, &events, &fresh);
        let tickets: Vec<i64> = found.iter().map(|d| d.ticket).collect();
        assert_eq!(tickets, [1, 2, 3, 4], "{found:?}");
        assert!(found[0].why.contains("handed to 2 workers"), "{found:?}");
        assert!(found[1].why.contains("signed 2 times"), "{found:?}");
        assert!(found[2].why.contains("w3 signed it"), "{found:?}");
        assert!(found[3].why.contains("never handed"), "{found:?}");
    }

    #[test]
    fn claims_from_several_workers_are_merged() {
        let (mut a, mut b) = (Claims::default(), Claims::default());
        a.handed(5, "w1");
        b.handed(5, "w2");
        b.signed(5, "w2");
        a.merge(b);
        assert_eq!(a.handed_to[&5], ["w1", "w2"]);
        assert_eq!(a.signed_by[&5], "w2");
    }
}
