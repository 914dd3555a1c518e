//! Amounts as invoices print them: lakh/crore grouping (`12,34,567`), taka in figures with `৳`
//! (Bengali digits in Bangla), and taka in words in the South-Asian system (crore, lakh,
//! thousand, hundred) in English and Bangla.
//!
//! Bangla number words from 0 to 99 are irregular (৪৯ is ঊনপঞ্চাশ, "one short of fifty"), so
//! they are one table, not rules. Spellings follow Bangladeshi usage (Bangla Academy forms
//! such as ঊনত্রিশ, ষোলো, বায়ান্ন); where two spellings are common, the table picks one. Text is
//! in Unicode NFC (য় is written য + nukta), so it compares equal to what a form submits.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    En,
    Bn,
}

/// `text` with ASCII digits turned into Bengali digits (`2026` → `২০২৬`).
pub fn bengali_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(digit) if c.is_ascii_digit() => char::from_u32('০' as u32 + digit).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// `n` grouped the South-Asian way: the last three digits, then pairs (`12,34,567`).
pub fn group_lakh(n: u64) -> String {
    let digits = n.to_string();
    let split = digits.len().saturating_sub(3);
    let (head, tail) = digits.split_at(split);
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = head;
    while !rest.is_empty() {
        let at = rest.len().saturating_sub(2);
        groups.push(&rest[at..]);
        rest = &rest[..at];
    }
    groups.reverse();
    groups.push(tail);
    groups.join(",")
}

/// An amount in figures: `৳1,23,456.50` (always two decimals), a minus before the sign for a
/// negative amount; in Bangla with Bengali digits, `৳১,২৩,৪৫৬.৫০`.
pub fn taka_figures(poisha: i64, lang: Lang) -> String {
    let magnitude = poisha.unsigned_abs();
    let sign = if poisha < 0 { "-" } else { "" };
    let text = format!(
        "{sign}৳{}.{:02}",
        group_lakh(magnitude / 100),
        magnitude % 100
    );
    match lang {
        Lang::En => text,
        Lang::Bn => bengali_digits(&text),
    }
}

/// An amount in words, as printed under an invoice's total:
/// `Taka One Lakh Twenty-Three Thousand Four Hundred Fifty-Six and Fifty Poisha Only`,
/// `এক লক্ষ তেইশ হাজার চারশত ছাপ্পান্ন টাকা পঞ্চাশ পয়সা মাত্র`; zero is `Taka Zero Only` /
/// `শূন্য টাকা মাত্র`; a negative amount starts with `Minus` / `ঋণাত্মক`.
pub fn taka_in_words(poisha: i64, lang: Lang) -> String {
    let magnitude = poisha.unsigned_abs();
    let (taka, paisa) = (magnitude / 100, magnitude % 100);
    let negative = poisha < 0;
    match lang {
        Lang::En => {
            let mut text = String::new();
            if negative {
                text.push_str("Minus ");
            }
            text.push_str("Taka ");
            text.push_str(&number_in_words(taka, Lang::En));
            if paisa != 0 {
                text.push_str(" and ");
                text.push_str(&number_in_words(paisa, Lang::En));
                text.push_str(" Poisha");
            }
            text.push_str(" Only");
            text
        }
        Lang::Bn => {
            let mut text = String::new();
            if negative {
                text.push_str("ঋণাত্মক ");
            }
            text.push_str(&number_in_words(taka, Lang::Bn));
            text.push_str(" টাকা");
            if paisa != 0 {
                text.push(' ');
                text.push_str(&number_in_words(paisa, Lang::Bn));
                text.push_str(" পয়সা");
            }
            text.push_str(" মাত্র");
            text
        }
    }
}

/// A whole number in words, South-Asian style: crore (10^7), lakh (10^5), thousand, hundred.
/// Crores beyond 99 are counted in the same words (`One Thousand Crore`).
pub fn number_in_words(n: u64, lang: Lang) -> String {
    if n == 0 {
        return below_hundred(0, lang);
    }
    let (crore, lakh, thousand, rest) = (
        n / 10_000_000,
        n / 100_000 % 100,
        n / 1_000 % 100,
        n % 1_000,
    );
    let (crore_word, lakh_word, thousand_word) = match lang {
        Lang::En => ("Crore", "Lakh", "Thousand"),
        Lang::Bn => ("কোটি", "লক্ষ", "হাজার"),
    };
    let mut parts = Vec::new();
    if crore > 0 {
        parts.push(format!("{} {crore_word}", number_in_words(crore, lang)));
    }
    if lakh > 0 {
        parts.push(format!("{} {lakh_word}", below_hundred(lakh, lang)));
    }
    if thousand > 0 {
        parts.push(format!("{} {thousand_word}", below_hundred(thousand, lang)));
    }
    if rest > 0 {
        parts.push(below_thousand(rest, lang));
    }
    parts.join(" ")
}

/// 1 to 999.
fn below_thousand(n: u64, lang: Lang) -> String {
    let (hundreds, rest) = (n / 100, n % 100);
    let mut text = String::new();
    if hundreds > 0 {
        text.push_str(&below_hundred(hundreds, lang));
        text.push_str(match lang {
            Lang::En => " Hundred",
            Lang::Bn => "শত", // one word: চারশত
        });
    }
    if rest > 0 {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&below_hundred(rest, lang));
    }
    text
}

/// 0 to 99 (a number from `n % 100` or `n / 100 % 100`): English is built from ones and tens
/// (`Twenty-One`), Bangla read from its table.
fn below_hundred(n: u64, lang: Lang) -> String {
    let n = n as usize % 100;
    match lang {
        Lang::En if n < 20 => ONES[n].to_owned(),
        Lang::En if n % 10 == 0 => TENS[n / 10].to_owned(),
        Lang::En => format!("{}-{}", TENS[n / 10], ONES[n % 10]),
        Lang::Bn => BANGLA[n].to_owned(),
    }
}

const ONES: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];

const TENS: [&str; 10] = [
    "", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety",
];

/// Bangla 0–99.
const BANGLA: [&str; 100] = [
    "শূন্য",
    "এক",
    "দুই",
    "তিন",
    "চার",
    "পাঁচ",
    "ছয়",
    "সাত",
    "আট",
    "নয়",
    "দশ",
    "এগারো",
    "বারো",
    "তেরো",
    "চৌদ্দ",
    "পনেরো",
    "ষোলো",
    "সতেরো",
    "আঠারো",
    "উনিশ",
    "বিশ",
    "একুশ",
    "বাইশ",
    "তেইশ",
    "চব্বিশ",
    "পঁচিশ",
    "ছাব্বিশ",
    "সাতাশ",
    "আটাশ",
    "ঊনত্রিশ",
    "ত্রিশ",
    "একত্রিশ",
    "বত্রিশ",
    "তেত্রিশ",
    "চৌত্রিশ",
    "পঁয়ত্রিশ",
    "ছত্রিশ",
    "সাঁইত্রিশ",
    "আটত্রিশ",
    "ঊনচল্লিশ",
    "চল্লিশ",
    "একচল্লিশ",
    "বিয়াল্লিশ",
    "তেতাল্লিশ",
    "চুয়াল্লিশ",
    "পঁয়তাল্লিশ",
    "ছেচল্লিশ",
    "সাতচল্লিশ",
    "আটচল্লিশ",
    "ঊনপঞ্চাশ",
    "পঞ্চাশ",
    "একান্ন",
    "বায়ান্ন",
    "তিপ্পান্ন",
    "চুয়ান্ন",
    "পঞ্চান্ন",
    "ছাপ্পান্ন",
    "সাতান্ন",
    "আটান্ন",
    "ঊনষাট",
    "ষাট",
    "একষট্টি",
    "বাষট্টি",
    "তেষট্টি",
    "চৌষট্টি",
    "পঁয়ষট্টি",
    "ছেষট্টি",
    "সাতষট্টি",
    "আটষট্টি",
    "ঊনসত্তর",
    "সত্তর",
    "একাত্তর",
    "বাহাত্তর",
    "তিয়াত্তর",
    "চুয়াত্তর",
    "পঁচাত্তর",
    "ছিয়াত্তর",
    "সাতাত্তর",
    "আটাত্তর",
    "ঊনআশি",
    "আশি",
    "একাশি",
    "বিরাশি",
    "তিরাশি",
    "চুরাশি",
    "পঁচাশি",
    "ছিয়াশি",
    "সাতাশি",
    "আটাশি",
    "ঊননব্বই",
    "নব্বই",
    "একানব্বই",
    "বিরানব্বই",
    "তিরানব্বই",
    "চুরানব্বই",
    "পঁচানব্বই",
    "ছিয়ানব্বই",
    "সাতানব্বই",
    "আটানব্বই",
    "নিরানব্বই",
];

#[cfg(test)]
// Amounts here are grouped the way the tests expect them printed: lakh and crore.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::*;

    #[test]
    fn lakh_grouping() {
        let cases = [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1_000, "1,000"),
            (12_345, "12,345"),
            (1_00_000, "1,00,000"),
            (12_34_567, "12,34,567"),
            (1_00_00_000, "1,00,00,000"),
            (12_34_56_789, "12,34,56,789"),
            (u64::MAX, "1,84,46,74,40,73,70,95,51,615"),
        ];
        for (n, expected) in cases {
            assert_eq!(group_lakh(n), expected);
        }
    }

    #[test]
    fn figures_have_the_taka_sign_and_two_decimals() {
        let cases = [
            (12_345_650, "৳1,23,456.50", "৳১,২৩,৪৫৬.৫০"),
            (0, "৳0.00", "৳০.০০"),
            (5, "৳0.05", "৳০.০৫"),
            (100_000, "৳1,000.00", "৳১,০০০.০০"),
            (-48_387, "-৳483.87", "-৳৪৮৩.৮৭"),
            (
                i64::MIN,
                "-৳92,23,37,20,36,85,47,758.08",
                "-৳৯২,২৩,৩৭,২০,৩৬,৮৫,৪৭,৭৫৮.০৮",
            ),
        ];
        for (poisha, en, bn) in cases {
            assert_eq!(taka_figures(poisha, Lang::En), en);
            assert_eq!(taka_figures(poisha, Lang::Bn), bn);
        }
        assert_eq!(bengali_digits("INV-2026-27"), "INV-২০২৬-২৭");
    }

    #[test]
    fn english_words() {
        let cases = [
            (0, "Taka Zero Only"),
            (100, "Taka One Only"),
            (1_900, "Taka Nineteen Only"),
            (2_000, "Taka Twenty Only"),
            (2_100, "Taka Twenty-One Only"),
            (9_900, "Taka Ninety-Nine Only"),
            (10_000, "Taka One Hundred Only"),
            (10_100, "Taka One Hundred One Only"),
            (11_900, "Taka One Hundred Nineteen Only"),
            (100_000, "Taka One Thousand Only"),
            (1_00_000_00, "Taka One Lakh Only"),
            (1_00_00_000_00, "Taka One Crore Only"),
            (
                12_345_650,
                "Taka One Lakh Twenty-Three Thousand Four Hundred Fifty-Six and Fifty Poisha Only",
            ),
            (
                12_34_56_789_99,
                "Taka Twelve Crore Thirty-Four Lakh Fifty-Six Thousand Seven Hundred \
                 Eighty-Nine and Ninety-Nine Poisha Only",
            ),
            (50, "Taka Zero and Fifty Poisha Only"),
            (1, "Taka Zero and One Poisha Only"),
            (
                48_387,
                "Taka Four Hundred Eighty-Three and Eighty-Seven Poisha Only",
            ),
            (1_00_100_00, "Taka One Lakh One Hundred Only"),
            (1_000_00_00_000_00, "Taka One Thousand Crore Only"),
            (-10_000, "Minus Taka One Hundred Only"),
            (
                i64::MAX,
                "Taka Nine Hundred Twenty-Two Crore Thirty-Three Lakh Seventy-Two Thousand \
                 Thirty-Six Crore Eighty-Five Lakh Forty-Seven Thousand Seven Hundred Fifty-Eight \
                 and Seven Poisha Only",
            ),
        ];
        for (poisha, expected) in cases {
            assert_eq!(taka_in_words(poisha, Lang::En), expected, "{poisha}");
        }
        assert!(taka_in_words(i64::MIN, Lang::En).starts_with("Minus Taka Nine Hundred"));
    }

    #[test]
    fn bangla_words() {
        let cases = [
            (0, "শূন্য টাকা মাত্র"),
            (100, "এক টাকা মাত্র"),
            (1_900, "উনিশ টাকা মাত্র"),
            (2_000, "বিশ টাকা মাত্র"),
            (2_100, "একুশ টাকা মাত্র"),
            (9_900, "নিরানব্বই টাকা মাত্র"),
            (10_000, "একশত টাকা মাত্র"),
            (10_100, "একশত এক টাকা মাত্র"),
            (100_000, "এক হাজার টাকা মাত্র"),
            (1_00_000_00, "এক লক্ষ টাকা মাত্র"),
            (1_00_00_000_00, "এক কোটি টাকা মাত্র"),
            (12_345_650, "এক লক্ষ তেইশ হাজার চারশত ছাপ্পান্ন টাকা পঞ্চাশ পয়সা মাত্র"),
            (
                12_34_56_789_99,
                "বারো কোটি চৌত্রিশ লক্ষ ছাপ্পান্ন হাজার সাতশত ঊননব্বই টাকা নিরানব্বই পয়সা মাত্র",
            ),
            (50, "শূন্য টাকা পঞ্চাশ পয়সা মাত্র"),
            (4_900, "ঊনপঞ্চাশ টাকা মাত্র"),
            (99_900, "নয়শত নিরানব্বই টাকা মাত্র"),
            (1_000_00_00_000_00, "এক হাজার কোটি টাকা মাত্র"),
            (-50_000, "ঋণাত্মক পাঁচশত টাকা মাত্র"),
        ];
        for (poisha, expected) in cases {
            assert_eq!(taka_in_words(poisha, Lang::Bn), expected, "{poisha}");
        }
    }

    #[test]
    fn the_bangla_table_is_complete_and_checked_by_hand() {
        // Spot checks across every decade, including each irregular "one short of" form.
        let checks = [
            (0, "শূন্য"),
            (1, "এক"),
            (6, "ছয়"),
            (9, "নয়"),
            (11, "এগারো"),
            (14, "চৌদ্দ"),
            (16, "ষোলো"),
            (19, "উনিশ"),
            (20, "বিশ"),
            (21, "একুশ"),
            (25, "পঁচিশ"),
            (28, "আটাশ"),
            (29, "ঊনত্রিশ"),
            (35, "পঁয়ত্রিশ"),
            (37, "সাঁইত্রিশ"),
            (39, "ঊনচল্লিশ"),
            (42, "বিয়াল্লিশ"),
            (46, "ছেচল্লিশ"),
            (49, "ঊনপঞ্চাশ"),
            (52, "বায়ান্ন"),
            (53, "তিপ্পান্ন"),
            (56, "ছাপ্পান্ন"),
            (59, "ঊনষাট"),
            (62, "বাষট্টি"),
            (66, "ছেষট্টি"),
            (69, "ঊনসত্তর"),
            (73, "তিয়াত্তর"),
            (76, "ছিয়াত্তর"),
            (79, "ঊনআশি"),
            (82, "বিরাশি"),
            (86, "ছিয়াশি"),
            (89, "ঊননব্বই"),
            (92, "বিরানব্বই"),
            (96, "ছিয়ানব্বই"),
            (99, "নিরানব্বই"),
        ];
        for (n, word) in checks {
            assert_eq!(BANGLA[n], word, "{n}");
        }
        let distinct: std::collections::HashSet<&str> = BANGLA.iter().copied().collect();
        assert_eq!(distinct.len(), 100, "no word is repeated");
        // The decades and the "one short of" numbers follow their pattern.
        let decades = [
            "দশ",
            "বিশ",
            "ত্রিশ",
            "চল্লিশ",
            "পঞ্চাশ",
            "ষাট",
            "সত্তর",
            "আশি",
            "নব্বই",
        ];
        for (i, decade) in decades.iter().enumerate() {
            assert_eq!(BANGLA[(i + 1) * 10], *decade);
        }
        for n in [29, 39, 49, 59, 69, 79, 89] {
            assert!(BANGLA[n].starts_with('ঊ'), "{n}");
            assert!(
                BANGLA[n].ends_with(BANGLA[n + 1]),
                "{n} is one short of {}",
                n + 1
            );
        }
        // NFC: no precomposed ড়, ঢ়, য় (U+09DC, U+09DD, U+09DF), which NFC never uses.
        let all = BANGLA.concat() + "পয়সা" + "ঋণাত্মক";
        assert!(!all.contains(['\u{09DC}', '\u{09DD}', '\u{09DF}']));
    }
}
