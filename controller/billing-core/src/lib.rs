//! The pure rules of Setu's billing: what a subscription owes for a period, how a document is
//! composed and taxed, how it is posted to the ledger, numbered and printed in words, and the
//! small state machine behind reminders and suspension. No I/O, no async and no clock: the
//! controller loads the facts (subscriptions, lines already billed, tax rows), passes dates in
//! as arguments, and stores what these functions propose.
//!
//! Money is `i64` poisha everywhere (1 taka = 100 poisha; field names end in `_poisha`), rates
//! are basis points (`500` = 5.00 %), calendar dates are [`jiff::civil::Date`] in Asia/Dhaka.
//! Every amount this crate accepts must lie within ±[`money::MAX_POISHA`] (10^15 poisha, ten
//! trillion taka); anything beyond is refused with an error rather than risking an overflow.
//!
//! Layout:
//! - [`money`]: rounding half away from zero, rates in basis points, the amount bound.
//! - [`period`]: billing cycles, period keys (`2026-12`), periods, billing and due dates.
//! - [`tax`]: effective-dated VAT and SD rates, and the tax of one line.
//! - [`charge`]: a subscription's history as spans, and [`charge::propose`], the difference
//!   between what a period should be billed and what it was.
//! - [`document`]: lines, one-time charges, totals and rounding, invoice or credit note.
//! - [`posting`]: the double-entry postings of each document and of advance consumption.
//! - [`numbering`]: financial years and document numbers (Rule 40).
//! - [`words`]: lakh grouping, taka in figures and in words, English and Bangla.
//! - [`btrc`]: the regulator's dated price caps.
//! - [`dunning`]: reminders, suspension and reconnection as a pure state machine.

pub mod btrc;
pub mod charge;
mod dates;
pub mod document;
pub mod dunning;
pub mod money;
pub mod numbering;
pub mod period;
pub mod posting;
pub mod tax;
pub mod words;
