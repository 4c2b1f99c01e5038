//! Parsing `config/deadlines.toml` into a [`DeadlinePolicy`]: pure, with errors that name
//! the file, line and key. Every key may be omitted; omitted windows keep the defaults of
//! [`super::deadline::default_tiers`].
//!
//! ```toml
//! timezone = "+08:00"        # calendar dates are local dates at this offset
//! max_extension = "10wd"     # longest extension (延期) a unit may ask for at once
//!
//! [warnings]                 # fractions of a window at which yellow and red fall
//! yellow = 0.75
//! red = 0.9
//!
//! [general]                  # also [urgent], [utility], [complex]
//! sign = "1wd"               # windows: 30s, 15m, 2h, 7d (natural) or 1wd (working days)
//! respond = "1wd"
//! reply = "7d"
//! return = "2wd"             # 退单 allowed within this window
//!
//! [[region]]                 # a district's code also covers its streets
//! code = "320102"
//! general.reply = "5d"
//!
//! [[calendar.year]]          # weekends rest unless listed as make-up working days
//! year = 2026
//! holidays = [{ name = "国庆节", from = "2026-10-01", to = "2026-10-07" }]
//! workdays = ["2026-09-20", "2026-10-10"]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, FixedOffset, NaiveDate, Weekday};
use serde::Deserialize;
use strum::IntoEnumIterator;
use toml::Spanned;

use super::calendar::{Calendar, Window, china_standard_time};
use super::config_file::{ConfigError, line_of};
use super::deadline::{
    DEFAULT_MAX_EXTENSION, DeadlinePolicy, RegionOverride, TierOverride, Tiers, default_tiers,
};
use super::ticket::Urgency;
use super::warning::Thresholds;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadlinesFile {
    timezone: Option<Spanned<String>>,
    max_extension: Option<Spanned<String>>,
    warnings: Option<WarningsEntry>,
    urgent: Option<TierEntry>,
    utility: Option<TierEntry>,
    general: Option<TierEntry>,
    complex: Option<TierEntry>,
    #[serde(default)]
    region: Vec<RegionEntry>,
    calendar: Option<CalendarEntry>,
}

/// The four tier tables of the file or of a region entry.
type TierEntries<'a> = [(Urgency, &'a Option<TierEntry>); 4];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TierEntry {
    sign: Option<Spanned<String>>,
    respond: Option<Spanned<String>>,
    reply: Option<Spanned<String>>,
    #[serde(rename = "return")]
    return_window: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarningsEntry {
    yellow: Option<Spanned<f64>>,
    red: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionEntry {
    code: Spanned<String>,
    urgent: Option<TierEntry>,
    utility: Option<TierEntry>,
    general: Option<TierEntry>,
    complex: Option<TierEntry>,
}

impl DeadlinesFile {
    fn tiers(&self) -> TierEntries<'_> {
        [
            (Urgency::Urgent, &self.urgent),
            (Urgency::Utility, &self.utility),
            (Urgency::General, &self.general),
            (Urgency::Complex, &self.complex),
        ]
    }
}

impl RegionEntry {
    fn tiers(&self) -> TierEntries<'_> {
        [
            (Urgency::Urgent, &self.urgent),
            (Urgency::Utility, &self.utility),
            (Urgency::General, &self.general),
            (Urgency::Complex, &self.complex),
        ]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarEntry {
    #[serde(default)]
    year: Vec<YearEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearEntry {
    year: Spanned<i64>,
    #[serde(default)]
    holidays: Vec<HolidayEntry>,
    #[serde(default)]
    workdays: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayEntry {
    #[allow(dead_code)] // for people reading the file
    name: Option<String>,
    from: Spanned<String>,
    /// The last day off, included; the `from` day alone when omitted.
    to: Option<Spanned<String>>,
}

/// Longest holiday block accepted (Spring Festival is 8-9 days).
const MAX_HOLIDAY_DAYS: i64 = 31;

/// Builds errors located in one file.
struct Locator<'a> {
    source_name: &'a str,
    text: &'a str,
}

impl Locator<'_> {
    fn at<T>(&self, spanned: &Spanned<T>, key: &str, message: impl Into<String>) -> ConfigError {
        let line = line_of(self.text, spanned.span().start);
        ConfigError::new(self.source_name, Some(line), key, message)
    }

    fn window(&self, spanned: &Spanned<String>, key: &str) -> Result<Window, ConfigError> {
        spanned
            .get_ref()
            .parse()
            .map_err(|message: String| self.at(spanned, key, message))
    }

    fn date(&self, spanned: &Spanned<String>, key: &str) -> Result<NaiveDate, ConfigError> {
        NaiveDate::parse_from_str(spanned.get_ref(), "%Y-%m-%d").map_err(|_| {
            self.at(
                spanned,
                key,
                format!("`{}` is not a date like 2026-10-01", spanned.get_ref()),
            )
        })
    }

    fn tier(&self, entry: &TierEntry, prefix: &str) -> Result<TierOverride, ConfigError> {
        let window = |field: &Option<Spanned<String>>, name: &str| {
            field
                .as_ref()
                .map(|w| self.window(w, &format!("{prefix}.{name}")))
                .transpose()
        };
        Ok(TierOverride {
            sign: window(&entry.sign, "sign")?,
            respond: window(&entry.respond, "respond")?,
            reply: window(&entry.reply, "reply")?,
            return_window: window(&entry.return_window, "return")?,
        })
    }

    /// The overrides of each tier present; `prefix` is `` or `region 320102.`.
    fn tiers(
        &self,
        entries: TierEntries,
        prefix: &str,
    ) -> Result<Tiers<TierOverride>, ConfigError> {
        let mut tiers = Tiers::<TierOverride>::default();
        for (urgency, entry) in entries {
            if let Some(entry) = entry {
                *tiers.get_mut(urgency) = self.tier(entry, &format!("{prefix}{urgency}"))?;
            }
        }
        Ok(tiers)
    }
}

/// Parses and validates a deadlines file. `known_region` tells whether a region code is
/// the city's, a district's or a street's (from the unit catalogue), so an override for a
/// mistyped code is refused instead of silently doing nothing.
pub fn parse(
    source_name: &str,
    text: &str,
    known_region: &dyn Fn(&str) -> bool,
) -> Result<DeadlinePolicy, ConfigError> {
    let file: DeadlinesFile =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(source_name, text, &e))?;
    let loc = Locator { source_name, text };

    let offset = match &file.timezone {
        None => china_standard_time(),
        Some(tz) => tz.get_ref().parse::<FixedOffset>().map_err(|_| {
            loc.at(
                tz,
                "timezone",
                format!("`{}` is not a UTC offset like +08:00", tz.get_ref()),
            )
        })?,
    };
    let max_extension = match &file.max_extension {
        None => DEFAULT_MAX_EXTENSION,
        Some(w) => loc.window(w, "max_extension")?,
    };
    let thresholds = thresholds(&loc, file.warnings.as_ref())?;

    let mut tiers = default_tiers();
    let base = loc.tiers(file.tiers(), "")?;
    for urgency in Urgency::iter() {
        let merged = base.get(urgency).over(*tiers.get(urgency));
        *tiers.get_mut(urgency) = merged;
    }

    let mut regions = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in &file.region {
        let code = entry.code.get_ref();
        let key = "region.code";
        if !(6..=12).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(loc.at(
                &entry.code,
                key,
                format!("`{code}` is not a 6-12 digit division code"),
            ));
        }
        if !known_region(code) {
            return Err(loc.at(
                &entry.code,
                key,
                format!("`{code}` is not the city, a district or a street in the unit catalogue"),
            ));
        }
        if !seen.insert(code.clone()) {
            return Err(loc.at(&entry.code, key, format!("`{code}` is listed twice")));
        }
        let overrides = loc.tiers(entry.tiers(), &format!("region {code}."))?;
        if overrides == Tiers::default() {
            return Err(loc.at(
                &entry.code,
                &format!("region {code}"),
                "overrides no window; add e.g. general.reply = \"5d\" or remove it",
            ));
        }
        regions.push(RegionOverride {
            code: code.clone(),
            tiers: overrides,
        });
    }

    let calendar = calendar(&loc, offset, file.calendar.as_ref())?;
    Ok(DeadlinePolicy::new(
        calendar,
        tiers,
        regions,
        max_extension,
        thresholds,
    ))
}

fn thresholds(loc: &Locator, entry: Option<&WarningsEntry>) -> Result<Thresholds, ConfigError> {
    let mut thresholds = Thresholds::default();
    let Some(entry) = entry else {
        return Ok(thresholds);
    };
    let fraction = |field: &Option<Spanned<f64>>, key: &str, default: f64| match field {
        None => Ok(default),
        Some(f) if *f.get_ref() > 0.0 && *f.get_ref() < 1.0 => Ok(*f.get_ref()),
        Some(f) => Err(loc.at(
            f,
            key,
            format!("{} is not a fraction strictly between 0 and 1", f.get_ref()),
        )),
    };
    thresholds.yellow = fraction(&entry.yellow, "warnings.yellow", thresholds.yellow)?;
    thresholds.red = fraction(&entry.red, "warnings.red", thresholds.red)?;
    if let Err(message) = thresholds.check() {
        // Name the key the file set, the red one when both are there.
        return Err(match (&entry.red, &entry.yellow) {
            (Some(red), _) => loc.at(red, "warnings.red", message),
            (None, Some(yellow)) => loc.at(yellow, "warnings.yellow", message),
            (None, None) => ConfigError::new(loc.source_name, None, "warnings", message),
        });
    }
    Ok(thresholds)
}

fn calendar(
    loc: &Locator,
    offset: FixedOffset,
    entry: Option<&CalendarEntry>,
) -> Result<Calendar, ConfigError> {
    let mut calendar = Calendar::weekends_only(offset);
    let Some(entry) = entry else {
        return Ok(calendar);
    };
    // Every day off, with the year entry that set it, to catch overlaps across entries.
    let mut days_off: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut make_up: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    // Make-up days are checked against the holidays of every year once all are read.
    let mut to_check = Vec::new();
    let mut years = BTreeSet::new();
    for year_entry in &entry.year {
        let year = *year_entry.year.get_ref();
        if !(2000..=2199).contains(&year) {
            return Err(loc.at(
                &year_entry.year,
                "calendar.year.year",
                format!("{year} is not a plausible year (2000-2199)"),
            ));
        }
        if !years.insert(year) {
            return Err(loc.at(
                &year_entry.year,
                "calendar.year.year",
                format!("{year} is listed twice"),
            ));
        }
        // A block may start in December of the year before (元旦) or run into the next.
        let near = |date: NaiveDate| (i64::from(date.year()) - year).abs() <= 1;
        let holidays_key = format!("calendar.year {year}.holidays");
        let mut year_days_off = Vec::new();
        for holiday in &year_entry.holidays {
            let from = loc.date(&holiday.from, &holidays_key)?;
            let to_field = holiday.to.as_ref().unwrap_or(&holiday.from);
            let to = loc.date(to_field, &holidays_key)?;
            let problem = if to < from {
                Some(format!("ends ({to}) before it starts ({from})"))
            } else if (to - from).num_days() >= MAX_HOLIDAY_DAYS {
                Some(format!(
                    "{from} to {to} is longer than {MAX_HOLIDAY_DAYS} days"
                ))
            } else if !near(from) || !near(to) {
                Some(format!("{from} to {to} is not around {year}"))
            } else {
                None
            };
            if let Some(message) = problem {
                return Err(loc.at(to_field, &holidays_key, message));
            }
            for day in from.iter_days().take_while(|d| *d <= to) {
                if let Some(other) = days_off.insert(day, year) {
                    return Err(loc.at(
                        &holiday.from,
                        &holidays_key,
                        format!("{day} is already a holiday (calendar.year {other})"),
                    ));
                }
                year_days_off.push(day);
            }
        }
        let workdays_key = format!("calendar.year {year}.workdays");
        let mut year_make_up = Vec::new();
        for spanned in &year_entry.workdays {
            let day = loc.date(spanned, &workdays_key)?;
            let problem = if !near(day) {
                Some(format!("{day} is not around {year}"))
            } else if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                Some(format!(
                    "{day} is a {}; make-up working days are weekend days",
                    day.weekday()
                ))
            } else {
                make_up
                    .insert(day, year)
                    .map(|other| format!("{day} is listed twice (calendar.year {other})"))
            };
            if let Some(message) = problem {
                return Err(loc.at(spanned, &workdays_key, message));
            }
            year_make_up.push(day);
            to_check.push((day, spanned, workdays_key.clone()));
        }
        // The range check above keeps the year within i32.
        calendar = calendar.with_year(year as i32, year_days_off, year_make_up);
    }
    for (day, spanned, key) in to_check {
        if let Some(holiday_year) = days_off.get(&day) {
            return Err(loc.at(
                spanned,
                &key,
                format!("{day} is also a holiday (calendar.year {holiday_year})"),
            ));
        }
    }
    Ok(calendar)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::TierWindows;
    use chrono::{TimeZone, Utc};

    fn known(code: &str) -> bool {
        ["320100", "320102", "320102001"].contains(&code)
    }

    fn parse_text(text: &str) -> Result<DeadlinePolicy, ConfigError> {
        parse("deadlines.toml", text, &known)
    }

    /// The line and key of the error `text` gives.
    #[track_caller]
    fn error_at(text: &str) -> (Option<usize>, String, String) {
        let e = parse_text(text).expect_err("the file must be refused");
        (e.line, e.key, e.message)
    }

    #[track_caller]
    fn assert_error(text: &str, line: usize, key: &str, message_part: &str) {
        let (got_line, got_key, message) = error_at(text);
        assert_eq!(
            (got_line, got_key.as_str()),
            (Some(line), key),
            "message: {message}"
        );
        assert!(
            message.contains(message_part),
            "`{message}` should mention `{message_part}`"
        );
    }

    #[test]
    fn an_empty_file_means_the_defaults() {
        assert_eq!(parse_text("").unwrap(), DeadlinePolicy::default());
    }

    #[test]
    fn a_full_file_sets_every_part() {
        let text = r#"
timezone = "+09:00"
max_extension = "5wd"

[warnings]
yellow = 0.5
red = 0.8

[general]
sign = "2h"
reply = "30s"

[[region]]
code = "320102"
general.reply = "5wd"
urgent = { sign = "10m" }

[[calendar.year]]
year = 2026
holidays = [{ name = "国庆节", from = "2026-10-01", to = "2026-10-07" }, { from = "2026-06-19" }]
workdays = ["2026-10-10"]
"#;
        let p = parse_text(text).unwrap();
        assert_eq!(p.max_extension(), Window::WorkingDays(5));
        assert_eq!(
            p.thresholds(),
            Thresholds {
                yellow: 0.5,
                red: 0.8
            }
        );
        let general = p.tiers().general;
        let defaults = default_tiers().general;
        assert_eq!(
            general,
            TierWindows {
                sign: Window::hours(2),
                reply: Window::Natural(chrono::Duration::seconds(30)),
                ..defaults
            }
        );
        let street = p.windows(Urgency::General, "320102001");
        assert_eq!(street.reply, Window::WorkingDays(5));
        assert_eq!(
            street.sign,
            Window::hours(2),
            "the file's tier, not overridden"
        );
        assert_eq!(
            p.windows(Urgency::Urgent, "320102001").sign,
            Window::minutes(10)
        );
        let cal = p.calendar();
        assert_eq!(cal.offset().local_minus_utc(), 9 * 3600);
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert!(!cal.is_working_day(day(10, 5)));
        assert!(!cal.is_working_day(day(6, 19)), "a one-day entry");
        assert!(cal.is_working_day(day(6, 22)));
        assert!(cal.is_working_day(day(10, 10)));
        // Local dates at +09:00: 30 Sep 15:30 UTC is 1 Oct 00:30 there, a holiday.
        let late = Utc.with_ymd_and_hms(2026, 9, 30, 15, 30, 0).unwrap();
        assert_eq!(cal.local_date(late), day(10, 1));
    }

    #[test]
    fn toml_syntax_and_unknown_keys_name_their_line() {
        assert_error("timezone = \n", 1, "toml", "");
        assert_error(
            "[general]\nsign = \"1wd\"\nsing = \"2h\"\n",
            3,
            "toml",
            "sing",
        );
        assert_error(
            "[[region]]\ncode = \"320102\"\nmedium.reply = \"2h\"\n",
            3,
            "toml",
            "medium",
        );
        assert_error("[warnings]\norange = 0.8\n", 2, "toml", "orange");
    }

    #[test]
    fn bad_windows_name_line_and_key() {
        assert_error(
            "[general]\nsign = \"1wd\"\nreply = \"0d\"\n",
            3,
            "general.reply",
            "longer than zero",
        );
        assert_error(
            "[urgent]\nreturn = \"2 days\"\n",
            2,
            "urgent.return",
            "is not a window",
        );
        assert_error(
            "max_extension = \"-1wd\"\n",
            1,
            "max_extension",
            "is not a window",
        );
        assert_error(
            "[[region]]\ncode = \"320102\"\ngeneral.sign = \"1x\"\n",
            3,
            "region 320102.general.sign",
            "is not a window",
        );
    }

    #[test]
    fn bad_timezones_and_thresholds_name_line_and_key() {
        assert_error(
            "\ntimezone = \"Asia/Shanghai\"\n",
            2,
            "timezone",
            "UTC offset",
        );
        assert_error(
            "[warnings]\nyellow = 1.5\n",
            2,
            "warnings.yellow",
            "between 0 and 1",
        );
        assert_error(
            "[warnings]\nred = 0\n",
            2,
            "warnings.red",
            "between 0 and 1",
        );
        assert_error(
            "[warnings]\nyellow = 0.9\nred = 0.75\n",
            3,
            "warnings.red",
            "yellow (0.9) must come before red (0.75)",
        );
        assert_error(
            "[warnings]\nyellow = 0.95\n",
            2,
            "warnings.yellow",
            "must come before red",
        );
    }

    #[test]
    fn bad_regions_name_line_and_key() {
        assert_error(
            "[[region]]\ncode = \"32-01\"\ngeneral.reply = \"5d\"\n",
            2,
            "region.code",
            "division code",
        );
        assert_error(
            "[[region]]\ncode = \"999999\"\ngeneral.reply = \"5d\"\n",
            2,
            "region.code",
            "unit catalogue",
        );
        let twice = "[[region]]\ncode = \"320102\"\ngeneral.reply = \"5d\"\n\n[[region]]\ncode = \"320102\"\nurgent.sign = \"5m\"\n";
        assert_error(twice, 6, "region.code", "listed twice");
        assert_error(
            "[[region]]\ncode = \"320102\"\n",
            2,
            "region 320102",
            "overrides no window",
        );
    }

    fn year(body: &str) -> String {
        format!("[[calendar.year]]\nyear = 2026\n{body}")
    }

    #[test]
    fn bad_calendars_name_line_and_key() {
        let key = "calendar.year 2026.holidays";
        assert_error(
            &year("holidays = [{ from = \"2026-02-30\" }]\n"),
            3,
            key,
            "not a date",
        );
        assert_error(
            &year("holidays = [{ from = \"2026-10-07\", to = \"2026-10-01\" }]\n"),
            3,
            key,
            "before it starts",
        );
        assert_error(
            &year("holidays = [{ from = \"2026-01-01\", to = \"2026-03-01\" }]\n"),
            3,
            key,
            "longer than 31 days",
        );
        assert_error(
            &year("holidays = [{ from = \"2062-10-01\" }]\n"),
            3,
            key,
            "not around 2026",
        );
        let overlap = year(
            "holidays = [\n  { from = \"2026-10-01\", to = \"2026-10-07\" },\n  { from = \"2026-10-07\", to = \"2026-10-08\" },\n]\n",
        );
        assert_error(&overlap, 5, key, "2026-10-07 is already a holiday");

        let key = "calendar.year 2026.workdays";
        assert_error(&year("workdays = [\"2026-9-20x\"]\n"), 3, key, "not a date");
        assert_error(
            &year("workdays = [\n  \"2026-09-20\",\n  \"2026-09-20\",\n]\n"),
            5,
            key,
            "listed twice",
        );
        assert_error(
            &year("workdays = [\"2026-09-21\"]\n"),
            3,
            key,
            "is a Mon; make-up working days are weekend days",
        );
        let both = year(
            "holidays = [{ from = \"2026-10-01\", to = \"2026-10-07\" }]\nworkdays = [\"2026-10-03\"]\n",
        );
        assert_error(&both, 4, key, "2026-10-03 is also a holiday");

        assert_error(
            "[[calendar.year]]\nyear = 1999\n",
            2,
            "calendar.year.year",
            "plausible",
        );
        assert_error(
            "[[calendar.year]]\nyear = 2026\n\n[[calendar.year]]\nyear = 2026\n",
            5,
            "calendar.year.year",
            "listed twice",
        );
    }

    #[test]
    fn overlaps_are_caught_across_year_entries() {
        // A New Year block entered under 2027 that reaches back into the 2026 entry.
        let text = "[[calendar.year]]\nyear = 2026\nholidays = [{ from = \"2026-12-31\" }]\n\n\
                    [[calendar.year]]\nyear = 2027\nholidays = [{ from = \"2026-12-31\", to = \"2027-01-02\" }]\n";
        assert_error(
            text,
            7,
            "calendar.year 2027.holidays",
            "(calendar.year 2026)",
        );
        // A make-up day under one year that is a holiday under another.
        let text = "[[calendar.year]]\nyear = 2026\nworkdays = [\"2027-01-02\"]\n\n\
                    [[calendar.year]]\nyear = 2027\nholidays = [{ from = \"2027-01-01\", to = \"2027-01-03\" }]\n";
        assert_error(
            text,
            3,
            "calendar.year 2026.workdays",
            "also a holiday (calendar.year 2027)",
        );
    }

    #[test]
    fn errors_read_file_line_key() {
        let e = parse_text("[general]\nreply = \"7\"\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("deadlines.toml:2: general.reply: `7` is not a window"),
            "{e}"
        );
    }
}
