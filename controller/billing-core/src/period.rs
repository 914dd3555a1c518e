//! Billing periods: a cycle day, the month a period starts in, and the dates that follow.
//!
//! A period is one calendar month long and starts on the cycle's day: day 1 gives 1 December to
//! 31 December, day 10 gives 10 December to 9 January. Days are limited to 1–28 so that every
//! month has the day (Splynx does the same); an anniversary cycle is the subscription's start day
//! clamped to 28. A period is named by the month it starts in, its [`PeriodKey`] (`2026-12`).

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::ToSpan;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::dates::add_days;

/// The last day a cycle or a due date may name: every month has a 28th.
pub const MAX_DAY: u8 = 28;

/// "Due on the 10th day" counted from the billing date, the usual term in Bangladesh ("bill
/// must be paid between 1st to 10th day of the month").
pub const DEFAULT_DUE_DAY: u8 = 10;

/// Which day of the month periods start on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cycle {
    /// The company's billing day, the same for every subscriber on it.
    Fixed { day: u8 },
    /// The subscription's own start day (clamped to 28).
    Anniversary { day: u8 },
}

impl Cycle {
    /// A fixed cycle on `day`, which must be 1 to 28.
    pub fn fixed(day: u8) -> Result<Cycle, PeriodError> {
        validate_day(day).map(|day| Cycle::Fixed { day })
    }

    /// The anniversary cycle of a subscription starting on `start`: its day of the month,
    /// clamped to 28 (a subscription starting on 31 January renews on the 28th).
    pub fn anniversary_for(start: Date) -> Cycle {
        Cycle::Anniversary {
            day: (start.day() as u8).min(MAX_DAY),
        }
    }

    /// The day periods start on. A day outside 1–28 (a value built by hand without
    /// [`Cycle::validate`]) is clamped into that range, so no computation can fail on it.
    pub fn day(self) -> u8 {
        let (Cycle::Fixed { day } | Cycle::Anniversary { day }) = self;
        day.clamp(1, MAX_DAY)
    }

    /// Refuses a day outside 1–28, for values that come from outside (settings, forms).
    pub fn validate(self) -> Result<(), PeriodError> {
        let (Cycle::Fixed { day } | Cycle::Anniversary { day }) = self;
        validate_day(day).map(drop)
    }
}

/// `day` if it is 1 to 28: a cycle day or a due day.
pub fn validate_day(day: u8) -> Result<u8, PeriodError> {
    if (1..=MAX_DAY).contains(&day) {
        Ok(day)
    } else {
        Err(PeriodError::BadDay(day))
    }
}

/// The month a period starts in, `YYYY-MM`, from 2000-01 to 2099-12.
///
/// The range is what [`PeriodKey::parse`] accepts, so every key displays as text that parses
/// back to it (and serde round-trips); stepping past either end is `None`, never a key that
/// could not be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeriodKey {
    year: i16,
    month: i8,
}

impl PeriodKey {
    pub const MIN: PeriodKey = PeriodKey {
        year: 2000,
        month: 1,
    };
    pub const MAX: PeriodKey = PeriodKey {
        year: 2099,
        month: 12,
    };

    /// The key of `year`-`month`, within 2000-01 and 2099-12.
    pub fn new(year: i16, month: i8) -> Result<PeriodKey, PeriodError> {
        if (2000..=2099).contains(&year) && (1..=12).contains(&month) {
            Ok(PeriodKey { year, month })
        } else {
            Err(PeriodError::BadKey(format!("{year:04}-{month:02}")))
        }
    }

    /// Strictly `YYYY-MM`: four ASCII digits (2000 to 2099), a hyphen, two digits (01 to 12).
    pub fn parse(text: &str) -> Result<PeriodKey, PeriodError> {
        let bad = || PeriodError::BadKey(text.to_owned());
        let bytes = text.as_bytes();
        let shape = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit());
        if !shape {
            return Err(bad());
        }
        let year = text[..4].parse().map_err(|_| bad())?;
        let month = text[5..].parse().map_err(|_| bad())?;
        PeriodKey::new(year, month).map_err(|_| bad())
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn month(self) -> i8 {
        self.month
    }

    /// The following month, or `None` after 2099-12.
    pub fn next(self) -> Option<PeriodKey> {
        match self.month {
            12 => PeriodKey::new(self.year + 1, 1).ok(),
            month => Some(PeriodKey {
                month: month + 1,
                ..self
            }),
        }
    }

    /// The month before, or `None` before 2000-01.
    pub fn prev(self) -> Option<PeriodKey> {
        match self.month {
            1 => PeriodKey::new(self.year - 1, 12).ok(),
            month => Some(PeriodKey {
                month: month - 1,
                ..self
            }),
        }
    }

    /// The `day`th of the key's month (day 1 to 28).
    fn day_of_month(self, day: u8) -> Date {
        // The key's range and a day of at most 28 make this a real date.
        Date::new(self.year, self.month, day.clamp(1, MAX_DAY) as i8)
            .expect("a key's month has days 1 to 28")
    }
}

impl fmt::Display for PeriodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for PeriodKey {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<PeriodKey, PeriodError> {
        PeriodKey::parse(text)
    }
}

impl Serialize for PeriodKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PeriodKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PeriodKey, D::Error> {
        let text = String::deserialize(deserializer)?;
        PeriodKey::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One billing period: `start` to `end`, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub key: PeriodKey,
    #[serde(with = "crate::dates::date")]
    pub start: Date,
    #[serde(with = "crate::dates::date")]
    pub end: Date,
}

impl Period {
    /// Days in the period, both ends counted: 28 to 31 for a real period.
    pub fn days(&self) -> i32 {
        // At most the width of jiff's calendar (7.3 million days), which fits an i32.
        (crate::dates::days_between(self.start, self.end) + 1) as i32
    }

    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    /// Every day of the period, in order.
    pub fn dates(&self) -> impl Iterator<Item = Date> {
        let end = self.end;
        std::iter::successors(Some(self.start), move |date| {
            add_days(*date, 1).filter(|next| *next <= end)
        })
        .take_while(move |date| *date <= end)
    }
}

/// The period that starts in month `key` on the cycle's day and ends the day before the same
/// day of the next month.
pub fn period(cycle: Cycle, key: PeriodKey) -> Period {
    let start = key.day_of_month(cycle.day());
    // A day of at most 28 exists in the next month too, so adding a month never clamps.
    let end = start
        .checked_add(1.month())
        .and_then(|next| next.yesterday())
        .expect("periods end within jiff's calendar");
    Period { key, start, end }
}

/// The key of the period holding `date`: a date before the cycle's day belongs to the period
/// that started the month before. An error for dates whose period is outside 2000-01..2099-12.
pub fn key_containing(cycle: Cycle, date: Date) -> Result<PeriodKey, PeriodError> {
    let (year, month) = match (date.year(), date.month()) {
        (year, month) if date.day() as u8 >= cycle.day() => (year, month),
        (year, 1) => (year - 1, 12),
        (year, month) => (year, month - 1),
    };
    PeriodKey::new(year, month).map_err(|_| PeriodError::OutOfRange(date))
}

/// The keys from the period holding `from` through `to`, both included; empty if `to` is
/// earlier. Periods before 2000-01 do not exist here, so a `from` before them starts at
/// 2000-01.
pub fn keys_between(cycle: Cycle, from: Date, to: PeriodKey) -> Vec<PeriodKey> {
    let first = match key_containing(cycle, from) {
        Ok(key) => key,
        Err(_) if from < period(cycle, PeriodKey::MIN).start => PeriodKey::MIN,
        Err(_) => return Vec::new(),
    };
    std::iter::successors(Some(first), |key| key.next())
        .take_while(|key| *key <= to)
        .collect()
}

/// When a period is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// In advance: the bill is dated the period's first day (the usual ISP practice here).
    Prepaid,
    /// In arrears: the bill is dated the day after the period ends.
    Postpaid,
}

/// The date a period's bill is issued.
pub fn billing_date(timing: Timing, period: &Period) -> Date {
    match timing {
        Timing::Prepaid => period.start,
        // Saturating only matters for a hand-built period ending on jiff's last day.
        Timing::Postpaid => period.end.saturating_add(1.day()),
    }
}

/// The day payment is due: the `due_day`th day counted from the billing date (1 = the billing
/// date itself; the default 10 is nine days later). A day outside 1–28 is clamped into it;
/// settings are checked with [`validate_day`] when they are saved.
pub fn due_on(timing: Timing, period: &Period, due_day: u8) -> Date {
    let offset = i64::from(due_day.clamp(1, MAX_DAY) - 1);
    billing_date(timing, period).saturating_add(offset.days())
}

/// A period key, day or date this module cannot use.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PeriodError {
    #[error("period {0:?} is not a month written YYYY-MM between 2000-01 and 2099-12")]
    BadKey(String),
    #[error("day {0} is not between 1 and 28")]
    BadDay(u8),
    #[error("{0} is outside the periods billed (2000-01 to 2099-12)")]
    OutOfRange(Date),
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn key(text: &str) -> PeriodKey {
        PeriodKey::parse(text).unwrap()
    }

    #[test]
    fn periods_run_from_the_cycle_day_to_the_day_before_it_next_month() {
        // (cycle day, key, start, end, days)
        let cases = [
            (1, "2026-12", date(2026, 12, 1), date(2026, 12, 31), 31),
            (1, "2026-11", date(2026, 11, 1), date(2026, 11, 30), 30),
            (1, "2024-02", date(2024, 2, 1), date(2024, 2, 29), 29),
            (1, "2025-02", date(2025, 2, 1), date(2025, 2, 28), 28),
            (1, "2000-02", date(2000, 2, 1), date(2000, 2, 29), 29),
            (10, "2026-12", date(2026, 12, 10), date(2027, 1, 9), 31),
            (10, "2024-01", date(2024, 1, 10), date(2024, 2, 9), 31),
            (10, "2024-02", date(2024, 2, 10), date(2024, 3, 9), 29),
            (10, "2025-02", date(2025, 2, 10), date(2025, 3, 9), 28),
            (28, "2025-01", date(2025, 1, 28), date(2025, 2, 27), 31),
            (28, "2025-02", date(2025, 2, 28), date(2025, 3, 27), 28),
            (28, "2099-12", date(2099, 12, 28), date(2100, 1, 27), 31),
        ];
        for (day, text, start, end, days) in cases {
            let got = period(Cycle::Fixed { day }, key(text));
            assert_eq!(
                (got.start, got.end, got.days()),
                (start, end, days),
                "day {day} {text}"
            );
            assert_eq!(got.dates().count() as i32, days);
            assert!(got.contains(start) && got.contains(end));
            assert!(!got.contains(start.yesterday().unwrap()));
            assert!(!got.contains(end.tomorrow().unwrap()));
        }
    }

    #[test]
    fn a_date_before_the_cycle_day_belongs_to_the_previous_month() {
        let day10 = Cycle::Fixed { day: 10 };
        let day1 = Cycle::Fixed { day: 1 };
        let cases = [
            (day10, date(2026, 12, 9), "2026-11"),
            (day10, date(2026, 12, 10), "2026-12"),
            (day10, date(2027, 1, 9), "2026-12"),
            (day10, date(2027, 1, 10), "2027-01"),
            (day1, date(2026, 12, 1), "2026-12"),
            (day1, date(2026, 12, 31), "2026-12"),
            (day1, date(2024, 2, 29), "2024-02"),
        ];
        for (cycle, on, expected) in cases {
            assert_eq!(key_containing(cycle, on), Ok(key(expected)), "{on}");
            assert!(period(cycle, key(expected)).contains(on));
        }
        assert_eq!(
            key_containing(day10, date(2000, 1, 9)),
            Err(PeriodError::OutOfRange(date(2000, 1, 9)))
        );
        assert!(key_containing(day1, date(1999, 12, 31)).is_err());
        assert!(key_containing(day1, date(2100, 1, 1)).is_err());
        assert_eq!(key_containing(day10, date(2100, 1, 9)), Ok(PeriodKey::MAX));
    }

    #[test]
    fn keys_between_run_inclusive_and_cross_the_year() {
        let day1 = Cycle::Fixed { day: 1 };
        let day10 = Cycle::Fixed { day: 10 };
        let texts = |keys: Vec<PeriodKey>| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        assert_eq!(
            texts(keys_between(day1, date(2026, 10, 17), key("2027-01"))),
            ["2026-10", "2026-11", "2026-12", "2027-01"]
        );
        assert_eq!(
            texts(keys_between(day10, date(2026, 12, 5), key("2026-12"))),
            ["2026-11", "2026-12"]
        );
        assert_eq!(
            texts(keys_between(day1, date(2026, 12, 5), key("2026-12"))),
            ["2026-12"]
        );
        assert!(keys_between(day1, date(2026, 12, 5), key("2026-11")).is_empty());
        assert_eq!(
            texts(keys_between(day1, date(1999, 5, 1), key("2000-02"))),
            ["2000-01", "2000-02"]
        );
        assert!(keys_between(day1, date(2100, 5, 1), PeriodKey::MAX).is_empty());
        assert_eq!(
            keys_between(day1, date(2099, 12, 3), PeriodKey::MAX).len(),
            1
        );
    }

    #[test]
    fn keys_parse_strictly_and_display_back() {
        for good in ["2026-12", "2000-01", "2099-12", "2027-01"] {
            assert_eq!(key(good).to_string(), good);
            assert_eq!(good.parse::<PeriodKey>().unwrap(), key(good));
        }
        let bad = [
            "2026-13",
            "2026-00",
            "1999-12",
            "2100-01",
            "26-12",
            "2026-1",
            "2026/12",
            "2026-012",
            "+202-12",
            " 2026-12",
            "2026-12 ",
            "２026-12",
            "2026-1a",
            "",
            "2026",
        ];
        for text in bad {
            assert_eq!(
                PeriodKey::parse(text),
                Err(PeriodError::BadKey(text.to_owned())),
                "{text:?}"
            );
        }
        assert!(PeriodKey::new(2026, 0).is_err());
        assert_eq!(
            PeriodError::BadKey("2026-13".into()).to_string(),
            "period \"2026-13\" is not a month written YYYY-MM between 2000-01 and 2099-12"
        );
    }

    #[test]
    fn keys_step_and_order_by_month() {
        assert_eq!(key("2026-12").next(), Some(key("2027-01")));
        assert_eq!(key("2027-01").prev(), Some(key("2026-12")));
        assert_eq!(key("2026-05").next(), Some(key("2026-06")));
        assert_eq!(PeriodKey::MAX.next(), None);
        assert_eq!(PeriodKey::MIN.prev(), None);
        assert!(key("2026-12") < key("2027-01"));
        assert!(key("2026-02") < key("2026-10"));
        assert_eq!((key("2026-12").year(), key("2026-12").month()), (2026, 12));
    }

    #[test]
    fn keys_deserialize_from_their_text_only() {
        use serde::de::value::{Error, StrDeserializer};
        use serde::de::IntoDeserializer;
        let read = |text: &str| {
            let deserializer: StrDeserializer<'_, Error> = text.into_deserializer();
            PeriodKey::deserialize(deserializer)
        };
        assert_eq!(read("2026-12").unwrap(), key("2026-12"));
        assert!(read("2026-13").is_err());
    }

    #[test]
    fn cycles_keep_their_day_within_1_to_28() {
        assert_eq!(
            Cycle::anniversary_for(date(2026, 1, 31)),
            Cycle::Anniversary { day: 28 }
        );
        assert_eq!(
            Cycle::anniversary_for(date(2026, 3, 17)),
            Cycle::Anniversary { day: 17 }
        );
        assert_eq!(Cycle::fixed(10), Ok(Cycle::Fixed { day: 10 }));
        assert_eq!(Cycle::fixed(0), Err(PeriodError::BadDay(0)));
        assert_eq!(Cycle::fixed(29), Err(PeriodError::BadDay(29)));
        assert_eq!(Cycle::Fixed { day: 31 }.day(), 28);
        assert_eq!(Cycle::Fixed { day: 0 }.day(), 1);
        assert!(Cycle::Anniversary { day: 30 }.validate().is_err());
        assert!(Cycle::Anniversary { day: 28 }.validate().is_ok());
    }

    #[test]
    fn prepaid_bills_on_the_first_day_and_postpaid_on_the_day_after() {
        let december = period(Cycle::Fixed { day: 1 }, key("2026-12"));
        let day10 = period(Cycle::Fixed { day: 10 }, key("2026-12"));
        let feb = period(Cycle::Fixed { day: 1 }, key("2024-02"));
        // (timing, period, due day, billing date, due date)
        let cases = [
            (
                Timing::Prepaid,
                december,
                10,
                date(2026, 12, 1),
                date(2026, 12, 10),
            ),
            (
                Timing::Prepaid,
                december,
                1,
                date(2026, 12, 1),
                date(2026, 12, 1),
            ),
            (
                Timing::Postpaid,
                december,
                10,
                date(2027, 1, 1),
                date(2027, 1, 10),
            ),
            (
                Timing::Postpaid,
                december,
                28,
                date(2027, 1, 1),
                date(2027, 1, 28),
            ),
            (
                Timing::Prepaid,
                day10,
                10,
                date(2026, 12, 10),
                date(2026, 12, 19),
            ),
            (
                Timing::Postpaid,
                day10,
                10,
                date(2027, 1, 10),
                date(2027, 1, 19),
            ),
            (Timing::Postpaid, feb, 1, date(2024, 3, 1), date(2024, 3, 1)),
            (
                Timing::Prepaid,
                feb,
                29,
                date(2024, 2, 1),
                date(2024, 2, 28),
            ),
            (Timing::Prepaid, feb, 0, date(2024, 2, 1), date(2024, 2, 1)),
        ];
        for (timing, period, due_day, billed, due) in cases {
            assert_eq!(
                billing_date(timing, &period),
                billed,
                "{timing:?} {period:?}"
            );
            assert_eq!(
                due_on(timing, &period, due_day),
                due,
                "{timing:?} day {due_day}"
            );
        }
        assert_eq!(validate_day(DEFAULT_DUE_DAY), Ok(10));
    }
}
