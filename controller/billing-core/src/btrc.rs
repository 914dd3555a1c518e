//! BTRC's price caps on retail broadband ("One Country One Rate"), as a dated table.
//!
//! A cap is the most a plan of a speed tier may cost a month. A plan is checked against the
//! smallest tier at or above its speed (a 7 Mbps plan against the 10 Mbps cap: slower plans are
//! allowed below the caps); plans faster than the largest tier have no cap. Caps are a
//! validation when a plan's price is saved, never a change to a bill.
//!
//! Unconfirmed: whether the caps include VAT. They are taken as VAT-exclusive, because ISPAB
//! told its members to add 5 % VAT on top of the capped prices in July 2025.

use jiff::civil::{date, Date};
use serde::{Deserialize, Serialize};

/// One cap: plans up to `tier_bps` may cost at most `max_poisha` a month, from `valid_from`
/// until a later table replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cap {
    pub tier_bps: u64,
    pub max_poisha: i64,
    #[serde(with = "crate::dates::date")]
    pub valid_from: Date,
}

const MBPS: u64 = 1_000_000;
const TAKA: i64 = 100;

/// The tables, oldest first: each replaces the one before from its date.
fn tables() -> [(Date, [(u64, i64); 3]); 2] {
    [
        // Announced by the minister at BTRC on Sunday 6 June 2021 ("from now on", The Daily
        // Observer, 7 June 2021). ISPAB's president said the rules would take effect from July,
        // so the effective day is unconfirmed; the announcement day is used.
        (
            date(2021, 6, 6),
            [
                (5 * MBPS, 500 * TAKA),
                (10 * MBPS, 800 * TAKA),
                (20 * MBPS, 1_200 * TAKA),
            ],
        ),
        // BTRC letter of 18 May 2025, effective 1 July 2025, "initially for five years" (The
        // Business Standard). What follows after June 2030 is unknown; the table stays in force.
        (
            date(2025, 7, 1),
            [
                (5 * MBPS, 400 * TAKA),
                (10 * MBPS, 700 * TAKA),
                (20 * MBPS, 1_100 * TAKA),
            ],
        ),
    ]
}

/// Every cap of every table, oldest first (for a settings page).
pub fn schedule() -> Vec<Cap> {
    tables()
        .iter()
        .flat_map(|(valid_from, tiers)| {
            tiers.iter().map(|&(tier_bps, max_poisha)| Cap {
                tier_bps,
                max_poisha,
                valid_from: *valid_from,
            })
        })
        .collect()
}

/// The cap a plan of `download_bps` is held to on `on`: the smallest tier at or above its speed
/// in the table then in force; `None` above the largest tier or before the first table.
pub fn cap(download_bps: u64, on: Date) -> Option<Cap> {
    let (valid_from, tiers) = tables()
        .into_iter()
        .rev()
        .find(|(valid_from, _)| *valid_from <= on)?;
    tiers
        .iter()
        .find(|(tier_bps, _)| download_bps <= *tier_bps)
        .map(|&(tier_bps, max_poisha)| Cap {
            tier_bps,
            max_poisha,
            valid_from,
        })
}

/// The cap a plan's price breaks on `on`, if any.
pub fn over_cap(download_bps: u64, price_poisha: i64, on: Date) -> Option<Cap> {
    cap(download_bps, on).filter(|cap| price_poisha > cap.max_poisha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_held_to_the_smallest_tier_at_or_above_its_speed() {
        let on_2026 = date(2026, 12, 1);
        let on_2024 = date(2024, 1, 1);
        // (speed, date, tier, cap in taka)
        let cases = [
            (2 * MBPS, on_2026, Some((5 * MBPS, 400))),
            (5 * MBPS, on_2026, Some((5 * MBPS, 400))),
            (5 * MBPS + 1, on_2026, Some((10 * MBPS, 700))),
            (7 * MBPS, on_2026, Some((10 * MBPS, 700))),
            (10 * MBPS, on_2026, Some((10 * MBPS, 700))),
            (20 * MBPS, on_2026, Some((20 * MBPS, 1_100))),
            (20 * MBPS + 1, on_2026, None),
            (100 * MBPS, on_2026, None),
            (0, on_2026, Some((5 * MBPS, 400))),
            (7 * MBPS, on_2024, Some((10 * MBPS, 800))),
            (20 * MBPS, on_2024, Some((20 * MBPS, 1_200))),
            (5 * MBPS, date(2025, 6, 30), Some((5 * MBPS, 500))),
            (5 * MBPS, date(2025, 7, 1), Some((5 * MBPS, 400))),
            (5 * MBPS, date(2021, 6, 6), Some((5 * MBPS, 500))),
            (5 * MBPS, date(2021, 6, 5), None),
        ];
        for (speed, on, expected) in cases {
            assert_eq!(
                cap(speed, on).map(|cap| (cap.tier_bps, cap.max_poisha / 100)),
                expected,
                "{speed} bps on {on}"
            );
        }
        assert_eq!(cap(5 * MBPS, on_2026).unwrap().valid_from, date(2025, 7, 1));
    }

    #[test]
    fn prices_above_the_cap_are_flagged() {
        let on = date(2026, 12, 1);
        assert_eq!(over_cap(10 * MBPS, 70_000, on), None);
        assert_eq!(
            over_cap(10 * MBPS, 70_001, on).map(|cap| cap.max_poisha),
            Some(70_000)
        );
        // ISPAB's own 2025 floor (10 Mbps at Tk 500) is within the cap.
        assert_eq!(over_cap(10 * MBPS, 50_000, on), None);
        // The same price was fine under the 2021 table.
        assert_eq!(over_cap(10 * MBPS, 80_000, date(2025, 6, 30)), None);
        assert!(over_cap(10 * MBPS, 80_000, date(2025, 7, 1)).is_some());
        assert_eq!(over_cap(50 * MBPS, i64::MAX, on), None);
        assert_eq!(schedule().len(), 6);
    }
}
