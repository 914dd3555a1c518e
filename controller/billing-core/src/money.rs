//! Integer money: rounding a quotient half away from zero, and applying a rate in basis points.
//!
//! Rounding is symmetric (the magnitude is rounded, the sign kept), so a credit is always the
//! exact negation of the charge it mirrors: `round(-x) == -round(x)`. Banker's rounding would
//! be fairer in aggregate, but invoices in Bangladesh round half up and people check them by
//! hand.

use thiserror::Error;

/// The largest amount, in poisha, this crate accepts as input: 10^15 poisha is ten trillion
/// taka, far beyond any bill, and small enough that sums, products with day counts and rates
/// never come near `i64::MAX` (about 9.2 × 10^18).
pub const MAX_POISHA: i64 = 1_000_000_000_000_000;

/// Basis points in a whole: 10,000 bp = 100 %.
pub const BP_PER_UNIT: u32 = 10_000;

/// An amount or rate this crate will not compute with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("amount {0} poisha is beyond ±{MAX_POISHA}")]
    OutOfRange(i128),
    #[error("rate {0} bp is above 10000 bp (100 %)")]
    RateTooHigh(u32),
    #[error("the result does not fit in 64 bits")]
    Overflow,
    #[error("division by {0}: the denominator must be positive")]
    BadDenominator(i128),
}

/// `numerator / denominator`, rounded half away from zero: 2.5 → 3, -2.5 → -3, 2.4 → 2.
///
/// The denominator must be positive and the quotient must fit in `i64`; both hold for every
/// call this crate makes (amounts are bounded by [`MAX_POISHA`]). Panics otherwise, because a
/// wrong amount must never be stored; [`checked_round_half_up_div`] is the non-panicking twin.
pub fn round_half_up_div(numerator: i128, denominator: i128) -> i64 {
    match checked_round_half_up_div(numerator, denominator) {
        Ok(quotient) => quotient,
        Err(error) => panic!("round_half_up_div({numerator}, {denominator}): {error}"),
    }
}

/// [`round_half_up_div`], with an error instead of a panic.
pub fn checked_round_half_up_div(numerator: i128, denominator: i128) -> Result<i64, MoneyError> {
    if denominator <= 0 {
        return Err(MoneyError::BadDenominator(denominator));
    }
    // Work on the magnitude as unsigned so that i128::MIN has one too.
    let magnitude = numerator.unsigned_abs();
    let divisor = denominator.unsigned_abs();
    let quotient = magnitude / divisor;
    let remainder = magnitude % divisor;
    // remainder ≥ divisor / 2, without overflow: remainder ≥ divisor - remainder.
    let rounded = if remainder >= divisor - remainder {
        quotient + 1
    } else {
        quotient
    };
    let rounded = i128::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
    let signed = if numerator < 0 { -rounded } else { rounded };
    i64::try_from(signed).map_err(|_| MoneyError::Overflow)
}

/// `amount × rate / 10,000`, rounded half away from zero: the tax or share of an amount.
///
/// Exact for every amount at a rate of at most 100 %. A larger rate on an amount so large that
/// the result leaves `i64` saturates at `i64::MIN`/`i64::MAX` rather than panicking; every
/// caller in this crate refuses such rates first, and [`checked_apply_rate`] refuses them too.
pub fn apply_rate(amount_poisha: i64, rate_bp: u32) -> i64 {
    // |amount × rate| < 2^95: the product always fits in i128.
    let product = i128::from(amount_poisha) * i128::from(rate_bp);
    checked_round_half_up_div(product, i128::from(BP_PER_UNIT)).unwrap_or(if product < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// [`apply_rate`] for inputs from outside: the amount within ±[`MAX_POISHA`] and the rate at most
/// 10,000 bp, or an error.
pub fn checked_apply_rate(amount_poisha: i64, rate_bp: u32) -> Result<i64, MoneyError> {
    check_amount(amount_poisha)?;
    check_rate(rate_bp)?;
    Ok(apply_rate(amount_poisha, rate_bp))
}

/// `amount` if it lies within ±[`MAX_POISHA`].
pub fn check_amount(amount_poisha: i64) -> Result<i64, MoneyError> {
    if amount_poisha.unsigned_abs() > MAX_POISHA.unsigned_abs() {
        Err(MoneyError::OutOfRange(i128::from(amount_poisha)))
    } else {
        Ok(amount_poisha)
    }
}

/// A sum computed in `i128`, if it lies within ±[`MAX_POISHA`].
pub fn check_sum(sum: i128) -> Result<i64, MoneyError> {
    i64::try_from(sum)
        .ok()
        .filter(|amount| amount.unsigned_abs() <= MAX_POISHA.unsigned_abs())
        .ok_or(MoneyError::OutOfRange(sum))
}

/// `rate` if it is at most 100 %.
pub fn check_rate(rate_bp: u32) -> Result<u32, MoneyError> {
    if rate_bp > BP_PER_UNIT {
        Err(MoneyError::RateTooHigh(rate_bp))
    } else {
        Ok(rate_bp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero_keeping_the_sign() {
        let cases: [(i128, i128, i64); 14] = [
            (5, 2, 3),
            (-5, 2, -3),
            (4, 2, 2),
            (7, 3, 2),
            (8, 3, 3),
            (-7, 3, -2),
            (-8, 3, -3),
            (0, 7, 0),
            (1, 3, 0),
            (-1, 3, 0),
            (1, 2, 1),
            (-1, 2, -1),
            // 15 days of a 1,000 taka plan in a 31-day month: 48,387.096… poisha.
            (100_000 * 15, 31, 48_387),
            (i128::from(i64::MAX), 1, i64::MAX),
        ];
        for (numerator, denominator, expected) in cases {
            assert_eq!(
                round_half_up_div(numerator, denominator),
                expected,
                "{numerator} / {denominator}"
            );
        }
    }

    #[test]
    fn impossible_quotients_are_errors_in_the_checked_twin() {
        assert_eq!(
            checked_round_half_up_div(1, 0),
            Err(MoneyError::BadDenominator(0))
        );
        assert_eq!(
            checked_round_half_up_div(1, -2),
            Err(MoneyError::BadDenominator(-2))
        );
        assert_eq!(
            checked_round_half_up_div(i128::MAX, 1),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            checked_round_half_up_div(i128::MIN, 1),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            checked_round_half_up_div(i128::from(i64::MAX) + 1, 1),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            checked_round_half_up_div(i128::from(i64::MIN), 1),
            Ok(i64::MIN)
        );
        assert_eq!(checked_round_half_up_div(i128::MIN, i128::MAX), Ok(-1));
    }

    #[test]
    #[should_panic(expected = "denominator must be positive")]
    fn the_plain_division_panics_on_a_zero_denominator() {
        round_half_up_div(1, 0);
    }

    #[test]
    fn rates_are_basis_points() {
        assert_eq!(apply_rate(48_387, 500), 2_419); // 2,419.35
        assert_eq!(apply_rate(100_000, 500), 5_000);
        assert_eq!(apply_rate(10, 500), 1); // 0.5 rounds up
        assert_eq!(apply_rate(-10, 500), -1);
        assert_eq!(apply_rate(9, 500), 0); // 0.45
        assert_eq!(apply_rate(MAX_POISHA, 10_000), MAX_POISHA);
        assert_eq!(apply_rate(i64::MIN, 10_000), i64::MIN);
        assert_eq!(apply_rate(MAX_POISHA, u32::MAX), i64::MAX);
        assert_eq!(apply_rate(-MAX_POISHA, u32::MAX), i64::MIN);
        assert_eq!(
            checked_apply_rate(100, 10_001),
            Err(MoneyError::RateTooHigh(10_001))
        );
        assert!(checked_apply_rate(MAX_POISHA + 1, 500).is_err());
        assert_eq!(checked_apply_rate(-MAX_POISHA, 500), Ok(-MAX_POISHA / 20));
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(check_amount(MAX_POISHA).is_ok());
        assert!(check_amount(-MAX_POISHA).is_ok());
        assert!(check_amount(i64::MIN).is_err());
        assert!(check_sum(i128::from(MAX_POISHA) + 1).is_err());
        assert!(check_sum(i128::MAX).is_err());
        assert_eq!(check_rate(10_000), Ok(10_000));
    }
}
