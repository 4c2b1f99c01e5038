//! Time limits (domain.md §5): the windows of each urgency tier, per region, the due
//! instants they give at dispatch, rework (重办) and extension (延期), the return (退单)
//! window, and which deadlines a ticket is held to in each state.
//!
//! The windows are data (`config/deadlines.toml`, parsed by
//! [`deadline_file`](super::deadline_file)); [`DeadlinePolicy::default`] holds the
//! defaults below on a weekends-only calendar in China Standard Time:
//!
//! | tier    | sign | respond | reply | return |
//! |---------|------|---------|-------|--------|
//! | urgent  | 15m  | 30m     | 2h    | 2wd    |
//! | utility | 30m  | 2h      | 24h   | 2wd    |
//! | general | 1wd  | 1wd     | 7d    | 2wd    |
//! | complex | 1wd  | 1wd     | 15d   | 2wd    |
//!
//! Responding (contacting the requester) is due with signing for general and complex
//! matters — the unit takes the ticket and calls within the same working day — and soon
//! after it for urgent and utility matters. Extensions go up to 10 working days.

use serde::{Deserialize, Serialize};
use strum::{Display, EnumIter, EnumString, IntoStaticStr};

use super::calendar::{Calendar, Window};
use super::ticket::{Deadlines, Intake, State, Ticket, Timestamp, Urgency};
use super::warning::Thresholds;

/// The windows of one tier, each counted from dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierWindows {
    pub sign: Window,
    pub respond: Window,
    pub reply: Window,
    /// 退单 is allowed only within this window.
    pub return_window: Window,
}

/// Some windows of a tier, replacing the inherited ones (a region's override).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierOverride {
    pub sign: Option<Window>,
    pub respond: Option<Window>,
    pub reply: Option<Window>,
    pub return_window: Option<Window>,
}

impl TierOverride {
    /// These windows over `base`.
    pub fn over(&self, base: TierWindows) -> TierWindows {
        TierWindows {
            sign: self.sign.unwrap_or(base.sign),
            respond: self.respond.unwrap_or(base.respond),
            reply: self.reply.unwrap_or(base.reply),
            return_window: self.return_window.unwrap_or(base.return_window),
        }
    }
}

/// One value per urgency tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tiers<T> {
    pub urgent: T,
    pub utility: T,
    pub general: T,
    pub complex: T,
}

impl<T> Tiers<T> {
    pub fn get(&self, urgency: Urgency) -> &T {
        match urgency {
            Urgency::Urgent => &self.urgent,
            Urgency::Utility => &self.utility,
            Urgency::General => &self.general,
            Urgency::Complex => &self.complex,
        }
    }

    pub fn get_mut(&mut self, urgency: Urgency) -> &mut T {
        match urgency {
            Urgency::Urgent => &mut self.urgent,
            Urgency::Utility => &mut self.utility,
            Urgency::General => &mut self.general,
            Urgency::Complex => &mut self.complex,
        }
    }
}

/// The defaults of domain.md §5 (see the module documentation).
pub fn default_tiers() -> Tiers<TierWindows> {
    let tier = |sign, respond, reply| TierWindows {
        sign,
        respond,
        reply,
        return_window: Window::WorkingDays(2),
    };
    Tiers {
        urgent: tier(Window::minutes(15), Window::minutes(30), Window::hours(2)),
        utility: tier(Window::minutes(30), Window::hours(2), Window::hours(24)),
        general: tier(
            Window::WorkingDays(1),
            Window::WorkingDays(1),
            Window::days(7),
        ),
        complex: tier(
            Window::WorkingDays(1),
            Window::WorkingDays(1),
            Window::days(15),
        ),
    }
}

/// Windows that differ in one region. A region code applies to itself and to every code it
/// prefixes, so a street (320102001) inherits its district's (320102) override; a street's
/// own override applies on top of its district's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionOverride {
    pub code: String,
    pub tiers: Tiers<TierOverride>,
}

/// The time limits in force: windows, calendar, extension cap and warning thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlinePolicy {
    calendar: Calendar,
    tiers: Tiers<TierWindows>,
    /// Sorted by code length, so broader regions apply first.
    regions: Vec<RegionOverride>,
    max_extension: Window,
    thresholds: Thresholds,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy::new(
            Calendar::default(),
            default_tiers(),
            Vec::new(),
            DEFAULT_MAX_EXTENSION,
            Thresholds::default(),
        )
    }
}

/// 10 working days, for especially complex cases.
pub const DEFAULT_MAX_EXTENSION: Window = Window::WorkingDays(10);

impl DeadlinePolicy {
    pub fn new(
        calendar: Calendar,
        tiers: Tiers<TierWindows>,
        mut regions: Vec<RegionOverride>,
        max_extension: Window,
        thresholds: Thresholds,
    ) -> Self {
        regions.sort_by(|a, b| (a.code.len(), &a.code).cmp(&(b.code.len(), &b.code)));
        DeadlinePolicy {
            calendar,
            tiers,
            regions,
            max_extension,
            thresholds,
        }
    }

    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    pub fn max_extension(&self) -> Window {
        self.max_extension
    }

    pub fn tiers(&self) -> &Tiers<TierWindows> {
        &self.tiers
    }

    pub fn regions(&self) -> &[RegionOverride] {
        &self.regions
    }

    /// The windows of a tier in a region, overrides applied broadest first.
    pub fn windows(&self, urgency: Urgency, region: &str) -> TierWindows {
        self.regions
            .iter()
            .filter(|r| region.starts_with(r.code.as_str()))
            .fold(*self.tiers.get(urgency), |windows, r| {
                r.tiers.get(urgency).over(windows)
            })
    }

    /// Fresh deadlines for a ticket dispatched (or reassigned, 改派) at `at`.
    pub fn on_dispatch(&self, intake: &Intake, at: Timestamp) -> Deadlines {
        let w = self.windows(intake.urgency, &intake.region);
        let due = |window| Some(self.calendar.add(at, window));
        Deadlines {
            sign: due(w.sign),
            respond: due(w.respond),
            reply: due(w.reply),
            return_by: due(w.return_window),
            started_at: Some(at),
        }
    }

    /// 重办: a fresh reply window from `at`; the sign and respond deadlines are history.
    pub fn on_rework(&self, intake: &Intake, due: &mut Deadlines, at: Timestamp) {
        let w = self.windows(intake.urgency, &intake.region);
        due.reply = Some(self.calendar.add(at, w.reply));
        due.started_at = Some(at);
    }

    /// The reply deadline pushed back by `extension`, or why that is more than allowed.
    pub fn extend(&self, reply_due: Timestamp, extension: Window) -> Result<Timestamp, String> {
        let asked = self.calendar.add(reply_due, extension);
        let cap = self.calendar.add(reply_due, self.max_extension);
        if asked > cap {
            return Err(format!(
                "{extension} is longer than the longest extension, {}",
                self.max_extension
            ));
        }
        Ok(asked)
    }
}

vocabulary! {
    /// Which due instant a warning or an overdue ticket is about.
    pub enum DeadlineKind { Sign, Respond, Reply }
}

/// The deadlines a ticket is held to in its state, earliest first. The reply clock runs
/// from dispatch whatever the unit has done; signing and responding stop their own clocks.
pub fn running_deadlines(ticket: &Ticket) -> Vec<(DeadlineKind, Timestamp)> {
    use DeadlineKind::*;
    let kinds: &[DeadlineKind] = match ticket.state {
        State::Dispatched => &[Sign, Respond, Reply],
        State::Signed => &[Respond, Reply],
        State::Responded | State::InProgress | State::ReturnRequested => &[Reply],
        _ => &[],
    };
    let mut running: Vec<_> = kinds
        .iter()
        .filter_map(|kind| {
            let due = match kind {
                Sign => ticket.due.sign,
                Respond => ticket.due.respond,
                Reply => ticket.due.reply,
            };
            due.map(|d| (*kind, d))
        })
        .collect();
    running.sort_by_key(|(kind, due)| (*due, *kind));
    running
}

/// The first deadline the ticket has missed at `now` (reached counts as missed), if any.
pub fn missed_deadline(ticket: &Ticket, now: Timestamp) -> Option<(DeadlineKind, Timestamp)> {
    running_deadlines(ticket)
        .into_iter()
        .find(|(_, due)| *due <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::china_standard_time;
    use chrono::{Duration, NaiveDate, TimeZone, Utc};

    fn bj(m: u32, d: u32, h: u32, min: u32) -> Timestamp {
        china_standard_time()
            .with_ymd_and_hms(2026, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn intake(urgency: Urgency, region: &str) -> Intake {
        Intake {
            urgency,
            region: region.into(),
            ..Intake::sample()
        }
    }

    /// National Day 2026 only, to keep the fixture short.
    fn national_day() -> Calendar {
        let block = NaiveDate::from_ymd_opt(2026, 10, 1)
            .unwrap()
            .iter_days()
            .take(7);
        let make_up = [
            NaiveDate::from_ymd_opt(2026, 9, 20).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 10).unwrap(),
        ];
        Calendar::default().with_year(2026, block, make_up)
    }

    fn policy(regions: Vec<RegionOverride>) -> DeadlinePolicy {
        DeadlinePolicy::new(
            national_day(),
            default_tiers(),
            regions,
            DEFAULT_MAX_EXTENSION,
            Thresholds::default(),
        )
    }

    #[test]
    fn dispatch_sets_every_due_instant_from_the_tier() {
        let p = policy(Vec::new());
        // Wednesday 30 Sep 15:00, the eve of National Day.
        let at = bj(9, 30, 15, 0);
        let general = p.on_dispatch(&intake(Urgency::General, "320102001"), at);
        assert_eq!(
            general.sign,
            Some(bj(10, 8, 15, 0)),
            "1wd skips the holiday"
        );
        assert_eq!(general.respond, Some(bj(10, 8, 15, 0)));
        assert_eq!(general.reply, Some(bj(10, 7, 15, 0)), "7d are natural days");
        assert_eq!(general.return_by, Some(bj(10, 9, 15, 0)), "2wd");
        assert_eq!(general.started_at, Some(at));

        let urgent = p.on_dispatch(&intake(Urgency::Urgent, "320102001"), at);
        assert_eq!(urgent.sign, Some(bj(9, 30, 15, 15)));
        assert_eq!(urgent.respond, Some(bj(9, 30, 15, 30)));
        assert_eq!(urgent.reply, Some(bj(9, 30, 17, 0)));
        let utility = p.on_dispatch(&intake(Urgency::Utility, "320102001"), at);
        assert_eq!(utility.reply, Some(bj(10, 1, 15, 0)), "24h, holiday or not");
        let complex = p.on_dispatch(&intake(Urgency::Complex, "320102001"), at);
        assert_eq!(complex.reply, Some(bj(10, 15, 15, 0)));
    }

    #[test]
    fn streets_inherit_their_districts_override() {
        let district = RegionOverride {
            code: "320102".into(),
            tiers: Tiers {
                general: TierOverride {
                    reply: Some(Window::WorkingDays(5)),
                    sign: Some(Window::hours(4)),
                    ..Default::default()
                },
                ..Default::default()
            },
        };
        let street = RegionOverride {
            code: "320102001".into(),
            tiers: Tiers {
                general: TierOverride {
                    sign: Some(Window::hours(2)),
                    ..Default::default()
                },
                ..Default::default()
            },
        };
        // Given street first: the policy sorts broader regions first.
        let p = policy(vec![street, district]);
        let defaults = default_tiers().general;
        let w = p.windows(Urgency::General, "320102001");
        assert_eq!(w.sign, Window::hours(2), "the street's own override wins");
        assert_eq!(
            w.reply,
            Window::WorkingDays(5),
            "inherited from the district"
        );
        assert_eq!(w.respond, defaults.respond);
        let w = p.windows(Urgency::General, "320102002");
        assert_eq!(
            (w.sign, w.reply),
            (Window::hours(4), Window::WorkingDays(5))
        );
        assert_eq!(p.windows(Urgency::General, "320104001"), defaults);
        assert_eq!(
            p.windows(Urgency::Urgent, "320102001"),
            default_tiers().urgent
        );
    }

    #[test]
    fn rework_restarts_the_reply_window_only() {
        let p = policy(Vec::new());
        let form = intake(Urgency::General, "320102001");
        let mut due = p.on_dispatch(&form, bj(9, 1, 9, 0));
        let before = due;
        p.on_rework(&form, &mut due, bj(9, 29, 10, 0));
        assert_eq!(due.reply, Some(bj(10, 6, 10, 0)));
        assert_eq!(due.started_at, Some(bj(9, 29, 10, 0)));
        assert_eq!((due.sign, due.respond), (before.sign, before.respond));
    }

    #[test]
    fn extensions_are_capped_on_the_calendar() {
        let p = policy(Vec::new());
        // Reply due Tuesday 29 Sep 10:00. Ten working days: 30 Sep, 8, 9, 10 (make-up
        // Saturday), 12, 13, 14, 15, 16, 19 Oct.
        let due = bj(9, 29, 10, 0);
        assert_eq!(
            p.extend(due, Window::WorkingDays(10)),
            Ok(bj(10, 19, 10, 0))
        );
        assert_eq!(p.extend(due, Window::WorkingDays(2)), Ok(bj(10, 8, 10, 0)));
        // 480 hours (20 days) end on 19 Oct 10:00 too: exactly at the cap.
        assert_eq!(p.extend(due, Window::hours(480)), Ok(bj(10, 19, 10, 0)));
        let e = p.extend(due, Window::hours(481)).unwrap_err();
        assert_eq!(e, "481h is longer than the longest extension, 10wd");
        assert!(p.extend(due, Window::WorkingDays(11)).is_err());
    }

    fn ticket(state: State, due: Deadlines) -> Ticket {
        let mut t = Ticket::received(
            intake(Urgency::General, "320102001"),
            crate::domain::Disposition::Dispatch {
                unit: Some("street".into()),
                co_units: vec![],
            },
            bj(3, 2, 9, 0),
        );
        t.state = state;
        t.due = due;
        t
    }

    #[test]
    fn each_state_runs_its_own_deadlines() {
        let at = bj(3, 2, 9, 0);
        let due = DeadlinePolicy::default().on_dispatch(&intake(Urgency::Urgent, "320102001"), at);
        let kinds = |state| {
            running_deadlines(&ticket(state, due))
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        };
        use DeadlineKind::*;
        assert_eq!(kinds(State::Dispatched), vec![Sign, Respond, Reply]);
        assert_eq!(kinds(State::Signed), vec![Respond, Reply]);
        for state in [State::Responded, State::InProgress, State::ReturnRequested] {
            assert_eq!(kinds(state), vec![Reply], "{state}");
        }
        for state in [State::Received, State::Replied, State::AwaitingCallback] {
            assert!(kinds(state).is_empty(), "{state}");
        }
        let t = ticket(State::Signed, due);
        assert_eq!(missed_deadline(&t, at + Duration::minutes(29)), None);
        assert_eq!(
            missed_deadline(&t, at + Duration::minutes(30)),
            Some((Respond, at + Duration::minutes(30))),
            "due at the instant counts as missed"
        );
        assert_eq!(
            missed_deadline(&t, at + Duration::hours(3)),
            Some((Respond, at + Duration::minutes(30))),
            "the earliest missed deadline"
        );
    }
}
