//! The PDF creation date from Unix seconds, as Dhaka wall-clock time (UTC+06:00, no DST since
//! 2009), so the date in the PDF's metadata is the one the office saw.

use typst::foundations::Datetime;
use typst_pdf::Timestamp;

use crate::RenderError;

/// Dhaka's offset from UTC in minutes.
const DHAKA_OFFSET_MINUTES: i32 = 6 * 60;

pub(crate) fn dhaka(unix: i64) -> Result<Timestamp, RenderError> {
    let out_of_range = || RenderError::Timestamp(unix);
    let local = unix
        .checked_add(i64::from(DHAKA_OFFSET_MINUTES) * 60)
        .ok_or_else(out_of_range)?;
    let (year, month, day) = civil_from_days(local.div_euclid(86_400));
    let second_of_day = local.rem_euclid(86_400);
    if !(1..=9999).contains(&year) {
        return Err(out_of_range());
    }
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    let datetime = Datetime::from_ymd_hms(
        i32::try_from(year).map_err(|_| out_of_range())?,
        u8::try_from(month).map_err(|_| out_of_range())?,
        u8::try_from(day).map_err(|_| out_of_range())?,
        u8::try_from(hour).map_err(|_| out_of_range())?,
        u8::try_from(minute).map_err(|_| out_of_range())?,
        u8::try_from(second).map_err(|_| out_of_range())?,
    )
    .ok_or_else(out_of_range)?;
    Timestamp::new_local(datetime, DHAKA_OFFSET_MINUTES).ok_or_else(out_of_range)
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`). Works on the whole `i64 / 86_400` range without overflow.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        // 2026-07-01, the first day of FY 2026-27.
        assert_eq!(civil_from_days(20_635), (2026, 7, 1));
    }

    #[test]
    fn times_outside_what_a_pdf_date_holds_are_errors_not_panics() {
        // 0001-01-01 00:00 and 9999-12-31 23:59:59 in Dhaka are the first and last that fit.
        let (first, last) = (-62_135_596_800 - 6 * 3600, 253_402_300_799 - 6 * 3600);
        for unix in [i64::MIN, i64::MAX, first - 1, last + 1] {
            assert!(
                matches!(dhaka(unix), Err(RenderError::Timestamp(u)) if u == unix),
                "{unix}"
            );
        }
        for unix in [first, last, 0, 1_782_864_000] {
            assert!(dhaka(unix).is_ok(), "{unix}");
        }
    }
}
