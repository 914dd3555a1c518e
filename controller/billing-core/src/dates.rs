//! Day arithmetic and the serde forms of dates.
//!
//! The workspace builds jiff without its `serde` feature, so dates are written here as the
//! strings people and the database use: `2026-12-01`, weekdays as `friday`.

use jiff::civil::{Date, Weekday};
use jiff::Span;

/// `date` moved by `days`, or `None` past the calendar jiff supports (years -9999 to 9999).
pub(crate) fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(Span::new().try_days(days).ok()?).ok()
}

/// Whole days from `from` to `to` (negative when `to` is earlier); never fails.
pub(crate) fn days_between(from: Date, to: Date) -> i64 {
    to.duration_since(from).as_secs() / 86_400
}

/// A date written strictly as `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i16>().ok();
    Date::new(number(0..4)?, number(5..7)? as i8, number(8..10)? as i8).ok()
}

fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

fn parse_weekday(text: &str) -> Option<Weekday> {
    [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ]
    .into_iter()
    .find(|weekday| weekday_name(*weekday) == text)
}

/// `#[serde(with = "crate::dates::date")]`
pub(crate) mod date {
    use super::*;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_date(&text)
            .ok_or_else(|| D::Error::custom(format!("not a YYYY-MM-DD date: {text:?}")))
    }
}

/// `#[serde(with = "crate::dates::option")]`
pub(crate) mod option {
    use super::*;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct Wrapped(#[serde(with = "super::date")] Date);

    pub(crate) fn serialize<S: Serializer>(
        date: &Option<Date>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        date.map(Wrapped).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(date)| date))
    }
}

/// `#[serde(with = "crate::dates::list")]`
pub(crate) mod list {
    use super::*;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct Wrapped(#[serde(with = "super::date")] Date);

    pub(crate) fn serialize<S: Serializer>(
        dates: &[Date],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(dates.iter().map(|date| Wrapped(*date)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Date>, D::Error> {
        Ok(Vec::<Wrapped>::deserialize(deserializer)?
            .into_iter()
            .map(|Wrapped(date)| date)
            .collect())
    }
}

/// `#[serde(with = "crate::dates::weekdays")]`: `["friday"]`.
pub(crate) mod weekdays {
    use super::*;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        weekdays: &[Weekday],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(weekdays.iter().map(|weekday| weekday_name(*weekday)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Weekday>, D::Error> {
        Vec::<String>::deserialize(deserializer)?
            .iter()
            .map(|text| {
                parse_weekday(text)
                    .ok_or_else(|| D::Error::custom(format!("not a weekday: {text:?}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn day_arithmetic_crosses_months_years_and_leap_days() {
        assert_eq!(add_days(date(2024, 2, 28), 1), Some(date(2024, 2, 29)));
        assert_eq!(add_days(date(2025, 2, 28), 1), Some(date(2025, 3, 1)));
        assert_eq!(add_days(date(2026, 12, 31), 1), Some(date(2027, 1, 1)));
        assert_eq!(add_days(date(2026, 1, 1), -1), Some(date(2025, 12, 31)));
        assert_eq!(add_days(Date::MAX, 1), None);
        assert_eq!(add_days(Date::MIN, i64::MIN), None);
        assert_eq!(days_between(date(2026, 12, 1), date(2026, 12, 31)), 30);
        assert_eq!(days_between(date(2026, 12, 31), date(2026, 12, 1)), -30);
        assert_eq!(days_between(Date::MIN, Date::MAX), 7_304_483);
    }

    #[test]
    fn dates_parse_only_in_the_strict_form() {
        assert_eq!(parse_date("2026-12-01"), Some(date(2026, 12, 1)));
        for bad in [
            "2026-2-01",
            "2026-02-30",
            "20261201",
            "2026-12-01T00:00",
            " 2026-12-01",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
        assert_eq!(parse_weekday("friday"), Some(Weekday::Friday));
        assert_eq!(parse_weekday("Friday"), None);
    }

    #[test]
    fn serde_reads_the_same_strict_forms() {
        use serde::de::value::{Error, SeqDeserializer, StrDeserializer};
        use serde::de::IntoDeserializer;
        let one = |text: &str| {
            let deserializer: StrDeserializer<'_, Error> = text.into_deserializer();
            super::date::deserialize(deserializer)
        };
        assert_eq!(one("2026-12-01").unwrap(), date(2026, 12, 1));
        assert!(one("2026-12-1").is_err());
        let days = |texts: Vec<&str>| {
            let deserializer: SeqDeserializer<_, Error> = texts.into_deserializer();
            super::weekdays::deserialize(deserializer)
        };
        assert_eq!(
            days(vec!["friday", "saturday"]).unwrap(),
            [Weekday::Friday, Weekday::Saturday]
        );
        assert!(days(vec!["fri"]).is_err());
        for weekday in [Weekday::Monday, Weekday::Sunday, Weekday::Friday] {
            assert_eq!(parse_weekday(weekday_name(weekday)), Some(weekday));
        }
    }
}
