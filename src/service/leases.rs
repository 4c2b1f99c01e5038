//! The leases this daemon's PullAssigned calls granted and that may still be held, so
//! that shutdown can give them back ([`Store::release_leases`](crate::store::Store::release_leases))
//! and pullers on another replica need not wait for them to run out.
//!
//! The book only forgets: expired leases, and tickets a transition through this daemon
//! took off the desk. Anything it still lists is released conditionally (same worker, same
//! expiry), so a stale entry frees nothing it should not.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::domain::{TicketId, Timestamp};
use crate::store::Lease;

#[derive(Debug, Default)]
pub struct LeaseBook {
    book: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    by_ticket: HashMap<TicketId, Lease>,
    /// The same leases by expiry, so pruning touches only the expired ones.
    by_expiry: BTreeSet<(Timestamp, TicketId)>,
}

impl Book {
    fn forget(&mut self, ticket_id: TicketId) {
        if let Some(lease) = self.by_ticket.remove(&ticket_id) {
            self.by_expiry.remove(&(lease.until, ticket_id));
        }
    }

    fn prune(&mut self, now: Timestamp) {
        while let Some(&(until, ticket_id)) = self.by_expiry.first() {
            if until > now {
                break;
            }
            self.by_expiry.pop_first();
            self.by_ticket.remove(&ticket_id);
        }
    }
}

impl LeaseBook {
    fn book(&self) -> MutexGuard<'_, Book> {
        // The book is only ever left consistent; a panic elsewhere does not spoil it.
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes the leases one pull granted to `worker` until `until`.
    pub fn granted(
        &self,
        worker: &str,
        until: Timestamp,
        tickets: impl IntoIterator<Item = TicketId>,
        now: Timestamp,
    ) {
        let mut book = self.book();
        book.prune(now);
        for ticket_id in tickets {
            book.forget(ticket_id);
            book.by_expiry.insert((until, ticket_id));
            book.by_ticket.insert(
                ticket_id,
                Lease {
                    ticket_id,
                    worker: worker.to_string(),
                    until,
                },
            );
        }
    }

    /// The ticket left its desk (the store cleared its lease with the transition).
    pub fn handed_on(&self, ticket_id: TicketId) {
        self.book().forget(ticket_id);
    }

    /// Takes every lease still running at `now` out of the book, ordered by ticket id.
    pub fn take_outstanding(&self, now: Timestamp) -> Vec<Lease> {
        let mut book = self.book();
        book.prune(now);
        book.by_expiry.clear();
        let mut leases: Vec<Lease> = book.by_ticket.drain().map(|(_, lease)| lease).collect();
        leases.sort_by_key(|lease| lease.ticket_id);
        leases
    }

    /// How many leases the book holds (expired ones included until the next prune).
    pub fn len(&self) -> usize {
        self.book().by_ticket.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    fn t(minutes: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    fn lease(ticket_id: TicketId, worker: &str, until: Timestamp) -> Lease {
        Lease {
            ticket_id,
            worker: worker.into(),
            until,
        }
    }

    #[test]
    fn outstanding_leases_are_the_running_ones_granted_last() {
        let book = LeaseBook::default();
        book.granted("w1", t(5), [3, 1], t(0));
        book.granted("w2", t(10), [2], t(1));
        // Ticket 1 expired and was pulled again by another worker: only that lease counts.
        book.granted("w2", t(12), [1], t(6));
        assert_eq!(
            book.take_outstanding(t(6)),
            vec![lease(1, "w2", t(12)), lease(2, "w2", t(10))]
        );
        assert!(book.is_empty(), "taking empties the book");
    }

    #[test]
    fn expired_and_handed_on_leases_are_forgotten() {
        let book = LeaseBook::default();
        book.granted("w1", t(5), [1, 2], t(0));
        book.granted("w1", t(20), [3, 4], t(0));
        book.handed_on(3);
        book.handed_on(99);
        // A later pull prunes what ran out (1 and 2, at minute 5): 4 and 5 are left.
        book.granted("w2", t(30), [5], t(5));
        assert_eq!(book.len(), 2);
        assert_eq!(
            book.take_outstanding(t(21)),
            vec![lease(5, "w2", t(30))],
            "ticket 4's lease ran out at minute 20"
        );
    }
}
