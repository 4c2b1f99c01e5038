//! Yellow and red warnings (黄牌/红牌预警) ahead of a deadline, and overdue at it.
//!
//! A window runs from its start (the dispatch, or the rework that restarted the reply
//! window) to its due instant. Yellow is reached when a configured fraction of it has
//! elapsed (default 0.75), red at a later fraction (default 0.9), overdue at the due
//! instant. Fractions are of natural time, weekends included: simple to explain, and a
//! working-day window already grows over a weekend.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use strum::{Display, EnumIter, EnumString, IntoStaticStr};

use super::deadline::{DeadlineKind, running_deadlines};
use super::ticket::{Ticket, Timestamp};

vocabulary! {
    /// How close a deadline is: yellow and red warnings before it, overdue after.
    pub enum WarningLevel { Yellow, Red, Overdue }
}

/// Fractions of a window at which the warnings fall: `0 < yellow < red < 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub yellow: f64,
    pub red: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            yellow: 0.75,
            red: 0.9,
        }
    }
}

impl Thresholds {
    /// Why the fractions cannot be used, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        let in_range = |f: f64| f > 0.0 && f < 1.0;
        if !in_range(self.yellow) || !in_range(self.red) {
            return Err("warning fractions must lie strictly between 0 and 1".into());
        }
        if self.yellow >= self.red {
            return Err(format!(
                "yellow ({}) must come before red ({})",
                self.yellow, self.red
            ));
        }
        Ok(())
    }

    /// The instants at which a window `[start, due]` turns yellow, red and overdue.
    pub fn instants(&self, start: Timestamp, due: Timestamp) -> [(WarningLevel, Timestamp); 3] {
        let span = (due - start).num_milliseconds().max(0) as f64;
        let at = |fraction: f64| start + Duration::milliseconds((span * fraction).round() as i64);
        [
            (WarningLevel::Yellow, at(self.yellow)),
            (WarningLevel::Red, at(self.red)),
            (WarningLevel::Overdue, due),
        ]
    }
}

/// The deadline a ticket is held to first, with its warning instants. Every transition
/// recomputes it; the store projects it into indexed columns for the scanner and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    pub deadline: DeadlineKind,
    pub due_at: Timestamp,
    pub yellow_at: Timestamp,
    pub red_at: Timestamp,
}

impl Watch {
    /// The warning level at `now`, if any.
    pub fn level_at(&self, now: Timestamp) -> Option<WarningLevel> {
        if now >= self.due_at {
            Some(WarningLevel::Overdue)
        } else if now >= self.red_at {
            Some(WarningLevel::Red)
        } else if now >= self.yellow_at {
            Some(WarningLevel::Yellow)
        } else {
            None
        }
    }
}

/// One warning reached: recorded once per (ticket, deadline, due instant, level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub deadline: DeadlineKind,
    pub due_at: Timestamp,
    pub level: WarningLevel,
    /// When the level was reached (not when it was noticed).
    pub reached_at: Timestamp,
}

/// When the ticket's running windows started: the recorded start, else its dispatch.
fn window_start(ticket: &Ticket, due: Timestamp) -> Timestamp {
    ticket
        .due
        .started_at
        .or(ticket.dispatched_at)
        .unwrap_or(due)
        .min(due)
}

/// Every (deadline, level) of the ticket's running deadlines, with the instant it falls.
fn schedule(ticket: &Ticket, thresholds: Thresholds) -> Vec<Alert> {
    running_deadlines(ticket)
        .into_iter()
        .flat_map(|(deadline, due_at)| {
            let start = window_start(ticket, due_at);
            thresholds
                .instants(start, due_at)
                .map(|(level, reached_at)| Alert {
                    deadline,
                    due_at,
                    level,
                    reached_at,
                })
        })
        .collect()
}

/// The ticket's first running deadline with its warning instants; `None` when no
/// deadline runs (queued, replied, finished).
pub fn watch(ticket: &Ticket, thresholds: Thresholds) -> Option<Watch> {
    let (deadline, due_at) = running_deadlines(ticket).into_iter().next()?;
    let [(_, yellow_at), (_, red_at), _] =
        thresholds.instants(window_start(ticket, due_at), due_at);
    Some(Watch {
        deadline,
        due_at,
        yellow_at,
        red_at,
    })
}

/// The warnings the ticket has reached at `now`, in the order they fell.
pub fn alerts_reached(ticket: &Ticket, thresholds: Thresholds, now: Timestamp) -> Vec<Alert> {
    let mut reached: Vec<Alert> = schedule(ticket, thresholds)
        .into_iter()
        .filter(|a| a.reached_at <= now)
        .collect();
    reached.sort_by_key(|a| (a.reached_at, a.deadline, a.level));
    reached
}

/// The next instant after `now` at which the ticket reaches a warning; `None` when every
/// warning of its running deadlines has fallen.
pub fn next_alert_after(
    ticket: &Ticket,
    thresholds: Thresholds,
    now: Timestamp,
) -> Option<Timestamp> {
    schedule(ticket, thresholds)
        .into_iter()
        .map(|a| a.reached_at)
        .filter(|at| *at > now)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::{Deadlines, Disposition, Intake, State};
    use chrono::{TimeZone, Utc};

    fn at(h: u32, m: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    /// Dispatched at 08:00: sign due 09:00, respond 10:00, reply 18:00.
    fn ticket(state: State) -> Ticket {
        let intake = Intake::sample();
        let mut t = Ticket::received(
            intake,
            Disposition::Dispatch {
                unit: Some("street".into()),
                co_units: vec![],
            },
            at(7, 0),
        );
        t.state = state;
        t.dispatched_at = Some(at(8, 0));
        t.due = Deadlines {
            sign: Some(at(9, 0)),
            respond: Some(at(10, 0)),
            reply: Some(at(18, 0)),
            return_by: Some(at(20, 0)),
            started_at: Some(at(8, 0)),
        };
        t
    }

    #[test]
    fn thresholds_must_be_ordered_fractions() {
        assert_eq!(Thresholds::default().check(), Ok(()));
        for (yellow, red) in [(0.9, 0.75), (0.5, 0.5), (0.0, 0.5), (0.5, 1.0), (-0.1, 0.5)] {
            assert!(
                Thresholds { yellow, red }.check().is_err(),
                "{yellow} {red}"
            );
        }
        assert!(
            Thresholds {
                yellow: f64::NAN,
                red: 0.9
            }
            .check()
            .is_err(),
            "NaN is not a fraction"
        );
    }

    #[test]
    fn warnings_fall_at_fractions_of_the_window() {
        // A 10-hour reply window from 08:00: yellow 15:30, red 17:00, overdue 18:00.
        let t = ticket(State::InProgress);
        let w = watch(&t, Thresholds::default()).unwrap();
        assert_eq!(
            w,
            Watch {
                deadline: DeadlineKind::Reply,
                due_at: at(18, 0),
                yellow_at: at(15, 30),
                red_at: at(17, 0),
            }
        );
        assert_eq!(w.level_at(at(15, 29)), None);
        assert_eq!(w.level_at(at(15, 30)), Some(WarningLevel::Yellow));
        assert_eq!(w.level_at(at(17, 0)), Some(WarningLevel::Red));
        assert_eq!(w.level_at(at(18, 0)), Some(WarningLevel::Overdue));
        let custom = Thresholds {
            yellow: 0.5,
            red: 0.8,
        };
        let w = watch(&t, custom).unwrap();
        assert_eq!((w.yellow_at, w.red_at), (at(13, 0), at(16, 0)));
    }

    #[test]
    fn the_watch_follows_the_first_running_deadline() {
        let w = watch(&ticket(State::Dispatched), Thresholds::default()).unwrap();
        // Sign: 08:00-09:00, yellow at 08:45, red at 08:54.
        assert_eq!(w.deadline, DeadlineKind::Sign);
        assert_eq!(
            (w.yellow_at, w.red_at, w.due_at),
            (at(8, 45), at(8, 54), at(9, 0))
        );
        let w = watch(&ticket(State::Signed), Thresholds::default()).unwrap();
        assert_eq!(
            (w.deadline, w.yellow_at),
            (DeadlineKind::Respond, at(9, 30))
        );
        assert_eq!(watch(&ticket(State::Replied), Thresholds::default()), None);
        assert_eq!(watch(&ticket(State::Closed), Thresholds::default()), None);
    }

    #[test]
    fn alerts_reached_come_in_the_order_they_fell() {
        let t = ticket(State::Signed);
        let th = Thresholds::default();
        let level = |a: &Alert| (a.deadline, a.level);
        use DeadlineKind::*;
        use WarningLevel::*;
        assert!(alerts_reached(&t, th, at(9, 29)).is_empty());
        // Respond (08:00-10:00): yellow 09:30, red 09:48, overdue 10:00.
        let got: Vec<_> = alerts_reached(&t, th, at(10, 0))
            .iter()
            .map(level)
            .collect();
        assert_eq!(
            got,
            vec![(Respond, Yellow), (Respond, Red), (Respond, Overdue)]
        );
        // Reply (08:00-18:00): yellow 15:30.
        let got: Vec<_> = alerts_reached(&t, th, at(15, 30))
            .iter()
            .map(level)
            .collect();
        assert_eq!(got.len(), 4);
        assert_eq!(got[3], (Reply, Yellow));
        let yellow = alerts_reached(&t, th, at(15, 30))[3];
        assert_eq!((yellow.due_at, yellow.reached_at), (at(18, 0), at(15, 30)));

        assert_eq!(next_alert_after(&t, th, at(7, 0)), Some(at(9, 30)));
        assert_eq!(next_alert_after(&t, th, at(9, 30)), Some(at(9, 48)));
        assert_eq!(next_alert_after(&t, th, at(10, 0)), Some(at(15, 30)));
        assert_eq!(next_alert_after(&t, th, at(17, 0)), Some(at(18, 0)));
        assert_eq!(next_alert_after(&t, th, at(18, 0)), None, "all fallen");
    }

    #[test]
    fn old_tickets_without_a_recorded_start_count_from_dispatch() {
        let mut t = ticket(State::InProgress);
        t.due.started_at = None;
        let w = watch(&t, Thresholds::default()).unwrap();
        assert_eq!(w.yellow_at, at(15, 30));
    }
}
