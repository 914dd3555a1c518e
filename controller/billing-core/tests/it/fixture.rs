//! A small ledger that plays the controller: it proposes a period, stores the proposal as
//! billed lines with growing ids, and checks at once that a rerun proposes nothing.

use billing_core::charge::{propose, spans, Billed, History, ItemKey, Proposed, Sign};
use billing_core::period::{period, Cycle, Period, PeriodKey};
use jiff::civil::Date;

pub const VAT_BP: u32 = 500;

pub fn d(text: &str) -> Date {
    text.parse().unwrap()
}

pub fn key(text: &str) -> PeriodKey {
    PeriodKey::parse(text).unwrap()
}

/// A subscription on plan 1 at 1,000 taka from `starts_on`.
pub fn history(starts_on: &str) -> History {
    History {
        subscription_id: 7,
        starts_on: d(starts_on),
        ends_on: None,
        plan_id: 1,
        monthly_poisha: 100_000,
        changes: vec![],
        pauses: vec![],
        discount: None,
    }
}

#[derive(Default)]
pub struct Ledger {
    pub billed: Vec<Billed>,
    /// Every stored line with its id, as proposed.
    pub lines: Vec<(i64, Proposed)>,
    pub next_id: i64,
}

impl Ledger {
    /// The lines of `period` the controller would load: those that start in it.
    pub fn billed_in(&self, period: &Period) -> Vec<Billed> {
        self.billed
            .iter()
            .filter(|line| period.contains(line.from))
            .copied()
            .collect()
    }

    /// Proposes `period` for `h`, stores the lines and checks that a rerun proposes nothing.
    pub fn bill(&mut self, h: &History, period: &Period, vat_bp: u32) -> Vec<Proposed> {
        let spans = spans(h).expect("a valid history");
        let lines = propose(period, &spans, &self.billed_in(period), vat_bp, 0)
            .expect("a consistent ledger");
        for line in &lines {
            self.next_id += 1;
            self.billed.push(line.billed(self.next_id));
            self.lines.push((self.next_id, *line));
        }
        let again = propose(period, &spans, &self.billed_in(period), vat_bp, 0).unwrap();
        assert_eq!(again, [], "a rerun of {} proposes nothing", period.key);
        lines
    }

    pub fn bill_key(&mut self, h: &History, cycle: Cycle, key: PeriodKey) -> Vec<Proposed> {
        self.bill(h, &period(cycle, key), VAT_BP)
    }
}

/// A proposed line in the form the scenario tables write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    pub key: ItemKey,
    pub sign: Sign,
    pub from: Date,
    pub to: Date,
    pub days: i32,
    pub net_poisha: i64,
    pub vat_poisha: i64,
    pub credits_line: Option<i64>,
}

impl From<&Proposed> for Expect {
    fn from(line: &Proposed) -> Expect {
        Expect {
            key: line.key,
            sign: line.sign,
            from: line.from,
            to: line.to,
            days: line.days,
            net_poisha: line.net_poisha,
            vat_poisha: line.vat_poisha,
            credits_line: line.credits_line,
        }
    }
}

pub fn charge(key: ItemKey, from: &str, to: &str, days: i32, net: i64, vat: i64) -> Expect {
    Expect {
        key,
        sign: Sign::Charge,
        from: d(from),
        to: d(to),
        days,
        net_poisha: net,
        vat_poisha: vat,
        credits_line: None,
    }
}

pub fn credit(
    key: ItemKey,
    from: &str,
    to: &str,
    days: i32,
    net: i64,
    vat: i64,
    of_line: i64,
) -> Expect {
    Expect {
        sign: Sign::Credit,
        credits_line: Some(of_line),
        ..charge(key, from, to, days, net, vat)
    }
}

pub fn expects(lines: &[Proposed]) -> Vec<Expect> {
    lines.iter().map(Expect::from).collect()
}
