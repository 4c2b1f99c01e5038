//! The three rates kept as a ledger (domain.md §6). Every event says what it adds to the
//! counts, for which unit and which local day; a ticket that leaves the assessment takes
//! back everything it added. The store applies these entries to a per-day aggregate in
//! the transaction that records the event, and rebuilds the aggregate by replaying the
//! event log through the same functions, so both paths agree by construction.
//!
//! Attribution:
//! - each assignment (派单, 改派, an approved return reassigned, 提级 to a unit) counts one
//!   dispatch for the unit that receives it, on the day it receives it;
//! - a response within the window counts for the unit that responded, on the day of the
//!   dispatch it answers (the numerator lands in the same period as its denominator);
//! - a callback counts for the unit that handled the ticket (the one holding it at the
//!   callback), on the day of the callback. Every callback counts, also one that reopens
//!   the ticket: a closed month's report does not change when a later callback comes.
//!
//! Out of scope: merged duplicates, tickets handed to 110/119/120/122, a utility or the
//! police, and tickets the centre excluded (甄别). Leaving the scope retracts what the
//! ticket had counted, so the aggregate stays exact; later events count nothing.
//!
//! The lifecycle writes what this module needs into each event's details (the unit, the
//! dispatch instant of a response), so an event alone says what it counts; for events
//! written before it did, a replay falls back on the holder the earlier events assigned.

use std::collections::BTreeMap;

use chrono::{Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde::Deserialize;

use super::event::Event;
use super::ticket::{Satisfaction, Ticket, Timestamp, UnitId};

/// Reporting days are local days of UTC+8 (China Standard Time, no daylight saving).
/// A constant for now: a deployment elsewhere would take it from its calendar config.
pub const ASSESSMENT_UTC_OFFSET_HOURS: i32 = 8;

fn offset() -> FixedOffset {
    FixedOffset::east_opt(ASSESSMENT_UTC_OFFSET_HOURS * 3600).expect("a valid offset")
}

/// The local day an instant falls on.
pub fn local_day(at: Timestamp) -> NaiveDate {
    at.with_timezone(&offset()).date_naive()
}

/// The instant a local day starts (its midnight).
pub fn day_start(day: NaiveDate) -> Timestamp {
    offset()
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .expect("a fixed offset has no gaps")
        .to_utc()
}

/// The local day starting at `at`, or `None` when `at` is not a local midnight.
pub fn day_starting_at(at: Timestamp) -> Option<NaiveDate> {
    let day = local_day(at);
    (day_start(day) == at).then_some(day)
}

/// Signed changes to the counts of [`RateCounts`](super::rates::RateCounts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateDelta {
    pub dispatched: i64,
    pub responded_in_time: i64,
    pub callbacks: i64,
    pub declined: i64,
    pub resolved: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub dissatisfied: i64,
}

impl RateDelta {
    fn fields(&self) -> [i64; 8] {
        [
            self.dispatched,
            self.responded_in_time,
            self.callbacks,
            self.declined,
            self.resolved,
            self.satisfied,
            self.basically_satisfied,
            self.dissatisfied,
        ]
    }

    fn from_fields(f: [i64; 8]) -> Self {
        RateDelta {
            dispatched: f[0],
            responded_in_time: f[1],
            callbacks: f[2],
            declined: f[3],
            resolved: f[4],
            satisfied: f[5],
            basically_satisfied: f[6],
            dissatisfied: f[7],
        }
    }

    pub fn is_zero(&self) -> bool {
        self.fields() == [0; 8]
    }

    pub fn negated(&self) -> Self {
        Self::from_fields(self.fields().map(|v| -v))
    }

    pub fn add(&mut self, other: &RateDelta) {
        let (mine, theirs) = (self.fields(), other.fields());
        *self = Self::from_fields(std::array::from_fn(|i| mine[i] + theirs[i]));
    }
}

/// One line of the ledger: a change to one unit's counts on one local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub day: NaiveDate,
    pub unit: UnitId,
    pub delta: RateDelta,
}

/// An event whose details lack what its rate entry needs: written by something other
/// than the lifecycle, or damaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {version} ({command}) of ticket {ticket}: {why}")]
pub struct UnreadableEvent {
    pub ticket: i64,
    pub version: i64,
    pub command: String,
    pub why: String,
}

/// The facts of an event's details that the rates read; other keys are ignored.
#[derive(Debug, Default, Deserialize)]
struct Facts {
    unit: Option<UnitId>,
    to_unit: Option<UnitId>,
    approved: Option<bool>,
    in_time: Option<bool>,
    dispatched_at: Option<Timestamp>,
    resolved: Option<bool>,
    satisfaction: Option<Satisfaction>,
}

/// Whether this event takes the ticket out of the assessment.
pub fn leaves_scope(event: &Event) -> bool {
    matches!(
        event.command.as_str(),
        "merge" | "transfer" | "exclude_from_rates"
    )
}

/// Who holds the ticket, and since when: what an event whose details do not name its
/// unit (written before they did) is attributed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Holder {
    unit: Option<UnitId>,
    since: Option<Timestamp>,
}

/// What one event adds to the counts of a ticket that is in scope, read from the event
/// alone.
pub fn entries(event: &Event) -> Result<Vec<Entry>, UnreadableEvent> {
    Ok(read(event, &Holder::default())?.0)
}

/// The entries of one event, and the holder after it when the event changes it.
fn read(event: &Event, holder: &Holder) -> Result<(Vec<Entry>, Option<Holder>), UnreadableEvent> {
    let unreadable = |why: String| UnreadableEvent {
        ticket: event.ticket_id,
        version: event.version,
        command: event.command.clone(),
        why,
    };
    let counted = matches!(
        event.command.as_str(),
        "dispatch" | "review_return" | "escalate" | "respond" | "record_callback"
    );
    if !counted {
        return Ok((Vec::new(), None));
    }
    let facts: Facts = serde_json::from_value(event.details.clone())
        .map_err(|e| unreadable(format!("details: {e}")))?;
    let needed = |value: Option<UnitId>, key: &str| {
        value
            .or_else(|| holder.unit.clone())
            .ok_or_else(|| unreadable(format!("details lack `{key}`")))
    };
    let today = local_day(event.at);
    let dispatched = RateDelta {
        dispatched: 1,
        ..RateDelta::default()
    };
    // A new holder: counts one dispatch for it on this day.
    let assigned = |unit: Option<UnitId>| {
        let entries = unit
            .iter()
            .map(|unit| Entry {
                day: today,
                unit: unit.clone(),
                delta: dispatched,
            })
            .collect();
        let since = unit.as_ref().map(|_| event.at);
        (entries, Some(Holder { unit, since }))
    };
    Ok(match event.command.as_str() {
        "dispatch" => assigned(Some(
            facts
                .unit
                .ok_or_else(|| unreadable("details lack `unit`".into()))?,
        )),
        "review_return" => match facts.approved {
            // Reassigned (改派), or back to the queue when no unit is named.
            Some(true) => assigned(facts.unit),
            // Rejected: the unit keeps it.
            _ => (Vec::new(), None),
        },
        // 提级 to the parent unit, or to the centre's queue when there is none.
        "escalate" => assigned(facts.to_unit),
        "respond" if facts.in_time == Some(true) => {
            let dispatched_at = facts
                .dispatched_at
                .or(holder.since)
                .ok_or_else(|| unreadable("details lack `dispatched_at`".into()))?;
            let entry = Entry {
                day: local_day(dispatched_at),
                unit: needed(facts.unit, "unit")?,
                delta: RateDelta {
                    responded_in_time: 1,
                    ..RateDelta::default()
                },
            };
            (vec![entry], None)
        }
        "respond" => (Vec::new(), None),
        "record_callback" => {
            let satisfaction = facts
                .satisfaction
                .ok_or_else(|| unreadable("details lack `satisfaction`".into()))?;
            let declined = satisfaction == Satisfaction::Declined;
            let entry = Entry {
                day: today,
                unit: needed(facts.unit, "unit")?,
                delta: RateDelta {
                    callbacks: 1,
                    declined: i64::from(declined),
                    resolved: i64::from(facts.resolved == Some(true) && !declined),
                    satisfied: i64::from(satisfaction == Satisfaction::Satisfied),
                    basically_satisfied: i64::from(
                        satisfaction == Satisfaction::BasicallySatisfied,
                    ),
                    dissatisfied: i64::from(satisfaction == Satisfaction::Dissatisfied),
                    ..RateDelta::default()
                },
            };
            (vec![entry], None)
        }
        _ => unreachable!("only counted commands get here"),
    })
}

/// One ticket's standing in the rates: whether it still counts, what it has counted per
/// (day, unit) so that leaving the scope can take it back exactly, and who holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    out_of_scope: bool,
    counted: BTreeMap<(NaiveDate, UnitId), RateDelta>,
    holder: Holder,
}

impl Account {
    /// The account of a ticket known by its current row only. Enough to post any event
    /// that does not [leave the scope](leaves_scope); for those, [`Account::replay`] the
    /// ticket's history so that the retraction knows what to take back.
    pub fn resume(ticket: &Ticket) -> Self {
        Account {
            out_of_scope: !ticket.in_rates_scope(),
            counted: BTreeMap::new(),
            holder: Holder {
                unit: ticket.assigned_unit.clone(),
                since: ticket.dispatched_at,
            },
        }
    }

    /// The account after the given events, oldest first.
    pub fn replay<'a>(
        events: impl IntoIterator<Item = &'a Event>,
    ) -> Result<Self, UnreadableEvent> {
        let mut account = Account::default();
        for event in events {
            account.post(event)?;
        }
        Ok(account)
    }

    /// Posts one event and returns the entries it makes to the aggregate, merged per
    /// (day, unit) and in that order (writers lock aggregate rows in one order).
    pub fn post(&mut self, event: &Event) -> Result<Vec<Entry>, UnreadableEvent> {
        if self.out_of_scope {
            return Ok(Vec::new());
        }
        if leaves_scope(event) {
            self.out_of_scope = true;
            return Ok(std::mem::take(&mut self.counted)
                .into_iter()
                .filter(|(_, delta)| !delta.is_zero())
                .map(|((day, unit), delta)| Entry {
                    day,
                    unit,
                    delta: delta.negated(),
                })
                .collect());
        }
        let (entries, holder) = read(event, &self.holder)?;
        if let Some(holder) = holder {
            self.holder = holder;
        }
        let mut merged: BTreeMap<(NaiveDate, UnitId), RateDelta> = BTreeMap::new();
        for entry in entries {
            merged
                .entry((entry.day, entry.unit))
                .or_default()
                .add(&entry.delta);
        }
        for (key, delta) in &merged {
            self.counted.entry(key.clone()).or_default().add(delta);
        }
        Ok(merged
            .into_iter()
            .map(|((day, unit), delta)| Entry { day, unit, delta })
            .collect())
    }
}

/// `yyyymmdd`, the day key of the aggregate (months group by `key / 100`).
pub fn day_key(day: NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from(day.year()) * 10_000 + i64::from(day.month()) * 100 + i64::from(day.day())
}

/// The inverse of [`day_key`], `None` for a number that is no date.
pub fn day_from_key(key: i64) -> Option<NaiveDate> {
    let (year, month, day) = (key / 10_000, key / 100 % 100, key % 100);
    NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )
}

/// The first day of the month after `day`'s.
pub fn next_month(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let first = day.with_day(1).expect("every month has a first day");
    first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first + Duration::days(31))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    use crate::domain::event::Actor;
    use crate::domain::ticket::State;

    const A: &str = "street-a";
    const B: &str = "market";

    /// `2026-03-d hh:mm` in UTC+8.
    fn local(d: u32, h: u32, m: u32) -> Timestamp {
        offset()
            .with_ymd_and_hms(2026, 3, d, h, m, 0)
            .unwrap()
            .to_utc()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn event(version: i64, command: &str, at: Timestamp, details: serde_json::Value) -> Event {
        Event {
            ticket_id: 9,
            version,
            command: command.into(),
            from_state: Some(State::Received),
            to_state: State::Received,
            actor: Actor {
                unit: "centre".into(),
                person: "p".into(),
            },
            principal: "token:test".into(),
            at,
            reason: String::new(),
            details,
        }
    }

    fn dispatched(unit: &str, d: u32) -> Entry {
        Entry {
            day: day(d),
            unit: unit.into(),
            delta: RateDelta {
                dispatched: 1,
                ..RateDelta::default()
            },
        }
    }

    fn callback_delta(resolved: i64, s: i64, b: i64, dis: i64, declined: i64) -> RateDelta {
        RateDelta {
            callbacks: 1,
            declined,
            resolved,
            satisfied: s,
            basically_satisfied: b,
            dissatisfied: dis,
            ..RateDelta::default()
        }
    }

    #[test]
    fn days_are_local_to_utc_plus_8() {
        // 2026-03-01 16:00 UTC is 2026-03-02 00:00 in Beijing.
        let midnight = Utc.with_ymd_and_hms(2026, 3, 1, 16, 0, 0).unwrap();
        assert_eq!(local_day(midnight), day(2));
        assert_eq!(local_day(midnight - Duration::milliseconds(1)), day(1));
        assert_eq!(day_start(day(2)), midnight);
        assert_eq!(day_starting_at(midnight), Some(day(2)));
        assert_eq!(day_starting_at(midnight + Duration::hours(8)), None);
        assert_eq!(day_key(day(2)), 20_260_302);
        assert_eq!(day_from_key(20_260_302), Some(day(2)));
        assert_eq!(day_from_key(20_261_302), None);
        assert_eq!(
            next_month(day(31)),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
        );
    }

    #[test]
    fn every_assignment_counts_for_the_unit_that_receives_it() {
        let cases = [
            (
                json!({ "unit": A, "co_units": [], "previous_unit": null }),
                "dispatch",
                vec![dispatched(A, 2)],
            ),
            (
                json!({ "approved": true, "unit": B, "previous_unit": A }),
                "review_return",
                vec![dispatched(B, 2)],
            ),
            (
                json!({ "approved": true, "previous_unit": A }),
                "review_return",
                vec![],
            ),
            (
                json!({ "approved": false, "improper_return": true, "unit": A }),
                "review_return",
                vec![],
            ),
            (
                json!({ "from_unit": A, "to_unit": B }),
                "escalate",
                vec![dispatched(B, 2)],
            ),
            (
                json!({ "from_unit": B, "to_unit": null }),
                "escalate",
                vec![],
            ),
        ];
        for (details, command, expected) in cases {
            let e = event(2, command, local(2, 23, 59), details.clone());
            assert_eq!(entries(&e).unwrap(), expected, "{command} {details}");
        }
    }

    #[test]
    fn a_response_in_time_counts_on_the_dispatch_day() {
        let in_time = event(
            3,
            "respond",
            local(3, 1, 0),
            json!({ "in_time": true, "unit": A, "dispatched_at": local(2, 23, 0) }),
        );
        let expected = Entry {
            day: day(2),
            unit: A.into(),
            delta: RateDelta {
                responded_in_time: 1,
                ..RateDelta::default()
            },
        };
        assert_eq!(entries(&in_time).unwrap(), vec![expected]);
        let late = event(
            3,
            "respond",
            local(4, 1, 0),
            json!({ "in_time": false, "unit": A, "dispatched_at": local(2, 23, 0) }),
        );
        assert_eq!(entries(&late).unwrap(), vec![]);
    }

    #[test]
    fn callbacks_count_their_verdict_for_the_handling_unit() {
        let verdict = |resolved: bool, satisfaction: &str| {
            let e = event(
                8,
                "record_callback",
                local(5, 10, 0),
                json!({ "resolved": resolved, "satisfaction": satisfaction, "reopened": false, "unit": B }),
            );
            let got = entries(&e).unwrap();
            assert_eq!(got.len(), 1);
            assert_eq!((got[0].day, got[0].unit.as_str()), (day(5), B));
            got[0].delta
        };
        assert_eq!(verdict(true, "satisfied"), callback_delta(1, 1, 0, 0, 0));
        assert_eq!(
            verdict(true, "basically_satisfied"),
            callback_delta(1, 0, 1, 0, 0)
        );
        assert_eq!(
            verdict(false, "dissatisfied"),
            callback_delta(0, 0, 0, 1, 0)
        );
        // Declined: out of the satisfaction scope, never dissatisfied.
        assert_eq!(verdict(false, "declined"), callback_delta(0, 0, 0, 0, 1));
    }

    #[test]
    fn other_events_count_nothing() {
        for command in [
            "create",
            "sign",
            "handle",
            "reply",
            "review_reply",
            "archive",
            "add_note",
        ] {
            assert_eq!(
                entries(&event(2, command, local(2, 9, 0), json!({}))).unwrap(),
                vec![]
            );
        }
    }

    #[test]
    fn details_missing_what_the_rates_need_are_reported() {
        let e = event(4, "dispatch", local(2, 9, 0), json!({ "co_units": [] }));
        let err = entries(&e).unwrap_err();
        assert_eq!(
            err.to_string(),
            "event 4 (dispatch) of ticket 9: details lack `unit`"
        );
        let e = event(
            5,
            "respond",
            local(2, 9, 0),
            json!({ "in_time": true, "unit": A }),
        );
        assert!(entries(&e).unwrap_err().why.contains("dispatched_at"));
    }

    /// Dispatched to A, responded in time, reassigned to B, B's callback, then excluded.
    fn history() -> Vec<Event> {
        vec![
            event(
                1,
                "create",
                local(2, 9, 0),
                json!({ "outcome": "dispatch" }),
            ),
            event(2, "dispatch", local(2, 9, 0), json!({ "unit": A })),
            event(
                3,
                "respond",
                local(2, 10, 0),
                json!({ "in_time": true, "unit": A, "dispatched_at": local(2, 9, 0) }),
            ),
            event(
                4,
                "dispatch",
                local(3, 9, 0),
                json!({ "unit": B, "previous_unit": A }),
            ),
            event(
                5,
                "record_callback",
                local(6, 9, 0),
                json!({ "resolved": true, "satisfaction": "satisfied", "unit": B }),
            ),
            event(
                6,
                "exclude_from_rates",
                local(7, 9, 0),
                json!({ "reason": "unreasonable" }),
            ),
            event(
                7,
                "record_callback",
                local(8, 9, 0),
                json!({ "resolved": true, "satisfaction": "satisfied", "unit": B }),
            ),
        ]
    }

    #[test]
    fn older_events_count_for_the_holder_the_replay_tracked() {
        // Responses and callbacks recorded before their details named unit and dispatch.
        let older = [
            event(2, "dispatch", local(2, 23, 0), json!({ "unit": A })),
            event(3, "respond", local(3, 1, 0), json!({ "in_time": true })),
            event(
                4,
                "escalate",
                local(3, 2, 0),
                json!({ "from_unit": A, "to_unit": B }),
            ),
            event(
                5,
                "record_callback",
                local(9, 2, 0),
                json!({ "resolved": false, "satisfaction": "dissatisfied", "reopened": false }),
            ),
        ];
        let mut account = Account::default();
        let posted: Vec<Vec<Entry>> = older.iter().map(|e| account.post(e).unwrap()).collect();
        assert_eq!(
            posted[1][0].day,
            day(2),
            "the response lands on the dispatch day"
        );
        assert_eq!(posted[1][0].unit, A);
        assert_eq!(posted[2], vec![dispatched(B, 3)]);
        assert_eq!((posted[3][0].day, posted[3][0].unit.as_str()), (day(9), B));
        assert_eq!(posted[3][0].delta, callback_delta(0, 0, 0, 1, 0));
    }

    #[test]
    fn leaving_the_scope_retracts_exactly_what_was_counted() {
        let mut account = Account::default();
        let mut total: BTreeMap<(NaiveDate, UnitId), RateDelta> = BTreeMap::new();
        let mut posted = Vec::new();
        for e in &history() {
            let entries = account.post(e).unwrap();
            for entry in &entries {
                total
                    .entry((entry.day, entry.unit.clone()))
                    .or_default()
                    .add(&entry.delta);
            }
            posted.push(entries);
        }
        let a_day2 = RateDelta {
            dispatched: 1,
            responded_in_time: 1,
            ..RateDelta::default()
        };
        let b_day3 = RateDelta {
            dispatched: 1,
            ..RateDelta::default()
        };
        let b_day6 = callback_delta(1, 1, 0, 0, 0);
        // The exclusion takes back every (day, unit) the ticket counted, in key order.
        assert_eq!(
            posted[5],
            vec![
                Entry {
                    day: day(2),
                    unit: A.into(),
                    delta: a_day2.negated()
                },
                Entry {
                    day: day(3),
                    unit: B.into(),
                    delta: b_day3.negated()
                },
                Entry {
                    day: day(6),
                    unit: B.into(),
                    delta: b_day6.negated()
                },
            ]
        );
        // After it, nothing counts; in all, the ticket counts nothing anywhere.
        assert_eq!(posted[6], vec![]);
        assert!(total.values().all(RateDelta::is_zero), "{total:?}");
    }

    #[test]
    fn merges_and_transfers_leave_the_scope_too() {
        for command in ["merge", "transfer"] {
            let mut account = Account::replay(&history()[..3]).unwrap();
            let retracted = account
                .post(&event(4, command, local(2, 11, 0), json!({})))
                .unwrap();
            assert_eq!(
                retracted,
                vec![Entry {
                    day: day(2),
                    unit: A.into(),
                    delta: RateDelta {
                        dispatched: -1,
                        responded_in_time: -1,
                        ..RateDelta::default()
                    },
                }],
                "{command}"
            );
        }
    }

    #[test]
    fn a_resumed_account_posts_like_a_replayed_one() {
        let events = history();
        let mut replayed = Account::replay(&events[..4]).unwrap();
        let mut ticket = Ticket::received(
            crate::domain::ticket::Intake::sample(),
            crate::domain::ticket::Disposition::Dispatch {
                unit: Some(A.into()),
                co_units: vec![],
            },
            local(2, 9, 0),
        );
        let mut resumed = Account::resume(&ticket);
        assert_eq!(
            resumed.post(&events[4]).unwrap(),
            replayed.post(&events[4]).unwrap()
        );
        ticket.excluded_from_rates = Some(crate::domain::ticket::ExclusionReason::Invalid);
        assert_eq!(Account::resume(&ticket).post(&events[4]).unwrap(), vec![]);
    }
}
