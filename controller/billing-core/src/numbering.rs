//! Document numbers: a serial per financial year, with an optional separate series per branch
//! (VAT rules, Rule 40: tax invoices are numbered serially per financial year and a separate
//! series may be kept per place of business). The number is assigned when a draft is
//! finalised, under the series' lock in the controller; this module only names series and
//! writes numbers.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::document::DocumentKind;

/// Bangladesh's financial year, named by the year it starts: FY 2026-27 runs 1 July 2026 to
/// 30 June 2027.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FinancialYear(pub i16);

impl FinancialYear {
    /// The financial year `date` falls in: from July the year's own, before July the previous.
    pub fn of(date: Date) -> FinancialYear {
        if date.month() >= 7 {
            FinancialYear(date.year())
        } else {
            FinancialYear(date.year() - 1)
        }
    }

    /// `2026-27`: the starting year and the last two digits of the next.
    pub fn label(self) -> String {
        format!(
            "{:04}-{:02}",
            self.0,
            (i32::from(self.0) + 1).rem_euclid(100)
        )
    }

    /// 1 July of the starting year, if the calendar has it.
    pub fn first_day(self) -> Option<Date> {
        Date::new(self.0, 7, 1).ok()
    }

    /// 30 June of the next year, if the calendar has it.
    pub fn last_day(self) -> Option<Date> {
        Date::new(self.0.checked_add(1)?, 6, 30).ok()
    }
}

fn prefix(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => "INV",
        DocumentKind::CreditNote => "CN",
    }
}

/// The series a number is drawn from: `INV-2026-27`, or `INV-2026-27-B2` for branch `B2`. An
/// empty branch code is no branch.
pub fn series_key(kind: DocumentKind, fy: FinancialYear, branch_code: Option<&str>) -> String {
    match branch_code.filter(|code| !code.is_empty()) {
        Some(code) => format!("{}-{}-{code}", prefix(kind), fy.label()),
        None => format!("{}-{}", prefix(kind), fy.label()),
    }
}

/// The printed number: the series and the serial, at least six digits (`INV-2026-27-000123`,
/// `INV-2026-27-B2-000123`, `CN-2026-27-000007`; the millionth is `INV-2026-27-1000000`).
pub fn format_number(
    kind: DocumentKind,
    fy: FinancialYear,
    branch_code: Option<&str>,
    seq: i64,
) -> String {
    format!("{}-{seq:06}", series_key(kind, fy, branch_code))
}

/// The longest branch code allowed in a number.
pub const MAX_BRANCH_CODE: usize = 8;

/// A branch code fit for a document number: 1 to 8 ASCII capital letters and digits, so a
/// number reads back unambiguously (no hyphen) and fits every printed form. The controller
/// checks codes with this when a branch is saved.
pub fn validate_branch_code(code: &str) -> Result<(), NumberingError> {
    let fits = !code.is_empty()
        && code.len() <= MAX_BRANCH_CODE
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if fits {
        Ok(())
    } else {
        Err(NumberingError::BadBranchCode(code.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NumberingError {
    #[error("branch code {0:?} is not 1 to 8 capital letters and digits")]
    BadBranchCode(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_financial_year_turns_on_the_first_of_july() {
        let cases = [
            (date(2026, 6, 30), 2025, "2025-26"),
            (date(2026, 7, 1), 2026, "2026-27"),
            (date(2027, 6, 30), 2026, "2026-27"),
            (date(2027, 1, 1), 2026, "2026-27"),
            (date(2026, 12, 31), 2026, "2026-27"),
            (date(2099, 7, 1), 2099, "2099-00"),
            (date(2000, 1, 1), 1999, "1999-00"),
        ];
        for (on, year, label) in cases {
            let fy = FinancialYear::of(on);
            assert_eq!((fy.0, fy.label().as_str()), (year, label), "{on}");
            assert!(fy.first_day().unwrap() <= on && on <= fy.last_day().unwrap());
        }
        assert_eq!(FinancialYear(2026).first_day(), Some(date(2026, 7, 1)));
        assert_eq!(FinancialYear(2026).last_day(), Some(date(2027, 6, 30)));
        assert_eq!(FinancialYear(i16::MAX).last_day(), None);
    }

    #[test]
    fn numbers_carry_kind_year_branch_and_six_digits() {
        let fy = FinancialYear(2026);
        let cases = [
            (DocumentKind::Invoice, None, 123, "INV-2026-27-000123"),
            (
                DocumentKind::Invoice,
                Some("B2"),
                123,
                "INV-2026-27-B2-000123",
            ),
            (DocumentKind::CreditNote, None, 7, "CN-2026-27-000007"),
            (
                DocumentKind::CreditNote,
                Some("DHK1"),
                1,
                "CN-2026-27-DHK1-000001",
            ),
            (DocumentKind::Invoice, Some(""), 5, "INV-2026-27-000005"),
            (DocumentKind::Invoice, None, 999_999, "INV-2026-27-999999"),
            (
                DocumentKind::Invoice,
                None,
                1_000_000,
                "INV-2026-27-1000000",
            ),
        ];
        for (kind, branch, seq, expected) in cases {
            assert_eq!(format_number(kind, fy, branch, seq), expected);
        }
        assert_eq!(series_key(DocumentKind::Invoice, fy, None), "INV-2026-27");
        assert_eq!(
            series_key(DocumentKind::CreditNote, fy, Some("B2")),
            "CN-2026-27-B2"
        );
        // Invoices and credit notes, years and branches never share a series.
        assert_ne!(
            series_key(DocumentKind::Invoice, fy, None),
            series_key(DocumentKind::Invoice, FinancialYear(2027), None)
        );
    }

    #[test]
    fn branch_codes_are_short_capitals_and_digits() {
        for good in ["B2", "DHK", "12345678"] {
            assert_eq!(validate_branch_code(good), Ok(()), "{good}");
        }
        for bad in ["", "b2", "B-2", "B 2", "123456789", "ঢাকা"] {
            assert!(validate_branch_code(bad).is_err(), "{bad}");
        }
    }
}
