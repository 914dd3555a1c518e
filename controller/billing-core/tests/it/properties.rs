//! Properties the issue requires, over random inputs: prorated pieces add up to the monthly
//! price, every posting balances, totals are their lines, billing any sequence of histories
//! converges (a rerun proposes nothing) without crediting more than was billed; and the
//! calendar and dunning invariants.

use std::collections::BTreeMap;

use billing_core::charge::{
    propose, spans, Discount, History, ItemKey, ItemKind, Pause, PlanChange, Proposed, Sign, Span,
};
use billing_core::document::{compose, totals, DocumentKind, Line, Rounding, Totals};
use billing_core::dunning::{step, Action, Policy, Stage};
use billing_core::money::{round_half_up_div, MAX_POISHA};
use billing_core::period::{key_containing, period, Cycle, PeriodKey};
use billing_core::posting::{
    apply_advance, credit_note, invoice, is_balanced, reverse, Account, Category, Posting,
};
use billing_core::tax::tax_line;
use billing_core::words::{group_lakh, taka_in_words, Lang};
use jiff::civil::{date, Date, Weekday};
use jiff::ToSpan;
use proptest::prelude::*;
use proptest::sample::select;

use crate::fixture::Ledger;

fn cycle() -> impl Strategy<Value = Cycle> {
    (1u8..=28).prop_map(|day| Cycle::Fixed { day })
}

fn period_key() -> impl Strategy<Value = PeriodKey> {
    (2000i16..=2099, 1i8..=12).prop_map(|(year, month)| PeriodKey::new(year, month).unwrap())
}

/// Monthly prices: ordinary ones, odd ones, tiny ones whose days round to nothing (a free
/// plan), and the largest accepted.
fn monthly() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => select(&[50_000i64, 70_000, 100_000, 120_000, 150_000][..]),
        4 => 0i64..=1_000_000,
        1 => 0i64..=20,
        1 => Just(MAX_POISHA),
        1 => 0..=MAX_POISHA,
    ]
}

fn plus(day: Date, days: i64) -> Date {
    day.checked_add(days.days()).unwrap()
}

proptest! {
    /// A period split at random days into pieces of one item, billed one after the other as
    /// the span grows, adds up to the monthly price within one poisha per piece; each piece is
    /// `round(monthly × days / period days)`.
    #[test]
    fn prorated_pieces_sum_to_the_full_price(
        cycle in cycle(),
        key in period_key(),
        monthly in monthly(),
        cuts in proptest::collection::vec(0i64..31, 0..8),
    ) {
        let period = period(cycle, key);
        let days = i64::from(period.days());
        let mut ends: Vec<i64> = cuts.iter().map(|cut| cut % days).collect();
        ends.push(days - 1);
        ends.sort_unstable();
        ends.dedup();
        let mut ledger = Ledger::default();
        let mut nets = Vec::new();
        let mut next_from = period.start;
        for end in ends {
            let span = Span {
                key: ItemKey::plan(1),
                monthly_poisha: monthly,
                from: period.start,
                to: Some(plus(period.start, end)),
            };
            let lines = propose(&period, &[span], &ledger.billed, 500, 0).unwrap();
            prop_assert_eq!(lines.len(), 1);
            let line = lines[0];
            prop_assert_eq!((line.from, line.to), (next_from, plus(period.start, end)));
            prop_assert_eq!(
                line.net_poisha,
                round_half_up_div(i128::from(monthly) * i128::from(line.days), days.into())
            );
            next_from = plus(line.to, 1);
            ledger.next_id += 1;
            ledger.billed.push(line.billed(ledger.next_id));
            nets.push(line.net_poisha);
        }
        let sum: i64 = nets.iter().sum();
        prop_assert!((sum - monthly).abs() <= nets.len() as i64, "{nets:?} vs {monthly}");
    }
}

// ---- documents and postings ----

fn account() -> impl Strategy<Value = Account> {
    prop_oneof![
        (1i64..4).prop_map(|plan_id| Account::Revenue { plan_id }),
        select(
            &[
                Category::ConnectionFee,
                Category::Equipment,
                Category::LateFee
            ][..]
        )
        .prop_map(|category| Account::OtherRevenue { category }),
    ]
}

/// A taxed line as billing makes them: a signed net and its tax at one of the real rates.
fn line() -> impl Strategy<Value = Line> {
    (
        prop_oneof![4 => -2_000_000i64..=2_000_000, 1 => -MAX_POISHA / 4..=MAX_POISHA / 4],
        select(&[0u32, 500, 750, 1_500][..]),
        select(&[0u32, 1_000][..]),
    )
        .prop_map(|(net, vat_bp, sd_bp)| {
            let tax = tax_line(net, vat_bp, sd_bp).unwrap();
            Line {
                net_poisha: net,
                sd_poisha: tax.sd_poisha,
                vat_poisha: tax.vat_poisha,
            }
        })
}

fn rounding() -> impl Strategy<Value = Rounding> {
    select(&[Rounding::Poisha, Rounding::Taka][..])
}

/// Postings carry a subscriber exactly on the per-subscriber accounts, and no zero amounts.
fn well_formed(postings: &[Posting]) -> Result<(), TestCaseError> {
    prop_assert!(is_balanced(postings), "{postings:?}");
    for posting in postings {
        prop_assert_ne!(posting.amount_poisha, 0);
        prop_assert_eq!(
            posting.subscriber_id.is_some(),
            posting.account.per_subscriber()
        );
    }
    Ok(())
}

fn sum_on(postings: &[Posting], account: &Account) -> i64 {
    postings
        .iter()
        .filter(|posting| &posting.account == account)
        .map(|posting| posting.amount_poisha)
        .sum()
}

proptest! {
    /// A document's total is its lines plus VAT, SD and rounding; rounding to the taka leaves a
    /// whole taka and moves at most 50 poisha; a credit note is the exact negation.
    #[test]
    fn totals_are_their_lines(lines in proptest::collection::vec(line(), 0..12), rounding in rounding()) {
        let sums = totals(&lines, rounding).unwrap();
        let net: i64 = lines.iter().map(|line| line.net_poisha).sum();
        let sd: i64 = lines.iter().map(|line| line.sd_poisha).sum();
        let vat: i64 = lines.iter().map(|line| line.vat_poisha).sum();
        prop_assert_eq!((sums.net_poisha, sums.sd_poisha, sums.vat_poisha), (net, sd, vat));
        prop_assert_eq!(sums.total_poisha, net + sd + vat + sums.rounding_poisha);
        prop_assert_eq!(sums.total_poisha, lines.iter().map(Line::total).sum::<i64>() + sums.rounding_poisha);
        match rounding {
            Rounding::Poisha => prop_assert_eq!(sums.rounding_poisha, 0),
            Rounding::Taka => {
                prop_assert_eq!(sums.total_poisha % 100, 0);
                prop_assert!(sums.rounding_poisha.abs() <= 50);
            }
        }
        match compose(&lines, rounding).unwrap() {
            None => prop_assert_eq!(sums.total_poisha, 0),
            Some(doc) => {
                prop_assert!(doc.totals.total_poisha > 0);
                match doc.kind {
                    DocumentKind::Invoice => prop_assert_eq!(doc.totals, sums),
                    DocumentKind::CreditNote => prop_assert_eq!(
                        doc.totals,
                        Totals {
                            net_poisha: -sums.net_poisha,
                            sd_poisha: -sums.sd_poisha,
                            vat_poisha: -sums.vat_poisha,
                            rounding_poisha: -sums.rounding_poisha,
                            total_poisha: -sums.total_poisha,
                        }
                    ),
                }
            }
        }
    }

    /// Every posting function balances, whatever the lines, balances and rounding; the
    /// receivable and advance sides carry exactly the document's total; a void is the exact
    /// negation.
    #[test]
    fn every_posting_balances(
        lines in proptest::collection::vec((account(), line()), 0..10),
        rounding in rounding(),
        receivable in -1_000_000i64..=10_000_000,
        advance in -1_000_000i64..=10_000_000,
        outstanding in -1_000_000i64..=10_000_000,
    ) {
        let plain: Vec<Line> = lines.iter().map(|(_, line)| *line).collect();
        let subscriber = 42;
        let entry = match compose(&plain, rounding).unwrap() {
            None => return Ok(()),
            Some(doc) if doc.kind == DocumentKind::Invoice => {
                let entry = invoice(subscriber, &lines, &doc.totals).unwrap();
                prop_assert_eq!(sum_on(&entry, &Account::Receivable), doc.totals.total_poisha);
                prop_assert_eq!(sum_on(&entry, &Account::VatPayable), -doc.totals.vat_poisha);
                entry
            }
            Some(doc) => {
                let shown: Vec<(Account, Line)> = lines
                    .iter()
                    .map(|(account, _)| account.clone())
                    .zip(doc.lines.iter().copied())
                    .collect();
                let entry = credit_note(subscriber, &shown, &doc.totals, receivable).unwrap();
                let to_receivable = -sum_on(&entry, &Account::Receivable);
                let to_advance = -sum_on(&entry, &Account::Advance);
                prop_assert_eq!(to_receivable + to_advance, doc.totals.total_poisha);
                prop_assert!(to_receivable >= 0 && to_receivable <= receivable.max(0));
                prop_assert!(to_advance >= 0);
                prop_assert_eq!(sum_on(&entry, &Account::VatPayable), doc.totals.vat_poisha);
                entry
            }
        };
        well_formed(&entry)?;
        let void = reverse(&entry).unwrap();
        well_formed(&void)?;
        prop_assert_eq!(void.len(), entry.len());
        for (a, b) in void.iter().zip(&entry) {
            prop_assert_eq!(&a.account, &b.account);
            prop_assert_eq!(a.amount_poisha, -b.amount_poisha);
        }
        let used = apply_advance(subscriber, advance, outstanding).unwrap();
        well_formed(&used)?;
        prop_assert_eq!(sum_on(&used, &Account::Advance), advance.min(outstanding).max(0));
    }
}

// ---- histories ----

/// A valid history of subscription 7 starting in the autumn of 2026, built so that every
/// draw is valid (changes on distinct days, pauses inside the subscription and apart).
fn history() -> impl Strategy<Value = History> {
    let change = (-10i64..150, 1i64..=3, monthly());
    let pause = (0i64..150, 0i64..20);
    (
        0i64..90,
        proptest::option::of(0i64..160),
        (1i64..=3, monthly()),
        proptest::collection::vec(change, 0..4),
        proptest::collection::vec(pause, 0..3),
        proptest::option::of((1i64..=20_000, proptest::option::of(-5i64..150))),
    )
        .prop_map(
            |(start, length, (plan_id, monthly_poisha), changes, pauses, discount)| {
                let starts_on = plus(date(2026, 9, 20), start);
                let ends_on = length.map(|length| plus(starts_on, length));
                let changes: BTreeMap<Date, PlanChange> = changes
                    .into_iter()
                    .map(|(offset, plan_id, monthly_poisha)| {
                        let effective_on = plus(starts_on, offset);
                        (
                            effective_on,
                            PlanChange {
                                effective_on,
                                plan_id,
                                monthly_poisha,
                            },
                        )
                    })
                    .collect();
                let mut offsets = pauses;
                offsets.sort_unstable();
                let mut kept: Vec<Pause> = Vec::new();
                for (offset, length) in offsets {
                    let from = plus(starts_on, offset);
                    let mut to = plus(from, length);
                    if let Some(end) = ends_on {
                        if from > end {
                            continue;
                        }
                        to = to.min(end);
                    }
                    if kept.last().is_some_and(|last| from <= last.to) {
                        continue;
                    }
                    kept.push(Pause { from, to });
                }
                History {
                    subscription_id: 7,
                    starts_on,
                    ends_on,
                    plan_id,
                    monthly_poisha,
                    changes: changes.into_values().collect(),
                    pauses: kept,
                    discount: discount.map(|(monthly_poisha, until)| Discount {
                        monthly_poisha,
                        until: until.map(|until| plus(starts_on, until)),
                    }),
                }
            },
        )
}

fn check_lines_are_well_formed(lines: &[(i64, Proposed)]) -> Result<(), TestCaseError> {
    let by_id: BTreeMap<i64, &Proposed> = lines.iter().map(|(id, line)| (*id, line)).collect();
    // Σ net and days credited, per credited line.
    let mut credited: BTreeMap<i64, (i64, i32)> = BTreeMap::new();
    for (_, line) in lines {
        prop_assert!(line.from <= line.to);
        prop_assert_eq!(
            i64::from(line.days),
            line.to.since(line.from).unwrap().get_days() as i64 + 1
        );
        match line.sign {
            Sign::Charge => prop_assert_eq!(line.credits_line, None),
            Sign::Credit => {
                let of = line.credits_line.expect("a credit names its line");
                let charge = by_id[&of];
                prop_assert_eq!(charge.sign, Sign::Charge);
                prop_assert_eq!(charge.key, line.key);
                prop_assert!(charge.from <= line.from && line.to <= charge.to);
                prop_assert_eq!(
                    (charge.monthly_poisha, charge.vat_bp, charge.sd_bp),
                    (line.monthly_poisha, line.vat_bp, line.sd_bp)
                );
                let entry = credited.entry(of).or_default();
                entry.0 += line.net_poisha;
                entry.1 += line.days;
            }
        }
        // Signs: plans charge non-negative amounts, discounts non-positive; credits mirror.
        let positive = (line.key.kind == ItemKind::Plan) == (line.sign == Sign::Charge);
        if positive {
            prop_assert!(line.net_poisha >= 0, "{line:?}");
        } else {
            prop_assert!(line.net_poisha <= 0, "{line:?}");
        }
    }
    // Credits never exceed what was billed.
    for (of, (net, days)) in credited {
        let charge = by_id[&of];
        prop_assert!(days <= charge.days);
        prop_assert!(net.signum() != charge.net_poisha.signum() || net == 0);
        prop_assert!(
            net.abs() <= charge.net_poisha.abs(),
            "line {of}: {} credited against {}",
            net,
            charge.net_poisha
        );
        if days == charge.days {
            prop_assert_eq!(
                net,
                -charge.net_poisha,
                "a line credited in full comes back exactly"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Billing any sequence of histories (each a change of the one before: a late start, plan
    /// changes, pauses, an end, a discount, or a withdrawal of any of them) over several periods
    /// converges: every run followed by a rerun proposes nothing (checked in `Ledger::bill`),
    /// credits go to the line in force, at its price and rates, and never exceed it.
    #[test]
    fn billing_converges_for_any_sequence_of_histories(
        cycle in cycle(),
        histories in proptest::collection::vec(history(), 1..4),
        vat in proptest::collection::vec(select(&[500u32, 750][..]), 4),
        order in proptest::collection::vec(0usize..8, 1..10),
    ) {
        let first = PeriodKey::new(2026, 9).unwrap();
        let keys: Vec<PeriodKey> = std::iter::successors(Some(first), |key| key.next())
            .take(8)
            .collect();
        let mut ledger = Ledger::default();
        for (i, h) in histories.iter().enumerate() {
            prop_assert!(spans(h).is_ok());
            for index in &order {
                ledger.bill(h, &period(cycle, keys[*index]), vat[i]);
            }
        }
        check_lines_are_well_formed(&ledger.lines)?;
    }
}

// ---- calendar ----

proptest! {
    /// Periods tile the calendar: each ends the day before the next starts, and every date
    /// lies in the period its key names.
    #[test]
    fn periods_tile_the_calendar(cycle in cycle(), key in period_key(), offset in 0i64..40) {
        let this = period(cycle, key);
        prop_assert!((28..=31).contains(&this.days()));
        if let Some(next) = key.next() {
            prop_assert_eq!(plus(this.end, 1), period(cycle, next).start);
        }
        prop_assert_eq!(key_containing(cycle, this.start), Ok(key));
        prop_assert_eq!(key_containing(cycle, this.end), Ok(key));
        let day = plus(this.start, offset);
        if let Ok(holder) = key_containing(cycle, day) {
            prop_assert!(period(cycle, holder).contains(day));
        }
        prop_assert_eq!(PeriodKey::parse(&key.to_string()), Ok(key));
    }

    /// Lakh grouping only inserts commas; words never have doubled or stray spaces.
    #[test]
    fn figures_and_words_are_well_formed(n in any::<u64>(), poisha in any::<i64>()) {
        prop_assert_eq!(group_lakh(n).replace(',', ""), n.to_string());
        for lang in [Lang::En, Lang::Bn] {
            let words = taka_in_words(poisha, lang);
            prop_assert!(!words.contains("  ") && words.trim() == words, "{words:?}");
        }
    }
}

// ---- dunning ----

fn policy() -> impl Strategy<Value = Policy> {
    let weekdays = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
    (
        proptest::collection::vec(-7i32..15, 0..5),
        0i32..10,
        proptest::sample::subsequence(weekdays.to_vec(), 0..=3),
        proptest::collection::vec(-10i64..30, 0..4),
    )
        .prop_map(
            |(reminder_offsets, suspend_after_days, skip_weekdays, holidays)| Policy {
                reminder_offsets,
                suspend_after_days,
                skip_weekdays,
                holidays: holidays
                    .into_iter()
                    .map(|offset| plus(date(2026, 12, 10), offset))
                    .collect(),
            },
        )
}

proptest! {
    /// Stepping day by day (sometimes skipping days, sometimes twice a day) with a changing
    /// balance never sends a reminder twice, never suspends when nothing is owed or on a
    /// skipped day or before the grace ends, reconnects only the suspended, and stays settled.
    #[test]
    fn dunning_never_repeats_and_never_suspends_the_settled(
        policy in policy(),
        days in proptest::collection::vec((1i64..3, 0u8..3, -1i64..3), 1..40),
    ) {
        let due = date(2026, 12, 10);
        let mut today = plus(due, -10);
        let mut stage = Stage::Current;
        let mut reminded: Vec<u8> = Vec::new();
        let mut suspended = false;
        for (gap, calls, owing) in days {
            today = plus(today, gap);
            // Owing unless the draw says paid (0) or overpaid (-1).
            let outstanding = owing * 10_000;
            for _ in 0..=calls {
                let (next, actions) = step(&policy, stage, today, due, outstanding);
                if stage == Stage::Settled {
                    prop_assert_eq!(next, Stage::Settled, "settled stays settled");
                    prop_assert_eq!(&actions, &[], "nothing is done after settling");
                }
                for action in &actions {
                    match action {
                        Action::Remind { step } => {
                            prop_assert!(reminded.last().is_none_or(|last| step > last));
                            prop_assert!(!suspended);
                            reminded.push(*step);
                        }
                        Action::Suspend => {
                            prop_assert!(outstanding > 0 && !suspended);
                            prop_assert!(!policy.skips(today));
                            prop_assert!(today >= plus(due, policy.suspend_after_days.into()));
                            suspended = true;
                        }
                        Action::Reconnect => {
                            prop_assert!(suspended && outstanding <= 0);
                            suspended = false;
                        }
                    }
                }
                if outstanding <= 0 {
                    prop_assert_eq!(next, Stage::Settled);
                    prop_assert!(!suspended, "a settled subscriber is reconnected");
                }
                stage = next;
            }
        }
    }
}
