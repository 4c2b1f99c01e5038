//! Beijing time (Asia/Shanghai, UTC+8 all year: China has kept no daylight saving time
//! since 1991): how tables show instants and how report days become timestamps.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeZone, Utc};

fn offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// `2025-11-23 16:40` in Beijing time, or `-` when absent.
pub fn format(at: Option<&prost_types::Timestamp>) -> String {
    at.and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| {
            t.with_timezone(&offset())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "-".to_string())
}

/// `16:40:03` in Beijing time, for lines printed as they stream.
pub fn format_clock(at: Option<&prost_types::Timestamp>) -> String {
    at.and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        .map(|t| t.with_timezone(&offset()).format("%H:%M:%S").to_string())
        .unwrap_or_else(|| "--:--:--".to_string())
}

/// Midnight at the start of a Beijing day.
pub fn start_of_day(day: NaiveDate) -> prost_types::Timestamp {
    let midnight = offset()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .expect("a fixed offset has no gaps");
    prost_types::Timestamp {
        seconds: midnight.timestamp(),
        nanos: 0,
    }
}

/// Midnight at the end of a Beijing day: the exclusive end of a period whose last day it is.
pub fn end_of_day(day: NaiveDate) -> prost_types::Timestamp {
    start_of_day(day + Days::new(1))
}

/// First and last day of the current month in Beijing.
pub fn current_month() -> (NaiveDate, NaiveDate) {
    let today = Utc::now().with_timezone(&offset()).date_naive();
    let first = today.with_day(1).expect("every month has a first day");
    let next_month = first
        .checked_add_months(chrono::Months::new(1))
        .expect("dates stay in range");
    (first, next_month - Days::new(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_beijing_midnight() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        // 2025-03-01T00:00+08:00 = 2025-02-28T16:00Z
        assert_eq!(start_of_day(day).seconds, 1_740_758_400);
        assert_eq!(end_of_day(day).seconds - start_of_day(day).seconds, 86_400);
        assert_eq!(format(Some(&start_of_day(day))), "2025-03-01 00:00");
        assert_eq!(format(None), "-");
    }

    #[test]
    fn current_month_spans_whole_days() {
        let (first, last) = current_month();
        assert_eq!(first.day(), 1);
        assert_eq!(last.month(), first.month());
        assert_eq!((last + Days::new(1)).day(), 1);
    }
}
