//! The columns of `tickets` projected from a ticket's body for filtering, leases,
//! deadlines and the rates: what a save writes besides the body.

use super::StoreResult;
use super::sql::{AnyQuery, millis, opt_millis, ticket_body};
use crate::domain::Ticket;

/// The columns a save writes, in the order [`projection`] and the binders list them; the
/// body comes last.
pub(super) const PROJECTION_COLUMNS: [&str; 25] = [
    "version",
    "state",
    "outcome",
    "category",
    "region",
    "urgency",
    "assigned_unit",
    "merged_into",
    "supervised",
    "updated_at",
    "dispatched_at",
    "responded_at",
    "sign_due_at",
    "respond_due_at",
    "reply_due_at",
    "callback_at",
    "callback_resolved",
    "callback_satisfaction",
    "closed_at",
    "next_due_at",
    "yellow_at",
    "red_at",
    "next_alert_at",
    "chase_up_count",
    "body",
];

/// The projected columns, the body aside: the first [`PROJECTED`] of
/// [`PROJECTION_COLUMNS`].
pub(super) const PROJECTED: usize = PROJECTION_COLUMNS.len() - 1;

/// Where `name` is in [`PROJECTION_COLUMNS`]; a name not there fails the build where it
/// is used in a constant.
pub(super) const fn column_index(name: &str) -> usize {
    let mut i = 0;
    while i < PROJECTION_COLUMNS.len() {
        if same(PROJECTION_COLUMNS[i].as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("not a projected column")
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// One projected column's value, as it is bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Projected {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
}

impl Projected {
    /// Binds the value, moving its text into the query (sqlx keeps an owned copy of
    /// every text it binds, so a borrowed one would be copied there anyway).
    pub(super) fn bind<'q>(self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        match self {
            Projected::Int(v) => query.bind(v),
            Projected::Text(v) => query.bind(v),
            Projected::Bool(v) => query.bind(v),
        }
    }
}

/// The ticket's projected columns, in [`PROJECTION_COLUMNS`] order. The deadline
/// scanner's cursor (`next_alert_at`) is projected at the first warning instant; the
/// scanner moves it on.
pub(super) fn projection(ticket: &Ticket) -> [Projected; PROJECTED] {
    use Projected::{Bool, Int, Text};
    let callback = ticket.callback.as_ref();
    let watch = ticket.watch.as_ref();
    let text = |s: &str| Text(Some(s.to_string()));
    [
        Int(Some(ticket.version)),
        text(ticket.state.code()),
        text(ticket.disposition.code()),
        text(&ticket.intake.category),
        text(&ticket.intake.region),
        text(ticket.intake.urgency.code()),
        Text(ticket.assigned_unit.clone()),
        Int(ticket.merged_into),
        Bool(Some(ticket.supervised)),
        Int(Some(millis(ticket.updated_at))),
        Int(opt_millis(ticket.dispatched_at)),
        Int(opt_millis(ticket.responded_at)),
        Int(opt_millis(ticket.due.sign)),
        Int(opt_millis(ticket.due.respond)),
        Int(opt_millis(ticket.due.reply)),
        Int(callback.map(|c| millis(c.at))),
        Bool(callback.map(|c| c.resolved)),
        Text(callback.map(|c| c.satisfaction.code().to_string())),
        Int(opt_millis(ticket.closed_at)),
        Int(watch.map(|w| millis(w.due_at))),
        Int(watch.map(|w| millis(w.yellow_at))),
        Int(watch.map(|w| millis(w.red_at))),
        Int(watch.map(|w| millis(w.yellow_at))),
        Int(Some(i64::from(ticket.chase_up_count))),
    ]
}

/// Binds every column of [`PROJECTION_COLUMNS`], as the intake's insert
/// ([`create_batch`](super::create_batch)) and [`bulk`](super::bulk) list them.
pub(super) fn bind_projection<'q>(
    query: AnyQuery<'q>,
    ticket: &Ticket,
) -> StoreResult<AnyQuery<'q>> {
    Ok(bind_projection_with_body(
        query,
        ticket,
        ticket_body(ticket)?,
    ))
}

/// [`bind_projection`] with the body already serialised.
pub(super) fn bind_projection_with_body<'q>(
    query: AnyQuery<'q>,
    ticket: &Ticket,
    body: String,
) -> AnyQuery<'q> {
    projection(ticket)
        .into_iter()
        .fold(query, |q, value| value.bind(q))
        .bind(body)
}

/// The columns of a new ticket's row: the projection, then those only a creation sets,
/// as [`create_batch`](super::create_batch) and [`bulk`](super::bulk) bind them.
pub(super) fn creation_columns() -> String {
    format!(
        "{}, request_id, request_fingerprint, channel, line, request_type, created_at, \
         requester_key",
        PROJECTION_COLUMNS.join(", ")
    )
}

/// The values [`creation_columns`] names.
pub(super) const CREATION_WIDTH: usize = PROJECTION_COLUMNS.len() + 7;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Disposition;
    use crate::domain::ticket::Intake;

    #[test]
    fn column_lists_match_their_value_counts() {
        assert_eq!(creation_columns().split(',').count(), CREATION_WIDTH);
        assert_eq!(PROJECTION_COLUMNS[PROJECTED], "body");
        let ticket = Ticket::received(
            Intake::sample(),
            Disposition::Dispatch {
                unit: None,
                co_units: vec![],
            },
            chrono::Utc::now(),
        );
        assert_eq!(projection(&ticket).len(), PROJECTED);
        assert_eq!(
            projection(&ticket)[column_index("state")],
            Projected::Text(Some("received".into()))
        );
        assert_eq!(column_index("version"), 0);
        assert_eq!(column_index("body"), PROJECTED);
    }
}
