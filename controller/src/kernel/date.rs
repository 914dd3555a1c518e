//! Business time is Asia/Dhaka (UTC+6 all year, no daylight saving since 2009); storage is UTC
//! milliseconds. Calendar dates are `jiff::civil::Date` (billing periods need real month
//! arithmetic: `date.checked_add(1.month())` clamps 31 January to the end of February).

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

pub use jiff::civil::Date as CivilDate;

/// Asia/Dhaka's offset from UTC.
pub const DHAKA_OFFSET: Offset = Offset::constant(6);

fn dhaka() -> TimeZone {
    TimeZone::fixed(DHAKA_OFFSET)
}

/// The Dhaka wall-clock time of a stored instant (out-of-range instants clamp to the edges
/// jiff supports, years -9999 to 9999).
pub fn dhaka_datetime(utc_ms: i64) -> DateTime {
    let ts = Timestamp::from_millisecond(utc_ms).unwrap_or(if utc_ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    dhaka().to_datetime(ts)
}

/// The Dhaka calendar day of a stored instant.
pub fn dhaka_date(utc_ms: i64) -> Date {
    dhaka_datetime(utc_ms).date()
}

/// Today in Dhaka.
pub fn today() -> Date {
    dhaka_date(super::db::now_ms())
}

/// `2026-11-25 14:03` in Dhaka time, from UTC milliseconds.
pub fn dhaka_time(utc_ms: i64) -> String {
    let dt = dhaka_datetime(utc_ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

/// The instant a Dhaka wall-clock time names, in UTC milliseconds.
pub fn dhaka_ms(dt: DateTime) -> i64 {
    // A fixed offset has no gaps or folds, so this cannot be ambiguous.
    dhaka()
        .to_timestamp(dt)
        .map_or(i64::MAX, |ts| ts.as_millisecond())
}

/// The business clock billing and subscriptions read "today" from: real time, shifted by an
/// offset that is zero in production. Tests move it to live on a chosen day (the 17th of a
/// month, the billing day) without waiting for the calendar.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        super::db::now_ms() + self.offset_ms.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Today in Dhaka, by this clock.
    pub fn today(&self) -> Date {
        dhaka_date(self.now_ms())
    }

    /// Moves the clock so that it is now `date`, at the current time of day.
    pub fn set_today(&self, date: Date) {
        let now = super::db::now_ms();
        let shift = (day_start_ms(date) - day_start_ms(dhaka_date(now))).max(i64::MIN / 2);
        self.offset_ms
            .store(shift, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Midnight at the start of a Dhaka day, in UTC milliseconds.
pub fn day_start_ms(date: Date) -> i64 {
    dhaka_ms(date.to_datetime(jiff::civil::Time::midnight()))
}

/// A calendar date written `YYYY-MM-DD`; `None` unless it is a real date in that form.
pub fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    text.parse().ok()
}

/// `YYYY-MM-DD HH:MM[:SS]` (or with a `T`) in Dhaka time, as UTC milliseconds.
pub fn parse_dhaka_datetime(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once([' ', 'T'])?;
    let date = parse_date(date)?;
    let mut parts = time.split(':');
    let mut number = |max: i8| -> Option<i8> {
        let part = parts.next()?;
        let n: i8 = (part.len() == 2).then(|| part.parse().ok())??;
        (0..max).contains(&n).then_some(n)
    };
    let (h, m) = (number(24)?, number(60)?);
    let s = if time.len() > 5 { number(60)? } else { 0 };
    if parts.next().is_some() {
        return None;
    }
    Some(dhaka_ms(date.at(h, m, s, 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dhaka_time_is_utc_plus_six() {
        // 2026-11-25 18:30 UTC is 00:30 the next day in Dhaka.
        assert_eq!(dhaka_time(1_795_631_400_000), "2026-11-26 00:30");
        assert_eq!(dhaka_time(0), "1970-01-01 06:00");
        assert_eq!(dhaka_date(1_795_631_400_000).to_string(), "2026-11-26");
    }

    #[test]
    fn dhaka_days_start_at_six_the_evening_before_in_utc() {
        let start = day_start_ms(parse_date("2026-11-26").unwrap());
        assert_eq!(dhaka_time(start), "2026-11-26 00:00");
        assert_eq!(start, 1_795_629_600_000);
        assert!(parse_date("2024-02-29").is_some());
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "yesterday",
            "2026-1-01",
            "+02026-01-01",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn dhaka_wall_clock_times_parse() {
        let t = parse_dhaka_datetime("2026-11-26 00:30").unwrap();
        assert_eq!(dhaka_time(t), "2026-11-26 00:30");
        assert_eq!(
            parse_dhaka_datetime("2026-11-26T00:30:15").unwrap(),
            t + 15_000
        );
        for bad in [
            "2026-11-26 24:00",
            "2026-11-26",
            "2026-11-26 1:30",
            "2026-11-26 10:30:00:00",
        ] {
            assert_eq!(parse_dhaka_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn months_clamp_as_billing_needs() {
        use jiff::ToSpan;
        let jan31 = parse_date("2026-01-31").unwrap();
        assert_eq!(
            jan31.checked_add(1.month()).unwrap().to_string(),
            "2026-02-28"
        );
        assert_eq!(
            dhaka_time(i64::MAX).len(),
            16,
            "far future clamps instead of panicking"
        );
    }
}
