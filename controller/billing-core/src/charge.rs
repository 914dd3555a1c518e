//! What a subscription owes for one period, as a difference against what was already billed.
//!
//! The subscription's history (start, plan changes, pauses, discount, end) becomes a list of
//! [`Span`]s: which item applies on which days, at what monthly amount. The lines already on
//! documents for the period are [`Billed`]. [`propose`] compares the two day by day and
//! proposes only the difference: a charge for each day desired but not billed, a credit for
//! each day billed but no longer desired. So a late start, an upgrade, a termination, a pause
//! or a discount needs no rule of its own, and running the same period again proposes nothing
//! (the property the tests hold it to).
//!
//! An item's identity ([`ItemKey`]) is the plan, not the plan's price: when a plan's price
//! changes after its days were billed, those days stay billed at the old price and only days
//! not yet billed get the new one.
//!
//! Proration is in whole Dhaka days, the start day and the end day both counted, at
//! `monthly × days / days in the period`, rounded half up once per line; a full period is
//! exactly the monthly price.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dates::add_days;
use crate::money::{check_amount, check_rate, round_half_up_div, MoneyError, MAX_POISHA};
use crate::period::{key_containing, period, Cycle, Period, PeriodError};
use crate::tax::{tax_line, TaxError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// The plan's monthly price; `ref_id` is the plan id.
    Plan,
    /// The subscription's discount (a negative monthly amount); `ref_id` is the subscription id.
    Discount,
}

/// What a line bills, without its price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ItemKey {
    pub kind: ItemKind,
    pub ref_id: i64,
}

impl ItemKey {
    pub fn plan(plan_id: i64) -> ItemKey {
        ItemKey {
            kind: ItemKind::Plan,
            ref_id: plan_id,
        }
    }

    pub fn discount(subscription_id: i64) -> ItemKey {
        ItemKey {
            kind: ItemKind::Discount,
            ref_id: subscription_id,
        }
    }
}

/// Desired: the item applies on every day `from..=to` (open ended when `to` is `None`) at
/// `monthly_poisha` a month (negative for a discount).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub key: ItemKey,
    pub monthly_poisha: i64,
    #[serde(with = "crate::dates::date")]
    pub from: Date,
    #[serde(with = "crate::dates::option")]
    pub to: Option<Date>,
}

impl Span {
    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && self.to.is_none_or(|to| day <= to)
    }
}

/// A subscription's life as the controller stores it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct History {
    pub subscription_id: i64,
    /// The first day of service.
    #[serde(with = "crate::dates::date")]
    pub starts_on: Date,
    /// The last day of service (a termination on the 20th bills the 20th), if it ends.
    #[serde(with = "crate::dates::option")]
    pub ends_on: Option<Date>,
    /// The plan at the start, unless a change on or before `starts_on` replaces it.
    pub plan_id: i64,
    pub monthly_poisha: i64,
    pub changes: Vec<PlanChange>,
    pub pauses: Vec<Pause>,
    pub discount: Option<Discount>,
}

/// From `effective_on` (its first day) the subscription is on `plan_id` at `monthly_poisha`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlanChange {
    #[serde(with = "crate::dates::date")]
    pub effective_on: Date,
    pub plan_id: i64,
    pub monthly_poisha: i64,
}

/// Staff-approved days off, `from..=to`: they are not billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pause {
    #[serde(with = "crate::dates::date")]
    pub from: Date,
    #[serde(with = "crate::dates::date")]
    pub to: Date,
}

/// A monthly amount taken off (positive), from the start until `until` (included) or for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Discount {
    pub monthly_poisha: i64,
    #[serde(with = "crate::dates::option")]
    pub until: Option<Date>,
}

/// The spans a history asks for: one per plan segment (split at each change, cut at the end),
/// and the discount's (negative) from the start to the earlier of `until` and the end; pause
/// days are cut out of all of them. Spans are in date order, plans before the discount.
pub fn spans(h: &History) -> Result<Vec<Span>, ChargeError> {
    if let Some(ends_on) = h.ends_on.filter(|ends_on| *ends_on < h.starts_on) {
        return Err(ChargeError::EndsBeforeStart {
            starts_on: h.starts_on,
            ends_on,
        });
    }
    let price = |monthly_poisha: i64| {
        if (0..=MAX_POISHA).contains(&monthly_poisha) {
            Ok(monthly_poisha)
        } else {
            Err(ChargeError::BadAmount(monthly_poisha))
        }
    };
    let pauses = sorted_pauses(h)?;

    let mut changes = h.changes.clone();
    changes.sort_by_key(|change| change.effective_on);
    if let Some(pair) = changes
        .windows(2)
        .find(|pair| pair[0].effective_on == pair[1].effective_on)
    {
        return Err(ChargeError::ChangesOnOneDay(pair[0].effective_on));
    }
    // A change on or before the first day replaces the initial plan; the last such one wins.
    let (mut plan_id, mut monthly) = (h.plan_id, price(h.monthly_poisha)?);
    let mut segment_from = h.starts_on;
    let mut segments = Vec::new();
    for change in &changes {
        let monthly_poisha = price(change.monthly_poisha)?;
        if change.effective_on > h.starts_on
            && h.ends_on.is_none_or(|end| change.effective_on <= end)
        {
            // After starts_on, so the day before is a real date.
            let until = add_days(change.effective_on, -1).ok_or(ChargeError::DateOutOfRange)?;
            segments.push((plan_id, monthly, segment_from, Some(until)));
            segment_from = change.effective_on;
        }
        if h.ends_on.is_none_or(|end| change.effective_on <= end) {
            (plan_id, monthly) = (change.plan_id, monthly_poisha);
        }
    }
    segments.push((plan_id, monthly, segment_from, h.ends_on));

    let mut out = Vec::new();
    for (plan_id, monthly_poisha, from, to) in segments {
        for (from, to) in cut(from, to, &pauses) {
            out.push(Span {
                key: ItemKey::plan(plan_id),
                monthly_poisha,
                from,
                to,
            });
        }
    }
    if let Some(discount) = h.discount {
        let amount = price(discount.monthly_poisha)?;
        let until = match (discount.until, h.ends_on) {
            (Some(until), Some(end)) => Some(until.min(end)),
            (until, end) => until.or(end),
        };
        if amount > 0 && until.is_none_or(|until| until >= h.starts_on) {
            for (from, to) in cut(h.starts_on, until, &pauses) {
                out.push(Span {
                    key: ItemKey::discount(h.subscription_id),
                    monthly_poisha: -amount,
                    from,
                    to,
                });
            }
        }
    }
    Ok(out)
}

/// The pauses sorted, each checked to lie within the subscription and apart from the others.
fn sorted_pauses(h: &History) -> Result<Vec<Pause>, ChargeError> {
    let mut pauses = h.pauses.clone();
    pauses.sort_by_key(|pause| pause.from);
    for pause in &pauses {
        if pause.to < pause.from {
            return Err(ChargeError::PauseBackwards(*pause));
        }
        if pause.from < h.starts_on || h.ends_on.is_some_and(|end| pause.to > end) {
            return Err(ChargeError::PauseOutside(*pause));
        }
    }
    if let Some(pair) = pauses.windows(2).find(|pair| pair[1].from <= pair[0].to) {
        return Err(ChargeError::PausesOverlap(pair[0], pair[1]));
    }
    Ok(pauses)
}

/// `from..=to` without the (sorted, disjoint) pause days, as the ranges left.
fn cut(from: Date, to: Option<Date>, pauses: &[Pause]) -> Vec<(Date, Option<Date>)> {
    let mut left = Vec::new();
    let mut cursor = from;
    for pause in pauses {
        if to.is_some_and(|to| cursor > to) {
            return left;
        }
        if pause.to < cursor || to.is_some_and(|to| pause.from > to) {
            continue;
        }
        if pause.from > cursor {
            // pause.from > cursor, so the day before it exists.
            left.push((cursor, add_days(pause.from, -1)));
        }
        match add_days(pause.to, 1) {
            Some(next) => cursor = next,
            None => return left, // paused through the end of the calendar
        }
    }
    if to.is_none_or(|to| cursor <= to) {
        left.push((cursor, to));
    }
    left
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sign {
    Charge,
    Credit,
}

/// A line already on a finalised or draft document of this subscription and period.
///
/// `line_id`s must grow in the order lines were written (database ids do): when a day carries
/// several charges and credits, each credit cancels the latest charge before it, so the order
/// tells which charge is still in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Billed {
    pub line_id: i64,
    pub key: ItemKey,
    pub monthly_poisha: i64,
    #[serde(with = "crate::dates::date")]
    pub from: Date,
    #[serde(with = "crate::dates::date")]
    pub to: Date,
    pub sign: Sign,
    pub vat_bp: u32,
    pub sd_bp: u32,
}

/// A line to add to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Proposed {
    pub key: ItemKey,
    pub sign: Sign,
    #[serde(with = "crate::dates::date")]
    pub from: Date,
    #[serde(with = "crate::dates::date")]
    pub to: Date,
    pub days: i32,
    pub monthly_poisha: i64,
    /// Signed: a credit is negative, a discount's charge is negative (and its credit positive).
    pub net_poisha: i64,
    pub vat_bp: u32,
    pub sd_bp: u32,
    pub sd_poisha: i64,
    pub vat_poisha: i64,
    /// The charge line this credit gives back.
    pub credits_line: Option<i64>,
}

impl Proposed {
    /// The line as [`propose`] will see it once stored under `line_id`.
    pub fn billed(&self, line_id: i64) -> Billed {
        Billed {
            line_id,
            key: self.key,
            monthly_poisha: self.monthly_poisha,
            from: self.from,
            to: self.to,
            sign: self.sign,
            vat_bp: self.vat_bp,
            sd_bp: self.sd_bp,
        }
    }

    /// `net + sd + vat` (exact for every line `propose` makes; saturating for hand-made ones).
    pub fn total_poisha(&self) -> i64 {
        self.net_poisha
            .saturating_add(self.sd_poisha)
            .saturating_add(self.vat_poisha)
    }
}

/// What one day of one item needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    sign: Sign,
    monthly_poisha: i64,
    vat_bp: u32,
    sd_bp: u32,
    credits_line: Option<i64>,
}

/// The lines that bring `billed` to `spans` within `period`.
///
/// Day by day and per item: the billed count is the number of charge lines covering the day
/// minus the credit lines; desired is whether a span of the item covers it. Billed 0 and desired
/// → a charge at the span's monthly amount and the given (current) rates. Billed 1 and not
/// desired → a credit of the charge line still in force that day, at that line's monthly amount
/// and rates. A count outside 0..=1 is [`ChargeError::Overbilled`]. Contiguous days needing the
/// same line become one line.
///
/// A charge's net is `round_half_up(monthly × days / period days)`. A credit gives back what the
/// credited line's days in force were worth minus what they are worth after it, each valued the
/// same way (`v(n) = round_half_up(monthly × n / period days)`): credits against one line can
/// never add up to more than the line, a line credited in full comes back exactly, and what is
/// left is what a charge of the remaining days would have been. For a line credited once this is
/// the charge formula itself, except that a tie of exactly half a poisha rounds the other way.
///
/// Lines with a net of zero are proposed too (a free plan, a day of a tiny price): they record
/// that the days were billed. Order: credits before charges, then by first day, then by item.
pub fn propose(
    period: &Period,
    spans: &[Span],
    billed: &[Billed],
    vat_bp: u32,
    sd_bp: u32,
) -> Result<Vec<Proposed>, ChargeError> {
    check_rate(vat_bp)?;
    check_rate(sd_bp)?;
    for span in spans {
        check_amount(span.monthly_poisha)?;
    }
    for line in billed {
        check_amount(line.monthly_poisha)?;
        check_rate(line.vat_bp)?;
        check_rate(line.sd_bp)?;
        if line.to < line.from {
            return Err(ChargeError::BilledBackwards(line.line_id));
        }
    }
    let days: Vec<Date> = period.dates().collect();
    let period_days = i128::from(period.days());
    let keys: BTreeSet<ItemKey> = spans
        .iter()
        .map(|span| span.key)
        .chain(billed.iter().map(|line| line.key))
        .collect();

    let mut proposed = Vec::new();
    for key in keys {
        let live = in_force(key, &days, billed)?;
        let mut pieces: Vec<Option<Piece>> = Vec::with_capacity(days.len());
        for (day, live) in days.iter().zip(&live) {
            let mut covering = spans.iter().filter(|s| s.key == key && s.covers(*day));
            let desired = covering.next();
            if covering.next().is_some() {
                return Err(ChargeError::OverlappingSpans { key, day: *day });
            }
            pieces.push(match (desired, live) {
                (Some(span), None) => Some(Piece {
                    sign: Sign::Charge,
                    monthly_poisha: span.monthly_poisha,
                    vat_bp,
                    sd_bp,
                    credits_line: None,
                }),
                (None, Some(line)) => Some(Piece {
                    sign: Sign::Credit,
                    monthly_poisha: line.monthly_poisha,
                    vat_bp: line.vat_bp,
                    sd_bp: line.sd_bp,
                    credits_line: Some(line.line_id),
                }),
                _ => None,
            });
        }

        // Days each charge line is still in force, before this proposal.
        let mut in_force_days: HashMap<i64, i128> = HashMap::new();
        for line in live.iter().flatten() {
            *in_force_days.entry(line.line_id).or_default() += 1;
        }

        let mut start = 0;
        while start < days.len() {
            let Some(piece) = pieces[start] else {
                start += 1;
                continue;
            };
            let mut end = start;
            while end + 1 < days.len() && pieces[end + 1] == Some(piece) {
                end += 1;
            }
            let count = (end - start + 1) as i128;
            let monthly = i128::from(piece.monthly_poisha);
            let value = |days: i128| round_half_up_div(monthly * days, period_days);
            let net_poisha = match piece.credits_line {
                None => value(count),
                Some(line_id) => {
                    let before = in_force_days.get(&line_id).copied().unwrap_or(count);
                    let after = before - count;
                    in_force_days.insert(line_id, after);
                    value(after) - value(before)
                }
            };
            let tax = tax_line(net_poisha, piece.vat_bp, piece.sd_bp)?;
            proposed.push(Proposed {
                key,
                sign: piece.sign,
                from: days[start],
                to: days[end],
                days: count as i32,
                monthly_poisha: piece.monthly_poisha,
                net_poisha,
                vat_bp: piece.vat_bp,
                sd_bp: piece.sd_bp,
                sd_poisha: tax.sd_poisha,
                vat_poisha: tax.vat_poisha,
                credits_line: piece.credits_line,
            });
            start = end + 1;
        }
    }
    proposed.sort_by_key(|line| (line.sign == Sign::Charge, line.from, line.key));
    Ok(proposed)
}

/// For each day, the charge line of `key` in force, after replaying the billed lines in the
/// order they were written: a charge is put on the day, a credit takes off the latest charge
/// (or, if it came first, the next one). An error when a day's count is not 0 or 1.
fn in_force<'a>(
    key: ItemKey,
    days: &[Date],
    billed: &'a [Billed],
) -> Result<Vec<Option<&'a Billed>>, ChargeError> {
    let mut lines: Vec<&Billed> = billed.iter().filter(|line| line.key == key).collect();
    lines.sort_by_key(|line| line.line_id);
    let mut out = Vec::with_capacity(days.len());
    for day in days {
        let mut charges: Vec<&Billed> = Vec::new();
        let mut early_credits = 0_i64;
        let mut count = 0_i64;
        for line in lines
            .iter()
            .filter(|line| line.from <= *day && *day <= line.to)
        {
            match line.sign {
                Sign::Charge => {
                    count += 1;
                    if early_credits > 0 {
                        early_credits -= 1;
                    } else {
                        charges.push(line);
                    }
                }
                Sign::Credit => {
                    count -= 1;
                    if charges.pop().is_none() {
                        early_credits += 1;
                    }
                }
            }
        }
        if !(0..=1).contains(&count) {
            return Err(ChargeError::Overbilled {
                key,
                day: *day,
                count,
            });
        }
        out.push(if count == 1 { charges.pop() } else { None });
    }
    Ok(out)
}

/// A move to a dearer plan (applied at once; a cheaper one waits for the next period).
pub fn is_upgrade(old_monthly_poisha: i64, new_monthly_poisha: i64) -> bool {
    new_monthly_poisha > old_monthly_poisha
}

/// When a downgrade requested on `change_requested_on` takes effect: the first day of the next
/// period, so the period already billed in advance runs out on the plan that was paid for.
pub fn downgrade_effective_on(
    cycle: Cycle,
    change_requested_on: Date,
) -> Result<Date, PeriodError> {
    let next = key_containing(cycle, change_requested_on)?
        .next()
        .ok_or(PeriodError::OutOfRange(change_requested_on))?;
    Ok(period(cycle, next).start)
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChargeError {
    #[error("the subscription ends on {ends_on}, before it starts on {starts_on}")]
    EndsBeforeStart { starts_on: Date, ends_on: Date },
    #[error("a pause ends on {}, before it starts on {}", .0.to, .0.from)]
    PauseBackwards(Pause),
    #[error("the pause {} to {} is not within the subscription", .0.from, .0.to)]
    PauseOutside(Pause),
    #[error("the pauses from {} and from {} overlap", .0.from, .1.from)]
    PausesOverlap(Pause, Pause),
    #[error("two plan changes take effect on {0}")]
    ChangesOnOneDay(Date),
    #[error("monthly amount {0} poisha is negative or beyond 10^15")]
    BadAmount(i64),
    #[error("a date is outside the calendar")]
    DateOutOfRange,
    #[error("two spans of {key:?} cover {day}")]
    OverlappingSpans { key: ItemKey, day: Date },
    #[error("billed line {0} ends before it starts")]
    BilledBackwards(i64),
    #[error("{key:?} is billed {count} times on {day}")]
    Overbilled { key: ItemKey, day: Date, count: i64 },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Tax(#[from] TaxError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn history(starts_on: Date) -> History {
        History {
            subscription_id: 7,
            starts_on,
            ends_on: None,
            plan_id: 1,
            monthly_poisha: 100_000,
            changes: vec![],
            pauses: vec![],
            discount: None,
        }
    }

    fn span(key: ItemKey, monthly: i64, from: Date, to: Option<Date>) -> Span {
        Span {
            key,
            monthly_poisha: monthly,
            from,
            to,
        }
    }

    #[test]
    fn spans_split_at_changes_and_skip_pauses() {
        let mut h = history(date(2026, 12, 1));
        h.ends_on = Some(date(2027, 1, 20));
        h.changes = vec![
            PlanChange {
                effective_on: date(2027, 1, 1),
                plan_id: 3,
                monthly_poisha: 70_000,
            },
            PlanChange {
                effective_on: date(2026, 12, 15),
                plan_id: 2,
                monthly_poisha: 150_000,
            },
            // After the end: never in force.
            PlanChange {
                effective_on: date(2027, 2, 1),
                plan_id: 4,
                monthly_poisha: 1,
            },
        ];
        h.pauses = vec![Pause {
            from: date(2026, 12, 10),
            to: date(2026, 12, 19),
        }];
        h.discount = Some(Discount {
            monthly_poisha: 10_000,
            until: None,
        });
        let plan = |id, monthly, from, to| span(ItemKey::plan(id), monthly, from, Some(to));
        let discount = |from, to| span(ItemKey::discount(7), -10_000, from, Some(to));
        assert_eq!(
            spans(&h).unwrap(),
            [
                plan(1, 100_000, date(2026, 12, 1), date(2026, 12, 9)),
                plan(2, 150_000, date(2026, 12, 20), date(2026, 12, 31)),
                plan(3, 70_000, date(2027, 1, 1), date(2027, 1, 20)),
                discount(date(2026, 12, 1), date(2026, 12, 9)),
                discount(date(2026, 12, 20), date(2027, 1, 20)),
            ]
        );
    }

    #[test]
    fn a_change_on_or_before_the_start_replaces_the_initial_plan() {
        let mut h = history(date(2026, 12, 17));
        h.changes = vec![
            PlanChange {
                effective_on: date(2026, 12, 1),
                plan_id: 2,
                monthly_poisha: 50_000,
            },
            PlanChange {
                effective_on: date(2026, 12, 17),
                plan_id: 3,
                monthly_poisha: 60_000,
            },
        ];
        assert_eq!(
            spans(&h).unwrap(),
            [span(ItemKey::plan(3), 60_000, date(2026, 12, 17), None)]
        );
    }

    #[test]
    fn a_pause_to_the_last_day_leaves_nothing_after_it() {
        let mut h = history(date(2026, 12, 1));
        h.ends_on = Some(date(2026, 12, 31));
        h.pauses = vec![
            Pause {
                from: date(2026, 12, 1),
                to: date(2026, 12, 5),
            },
            Pause {
                from: date(2026, 12, 20),
                to: date(2026, 12, 31),
            },
        ];
        h.discount = Some(Discount {
            monthly_poisha: 5_000,
            until: Some(date(2026, 12, 3)),
        });
        assert_eq!(
            spans(&h).unwrap(),
            [span(
                ItemKey::plan(1),
                100_000,
                date(2026, 12, 6),
                Some(date(2026, 12, 19))
            )]
        );
    }

    #[test]
    fn impossible_histories_are_refused() {
        let start = date(2026, 12, 1);
        let pause = |from, to| Pause { from, to };
        let change = |effective_on| PlanChange {
            effective_on,
            plan_id: 2,
            monthly_poisha: 1,
        };
        type Edit = Box<dyn Fn(&mut History)>;
        let cases: Vec<(Edit, ChargeError)> = vec![
            (
                Box::new(|h| h.ends_on = Some(date(2026, 11, 30))),
                ChargeError::EndsBeforeStart {
                    starts_on: start,
                    ends_on: date(2026, 11, 30),
                },
            ),
            (
                Box::new(move |h| h.pauses = vec![pause(date(2026, 11, 30), date(2026, 12, 3))]),
                ChargeError::PauseOutside(pause(date(2026, 11, 30), date(2026, 12, 3))),
            ),
            (
                Box::new(move |h| {
                    h.ends_on = Some(date(2026, 12, 20));
                    h.pauses = vec![pause(date(2026, 12, 15), date(2026, 12, 21))];
                }),
                ChargeError::PauseOutside(pause(date(2026, 12, 15), date(2026, 12, 21))),
            ),
            (
                Box::new(move |h| h.pauses = vec![pause(date(2026, 12, 5), date(2026, 12, 4))]),
                ChargeError::PauseBackwards(pause(date(2026, 12, 5), date(2026, 12, 4))),
            ),
            (
                Box::new(move |h| {
                    h.pauses = vec![
                        pause(date(2026, 12, 10), date(2026, 12, 12)),
                        pause(date(2026, 12, 5), date(2026, 12, 10)),
                    ]
                }),
                ChargeError::PausesOverlap(
                    pause(date(2026, 12, 5), date(2026, 12, 10)),
                    pause(date(2026, 12, 10), date(2026, 12, 12)),
                ),
            ),
            (
                Box::new(move |h| {
                    h.changes = vec![change(date(2026, 12, 9)), change(date(2026, 12, 9))]
                }),
                ChargeError::ChangesOnOneDay(date(2026, 12, 9)),
            ),
            (
                Box::new(|h| h.monthly_poisha = -1),
                ChargeError::BadAmount(-1),
            ),
            (
                Box::new(|h| {
                    h.discount = Some(Discount {
                        monthly_poisha: MAX_POISHA + 1,
                        until: None,
                    })
                }),
                ChargeError::BadAmount(MAX_POISHA + 1),
            ),
        ];
        for (edit, expected) in cases {
            let mut h = history(start);
            edit(&mut h);
            assert_eq!(spans(&h), Err(expected));
        }
        // Adjacent pauses are fine.
        let mut h = history(start);
        h.pauses = vec![
            pause(date(2026, 12, 5), date(2026, 12, 9)),
            pause(date(2026, 12, 10), date(2026, 12, 12)),
        ];
        assert_eq!(
            spans(&h).unwrap(),
            [
                span(ItemKey::plan(1), 100_000, start, Some(date(2026, 12, 4))),
                span(ItemKey::plan(1), 100_000, date(2026, 12, 13), None),
            ]
        );
    }

    fn december() -> Period {
        period(Cycle::Fixed { day: 1 }, "2026-12".parse().unwrap())
    }

    fn charge(line_id: i64, key: ItemKey, monthly: i64, from: Date, to: Date) -> Billed {
        Billed {
            line_id,
            key,
            monthly_poisha: monthly,
            from,
            to,
            sign: Sign::Charge,
            vat_bp: 500,
            sd_bp: 0,
        }
    }

    #[test]
    fn counts_outside_zero_and_one_are_overbilled() {
        let key = ItemKey::plan(1);
        let whole = charge(1, key, 100_000, date(2026, 12, 1), date(2026, 12, 31));
        let twice = charge(2, key, 100_000, date(2026, 12, 5), date(2026, 12, 6));
        let credit = Billed {
            line_id: 3,
            sign: Sign::Credit,
            ..charge(3, key, 100_000, date(2026, 12, 20), date(2026, 12, 20))
        };
        assert_eq!(
            propose(&december(), &[], &[whole, twice], 500, 0),
            Err(ChargeError::Overbilled {
                key,
                day: date(2026, 12, 5),
                count: 2
            })
        );
        assert_eq!(
            propose(&december(), &[], &[credit], 500, 0),
            Err(ChargeError::Overbilled {
                key,
                day: date(2026, 12, 20),
                count: -1
            })
        );
        // Charged twice and credited once is in force once: the later charge was credited.
        let credit_twice = Billed {
            line_id: 3,
            sign: Sign::Credit,
            ..twice
        };
        let proposed = propose(&december(), &[], &[whole, twice, credit_twice], 500, 0).unwrap();
        assert!(proposed.iter().all(|line| line.credits_line == Some(1)));
        assert_eq!(proposed.iter().map(|line| line.days).sum::<i32>(), 31);
        assert_eq!(
            proposed.iter().map(|line| line.net_poisha).sum::<i64>(),
            -100_000
        );
    }

    #[test]
    fn the_credit_cancels_the_latest_charge_before_it() {
        let key = ItemKey::plan(1);
        let day = date(2026, 12, 10);
        let old = charge(1, key, 100_000, day, day);
        let credit = Billed {
            line_id: 2,
            sign: Sign::Credit,
            ..old
        };
        let new = Billed {
            line_id: 3,
            monthly_poisha: 120_000,
            vat_bp: 750,
            ..old
        };
        let proposed = propose(&december(), &[], &[old, credit, new], 500, 0).unwrap();
        assert_eq!(proposed.len(), 1);
        assert_eq!(proposed[0].credits_line, Some(3));
        assert_eq!(
            (proposed[0].monthly_poisha, proposed[0].vat_bp),
            (120_000, 750)
        );
        // A credit written before its charge (ids out of order) still nets to nothing.
        let early = Billed {
            line_id: 0,
            ..credit
        };
        assert_eq!(propose(&december(), &[], &[early, old], 500, 0), Ok(vec![]));
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let key = ItemKey::plan(1);
        let whole = span(key, 100_000, date(2026, 12, 1), None);
        assert_eq!(
            propose(&december(), &[whole, whole], &[], 500, 0),
            Err(ChargeError::OverlappingSpans {
                key,
                day: date(2026, 12, 1)
            })
        );
        assert!(propose(&december(), &[whole], &[], 10_001, 0).is_err());
        let huge = span(key, i64::MAX, date(2026, 12, 1), None);
        assert!(propose(&december(), &[huge], &[], 500, 0).is_err());
        let backwards = charge(1, key, 100_000, date(2026, 12, 2), date(2026, 12, 1));
        assert_eq!(
            propose(&december(), &[], &[backwards], 500, 0),
            Err(ChargeError::BilledBackwards(1))
        );
        let max = span(key, -MAX_POISHA, date(2026, 12, 1), None);
        let lines = propose(&december(), &[max], &[], 10_000, 10_000).unwrap();
        assert_eq!(lines[0].net_poisha, -MAX_POISHA);
        assert_eq!(lines[0].vat_poisha, -2 * MAX_POISHA);
    }

    #[test]
    fn days_worth_nothing_are_still_billed_so_a_rerun_is_quiet() {
        let key = ItemKey::plan(9);
        let free = span(key, 0, date(2026, 12, 1), None);
        let lines = propose(&december(), &[free], &[], 500, 0).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(
            (lines[0].days, lines[0].net_poisha, lines[0].vat_poisha),
            (31, 0, 0)
        );
        let billed = [lines[0].billed(1)];
        assert_eq!(propose(&december(), &[free], &billed, 500, 0), Ok(vec![]));
        // Ten poisha a month: a day is worth a third of a poisha.
        let tiny = span(key, 10, date(2026, 12, 31), None);
        let lines = propose(&december(), &[tiny], &[], 500, 0).unwrap();
        assert_eq!((lines[0].days, lines[0].net_poisha), (1, 0));
    }

    #[test]
    fn upgrades_and_downgrades() {
        assert!(is_upgrade(100_000, 150_000));
        assert!(!is_upgrade(100_000, 100_000));
        assert!(!is_upgrade(100_000, 70_000));
        let cases = [
            (1, date(2026, 12, 15), date(2027, 1, 1)),
            (1, date(2026, 12, 1), date(2027, 1, 1)),
            (1, date(2026, 12, 31), date(2027, 1, 1)),
            (10, date(2026, 12, 9), date(2026, 12, 10)),
            (10, date(2026, 12, 10), date(2027, 1, 10)),
        ];
        for (day, requested, effective) in cases {
            assert_eq!(
                downgrade_effective_on(Cycle::Fixed { day }, requested),
                Ok(effective),
                "day {day}, {requested}"
            );
        }
        assert!(downgrade_effective_on(Cycle::Fixed { day: 1 }, date(2099, 12, 5)).is_err());
    }
}
