//! Time-limit tiers (domain.md §5) and overdue detection.
//!
//! Windows are natural time for now; working-day calendars come with the deadlines
//! configuration. The defaults follow the national guidance: urgent matters are signed
//! within 15 minutes and answered within 2 hours, utilities within 30 minutes / 24 hours,
//! general matters within a day / 7 days, complex ones within a day / 15 days.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::ticket::{Deadlines, State, Ticket, Timestamp, Urgency};

/// Sign, respond and reply windows, counted from dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLimits {
    pub sign: Duration,
    pub respond: Duration,
    pub reply: Duration,
}

impl TimeLimits {
    pub fn for_urgency(urgency: Urgency) -> Self {
        match urgency {
            Urgency::Urgent => Self {
                sign: Duration::minutes(15),
                respond: Duration::minutes(30),
                reply: Duration::hours(2),
            },
            Urgency::Utility => Self {
                sign: Duration::minutes(30),
                respond: Duration::hours(2),
                reply: Duration::hours(24),
            },
            Urgency::General => Self {
                sign: Duration::hours(24),
                respond: Duration::hours(24),
                reply: Duration::days(7),
            },
            Urgency::Complex => Self {
                sign: Duration::hours(24),
                respond: Duration::hours(24),
                reply: Duration::days(15),
            },
        }
    }

    pub fn due_from(self, dispatched_at: Timestamp) -> Deadlines {
        Deadlines {
            sign: Some(dispatched_at + self.sign),
            respond: Some(dispatched_at + self.respond),
            reply: Some(dispatched_at + self.reply),
        }
    }
}

/// The time limits in force. Built-in tiers for now; the deadlines file replaces them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeadlinePolicy;

impl DeadlinePolicy {
    pub fn limits(&self, urgency: Urgency) -> TimeLimits {
        TimeLimits::for_urgency(urgency)
    }
}

/// The longest extension a unit may ask for at once: 10 working days, as hours.
pub const MAX_EXTENSION_HOURS: u32 = 240;

/// Which due instant a ticket has missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Sign,
    Respond,
    Reply,
}

/// The first deadline the ticket has missed at `now`, given its state; `None` if on time.
pub fn missed_deadline(ticket: &Ticket, now: Timestamp) -> Option<(DeadlineKind, Timestamp)> {
    let past = |due: Option<Timestamp>| due.filter(|d| *d < now);
    match ticket.state {
        State::Dispatched => past(ticket.due.sign).map(|d| (DeadlineKind::Sign, d)),
        State::Signed => past(ticket.due.respond)
            .map(|d| (DeadlineKind::Respond, d))
            .or_else(|| past(ticket.due.reply).map(|d| (DeadlineKind::Reply, d))),
        State::Responded | State::InProgress | State::ReturnRequested => {
            past(ticket.due.reply).map(|d| (DeadlineKind::Reply, d))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    #[test]
    fn windows_grow_with_tier() {
        let urgent = TimeLimits::for_urgency(Urgency::Urgent);
        let general = TimeLimits::for_urgency(Urgency::General);
        let complex = TimeLimits::for_urgency(Urgency::Complex);
        assert!(urgent.reply < general.reply && general.reply < complex.reply);
        assert_eq!(urgent.sign, Duration::minutes(15));
        assert_eq!(
            TimeLimits::for_urgency(Urgency::Utility).reply,
            Duration::hours(24)
        );
    }

    #[test]
    fn due_instants_count_from_dispatch() {
        let due = TimeLimits::for_urgency(Urgency::Urgent).due_from(at(8, 0));
        assert_eq!(due.sign, Some(at(8, 15)));
        assert_eq!(due.respond, Some(at(8, 30)));
        assert_eq!(due.reply, Some(at(10, 0)));
    }
}
