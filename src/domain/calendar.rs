//! The working-day calendar and the time windows counted on it (domain.md §5).
//!
//! Calendar dates are local dates at a fixed UTC offset (mainland China has no daylight
//! saving). A day is a working day unless it is a weekend day or a public holiday; a
//! make-up working day (调休上班) is a weekend day that is worked.
//!
//! **Counting working days.** From an instant on a working day, N working days later is
//! the same local time of day on the N-th following working day: dispatched Friday 17:00,
//! one working day runs to Monday 17:00. From an instant on a rest day the clock starts
//! with the next working day, and N working days run to the end (24:00) of the N-th
//! working day, counting that first one: dispatched Saturday 10:00, one working day runs to
//! Monday 24:00 (Tuesday 00:00). Natural windows (`2h`, `7d`) ignore the calendar.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc, Weekday};

use super::ticket::Timestamp;

/// A window is at most this long: a typo like `700d` should not pass silently.
pub const MAX_NATURAL_DAYS: i64 = 366;
pub const MAX_WORKING_DAYS: u32 = 250;

/// A time window as written in the deadlines file: natural time or working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `30s`, `15m`, `2h`, `7d`: counted on the clock, weekends and holidays included.
    Natural(Duration),
    /// `1wd`, `10wd`: counted on the working-day calendar.
    WorkingDays(u32),
}

impl Window {
    pub fn hours(n: i64) -> Self {
        Window::Natural(Duration::hours(n))
    }
    pub fn minutes(n: i64) -> Self {
        Window::Natural(Duration::minutes(n))
    }
    pub fn days(n: i64) -> Self {
        Window::Natural(Duration::days(n))
    }
}

impl FromStr for Window {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let shape = || {
            format!(
                "`{text}` is not a window: write a whole number and a unit, s, m, h, d \
                 (natural days) or wd (working days), e.g. 15m, 24h, 7d, 10wd"
            )
        };
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(shape)?;
        let (digits, unit) = text.split_at(split);
        let n: i64 = digits.parse().map_err(|_| shape())?;
        if n == 0 {
            return Err(format!("`{text}` must be longer than zero"));
        }
        let too_long = || {
            format!(
                "`{text}` is too long; windows go up to {MAX_NATURAL_DAYS}d or {MAX_WORKING_DAYS}wd"
            )
        };
        let natural = |seconds_per_unit: i64| {
            n.checked_mul(seconds_per_unit)
                .filter(|s| *s <= MAX_NATURAL_DAYS * 86_400)
                .map(|s| Window::Natural(Duration::seconds(s)))
                .ok_or_else(too_long)
        };
        match unit {
            "s" => natural(1),
            "m" => natural(60),
            "h" => natural(3_600),
            "d" => natural(86_400),
            "wd" => u32::try_from(n)
                .ok()
                .filter(|n| *n <= MAX_WORKING_DAYS)
                .map(Window::WorkingDays)
                .ok_or_else(too_long),
            _ => Err(shape()),
        }
    }
}

impl fmt::Display for Window {
    /// A spelling the file accepts back: days from two days up, else the largest whole unit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Window::WorkingDays(n) => write!(f, "{n}wd"),
            Window::Natural(d) => {
                let s = d.num_seconds();
                match s {
                    _ if s % 86_400 == 0 && s >= 2 * 86_400 => write!(f, "{}d", s / 86_400),
                    _ if s % 3_600 == 0 => write!(f, "{}h", s / 3_600),
                    _ if s % 60 == 0 => write!(f, "{}m", s / 60),
                    _ => write!(f, "{s}s"),
                }
            }
        }
    }
}

/// Rest days and make-up working days at one UTC offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    offset: FixedOffset,
    /// Days off: public holidays, including the weekend days inside a holiday block.
    holidays: BTreeSet<NaiveDate>,
    /// Weekend days that are working days (调休上班).
    workdays: BTreeSet<NaiveDate>,
    /// Years whose official arrangement is configured; other years have weekends only.
    years: BTreeSet<i32>,
}

/// UTC+8, China Standard Time.
pub fn china_standard_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

impl Default for Calendar {
    /// Weekends only, in China Standard Time.
    fn default() -> Self {
        Calendar::weekends_only(china_standard_time())
    }
}

impl Calendar {
    pub fn weekends_only(offset: FixedOffset) -> Self {
        Calendar {
            offset,
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            years: BTreeSet::new(),
        }
    }

    /// Adds one year's arrangement. The caller (the deadlines file parser) has checked that
    /// holidays and make-up days do not overlap.
    pub fn with_year(
        mut self,
        year: i32,
        holidays: impl IntoIterator<Item = NaiveDate>,
        workdays: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        self.years.insert(year);
        self.holidays.extend(holidays);
        self.workdays.extend(workdays);
        self
    }

    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    /// The years whose arrangement is configured, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The local calendar date of an instant.
    pub fn local_date(&self, at: Timestamp) -> NaiveDate {
        at.with_timezone(&self.offset).date_naive()
    }

    fn to_utc(&self, local: NaiveDateTime) -> Timestamp {
        local
            .and_local_timezone(self.offset)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// `n` working days after `from`, as defined in the module documentation.
    pub fn add_working_days(&self, from: Timestamp, n: u32) -> Timestamp {
        if n == 0 {
            return from;
        }
        let local = from.with_timezone(&self.offset).naive_local();
        let starts_on_rest_day = !self.is_working_day(local.date());
        let mut date = local.date();
        let mut remaining = n;
        while remaining > 0 {
            let Some(next) = date.succ_opt() else {
                return DateTime::<Utc>::MAX_UTC;
            };
            date = next;
            if self.is_working_day(date) {
                remaining -= 1;
            }
        }
        if starts_on_rest_day {
            // The end of the n-th working day: midnight at the start of the next date.
            match date.succ_opt() {
                Some(after) => self.to_utc(after.and_time(chrono::NaiveTime::MIN)),
                None => DateTime::<Utc>::MAX_UTC,
            }
        } else {
            self.to_utc(date.and_time(local.time()))
        }
    }

    /// The end of a window opened at `from`.
    pub fn add(&self, from: Timestamp, window: Window) -> Timestamp {
        match window {
            Window::Natural(d) => from
                .checked_add_signed(d)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Window::WorkingDays(n) => self.add_working_days(from, n),
        }
    }

    /// Years touched by the local dates `[from, to]` that have no configured arrangement
    /// (only weekends are rest days there): a deployment should add the year's notice.
    pub fn years_without_notice(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        (from.year()..=to.year())
            .filter(|y| !self.years.contains(y))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn days(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days().take_while(|d| *d <= to).collect()
    }

    /// Mainland China, 2026, from the State Council notice (shared data file).
    fn china_2026() -> Calendar {
        let holidays = [
            (date(2026, 1, 1), date(2026, 1, 3)),
            (date(2026, 2, 15), date(2026, 2, 23)),
            (date(2026, 4, 4), date(2026, 4, 6)),
            (date(2026, 5, 1), date(2026, 5, 5)),
            (date(2026, 6, 19), date(2026, 6, 21)),
            (date(2026, 9, 25), date(2026, 9, 27)),
            (date(2026, 10, 1), date(2026, 10, 7)),
        ]
        .into_iter()
        .flat_map(|(from, to)| days(from, to));
        let workdays = [
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        ];
        Calendar::default().with_year(2026, holidays, workdays)
    }

    /// A Beijing wall-clock instant.
    fn bj(m: u32, d: u32, h: u32, min: u32) -> Timestamp {
        china_standard_time()
            .with_ymd_and_hms(2026, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn windows_parse_and_print_back() {
        let cases = [
            ("30s", Window::Natural(Duration::seconds(30))),
            ("15m", Window::minutes(15)),
            ("2h", Window::hours(2)),
            ("24h", Window::days(1)),
            ("7d", Window::days(7)),
            ("1wd", Window::WorkingDays(1)),
            ("10wd", Window::WorkingDays(10)),
        ];
        for (text, window) in cases {
            assert_eq!(text.parse::<Window>(), Ok(window), "{text}");
        }
        assert_eq!(Window::days(1).to_string(), "24h");
        assert_eq!(Window::days(7).to_string(), "7d");
        assert_eq!(Window::minutes(90).to_string(), "90m");
        assert_eq!(Window::WorkingDays(10).to_string(), "10wd");
        assert_eq!(Window::Natural(Duration::seconds(45)).to_string(), "45s");
    }

    #[test]
    fn bad_windows_say_why() {
        for bad in ["", "h", "15", "15x", "1.5h", "-2h", "2 h", "+2h", "wd"] {
            let e = bad.parse::<Window>().unwrap_err();
            assert!(e.contains("is not a window"), "{bad}: {e}");
        }
        assert!(
            "0h".parse::<Window>()
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(
            "0wd"
                .parse::<Window>()
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!("367d".parse::<Window>().unwrap_err().contains("too long"));
        assert!("251wd".parse::<Window>().unwrap_err().contains("too long"));
        let huge = "99999999999999999999h".parse::<Window>().unwrap_err();
        assert!(huge.contains("is not a window"), "{huge}");
        assert!(
            "9999999999999h"
                .parse::<Window>()
                .unwrap_err()
                .contains("too long")
        );
    }

    #[test]
    fn the_2026_notice_marks_holidays_and_make_up_days() {
        let cal = china_2026();
        assert!(!cal.is_working_day(date(2026, 10, 1)), "National Day");
        assert!(
            !cal.is_working_day(date(2026, 10, 5)),
            "a Monday in the block"
        );
        assert!(cal.is_working_day(date(2026, 10, 10)), "make-up Saturday");
        assert!(cal.is_working_day(date(2026, 9, 20)), "make-up Sunday");
        assert!(
            !cal.is_working_day(date(2026, 9, 19)),
            "an ordinary Saturday"
        );
        assert!(cal.is_working_day(date(2026, 9, 18)), "an ordinary Friday");
        assert!(
            !cal.is_working_day(date(2026, 2, 23)),
            "Spring Festival Monday"
        );
        assert!(cal.is_working_day(date(2026, 2, 14)), "make-up Saturday");
        // 2027 has no notice configured: only weekends rest.
        assert!(cal.is_working_day(date(2027, 1, 1)), "a Friday");
        assert!(!cal.is_working_day(date(2027, 1, 2)), "a Saturday");
    }

    #[test]
    fn a_working_day_start_keeps_its_time_of_day() {
        let cal = china_2026();
        // An ordinary week: Friday 17:00 + 1wd = Monday 17:00 (2026-03-13 is a Friday).
        assert_eq!(cal.add_working_days(bj(3, 13, 17, 0), 1), bj(3, 16, 17, 0));
        assert_eq!(cal.add_working_days(bj(3, 13, 17, 0), 5), bj(3, 20, 17, 0));
        // Across National Day: Wednesday 30 Sep, the next working day is Thursday 8 Oct,
        // then Friday 9, make-up Saturday 10, then Monday 12.
        let eve = bj(9, 30, 10, 0);
        assert_eq!(cal.add_working_days(eve, 1), bj(10, 8, 10, 0));
        assert_eq!(cal.add_working_days(eve, 2), bj(10, 9, 10, 0));
        assert_eq!(cal.add_working_days(eve, 3), bj(10, 10, 10, 0));
        assert_eq!(cal.add_working_days(eve, 4), bj(10, 12, 10, 0));
        // The make-up Sunday before Mid-Autumn is a working day: Fri 18 Sep + 1wd = Sun 20.
        assert_eq!(cal.add_working_days(bj(9, 18, 17, 0), 1), bj(9, 20, 17, 0));
        assert_eq!(cal.add_working_days(bj(9, 18, 17, 0), 2), bj(9, 21, 17, 0));
        // Thursday 24 Sep + 1wd jumps Mid-Autumn (Fri 25 - Sun 27) to Monday 28.
        assert_eq!(cal.add_working_days(bj(9, 24, 9, 30), 1), bj(9, 28, 9, 30));
    }

    #[test]
    fn spring_festival_and_its_make_up_saturdays() {
        let cal = china_2026();
        // Friday 13 Feb: the make-up Saturday 14 counts, then the festival (15-23) does not.
        assert_eq!(cal.add_working_days(bj(2, 13, 9, 0), 1), bj(2, 14, 9, 0));
        assert_eq!(cal.add_working_days(bj(2, 13, 9, 0), 2), bj(2, 24, 9, 0));
        // Dispatched on the make-up Saturday itself: a working day.
        assert_eq!(cal.add_working_days(bj(2, 14, 10, 0), 1), bj(2, 24, 10, 0));
        // Friday 27 Feb + 1wd = make-up Saturday 28; + 2wd = Monday 2 March.
        assert_eq!(cal.add_working_days(bj(2, 27, 17, 0), 1), bj(2, 28, 17, 0));
        assert_eq!(cal.add_working_days(bj(2, 27, 17, 0), 2), bj(3, 2, 17, 0));
        // Ten working days from the Friday before the festival: 14, 24, 25, 26, 27, 28
        // Feb, 2, 3, 4, 5 Mar.
        assert_eq!(cal.add_working_days(bj(2, 13, 9, 0), 10), bj(3, 5, 9, 0));
    }

    #[test]
    fn a_rest_day_start_runs_to_the_end_of_the_nth_working_day() {
        let cal = china_2026();
        // Saturday 3 Oct (holiday) 11:00: the first working day is Thursday 8 Oct; one
        // working day runs to its end, Friday 9 Oct 00:00.
        assert_eq!(cal.add_working_days(bj(10, 3, 11, 0), 1), bj(10, 9, 0, 0));
        assert_eq!(cal.add_working_days(bj(10, 3, 11, 0), 2), bj(10, 10, 0, 0));
        // An ordinary Saturday: one working day is the whole of Monday.
        assert_eq!(cal.add_working_days(bj(3, 14, 10, 0), 1), bj(3, 17, 0, 0));
        // Sunday 11 Oct, after the make-up Saturday: Monday 12 is the first working day.
        assert_eq!(cal.add_working_days(bj(10, 11, 23, 0), 1), bj(10, 13, 0, 0));
    }

    #[test]
    fn dates_are_local_not_utc() {
        let cal = china_2026();
        // 30 Sep 20:00 UTC is 1 Oct 04:00 in Beijing: a holiday, so a rest-day start.
        let late = Utc.with_ymd_and_hms(2026, 9, 30, 20, 0, 0).unwrap();
        assert_eq!(cal.local_date(late), date(2026, 10, 1));
        assert_eq!(cal.add_working_days(late, 1), bj(10, 9, 0, 0));
        assert_eq!(
            cal.add_working_days(late, 1),
            Utc.with_ymd_and_hms(2026, 10, 8, 16, 0, 0).unwrap()
        );
    }

    #[test]
    fn natural_windows_ignore_the_calendar() {
        let cal = china_2026();
        assert_eq!(cal.add(bj(9, 30, 10, 0), Window::days(7)), bj(10, 7, 10, 0));
        assert_eq!(
            cal.add(bj(10, 3, 10, 0), Window::hours(2)),
            bj(10, 3, 12, 0)
        );
        assert_eq!(
            cal.add(bj(9, 30, 10, 0), Window::WorkingDays(1)),
            bj(10, 8, 10, 0)
        );
    }

    #[test]
    fn years_without_a_notice_are_reported() {
        let cal = china_2026();
        assert_eq!(
            cal.years_without_notice(date(2026, 11, 1), date(2027, 1, 30)),
            vec![2027]
        );
        assert!(
            cal.years_without_notice(date(2026, 1, 1), date(2026, 12, 31))
                .is_empty()
        );
    }
}
