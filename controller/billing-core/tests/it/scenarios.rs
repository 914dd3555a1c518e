//! The history changes a subscription goes through, as data: each step bills one period for the
//! history as it stands then, on a ledger that keeps what was billed before. Every step also
//! checks that running it again proposes nothing (see `Ledger::bill`).
//!
//! Plan 1 is 1,000 taka a month (100,000 poisha), VAT 5 %, billing day 1 unless a scenario says
//! otherwise. Line ids count from 1 in the order lines were proposed.

use billing_core::charge::{downgrade_effective_on, Discount, History, ItemKey, Pause, PlanChange};
use billing_core::document::{compose, DocumentKind, Line, Rounding};
use billing_core::period::{keys_between, Cycle};
use billing_core::posting::{credit_note, is_balanced, Account, Posting};

use crate::fixture::*;

const P1: ItemKey = ItemKey {
    kind: billing_core::charge::ItemKind::Plan,
    ref_id: 1,
};
const P2: ItemKey = ItemKey {
    kind: billing_core::charge::ItemKind::Plan,
    ref_id: 2,
};
const P3: ItemKey = ItemKey {
    kind: billing_core::charge::ItemKind::Plan,
    ref_id: 3,
};
const DISCOUNT: ItemKey = ItemKey {
    kind: billing_core::charge::ItemKind::Discount,
    ref_id: 7,
};
const DAY1: Cycle = Cycle::Fixed { day: 1 };

fn changed(mut h: History, effective_on: &str, plan_id: i64, monthly_poisha: i64) -> History {
    h.changes.push(PlanChange {
        effective_on: d(effective_on),
        plan_id,
        monthly_poisha,
    });
    h
}

fn ending(mut h: History, on: &str) -> History {
    h.ends_on = Some(d(on));
    h
}

fn paused(mut h: History, from: &str, to: &str) -> History {
    h.pauses.push(Pause {
        from: d(from),
        to: d(to),
    });
    h
}

fn discounted(mut h: History, monthly_poisha: i64, until: Option<&str>) -> History {
    h.discount = Some(Discount {
        monthly_poisha,
        until: until.map(d),
    });
    h
}

fn priced(mut h: History, monthly_poisha: i64) -> History {
    h.monthly_poisha = monthly_poisha;
    h
}

struct Step {
    history: History,
    period: &'static str,
    expect: Vec<Expect>,
}

fn step(history: &History, period: &'static str, expect: Vec<Expect>) -> Step {
    Step {
        history: history.clone(),
        period,
        expect,
    }
}

struct Scenario {
    name: &'static str,
    cycle: Cycle,
    steps: Vec<Step>,
}

fn full(key: ItemKey, month: &str, days: i32, net: i64, vat: i64) -> Expect {
    let last = format!("{month}-{days:02}");
    charge(key, &format!("{month}-01"), &last, days, net, vat)
}

fn scenarios() -> Vec<Scenario> {
    let dec1 = history("2026-12-01");
    let upgraded = changed(dec1.clone(), "2026-12-15", 2, 150_000);
    let downgrade_on = downgrade_effective_on(DAY1, d("2026-12-15")).unwrap();
    let terminated = ending(dec1.clone(), "2026-12-20");
    let paused_dec = paused(dec1.clone(), "2026-12-10", "2026-12-19");
    let three_months = discounted(dec1.clone(), 10_000, Some("2027-02-28"));
    let mid_month = history("2026-12-17");

    vec![
        Scenario {
            name: "new subscriber mid-month: 15 days of 31 are 483.87 taka, VAT 24.19",
            cycle: DAY1,
            steps: vec![
                step(
                    &mid_month,
                    "2026-12",
                    vec![charge(P1, "2026-12-17", "2026-12-31", 15, 48_387, 2_419)],
                ),
                step(
                    &mid_month,
                    "2027-01",
                    vec![full(P1, "2027-01", 31, 100_000, 5_000)],
                ),
            ],
        },
        Scenario {
            name: "late start billed for earlier periods",
            cycle: DAY1,
            steps: vec![
                step(
                    &history("2026-10-10"),
                    "2026-10",
                    vec![charge(P1, "2026-10-10", "2026-10-31", 22, 70_968, 3_548)],
                ),
                step(
                    &history("2026-10-10"),
                    "2026-11",
                    vec![full(P1, "2026-11", 30, 100_000, 5_000)],
                ),
                step(
                    &history("2026-10-10"),
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
            ],
        },
        Scenario {
            name: "upgrade on the 15th: the old plan's 17 days back, the new plan's 17 charged",
            cycle: DAY1,
            steps: vec![
                step(
                    &dec1,
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
                step(
                    &upgraded,
                    "2026-12",
                    vec![
                        credit(P1, "2026-12-15", "2026-12-31", 17, -54_839, -2_742, 1),
                        charge(P2, "2026-12-15", "2026-12-31", 17, 82_258, 4_113),
                    ],
                ),
                step(
                    &upgraded,
                    "2027-01",
                    vec![full(P2, "2027-01", 31, 150_000, 7_500)],
                ),
            ],
        },
        Scenario {
            name: "downgrade at the next period: nothing changes in December",
            cycle: DAY1,
            steps: vec![
                step(
                    &dec1,
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
                step(
                    &changed(dec1.clone(), &downgrade_on.to_string(), 3, 70_000),
                    "2026-12",
                    vec![],
                ),
                step(
                    &changed(dec1.clone(), &downgrade_on.to_string(), 3, 70_000),
                    "2027-01",
                    vec![full(P3, "2027-01", 31, 70_000, 3_500)],
                ),
            ],
        },
        Scenario {
            name: "termination on the 20th: the 11 days after are credited",
            cycle: DAY1,
            steps: vec![
                step(
                    &dec1,
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
                step(
                    &terminated,
                    "2026-12",
                    vec![credit(
                        P1,
                        "2026-12-21",
                        "2026-12-31",
                        11,
                        -35_484,
                        -1_774,
                        1,
                    )],
                ),
                step(&terminated, "2027-01", vec![]),
            ],
        },
        Scenario {
            name: "termination withdrawn: the 11 days are charged again",
            cycle: DAY1,
            steps: vec![
                step(
                    &dec1,
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
                step(
                    &terminated,
                    "2026-12",
                    vec![credit(
                        P1,
                        "2026-12-21",
                        "2026-12-31",
                        11,
                        -35_484,
                        -1_774,
                        1,
                    )],
                ),
                step(
                    &dec1,
                    "2026-12",
                    vec![charge(P1, "2026-12-21", "2026-12-31", 11, 35_484, 1_774)],
                ),
            ],
        },
        Scenario {
            name: "pause from the 10th to the 19th after billing: 10 days credited",
            cycle: DAY1,
            steps: vec![
                step(
                    &dec1,
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
                step(
                    &paused_dec,
                    "2026-12",
                    vec![credit(
                        P1,
                        "2026-12-10",
                        "2026-12-19",
                        10,
                        -32_258,
                        -1_613,
                        1,
                    )],
                ),
                step(
                    &paused_dec,
                    "2027-01",
                    vec![full(P1, "2027-01", 31, 100_000, 5_000)],
                ),
            ],
        },
        Scenario {
            name: "pause approved before billing: the days around it are charged",
            cycle: DAY1,
            steps: vec![step(
                &paused_dec,
                "2026-12",
                vec![
                    charge(P1, "2026-12-01", "2026-12-09", 9, 29_032, 1_452),
                    charge(P1, "2026-12-20", "2026-12-31", 12, 38_710, 1_936),
                ],
            )],
        },
        Scenario {
            name: "pause, then termination inside what is left",
            cycle: DAY1,
            steps: vec![
                step(
                    &dec1,
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
                step(
                    &paused_dec,
                    "2026-12",
                    vec![credit(
                        P1,
                        "2026-12-10",
                        "2026-12-19",
                        10,
                        -32_258,
                        -1_613,
                        1,
                    )],
                ),
                step(
                    &ending(paused_dec.clone(), "2026-12-25"),
                    "2026-12",
                    vec![credit(P1, "2026-12-26", "2026-12-31", 6, -19_355, -968, 1)],
                ),
            ],
        },
        Scenario {
            name: "discount of 100 taka for three months",
            cycle: DAY1,
            steps: vec![
                step(
                    &three_months,
                    "2026-12",
                    vec![
                        full(P1, "2026-12", 31, 100_000, 5_000),
                        full(DISCOUNT, "2026-12", 31, -10_000, -500),
                    ],
                ),
                step(
                    &three_months,
                    "2027-01",
                    vec![
                        full(P1, "2027-01", 31, 100_000, 5_000),
                        full(DISCOUNT, "2027-01", 31, -10_000, -500),
                    ],
                ),
                step(
                    &three_months,
                    "2027-02",
                    vec![
                        full(P1, "2027-02", 28, 100_000, 5_000),
                        full(DISCOUNT, "2027-02", 28, -10_000, -500),
                    ],
                ),
                step(
                    &three_months,
                    "2027-03",
                    vec![full(P1, "2027-03", 31, 100_000, 5_000)],
                ),
            ],
        },
        Scenario {
            name: "discount from a mid-month start is prorated like the plan",
            cycle: DAY1,
            steps: vec![step(
                &discounted(mid_month.clone(), 10_000, None),
                "2026-12",
                vec![
                    charge(P1, "2026-12-17", "2026-12-31", 15, 48_387, 2_419),
                    charge(DISCOUNT, "2026-12-17", "2026-12-31", 15, -4_839, -242),
                ],
            )],
        },
        Scenario {
            name: "discount withdrawn after billing: its days are given back (positive)",
            cycle: DAY1,
            steps: vec![
                step(
                    &discounted(dec1.clone(), 10_000, None),
                    "2026-12",
                    vec![
                        full(P1, "2026-12", 31, 100_000, 5_000),
                        full(DISCOUNT, "2026-12", 31, -10_000, -500),
                    ],
                ),
                step(
                    &discounted(dec1.clone(), 10_000, Some("2026-12-15")),
                    "2026-12",
                    vec![credit(
                        DISCOUNT,
                        "2026-12-16",
                        "2026-12-31",
                        16,
                        5_161,
                        258,
                        2,
                    )],
                ),
            ],
        },
        Scenario {
            name: "a plan price change after billing does not re-bill the days billed",
            cycle: DAY1,
            steps: vec![
                step(
                    &dec1,
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
                step(&priced(dec1.clone(), 120_000), "2026-12", vec![]),
                step(
                    &priced(dec1.clone(), 120_000),
                    "2027-01",
                    vec![full(P1, "2027-01", 31, 120_000, 6_000)],
                ),
            ],
        },
        Scenario {
            name: "upgrade, then termination: the new plan's days after the end come back",
            cycle: DAY1,
            steps: vec![
                step(
                    &dec1,
                    "2026-12",
                    vec![full(P1, "2026-12", 31, 100_000, 5_000)],
                ),
                step(
                    &upgraded,
                    "2026-12",
                    vec![
                        credit(P1, "2026-12-15", "2026-12-31", 17, -54_839, -2_742, 1),
                        charge(P2, "2026-12-15", "2026-12-31", 17, 82_258, 4_113),
                    ],
                ),
                step(
                    &ending(upgraded.clone(), "2026-12-20"),
                    "2026-12",
                    vec![credit(
                        P2,
                        "2026-12-21",
                        "2026-12-31",
                        11,
                        -53_226,
                        -2_661,
                        3,
                    )],
                ),
            ],
        },
        Scenario {
            name: "a day-10 cycle crosses the year",
            cycle: Cycle::Fixed { day: 10 },
            steps: vec![
                step(
                    &history("2026-12-20"),
                    "2026-12",
                    vec![charge(P1, "2026-12-20", "2027-01-09", 21, 67_742, 3_387)],
                ),
                step(
                    &history("2026-12-20"),
                    "2027-01",
                    vec![charge(P1, "2027-01-10", "2027-02-09", 31, 100_000, 5_000)],
                ),
            ],
        },
        Scenario {
            name: "February in a leap year has 29 days",
            cycle: DAY1,
            steps: vec![step(
                &history("2024-02-15"),
                "2024-02",
                vec![charge(P1, "2024-02-15", "2024-02-29", 15, 51_724, 2_586)],
            )],
        },
        Scenario {
            name: "February in a common year has 28",
            cycle: DAY1,
            steps: vec![step(
                &history("2025-02-15"),
                "2025-02",
                vec![charge(P1, "2025-02-15", "2025-02-28", 14, 50_000, 2_500)],
            )],
        },
        Scenario {
            name: "an anniversary on the 31st renews on the 28th",
            cycle: Cycle::anniversary_for(d("2026-01-31")),
            steps: vec![
                step(
                    &history("2026-01-31"),
                    "2026-01",
                    vec![charge(P1, "2026-01-31", "2026-02-27", 28, 90_323, 4_516)],
                ),
                step(
                    &history("2026-01-31"),
                    "2026-02",
                    vec![charge(P1, "2026-02-28", "2026-03-27", 28, 100_000, 5_000)],
                ),
            ],
        },
    ]
}

#[test]
fn every_scenario_bills_the_difference_and_reruns_propose_nothing() {
    for scenario in scenarios() {
        let mut ledger = Ledger::default();
        for (i, step) in scenario.steps.iter().enumerate() {
            let got = ledger.bill_key(&step.history, scenario.cycle, key(step.period));
            assert_eq!(
                expects(&got),
                step.expect,
                "{}: step {} ({})",
                scenario.name,
                i + 1,
                step.period
            );
        }
    }
}

#[test]
fn a_late_start_is_billed_for_every_period_since() {
    let keys = keys_between(DAY1, d("2026-10-10"), key("2026-12"));
    assert_eq!(keys, [key("2026-10"), key("2026-11"), key("2026-12")]);
}

#[test]
fn a_termination_after_payment_is_a_credit_note_that_becomes_an_advance() {
    let mut ledger = Ledger::default();
    let dec1 = history("2026-12-01");
    let december = billing_core::period::period(DAY1, key("2026-12"));
    ledger.bill(&dec1, &december, VAT_BP);
    let lines = ledger.bill(&ending(dec1, "2026-12-20"), &december, VAT_BP);
    assert_eq!(lines[0].total_poisha(), -37_258);
    let signed: Vec<Line> = lines.iter().map(Line::from).collect();
    let note = compose(&signed, Rounding::Poisha).unwrap().unwrap();
    assert_eq!(note.kind, DocumentKind::CreditNote);
    assert_eq!(note.totals.total_poisha, 37_258);
    let revenue = Account::Revenue { plan_id: 1 };
    let posted: Vec<(Account, Line)> = note
        .lines
        .iter()
        .map(|line| (revenue.clone(), *line))
        .collect();
    // The December invoice was paid: nothing is receivable, so it all becomes an advance.
    let entry = credit_note(9, &posted, &note.totals, 0).unwrap();
    assert!(is_balanced(&entry));
    assert_eq!(
        entry[0],
        Posting {
            account: Account::Advance,
            subscriber_id: Some(9),
            amount_poisha: -37_258,
        }
    );
}
