//! When seeded things happen: the instant each ticket is created (calls by hour of day,
//! fewer at weekends, ids in creation order) and the hours units work.
//!
//! Open tickets are recent ones: `open_share` of all tickets are extra requests of the last
//! [`OPEN_WINDOW_DAYS`] days still on a unit's desk, so the last days look like busy days
//! with their backlog, and old tickets are closed as they would be.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveTime, TimeZone, Timelike, Weekday};
use rand::Rng;

use crate::domain::Timestamp;
use crate::domain::calendar::{Calendar, china_standard_time};

/// How far back the open tickets were created: before the yellow line of the general
/// reply window (75% of 7 days), so that a daemon started on the seeded database does not
/// begin with a flood of warnings to record.
pub const OPEN_WINDOW_DAYS: i64 = 5;

/// Relative call volume by local hour (a city hotline's day: quiet nights, busy mornings).
const HOURLY: [f64; 24] = [
    0.8, 0.5, 0.4, 0.3, 0.3, 0.5, 1.2, 3.0, 6.5, 9.0, 9.5, 8.5, 6.5, 6.5, 8.5, 9.0, 8.5, 7.5, 6.0,
    5.0, 4.5, 3.5, 2.5, 1.5,
];
const WEEKEND_VOLUME: f64 = 0.7;

/// The fraction of a day's calls made before `time` (piecewise uniform within an hour).
fn day_mass_before(time: NaiveTime) -> f64 {
    let total: f64 = HOURLY.iter().sum();
    let hour = time.hour() as usize;
    let within = f64::from(time.minute() * 60 + time.second()) / 3600.0;
    (HOURLY[..hour].iter().sum::<f64>() + HOURLY[hour] * within) / total
}

/// The time of day by which `mass` (0..1) of a day's calls were made.
fn time_at_mass(mass: f64) -> NaiveTime {
    let total: f64 = HOURLY.iter().sum();
    let mut left = mass.clamp(0.0, 1.0) * total;
    for (hour, weight) in HOURLY.iter().enumerate() {
        if left < *weight {
            let seconds = (left / weight * 3600.0) as u32;
            return NaiveTime::from_num_seconds_from_midnight_opt(hour as u32 * 3600 + seconds, 0)
                .expect("within the day");
        }
        left -= weight;
    }
    NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time")
}

/// One local day of the history.
#[derive(Debug, Clone)]
struct Day {
    date: NaiveDate,
    /// Share of the day's calls inside the history (less than 1 only for the last day).
    available: f64,
    /// Cumulative share of all tickets up to the end of this day.
    until: f64,
    /// Chance that a ticket created this day is one of the open extras.
    open_chance: f64,
}

/// Maps the i-th of `total` tickets to its creation instant, increasing with i.
#[derive(Debug, Clone)]
pub struct Timeline {
    days: Vec<Day>,
    total: u64,
    end: Timestamp,
}

impl Timeline {
    /// `total` tickets over the `months` before `end`, `open_share` of them open extras of
    /// the last days.
    pub fn new(total: u64, months: u32, open_share: f64, end: Timestamp) -> Timeline {
        let tz = china_standard_time();
        let local_end = end.with_timezone(&tz);
        let last = local_end.date_naive();
        let first = last
            .checked_sub_months(Months::new(months))
            .unwrap_or(last)
            .succ_opt()
            .unwrap_or(last);
        let dates: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
        let recent = (OPEN_WINDOW_DAYS as usize).min(dates.len());
        let volume = |date: NaiveDate| match date.weekday() {
            Weekday::Sat | Weekday::Sun => WEEKEND_VOLUME,
            _ => 1.0,
        };
        let available = |date: NaiveDate| {
            if date == last {
                day_mass_before(local_end.time())
            } else {
                1.0
            }
        };
        // Closed history spreads over every day; the open extras over the recent ones.
        let history: f64 = dates.iter().map(|d| volume(*d) * available(*d)).sum();
        let extras: f64 = dates[dates.len() - recent..]
            .iter()
            .map(|d| volume(*d) * available(*d))
            .sum();
        let mut days = Vec::with_capacity(dates.len());
        let mut cumulative = 0.0;
        for (i, date) in dates.iter().enumerate() {
            let weight = volume(*date) * available(*date);
            let closed = (1.0 - open_share) * weight / history.max(f64::MIN_POSITIVE);
            let open = if i >= dates.len() - recent {
                open_share * weight / extras.max(f64::MIN_POSITIVE)
            } else {
                0.0
            };
            cumulative += closed + open;
            days.push(Day {
                date: *date,
                available: available(*date),
                until: cumulative,
                open_chance: if closed + open > 0.0 {
                    open / (closed + open)
                } else {
                    0.0
                },
            });
        }
        Timeline { days, total, end }
    }

    fn day_of(&self, index: u64) -> (&Day, f64) {
        let u = (index as f64 + 0.5) / self.total.max(1) as f64;
        let i = self
            .days
            .partition_point(|d| d.until <= u)
            .min(self.days.len() - 1);
        let before = if i == 0 { 0.0 } else { self.days[i - 1].until };
        let span = (self.days[i].until - before).max(f64::MIN_POSITIVE);
        (&self.days[i], ((u - before) / span).clamp(0.0, 1.0))
    }

    /// When the index-th ticket (from 0) was created, to the second.
    pub fn created_at(&self, index: u64) -> Timestamp {
        let (day, within) = self.day_of(index);
        let time = time_at_mass(within * day.available);
        let at = china_standard_time()
            .from_local_datetime(&day.date.and_time(time))
            .single()
            .expect("a fixed offset has no gaps")
            .to_utc();
        at.min(self.end)
    }

    /// The chance that the index-th ticket is one of the open extras.
    pub fn open_chance(&self, index: u64) -> f64 {
        self.day_of(index).0.open_chance
    }

    pub fn end(&self) -> Timestamp {
        self.end
    }
}

/// Office hours of the handling units, local time.
const DUTY_START: (u32, u32) = (8, 30);
const DUTY_END: (u32, u32) = (17, 30);

/// `at` if a unit is at work then, else a little after work resumes (next working day of
/// the calendar, 08:30 plus up to 90 minutes).
pub fn on_duty(at: Timestamp, calendar: &Calendar, rng: &mut impl Rng) -> Timestamp {
    let tz = calendar.offset();
    let local = at.with_timezone(&tz);
    let start = NaiveTime::from_hms_opt(DUTY_START.0, DUTY_START.1, 0).expect("valid");
    let end = NaiveTime::from_hms_opt(DUTY_END.0, DUTY_END.1, 0).expect("valid");
    let mut date = local.date_naive();
    if calendar.is_working_day(date) && local.time() >= start && local.time() < end {
        return at;
    }
    if !calendar.is_working_day(date) || local.time() >= end {
        date = date.succ_opt().expect("within range");
        while !calendar.is_working_day(date) {
            date = date.succ_opt().expect("within range");
        }
    }
    let resumed = tz
        .from_local_datetime(&date.and_time(start))
        .single()
        .expect("a fixed offset has no gaps")
        .to_utc();
    resumed + Duration::seconds(rng.random_range(0..90 * 60))
}

/// `at` moved into the centre's callback hours (09:00-20:00 local, every day).
pub fn callback_hours(at: Timestamp, calendar: &Calendar, rng: &mut impl Rng) -> Timestamp {
    let tz = calendar.offset();
    let local = at.with_timezone(&tz);
    let hour = local.hour();
    if (9..20).contains(&hour) {
        return at;
    }
    let date = if hour >= 20 {
        local.date_naive().succ_opt().expect("within range")
    } else {
        local.date_naive()
    };
    tz.from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("valid")))
        .single()
        .expect("a fixed offset has no gaps")
        .to_utc()
        + Duration::seconds(rng.random_range(0..3 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use rand::SeedableRng;

    fn end() -> Timestamp {
        // 2026-03-18 15:00 in Nanjing.
        Utc.with_ymd_and_hms(2026, 3, 18, 7, 0, 0).unwrap()
    }

    #[test]
    fn creation_instants_rise_with_the_index_and_stay_in_the_history() {
        let timeline = Timeline::new(10_000, 3, 0.03, end());
        // Three months before 2026-03-18: from 2025-12-19 on.
        let start = end() - Duration::days(90);
        let mut previous = start - Duration::days(1);
        for i in 0..10_000 {
            let at = timeline.created_at(i);
            assert!(at >= previous, "ticket {i} at {at} before {previous}");
            assert!(at <= end());
            previous = at;
        }
        assert!(timeline.created_at(0) < start + Duration::days(1));
    }

    #[test]
    fn open_extras_come_from_the_last_days_and_make_up_the_share() {
        let total = 100_000;
        let timeline = Timeline::new(total, 12, 0.03, end());
        let window_start = end() - Duration::days(OPEN_WINDOW_DAYS);
        let mut expected_open = 0.0;
        for i in 0..total {
            let chance = timeline.open_chance(i);
            if chance > 0.0 {
                assert!(timeline.created_at(i) >= window_start - Duration::days(1));
            }
            expected_open += chance;
        }
        let share = expected_open / total as f64;
        assert!((share - 0.03).abs() < 0.001, "{share}");
    }

    #[test]
    fn nights_are_quieter_than_mornings() {
        let timeline = Timeline::new(50_000, 1, 0.0, end());
        let tz = china_standard_time();
        let (mut night, mut morning) = (0, 0);
        for i in 0..50_000 {
            match timeline.created_at(i).with_timezone(&tz).hour() {
                2..=4 => night += 1,
                9..=11 => morning += 1,
                _ => {}
            }
        }
        assert!(morning > night * 10, "{morning} vs {night}");
    }

    #[test]
    fn units_work_office_hours_on_working_days() {
        let calendar = Calendar::weekends_only(china_standard_time());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let tz = china_standard_time();
        // Saturday 2026-03-21 10:00 local → Monday from 08:30.
        let saturday = tz.with_ymd_and_hms(2026, 3, 21, 10, 0, 0).unwrap().to_utc();
        let moved = on_duty(saturday, &calendar, &mut rng).with_timezone(&tz);
        assert_eq!(
            moved.date_naive(),
            NaiveDate::from_ymd_opt(2026, 3, 23).unwrap()
        );
        assert!(moved.time() >= NaiveTime::from_hms_opt(8, 30, 0).unwrap());
        // Within office hours nothing moves.
        let tuesday = tz.with_ymd_and_hms(2026, 3, 24, 10, 0, 0).unwrap().to_utc();
        assert_eq!(on_duty(tuesday, &calendar, &mut rng), tuesday);
        // Early morning of a working day → the same day.
        let early = tz.with_ymd_and_hms(2026, 3, 24, 6, 0, 0).unwrap().to_utc();
        let moved = on_duty(early, &calendar, &mut rng).with_timezone(&tz);
        assert_eq!(
            moved.date_naive(),
            NaiveDate::from_ymd_opt(2026, 3, 24).unwrap()
        );
    }
}
