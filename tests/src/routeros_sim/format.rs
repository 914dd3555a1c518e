//! How RouterOS prints times, dates and durations.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::version::RosVersion;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A date-time the way the given version prints it (router clock in UTC):
/// `2023-06-26 00:32:53` from 7.10 on, `jun/26/2023 00:32:53` before.
pub(crate) fn date_time(unix_secs: u64, version: RosVersion) -> String {
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    if version.has_iso_dates() {
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
    } else {
        let month = MONTHS[usize::from(m - 1)];
        format!("{month}/{d:02}/{y:04} {hh:02}:{mm:02}:{ss:02}")
    }
}

/// RouterOS duration syntax: `1w2d3h4m5s`, `44m55s`, `0s`.
pub(crate) fn duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, len) in [
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3600),
        ("m", 60),
        ("s", 1),
    ] {
        let n = secs / len;
        secs %= len;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u8, u8) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_version() {
        // 2023-06-26 00:32:53 UTC, the example of reference §1.10.
        let t = 1_687_739_573;
        assert_eq!(
            date_time(t, RosVersion::new(7, 10, 0)),
            "2023-06-26 00:32:53"
        );
        assert_eq!(
            date_time(t, RosVersion::new(7, 9, 0)),
            "jun/26/2023 00:32:53"
        );
        assert_eq!(
            date_time(0, RosVersion::new(7, 18, 2)),
            "1970-01-01 00:00:00"
        );
        assert_eq!(
            date_time(951_782_400, RosVersion::new(7, 18, 2)),
            "2000-02-29 00:00:00"
        );
    }

    #[test]
    fn durations_use_router_syntax() {
        assert_eq!(duration(Duration::ZERO), "0s");
        assert_eq!(duration(Duration::from_secs(2695)), "44m55s");
        assert_eq!(duration(Duration::from_secs(30_103)), "8h21m43s");
        assert_eq!(duration(Duration::from_secs(788_645)), "1w2d3h4m5s");
    }
}
