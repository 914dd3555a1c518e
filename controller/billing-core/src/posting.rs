//! Double-entry postings: what each document does to the ledger.
//!
//! A posting is an account, the subscriber it concerns (on the receivable and advance
//! accounts, which are kept per subscriber) and a signed amount: debits positive, credits
//! negative. Every function here returns postings that sum to zero, checked before returning,
//! with zero amounts left out; a void is the exact negation of the entry it voids.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::document::{Line, Totals};
use crate::money::{check_amount, check_sum, MoneyError};
use crate::words::bengali_digits;

/// What a one-time charge earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    ConnectionFee,
    ReconnectionFee,
    Equipment,
    LateFee,
    Other,
}

/// The chart of accounts billing posts to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "account", rename_all = "snake_case")]
pub enum Account {
    /// What subscribers owe (an asset), per subscriber.
    Receivable,
    /// What subscribers paid ahead or were credited after paying (a liability), per subscriber.
    Advance,
    /// Monthly service revenue, per plan.
    Revenue {
        plan_id: i64,
    },
    /// One-time charges.
    OtherRevenue {
        category: Category,
    },
    /// VAT collected, owed to NBR.
    VatPayable,
    /// Supplementary duty collected, owed to NBR.
    SdPayable,
    /// Differences from rounding totals to the taka.
    Rounding,
    /// Receivables given up as bad debts.
    WriteOff,
    Cash,
    Bank,
    /// Money held by a payment gateway until it settles; `name` is a short lowercase slug
    /// (`bkash`, `nagad`, `sslcommerz`) and becomes part of the account code.
    Gateway {
        name: String,
    },
}

impl Account {
    /// A stable code for the chart of accounts: 1xxx assets, 2xxx liabilities, 4xxx revenue,
    /// 5xxx expenses; per-plan revenue and per-gateway clearing accounts carry their id or name
    /// (`4100-12`, `1030-bkash`).
    pub fn code(&self) -> String {
        match self {
            Account::Cash => "1010".into(),
            Account::Bank => "1020".into(),
            Account::Gateway { name } => format!("1030-{name}"),
            Account::Receivable => "1100".into(),
            Account::VatPayable => "2100".into(),
            Account::SdPayable => "2110".into(),
            Account::Advance => "2200".into(),
            Account::Revenue { plan_id } => format!("4100-{plan_id}"),
            Account::OtherRevenue { category } => match category {
                Category::ConnectionFee => "4210",
                Category::ReconnectionFee => "4220",
                Category::Equipment => "4230",
                Category::LateFee => "4240",
                Category::Other => "4290",
            }
            .into(),
            Account::Rounding => "4900".into(),
            Account::WriteOff => "5100".into(),
        }
    }

    pub fn name_en(&self) -> String {
        match self {
            Account::Cash => "Cash".into(),
            Account::Bank => "Bank".into(),
            Account::Gateway { name } => format!("Payment gateway ({name})"),
            Account::Receivable => "Subscriber receivables".into(),
            Account::VatPayable => "VAT payable".into(),
            Account::SdPayable => "Supplementary duty payable".into(),
            Account::Advance => "Subscriber advances".into(),
            Account::Revenue { plan_id } => format!("Internet service revenue (plan {plan_id})"),
            Account::OtherRevenue { category } => match category {
                Category::ConnectionFee => "Connection fees",
                Category::ReconnectionFee => "Reconnection fees",
                Category::Equipment => "Equipment sales",
                Category::LateFee => "Late fees",
                Category::Other => "Other revenue",
            }
            .into(),
            Account::Rounding => "Rounding differences".into(),
            Account::WriteOff => "Bad debts written off".into(),
        }
    }

    pub fn name_bn(&self) -> String {
        match self {
            Account::Cash => "নগদ".into(),
            Account::Bank => "ব্যাংক".into(),
            Account::Gateway { name } => format!("পেমেন্ট গেটওয়ে ({name})"),
            Account::Receivable => "গ্রাহকের কাছে পাওনা".into(),
            Account::VatPayable => "প্রদেয় ভ্যাট (মূসক)".into(),
            Account::SdPayable => "প্রদেয় সম্পূরক শুল্ক".into(),
            Account::Advance => "গ্রাহকের অগ্রিম".into(),
            Account::Revenue { plan_id } => format!(
                "ইন্টারনেট সেবা আয় (প্যাকেজ {})",
                bengali_digits(&plan_id.to_string())
            ),
            Account::OtherRevenue { category } => match category {
                Category::ConnectionFee => "সংযোগ ফি",
                Category::ReconnectionFee => "পুনঃসংযোগ ফি",
                Category::Equipment => "যন্ত্রপাতি বিক্রয়",
                Category::LateFee => "বিলম্ব ফি",
                Category::Other => "অন্যান্য আয়",
            }
            .into(),
            Account::Rounding => "রাউন্ডিং সমন্বয়".into(),
            Account::WriteOff => "অনাদায়ী পাওনা অবলোপন".into(),
        }
    }

    /// Whether the account is kept per subscriber.
    pub fn per_subscriber(&self) -> bool {
        matches!(self, Account::Receivable | Account::Advance)
    }

    fn is_revenue(&self) -> bool {
        matches!(self, Account::Revenue { .. } | Account::OtherRevenue { .. })
    }
}

/// One leg of an entry: debit positive, credit negative.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Posting {
    pub account: Account,
    /// Set on [`Account::Receivable`] and [`Account::Advance`] postings, `None` elsewhere.
    pub subscriber_id: Option<i64>,
    pub amount_poisha: i64,
}

/// Whether the postings sum to zero.
pub fn is_balanced(postings: &[Posting]) -> bool {
    postings
        .iter()
        .map(|posting| i128::from(posting.amount_poisha))
        .sum::<i128>()
        == 0
}

/// An invoice: Dr receivable by the total; Cr each line's revenue account by its net (a
/// negative line, such as a discount or a credit for days of an old plan, debits it); Cr VAT
/// and SD payable by their sums; the rounding to Cr (or Dr) the rounding account. Lines on the
/// same account are posted together.
pub fn invoice(
    subscriber_id: i64,
    lines: &[(Account, Line)],
    totals: &Totals,
) -> Result<Vec<Posting>, PostingError> {
    check_totals(lines, totals)?;
    if totals.total_poisha < 0 {
        return Err(PostingError::NegativeTotal(totals.total_poisha));
    }
    entry(subscriber_id, lines, totals, -1, totals.total_poisha, 0)
}

/// A credit note (lines and totals as shown, positive): the invoice reversed. Dr revenue, VAT,
/// SD and rounding; Cr receivable up to the subscriber's positive receivable balance and Cr
/// advance with the rest, so a credit on a paid invoice becomes an advance the next invoice
/// consumes.
pub fn credit_note(
    subscriber_id: i64,
    lines: &[(Account, Line)],
    totals: &Totals,
    receivable_balance_poisha: i64,
) -> Result<Vec<Posting>, PostingError> {
    check_totals(lines, totals)?;
    check_amount(receivable_balance_poisha)?;
    if totals.total_poisha < 0 {
        return Err(PostingError::NegativeTotal(totals.total_poisha));
    }
    let to_receivable = totals.total_poisha.min(receivable_balance_poisha.max(0));
    let to_advance = totals.total_poisha - to_receivable;
    entry(subscriber_id, lines, totals, 1, -to_receivable, -to_advance)
}

/// Consuming an advance: Dr advance, Cr receivable by the smaller of the advance balance and
/// what is outstanding; nothing if either is zero or less.
pub fn apply_advance(
    subscriber_id: i64,
    advance_balance_poisha: i64,
    outstanding_poisha: i64,
) -> Result<Vec<Posting>, PostingError> {
    check_amount(advance_balance_poisha)?;
    check_amount(outstanding_poisha)?;
    let amount = advance_balance_poisha.min(outstanding_poisha).max(0);
    let subscriber_id = Some(subscriber_id);
    finish(vec![
        Posting {
            account: Account::Advance,
            subscriber_id,
            amount_poisha: amount,
        },
        Posting {
            account: Account::Receivable,
            subscriber_id,
            amount_poisha: -amount,
        },
    ])
}

/// The void of an entry: every posting negated. Refuses an entry that does not balance.
pub fn reverse(postings: &[Posting]) -> Result<Vec<Posting>, PostingError> {
    if !is_balanced(postings) {
        return Err(PostingError::Unbalanced);
    }
    let reversed = postings
        .iter()
        .map(|posting| {
            Ok(Posting {
                amount_poisha: -check_amount(posting.amount_poisha)?,
                ..posting.clone()
            })
        })
        .collect::<Result<Vec<_>, PostingError>>()?;
    finish(reversed)
}

/// The lines' accounts are revenue and the totals are the lines' sums.
fn check_totals(lines: &[(Account, Line)], totals: &Totals) -> Result<(), PostingError> {
    let (mut net, mut sd, mut vat) = (0_i128, 0_i128, 0_i128);
    for (account, line) in lines {
        if !account.is_revenue() {
            return Err(PostingError::NotRevenue(account.clone()));
        }
        net += i128::from(check_amount(line.net_poisha)?);
        sd += i128::from(check_amount(line.sd_poisha)?);
        vat += i128::from(check_amount(line.vat_poisha)?);
    }
    for amount in [
        totals.net_poisha,
        totals.sd_poisha,
        totals.vat_poisha,
        totals.rounding_poisha,
        totals.total_poisha,
    ] {
        check_amount(amount)?;
    }
    let sums_match = (net, sd, vat)
        == (
            i128::from(totals.net_poisha),
            i128::from(totals.sd_poisha),
            i128::from(totals.vat_poisha),
        );
    let total = net + sd + vat + i128::from(totals.rounding_poisha);
    if !sums_match || total != i128::from(totals.total_poisha) {
        return Err(PostingError::TotalsMismatch);
    }
    Ok(())
}

/// An invoice-shaped entry: the document side (revenue, VAT, SD, rounding) with `side`
/// (-1 credits as on an invoice, +1 debits as on a credit note), and the subscriber side.
fn entry(
    subscriber_id: i64,
    lines: &[(Account, Line)],
    totals: &Totals,
    side: i64,
    receivable_poisha: i64,
    advance_poisha: i64,
) -> Result<Vec<Posting>, PostingError> {
    let subscriber = Some(subscriber_id);
    let mut postings = vec![
        Posting {
            account: Account::Receivable,
            subscriber_id: subscriber,
            amount_poisha: receivable_poisha,
        },
        Posting {
            account: Account::Advance,
            subscriber_id: subscriber,
            amount_poisha: advance_poisha,
        },
    ];
    let mut revenue: Vec<(Account, i128)> = Vec::new();
    for (account, line) in lines {
        match revenue.iter_mut().find(|(seen, _)| seen == account) {
            Some((_, sum)) => *sum += i128::from(line.net_poisha),
            None => revenue.push((account.clone(), i128::from(line.net_poisha))),
        }
    }
    for (account, net) in revenue {
        postings.push(Posting {
            account,
            subscriber_id: None,
            amount_poisha: side * check_sum(net)?,
        });
    }
    for (account, amount) in [
        (Account::VatPayable, totals.vat_poisha),
        (Account::SdPayable, totals.sd_poisha),
        (Account::Rounding, totals.rounding_poisha),
    ] {
        postings.push(Posting {
            account,
            subscriber_id: None,
            amount_poisha: side * amount,
        });
    }
    finish(postings)
}

/// Drops zero postings and checks the balance.
fn finish(mut postings: Vec<Posting>) -> Result<Vec<Posting>, PostingError> {
    postings.retain(|posting| posting.amount_poisha != 0);
    if is_balanced(&postings) {
        Ok(postings)
    } else {
        Err(PostingError::Unbalanced)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PostingError {
    #[error("{} is not a revenue account", .0.code())]
    NotRevenue(Account),
    #[error("the totals are not the sums of the lines")]
    TotalsMismatch,
    #[error("a document total of {0} poisha is negative: post it as a credit note")]
    NegativeTotal(i64),
    #[error("the postings do not balance")]
    Unbalanced,
    #[error(transparent)]
    Money(#[from] MoneyError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{totals, Rounding};

    fn line(net: i64, vat: i64) -> Line {
        Line {
            net_poisha: net,
            sd_poisha: 0,
            vat_poisha: vat,
        }
    }

    fn posting(account: Account, subscriber: Option<i64>, amount: i64) -> Posting {
        Posting {
            account,
            subscriber_id: subscriber,
            amount_poisha: amount,
        }
    }

    #[test]
    fn an_invoice_debits_the_receivable_and_credits_revenue_and_tax() {
        let plan = Account::Revenue { plan_id: 3 };
        let fee = Account::OtherRevenue {
            category: Category::ConnectionFee,
        };
        let lines = [
            (plan.clone(), line(48_387, 2_419)),
            (fee.clone(), line(50_000, 2_500)),
            (plan.clone(), line(-5_000, -250)), // a discount on the plan
        ];
        let plain: Vec<Line> = lines.iter().map(|(_, line)| *line).collect();
        let sums = totals(&plain, Rounding::Taka).unwrap();
        assert_eq!(sums.rounding_poisha, 44); // 980.56 → 981 taka
        let entry = invoice(9, &lines, &sums).unwrap();
        assert_eq!(
            entry,
            [
                posting(Account::Receivable, Some(9), 98_100),
                posting(plan, None, -43_387),
                posting(fee, None, -50_000),
                posting(Account::VatPayable, None, -4_669),
                posting(Account::Rounding, None, -44),
            ]
        );
        assert!(is_balanced(&entry));
        assert_eq!(
            reverse(&entry)
                .unwrap()
                .iter()
                .map(|p| p.amount_poisha)
                .sum::<i64>(),
            0
        );
        assert_eq!(reverse(&reverse(&entry).unwrap()).unwrap(), entry);
    }

    #[test]
    fn invoices_refuse_what_would_not_balance_or_is_a_credit() {
        let plan = Account::Revenue { plan_id: 3 };
        let lines = [(plan.clone(), line(100_000, 5_000))];
        let sums = totals(&[line(100_000, 5_000)], Rounding::Poisha).unwrap();
        let wrong = Totals {
            total_poisha: sums.total_poisha + 1,
            ..sums
        };
        assert_eq!(
            invoice(1, &lines, &wrong),
            Err(PostingError::TotalsMismatch)
        );
        assert_eq!(invoice(1, &[], &sums), Err(PostingError::TotalsMismatch));
        assert_eq!(
            invoice(1, &[(Account::Cash, line(100_000, 5_000))], &sums),
            Err(PostingError::NotRevenue(Account::Cash))
        );
        let credit = [(plan, line(-100_000, -5_000))];
        let negative = totals(&[line(-100_000, -5_000)], Rounding::Poisha).unwrap();
        assert_eq!(
            invoice(1, &credit, &negative),
            Err(PostingError::NegativeTotal(-105_000))
        );
        let unbalanced = [posting(Account::Cash, None, 1)];
        assert_eq!(reverse(&unbalanced), Err(PostingError::Unbalanced));
        assert!(!is_balanced(&unbalanced));
    }

    #[test]
    fn a_credit_beyond_the_receivable_becomes_an_advance() {
        let plan = Account::Revenue { plan_id: 3 };
        let lines = [(plan.clone(), line(35_484, 1_774))];
        let sums = totals(&[line(35_484, 1_774)], Rounding::Poisha).unwrap();
        // (receivable balance, Cr receivable, Cr advance)
        let cases = [
            (100_000, 37_258, 0),
            (37_258, 37_258, 0),
            (10_000, 10_000, 27_258),
            (0, 0, 37_258),
            (-5_000, 0, 37_258), // already in advance
        ];
        for (balance, receivable, advance) in cases {
            let entry = credit_note(9, &lines, &sums, balance).unwrap();
            let mut expected = vec![];
            if receivable != 0 {
                expected.push(posting(Account::Receivable, Some(9), -receivable));
            }
            if advance != 0 {
                expected.push(posting(Account::Advance, Some(9), -advance));
            }
            expected.push(posting(plan.clone(), None, 35_484));
            expected.push(posting(Account::VatPayable, None, 1_774));
            assert_eq!(entry, expected, "balance {balance}");
        }
    }

    #[test]
    fn an_advance_pays_what_is_outstanding() {
        let both = |amount| {
            vec![
                posting(Account::Advance, Some(4), amount),
                posting(Account::Receivable, Some(4), -amount),
            ]
        };
        assert_eq!(apply_advance(4, 30_000, 105_000), Ok(both(30_000)));
        assert_eq!(apply_advance(4, 200_000, 105_000), Ok(both(105_000)));
        assert_eq!(apply_advance(4, 0, 105_000), Ok(vec![]));
        assert_eq!(apply_advance(4, 30_000, -1), Ok(vec![]));
        assert_eq!(apply_advance(4, -30_000, 5), Ok(vec![]));
        assert!(apply_advance(4, i64::MAX, 5).is_err());
    }

    #[test]
    fn every_account_has_a_stable_code_and_two_names() {
        use std::collections::HashSet;
        let categories = [
            Category::ConnectionFee,
            Category::ReconnectionFee,
            Category::Equipment,
            Category::LateFee,
            Category::Other,
        ];
        let mut accounts = vec![
            Account::Receivable,
            Account::Advance,
            Account::Revenue { plan_id: 12 },
            Account::Revenue { plan_id: 13 },
            Account::VatPayable,
            Account::SdPayable,
            Account::Rounding,
            Account::WriteOff,
            Account::Cash,
            Account::Bank,
            Account::Gateway {
                name: "bkash".into(),
            },
            Account::Gateway {
                name: "nagad".into(),
            },
        ];
        accounts.extend(categories.map(|category| Account::OtherRevenue { category }));
        let codes: HashSet<String> = accounts.iter().map(Account::code).collect();
        assert_eq!(codes.len(), accounts.len(), "codes are unique");
        for account in &accounts {
            assert!(!account.name_en().is_empty() && !account.name_bn().is_empty());
            assert!(account
                .name_bn()
                .chars()
                .any(|c| ('\u{0980}'..='\u{09FF}').contains(&c)));
        }
        assert_eq!(Account::Receivable.code(), "1100");
        assert_eq!(Account::VatPayable.code(), "2100");
        assert_eq!(Account::Revenue { plan_id: 12 }.code(), "4100-12");
        assert_eq!(
            Account::Revenue { plan_id: 12 }.name_bn(),
            "ইন্টারনেট সেবা আয় (প্যাকেজ ১২)"
        );
        assert_eq!(
            Account::Gateway {
                name: "bkash".into()
            }
            .code(),
            "1030-bkash"
        );
        assert!(Account::Advance.per_subscriber() && !Account::Cash.per_subscriber());
    }
}
