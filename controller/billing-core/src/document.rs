//! Composing a document: lines, one-time charges, totals with optional rounding to the taka, and
//! whether the result is an invoice or a credit note.
//!
//! Invoices are never edited once issued; a correction is a credit note, and a credit note
//! shows positive amounts (its lines are the negation of the proposed lines), so it reads like
//! any other document and its posting is the mirror of an invoice's.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::charge::Proposed;
use crate::money::{check_amount, check_sum, round_half_up_div, MoneyError};
use crate::tax::{tax_line, TaxError};

/// How a document's total is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// To the poisha: the total is the sum of the lines.
    Poisha,
    /// To the whole taka, half up, for companies that collect cash and keep no coins; the
    /// difference is its own amount (`rounding_poisha`) and its own ledger account.
    Taka,
}

/// One line's amounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Line {
    pub net_poisha: i64,
    pub sd_poisha: i64,
    pub vat_poisha: i64,
}

impl Line {
    /// `net + sd + vat`; exact for every line whose amounts are within ±10^15 poisha (all lines
    /// this crate makes), saturating beyond (such lines are refused by [`totals`]).
    pub fn total(&self) -> i64 {
        self.net_poisha
            .saturating_add(self.sd_poisha)
            .saturating_add(self.vat_poisha)
    }

    fn check(&self) -> Result<(), MoneyError> {
        check_amount(self.net_poisha)?;
        check_amount(self.sd_poisha)?;
        check_amount(self.vat_poisha)?;
        Ok(())
    }

    fn negated(&self) -> Line {
        Line {
            net_poisha: -self.net_poisha,
            sd_poisha: -self.sd_poisha,
            vat_poisha: -self.vat_poisha,
        }
    }
}

impl From<&Proposed> for Line {
    fn from(proposed: &Proposed) -> Line {
        Line {
            net_poisha: proposed.net_poisha,
            sd_poisha: proposed.sd_poisha,
            vat_poisha: proposed.vat_poisha,
        }
    }
}

/// The most units one one-time line may carry (cable by the metre stays far below it).
pub const MAX_QUANTITY: i64 = 10_000;

/// A one-time charge (connection fee, equipment, a late fee): `quantity × unit price`, taxed as
/// one line.
pub fn one_time(
    quantity: i64,
    unit_price_poisha: i64,
    vat_bp: u32,
    sd_bp: u32,
) -> Result<Line, DocumentError> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(DocumentError::Quantity(quantity));
    }
    if unit_price_poisha < 0 {
        return Err(DocumentError::NegativePrice(unit_price_poisha));
    }
    let net_poisha = check_sum(i128::from(quantity) * i128::from(unit_price_poisha))?;
    let tax = tax_line(net_poisha, vat_bp, sd_bp)?;
    Ok(Line {
        net_poisha,
        sd_poisha: tax.sd_poisha,
        vat_poisha: tax.vat_poisha,
    })
}

/// A document's totals. Always `total = net + sd + vat + rounding`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Totals {
    pub net_poisha: i64,
    pub sd_poisha: i64,
    pub vat_poisha: i64,
    pub rounding_poisha: i64,
    pub total_poisha: i64,
}

/// The totals of `lines`: each column summed, and with [`Rounding::Taka`] the total rounded
/// half up (away from zero) to a whole taka, the difference in `rounding_poisha`. An error if a
/// line or a sum is beyond ±10^15 poisha.
pub fn totals(lines: &[Line], rounding: Rounding) -> Result<Totals, DocumentError> {
    let (mut net, mut sd, mut vat) = (0_i128, 0_i128, 0_i128);
    for line in lines {
        line.check()?;
        net += i128::from(line.net_poisha);
        sd += i128::from(line.sd_poisha);
        vat += i128::from(line.vat_poisha);
    }
    let sum = net + sd + vat;
    let rounded = match rounding {
        Rounding::Poisha => sum,
        Rounding::Taka => i128::from(round_half_up_div(check_sum(sum)?.into(), 100)) * 100,
    };
    Ok(Totals {
        net_poisha: check_sum(net)?,
        sd_poisha: check_sum(sd)?,
        vat_poisha: check_sum(vat)?,
        rounding_poisha: check_sum(rounded - sum)?,
        total_poisha: check_sum(rounded)?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

/// The document a signed total makes: positive an invoice, negative a credit note, zero none.
pub fn kind_for(total_poisha: i64) -> Option<DocumentKind> {
    match total_poisha.signum() {
        1 => Some(DocumentKind::Invoice),
        -1 => Some(DocumentKind::CreditNote),
        _ => None,
    }
}

/// A document ready to store: its kind, its lines as shown (a credit note's are positive, in
/// the same order as the lines it was composed from) and their totals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Composed {
    pub kind: DocumentKind,
    pub lines: Vec<Line>,
    pub totals: Totals,
}

/// The document signed `lines` make: an invoice when the (rounded) total is positive, a credit
/// note with negated lines and totals when it is negative, none when it is zero.
///
/// Rounding is symmetric, so a credit note's totals are exactly the negation of the signed
/// totals: nothing is gained or lost by turning it around.
pub fn compose(lines: &[Line], rounding: Rounding) -> Result<Option<Composed>, DocumentError> {
    let signed = totals(lines, rounding)?;
    Ok(match kind_for(signed.total_poisha) {
        None => None,
        Some(DocumentKind::Invoice) => Some(Composed {
            kind: DocumentKind::Invoice,
            lines: lines.to_vec(),
            totals: signed,
        }),
        Some(DocumentKind::CreditNote) => {
            let lines = credit_note_lines(lines)?;
            let totals = totals(&lines, rounding)?;
            Some(Composed {
                kind: DocumentKind::CreditNote,
                lines,
                totals,
            })
        }
    })
}

/// Signed lines whose total is negative, as a credit note stores them: each amount negated.
pub fn credit_note_lines(lines: &[Line]) -> Result<Vec<Line>, DocumentError> {
    lines
        .iter()
        .map(|line| {
            line.check()?;
            Ok(line.negated())
        })
        .collect()
}

/// Whether a credit note of `credit_total_poisha` may be issued against an invoice whose totals
/// are `original`, after `already_credited_poisha` of earlier credit notes against it: it must
/// be positive and not exceed what remains.
pub fn check_credit(
    original: &Totals,
    already_credited_poisha: i64,
    credit_total_poisha: i64,
) -> Result<(), DocumentError> {
    check_amount(original.total_poisha)?;
    check_amount(already_credited_poisha)?;
    check_amount(credit_total_poisha)?;
    if credit_total_poisha <= 0 {
        return Err(DocumentError::CreditNotPositive(credit_total_poisha));
    }
    if already_credited_poisha < 0 {
        return Err(DocumentError::CreditNotPositive(already_credited_poisha));
    }
    let remaining_poisha = original.total_poisha - already_credited_poisha;
    if credit_total_poisha > remaining_poisha {
        return Err(DocumentError::CreditExceedsInvoice {
            remaining_poisha: remaining_poisha.max(0),
            requested_poisha: credit_total_poisha,
        });
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentError {
    #[error("quantity {0} is not between 1 and {MAX_QUANTITY}")]
    Quantity(i64),
    #[error("unit price {0} poisha is negative")]
    NegativePrice(i64),
    #[error("a credit of {0} poisha is not positive")]
    CreditNotPositive(i64),
    #[error("a credit of {requested_poisha} poisha exceeds the {remaining_poisha} poisha left on the invoice")]
    CreditExceedsInvoice {
        remaining_poisha: i64,
        requested_poisha: i64,
    },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Tax(#[from] TaxError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::MAX_POISHA;

    fn line(net: i64, sd: i64, vat: i64) -> Line {
        Line {
            net_poisha: net,
            sd_poisha: sd,
            vat_poisha: vat,
        }
    }

    #[test]
    fn one_time_charges_are_quantity_times_price_taxed_once() {
        assert_eq!(one_time(1, 50_000, 500, 0), Ok(line(50_000, 0, 2_500)));
        // 3 × 33.33 taka = 99.99 taka, VAT 4.9995 → 5.00 taka.
        assert_eq!(one_time(3, 3_333, 500, 0), Ok(line(9_999, 0, 500)));
        assert_eq!(
            one_time(2, 25_000, 500, 1_000),
            Ok(line(50_000, 5_000, 2_750))
        );
        assert_eq!(one_time(1, 0, 500, 0), Ok(line(0, 0, 0)));
        assert_eq!(one_time(0, 100, 500, 0), Err(DocumentError::Quantity(0)));
        assert_eq!(
            one_time(10_001, 100, 500, 0),
            Err(DocumentError::Quantity(10_001))
        );
        assert_eq!(
            one_time(1, -1, 500, 0),
            Err(DocumentError::NegativePrice(-1))
        );
        assert!(one_time(10_000, MAX_POISHA, 500, 0).is_err());
        assert!(one_time(10_000, MAX_POISHA / 10_000, 500, 0).is_ok());
        assert!(one_time(1, 100, 20_000, 0).is_err());
    }

    #[test]
    fn totals_add_up_with_or_without_rounding_to_the_taka() {
        let lines = [line(48_387, 0, 2_419), line(50_000, 0, 2_500)];
        let exact = totals(&lines, Rounding::Poisha).unwrap();
        assert_eq!(
            exact,
            Totals {
                net_poisha: 98_387,
                sd_poisha: 0,
                vat_poisha: 4_919,
                rounding_poisha: 0,
                total_poisha: 103_306,
            }
        );
        // (sum, rounded to the taka)
        let cases = [
            (103_306, 103_300),
            (103_350, 103_400),
            (103_349, 103_300),
            (103_399, 103_400),
            (-103_350, -103_400),
            (-103_349, -103_300),
            (0, 0),
            (49, 0),
            (50, 100),
        ];
        for (sum, rounded) in cases {
            let got = totals(&[line(sum, 0, 0)], Rounding::Taka).unwrap();
            assert_eq!(got.total_poisha, rounded, "{sum}");
            assert_eq!(got.rounding_poisha, rounded - sum);
        }
        assert_eq!(totals(&[], Rounding::Taka), Ok(Totals::default()));
        assert!(totals(&[line(MAX_POISHA + 1, 0, 0)], Rounding::Poisha).is_err());
        assert!(totals(&[line(MAX_POISHA, 0, 0), line(1, 0, 0)], Rounding::Poisha).is_err());
    }

    #[test]
    fn the_sign_of_the_total_picks_the_document() {
        assert_eq!(kind_for(1), Some(DocumentKind::Invoice));
        assert_eq!(kind_for(-1), Some(DocumentKind::CreditNote));
        assert_eq!(kind_for(0), None);

        let upgrade = [line(-54_839, 0, -2_742), line(82_258, 0, 4_113)];
        let invoice = compose(&upgrade, Rounding::Poisha).unwrap().unwrap();
        assert_eq!(invoice.kind, DocumentKind::Invoice);
        assert_eq!(invoice.lines, upgrade);
        assert_eq!(invoice.totals.total_poisha, 28_790);

        let termination = [line(-35_484, 0, -1_774)];
        let note = compose(&termination, Rounding::Taka).unwrap().unwrap();
        assert_eq!(note.kind, DocumentKind::CreditNote);
        assert_eq!(note.lines, [line(35_484, 0, 1_774)]);
        assert_eq!(
            note.totals,
            Totals {
                net_poisha: 35_484,
                sd_poisha: 0,
                vat_poisha: 1_774,
                rounding_poisha: 42,
                total_poisha: 37_300,
            }
        );
        let signed = totals(&termination, Rounding::Taka).unwrap();
        assert_eq!(note.totals.total_poisha, -signed.total_poisha);
        assert_eq!(note.totals.rounding_poisha, -signed.rounding_poisha);

        assert_eq!(
            compose(&[line(100, 0, 5), line(-100, 0, -5)], Rounding::Poisha),
            Ok(None)
        );
        // 30 poisha rounds to no taka at all: no document.
        assert_eq!(compose(&[line(30, 0, 0)], Rounding::Taka), Ok(None));
    }

    #[test]
    fn a_credit_may_not_exceed_what_remains_of_its_invoice() {
        let invoice = totals(&[line(100_000, 0, 5_000)], Rounding::Poisha).unwrap();
        assert_eq!(check_credit(&invoice, 0, 105_000), Ok(()));
        assert_eq!(check_credit(&invoice, 5_000, 100_000), Ok(()));
        assert_eq!(
            check_credit(&invoice, 5_000, 100_001),
            Err(DocumentError::CreditExceedsInvoice {
                remaining_poisha: 100_000,
                requested_poisha: 100_001
            })
        );
        assert_eq!(
            check_credit(&invoice, 105_000, 1),
            Err(DocumentError::CreditExceedsInvoice {
                remaining_poisha: 0,
                requested_poisha: 1
            })
        );
        assert_eq!(
            check_credit(&invoice, 0, 0),
            Err(DocumentError::CreditNotPositive(0))
        );
        assert_eq!(
            check_credit(&invoice, -1, 1),
            Err(DocumentError::CreditNotPositive(-1))
        );
        assert!(check_credit(&invoice, 0, i64::MAX).is_err());
    }
}
