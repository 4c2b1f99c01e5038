//! Bulk import (`hotline seed`): histories written in one go read back exactly as the live
//! writers left them, and count in the rates the same.

use super::fixtures::*;
use super::rates::{everything, rate_counts_match_a_hand_computed_scenario};

/// Every count of every row, doubled.
fn doubled(all: &[Vec<RateRow>]) -> Vec<Vec<RateRow>> {
    all.iter()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    let c = &row.counts;
                    RateRow {
                        counts: RateCounts {
                            dispatched: 2 * c.dispatched,
                            responded_in_time: 2 * c.responded_in_time,
                            callbacks: 2 * c.callbacks,
                            declined: 2 * c.declined,
                            resolved: 2 * c.resolved,
                            satisfied: 2 * c.satisfied,
                            basically_satisfied: 2 * c.basically_satisfied,
                            dissatisfied: 2 * c.dissatisfied,
                        },
                        ..row.clone()
                    }
                })
                .collect()
        })
        .collect()
}

/// The ticket and its history under another id, as a seeder hands them over.
fn copy(ticket: &Ticket, events: &[Event], id: TicketId) -> ImportedTicket {
    ImportedTicket {
        ticket: Ticket {
            id,
            ..ticket.clone()
        },
        events: events
            .iter()
            .map(|e| Event {
                ticket_id: id,
                ..e.clone()
            })
            .collect(),
        request_id: format!("import-{id}"),
        fingerprint: format!("fp-import-{id}"),
    }
}

/// The live scenario of the rates cases, copied under new ids in one import: the copies
/// read back whole, every rate count doubles, a rebuild from the event log changes
/// nothing, open copies can be pulled, a bad history is refused with nothing written, and
/// the next live ticket draws an id past the copies.
pub async fn imports_read_back_as_live_writes(store: Arc<dyn Store>) {
    let s = &*store;
    rate_counts_match_a_hand_computed_scenario(store.clone()).await;
    let general = intake(REGION_STREET, "urban_management", Urgency::General);
    dispatched(s, STREET, general.clone(), t0()).await;
    let live_rates = everything(s).await;
    let live = search(s, &all_filter()).await;
    let highest = s.max_ticket_id().await.expect("max_ticket_id");
    assert_eq!(Some(highest), live.iter().map(|t| t.id).max());

    let mut copies = Vec::new();
    for (i, ticket) in live.iter().enumerate() {
        let events = history(s, ticket.id).await;
        copies.push(copy(ticket, &events, highest + 1 + i as TicketId));
    }
    s.import_tickets(&copies).await.expect("import");
    let last = highest + copies.len() as TicketId;
    assert_eq!(s.max_ticket_id().await.unwrap(), last);
    for copy in &copies {
        let id = copy.ticket.id;
        assert_eq!(get(s, id).await, copy.ticket, "ticket {id} as imported");
        assert_eq!(history(s, id).await, copy.events, "history of {id}");
        let (found, fingerprint) = s
            .find_by_request_id(&copy.request_id)
            .await
            .unwrap()
            .expect("found by its request id");
        assert_eq!((found.id, fingerprint), (id, copy.fingerprint.clone()));
    }
    assert_eq!(everything(s).await, doubled(&live_rates));
    let report = s.rebuild_rate_counts().await.expect("rebuild");
    assert_eq!(report.rows_changed, 0, "{report:?}");

    let open = copies
        .iter()
        .find(|c| c.ticket.state.is_pullable())
        .expect("a copy on a desk");
    let unit = assigned(&open.ticket);
    let now = t0() + days(30);
    let pulled = pull(s, &unit, "w1", 1000, now, now + mins(5)).await;
    assert!(
        ids(&pulled).contains(&open.ticket.id),
        "{unit} pulls its imported ticket {}",
        open.ticket.id
    );

    // A history with a gap poisons its whole batch.
    let good = copy(&live[0], &history(s, live[0].id).await, last + 1);
    let mut gap = copy(&live[0], &history(s, live[0].id).await, last + 2);
    gap.events.remove(0);
    let refused = s.import_tickets(&[good, gap]).await;
    assert!(refused.is_err(), "a history without version 1 was imported");
    assert_eq!(
        s.max_ticket_id().await.unwrap(),
        last,
        "nothing of the batch"
    );

    let next = dispatched(s, STREET, general, now).await;
    assert!(
        next.id > last,
        "live id {} collides with the import",
        next.id
    );
}
