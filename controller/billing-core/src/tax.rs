//! VAT and supplementary duty (SD): effective-dated rates and the tax of one line.
//!
//! Rates change by law on a date (the budget takes effect on 1 July; a 10 % SD on internet was
//! added on 9 January 2025 and withdrawn on 22 January), so they are rows with a validity range,
//! never a constant. Every line snapshots the rates it was billed at; a credit uses the rates
//! of the line it credits, not today's.

use jiff::civil::{date, Date};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::money::{apply_rate, check_amount, check_rate, MoneyError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxKind {
    /// Value added tax (মূসক).
    Vat,
    /// Supplementary duty (সম্পূরক শুল্ক).
    Sd,
}

/// One rate of one kind, in force from `valid_from` through `valid_to` (both included; open
/// ended when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaxRate {
    pub kind: TaxKind,
    pub rate_bp: u32,
    #[serde(with = "crate::dates::date")]
    pub valid_from: Date,
    #[serde(with = "crate::dates::option")]
    pub valid_to: Option<Date>,
}

impl TaxRate {
    pub fn in_force_on(&self, on: Date) -> bool {
        self.valid_from <= on && self.valid_to.is_none_or(|to| on <= to)
    }
}

/// The rate of `kind` in force on `on`, or 0 when no row covers the day. Rows are expected to
/// pass [`validate`]; if several overlap anyway, the one that started last wins.
pub fn rate_on(rates: &[TaxRate], kind: TaxKind, on: Date) -> u32 {
    rates
        .iter()
        .filter(|rate| rate.kind == kind && rate.in_force_on(on))
        .max_by_key(|rate| rate.valid_from)
        .map_or(0, |rate| rate.rate_bp)
}

/// Refuses a rate table that cannot be read one way: two rows of one kind in force on the same
/// day, a row ending before it starts, a rate above 100 %.
pub fn validate(rates: &[TaxRate]) -> Result<(), TaxError> {
    for rate in rates {
        check_rate(rate.rate_bp)?;
        if rate.valid_to.is_some_and(|to| to < rate.valid_from) {
            return Err(TaxError::EndsBeforeStart(*rate));
        }
    }
    for kind in [TaxKind::Vat, TaxKind::Sd] {
        let mut rows: Vec<&TaxRate> = rates.iter().filter(|rate| rate.kind == kind).collect();
        rows.sort_by_key(|rate| rate.valid_from);
        for pair in rows.windows(2) {
            let (earlier, later) = (pair[0], pair[1]);
            // Sorted by start, two rows overlap exactly when the earlier one is still in force
            // on the day the later one starts.
            if earlier.in_force_on(later.valid_from) {
                return Err(TaxError::Overlap {
                    first: *earlier,
                    second: *later,
                });
            }
        }
    }
    Ok(())
}

/// The rates Setu starts a company with: 5 % VAT on retail internet service since the VAT and
/// SD Act 2012 came into force on 1 July 2019, and no SD (the 10 % SD of 9–22 January 2025 was
/// withdrawn; a company that billed in that fortnight adds the row itself).
pub fn default_rates() -> Vec<TaxRate> {
    let act_2012 = date(2019, 7, 1);
    vec![
        TaxRate {
            kind: TaxKind::Vat,
            rate_bp: 500,
            valid_from: act_2012,
            valid_to: None,
        },
        TaxRate {
            kind: TaxKind::Sd,
            rate_bp: 0,
            valid_from: act_2012,
            valid_to: None,
        },
    ]
}

/// The tax of one line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineTax {
    pub sd_poisha: i64,
    pub vat_poisha: i64,
}

/// The SD and VAT of a line of value `net`: SD on the net, then VAT on the net plus SD (in
/// Bangladesh VAT is charged on the value including SD: a Tk 500 bill with 10 % SD and 5 % VAT
/// carries Tk 50 SD and Tk 27.50 VAT, Tk 77.50 in all). Each is rounded half up per line; with
/// SD 0 the VAT is exactly `round_half_up(net × rate)`.
///
/// A credit line (negative net) gets the exact negation of the tax of the matching charge.
/// Errors for a net beyond ±10^15 poisha or a rate above 100 %.
pub fn tax_line(net_poisha: i64, vat_bp: u32, sd_bp: u32) -> Result<LineTax, TaxError> {
    check_amount(net_poisha)?;
    check_rate(vat_bp)?;
    check_rate(sd_bp)?;
    let sd_poisha = apply_rate(net_poisha, sd_bp);
    // |net + sd| ≤ 2 × 10^15: no overflow.
    let vat_poisha = apply_rate(net_poisha + sd_poisha, vat_bp);
    Ok(LineTax {
        sd_poisha,
        vat_poisha,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TaxError {
    #[error("a {:?} rate ends on {:?}, before it starts on {}", .0.kind, .0.valid_to, .0.valid_from)]
    EndsBeforeStart(TaxRate),
    #[error(
        "two {:?} rates are in force on {}: from {} and from {}",
        first.kind,
        second.valid_from,
        first.valid_from,
        second.valid_from
    )]
    Overlap { first: TaxRate, second: TaxRate },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: TaxKind, rate_bp: u32, from: Date, to: Option<Date>) -> TaxRate {
        TaxRate {
            kind,
            rate_bp,
            valid_from: from,
            valid_to: to,
        }
    }

    /// The real history, with the January 2025 SD fortnight.
    fn history() -> Vec<TaxRate> {
        let mut rates = default_rates();
        rates[1].valid_to = Some(date(2025, 1, 8));
        rates.push(row(
            TaxKind::Sd,
            1_000,
            date(2025, 1, 9),
            Some(date(2025, 1, 21)),
        ));
        rates.push(row(TaxKind::Sd, 0, date(2025, 1, 22), None));
        rates
    }

    #[test]
    fn the_rate_in_force_is_read_by_day() {
        let rates = history();
        assert_eq!(validate(&rates), Ok(()));
        let cases = [
            (TaxKind::Vat, date(2019, 6, 30), 0),
            (TaxKind::Vat, date(2019, 7, 1), 500),
            (TaxKind::Vat, date(2026, 12, 1), 500),
            (TaxKind::Sd, date(2025, 1, 8), 0),
            (TaxKind::Sd, date(2025, 1, 9), 1_000),
            (TaxKind::Sd, date(2025, 1, 21), 1_000),
            (TaxKind::Sd, date(2025, 1, 22), 0),
        ];
        for (kind, on, expected) in cases {
            assert_eq!(rate_on(&rates, kind, on), expected, "{kind:?} on {on}");
        }
        assert_eq!(rate_on(&[], TaxKind::Vat, date(2026, 1, 1)), 0);
    }

    #[test]
    fn overlapping_or_backwards_rows_are_refused() {
        let open_vat = row(TaxKind::Vat, 500, date(2019, 7, 1), None);
        let later_vat = row(TaxKind::Vat, 750, date(2026, 7, 1), None);
        assert_eq!(
            validate(&[later_vat, open_vat]),
            Err(TaxError::Overlap {
                first: open_vat,
                second: later_vat
            })
        );
        // Touching on the same day overlaps; ending the day before does not.
        let closed = |to| row(TaxKind::Vat, 500, date(2019, 7, 1), Some(to));
        assert!(validate(&[closed(date(2026, 7, 1)), later_vat]).is_err());
        assert_eq!(validate(&[closed(date(2026, 6, 30)), later_vat]), Ok(()));
        // Rows of different kinds never overlap each other.
        assert_eq!(
            validate(&[open_vat, row(TaxKind::Sd, 0, date(2019, 7, 1), None)]),
            Ok(())
        );
        let backwards = row(TaxKind::Sd, 0, date(2025, 1, 9), Some(date(2025, 1, 8)));
        assert_eq!(
            validate(&[backwards]),
            Err(TaxError::EndsBeforeStart(backwards))
        );
        assert_eq!(
            validate(&[row(TaxKind::Vat, 10_001, date(2019, 7, 1), None)]),
            Err(TaxError::Money(MoneyError::RateTooHigh(10_001)))
        );
        // When overlapping rows slip through anyway, the newer one is read.
        assert_eq!(
            rate_on(&[open_vat, later_vat], TaxKind::Vat, date(2026, 8, 1)),
            750
        );
    }

    #[test]
    fn vat_is_charged_on_the_value_including_sd() {
        // (net, vat bp, sd bp, sd, vat)
        let cases = [
            (48_387, 500, 0, 0, 2_419),         // 483.87 taka → 24.19 VAT
            (100_000, 500, 0, 0, 5_000),        // a full 1,000 taka month
            (50_000, 500, 1_000, 5_000, 2_750), // Tk 500 in January 2025: Tk 77.50 tax
            (-48_387, 500, 0, 0, -2_419),       // a credit mirrors the charge
            (-50_000, 500, 1_000, -5_000, -2_750),
            (10, 500, 0, 0, 1), // 0.5 poisha rounds up
            (0, 500, 1_000, 0, 0),
        ];
        for (net, vat_bp, sd_bp, sd, vat) in cases {
            assert_eq!(
                tax_line(net, vat_bp, sd_bp),
                Ok(LineTax {
                    sd_poisha: sd,
                    vat_poisha: vat
                }),
                "{net} at {vat_bp}/{sd_bp}"
            );
        }
        assert!(tax_line(1_000_000_000_000_001, 500, 0).is_err());
        assert_eq!(
            tax_line(100, 500, 10_001),
            Err(TaxError::Money(MoneyError::RateTooHigh(10_001)))
        );
        assert_eq!(
            tax_line(1_000_000_000_000_000, 10_000, 10_000),
            Ok(LineTax {
                sd_poisha: 1_000_000_000_000_000,
                vat_poisha: 2_000_000_000_000_000
            })
        );
    }
}
