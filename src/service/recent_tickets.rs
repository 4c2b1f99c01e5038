//! The tickets this replica last read or wrote, so a state command on the version its
//! caller last saw can skip reading the ticket again.
//!
//! Sound because a ticket's version names its content: the store changes a ticket's body
//! only by a version-checked transition that moves the version on (projection columns such
//! as the deadline scanner's cursor and the lease live outside the body). So the ticket
//! remembered at version *v* is the stored ticket at *v*, whoever wrote it; whether *v* is
//! still the current version is what the store's version-checked write decides, and a
//! command refused on a remembered ticket is decided again on a fresh read
//! ([`App::run`](super::App::run)), so callers get exactly the answers they would without
//! it. Bounded by count: memory stays a few tens of megabytes however many tickets exist.

use std::sync::Arc;

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, UnitWeighter};

use crate::domain::{Ticket, TicketId};

/// Tickets remembered by default: more than a centre's back offices hold on their desks at
/// once (a few KB each). `hotline serve --remembered-tickets` changes it.
pub const DEFAULT_CAPACITY: usize = 8_192;

/// Lookups of a remembered ticket, by outcome: `hit` (the version the caller sent),
/// `miss`, or `stale` (a hit that another replica's change had overtaken: the store
/// refused it and the command was decided again on a fresh read).
pub const LOOKUPS: &str = "hotline_ticket_cache_lookups_total";

pub struct RecentTickets {
    /// `None` when the daemon was told to remember none.
    tickets: Option<Cache<TicketId, Arc<Ticket>>>,
}

impl RecentTickets {
    /// Remembers up to `capacity` tickets; none at 0, when every command reads its ticket.
    pub fn new(capacity: usize) -> Self {
        if capacity == 0 {
            return RecentTickets { tickets: None };
        }
        // Recency, not frequency: a ticket is acted on soon after it was pulled or read,
        // often once. The default keeps 3% of the room for newcomers, and a ticket that
        // waited a second in a worker's hands was gone before its first command.
        let options = OptionsBuilder::new()
            .estimated_items_capacity(capacity)
            .weight_capacity(capacity as u64)
            .hot_allocation(0.5)
            .build()
            .expect("valid cache options");
        RecentTickets {
            tickets: Some(Cache::with_options(
                options,
                UnitWeighter,
                DefaultHashBuilder::default(),
                DefaultLifecycle::default(),
            )),
        }
    }

    /// Remembers the ticket as read or written, unless a later version is remembered.
    pub fn remember(&self, ticket: &Ticket) {
        let Some(tickets) = &self.tickets else {
            return;
        };
        let newer_known = tickets
            .get(&ticket.id)
            .is_some_and(|known| known.version >= ticket.version);
        if !newer_known {
            tickets.insert(ticket.id, Arc::new(ticket.clone()));
        }
    }

    /// The ticket at exactly `version`, if remembered; counts the lookup (not when the
    /// daemon remembers none: those would all be misses by choice).
    pub fn at_version(&self, id: TicketId, version: i64) -> Option<Arc<Ticket>> {
        let tickets = self.tickets.as_ref()?;
        let found = tickets.get(&id).filter(|t| t.version == version);
        let outcome = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!(LOOKUPS, "outcome" => outcome).increment(1);
        found
    }

    /// Counts a hit the store found stale.
    pub fn overtaken(&self) {
        metrics::counter!(LOOKUPS, "outcome" => "stale").increment(1);
    }
}

impl Default for RecentTickets {
    fn default() -> Self {
        RecentTickets::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::{Disposition, Intake};

    fn ticket(id: TicketId, version: i64) -> Ticket {
        let disposition = Disposition::Dispatch {
            unit: Some("street".into()),
            co_units: vec![],
        };
        let mut ticket = Ticket::received(Intake::sample(), disposition, chrono::Utc::now());
        ticket.id = id;
        ticket.version = version;
        ticket
    }

    #[test]
    fn answers_only_the_version_asked_for() {
        let recent = RecentTickets::new(16);
        recent.remember(&ticket(7, 3));
        assert_eq!(recent.at_version(7, 3).map(|t| t.version), Some(3));
        assert!(recent.at_version(7, 2).is_none());
        assert!(recent.at_version(7, 4).is_none());
        assert!(recent.at_version(8, 3).is_none());
    }

    #[test]
    fn a_later_version_is_not_replaced_by_an_earlier_one() {
        let recent = RecentTickets::new(16);
        recent.remember(&ticket(7, 4));
        recent.remember(&ticket(7, 3));
        assert!(recent.at_version(7, 3).is_none());
        assert!(recent.at_version(7, 4).is_some());
        recent.remember(&ticket(7, 5));
        assert!(recent.at_version(7, 5).is_some());
    }

    #[test]
    fn a_ticket_not_yet_used_outlasts_a_stream_of_others_in_a_full_cache() {
        // As in a busy back office: a worker pulls ten tickets, and the tenth gets its
        // first command after hundreds of other tickets were pulled and moved on.
        let recent = RecentTickets::new(1_000);
        let busy = |ids: std::ops::Range<TicketId>| {
            for id in ids {
                recent.remember(&ticket(id, 1));
                recent.remember(&ticket(id, 2));
            }
        };
        busy(1..5_000);
        recent.remember(&ticket(10_000, 5));
        busy(5_000..5_300);
        assert!(recent.at_version(10_000, 5).is_some());
    }

    #[test]
    fn remembers_nothing_at_capacity_zero() {
        let recent = RecentTickets::new(0);
        recent.remember(&ticket(7, 3));
        assert!(recent.at_version(7, 3).is_none());
    }

    #[test]
    fn stays_within_its_capacity() {
        let recent = RecentTickets::new(64);
        for id in 1..=10_000 {
            recent.remember(&ticket(id, 1));
        }
        let kept = (1..=10_000)
            .filter(|&id| recent.at_version(id, 1).is_some())
            .count();
        assert!(kept <= 128, "{kept} tickets kept with room for 64");
        assert!(kept > 0);
    }
}
