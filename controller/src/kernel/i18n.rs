//! Bangla and English. Every string the UI shows comes from a catalogue: each domain lists its
//! messages (`CATALOGUE` in its `mod.rs`), each entry carries both languages (so a missing
//! translation cannot compile), and [`tr!`](crate::tr) refuses a key no catalogue has.
//!
//! Numbers use South Asian grouping (12,34,567) in both languages, Bangla digits in Bangla;
//! money is integer poisha shown as ৳.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Bn,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Bn => "bn",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "bn" => Some(Lang::Bn),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Bn,
            Lang::Bn => Lang::En,
        }
    }
}

/// One message: (key, English, Bangla). Each domain keeps its own list (`CATALOGUE` in its
/// `mod.rs`); [`crate::DOMAINS`] joins them.
pub type Message = (&'static str, &'static str, &'static str);

fn index() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static INDEX: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        crate::DOMAINS
            .iter()
            .flat_map(|d| d.catalogue)
            .map(|(key, en, bn)| (*key, (*en, *bn)))
            .collect()
    })
}

/// The text for `key` when the catalogue has it (e.g. `role.<name>` for seeded roles only).
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    index().get(key).map(|(en, bn)| match lang {
        Lang::En => *en,
        Lang::Bn => *bn,
    })
}

/// A role's display name: translated for seeded roles, as named for a company's own roles.
pub fn role_name(lang: Lang, role: &str) -> String {
    lookup(lang, &format!("role.{role}")).map_or_else(|| role.to_owned(), str::to_owned)
}

/// The text for a key computed at run time (a field error's code). Literal keys go through
/// [`tr!`](crate::tr), which refuses to compile a missing one. A missing key is a bug: debug
/// builds (and so every test) panic; a release build logs it and shows the key.
pub fn t(lang: Lang, key: &str) -> &'static str {
    match lookup(lang, key) {
        Some(text) => text,
        None => {
            debug_assert!(false, "message {key:?} is in no catalogue");
            tracing::error!(key, "message missing from the catalogue");
            "(missing text)"
        }
    }
}

/// Whether `key` is in some domain's catalogue, at compile time: what [`tr!`](crate::tr) checks.
pub const fn known(key: &'static str) -> &'static str {
    let mut d = 0;
    while d < crate::DOMAINS.len() {
        let catalogue = crate::DOMAINS[d].catalogue;
        let mut i = 0;
        while i < catalogue.len() {
            if const_eq(catalogue[i].0, key) {
                return key;
            }
            i += 1;
        }
        d += 1;
    }
    panic!("this message key is in no domain's CATALOGUE")
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `tr!(lang, "key")`: the message in `lang`; a key missing from every catalogue does not
/// compile.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $key:literal) => {{
        const KEY: &str = $crate::kernel::i18n::known($key);
        $crate::kernel::i18n::t($lang, KEY)
    }};
}

/// A rate in basis points as a percentage: 500 → "5%", 750 → "7.5%", 1025 → "10.25%".
pub fn percent(bp: impl Into<i64>) -> String {
    let bp = bp.into();
    let (whole, frac) = (bp / 100, (bp % 100).abs());
    match frac {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

/// Groups digits the South Asian way: last three, then pairs (12,34,567).
pub fn group_lakh(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let (head, last3) = digits.split_at(digits.len().saturating_sub(3));
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (a, b) = rest.split_at(rest.len() - 2);
        groups.push(b);
        rest = a;
    }
    if !rest.is_empty() {
        groups.push(rest);
    }
    groups.reverse();
    groups.push(last3);
    let text = groups.join(",");
    match lang {
        Lang::En => text,
        Lang::Bn => text.chars().map(bangla_digit).collect(),
    }
}

fn bangla_digit(c: char) -> char {
    match c.to_digit(10) {
        Some(d) => char::from_u32(0x09E6 + d).unwrap_or(c),
        None => c,
    }
}

/// Money as taka: `৳12,34,567.50`.
pub fn taka(amount: super::money::Poisha, lang: Lang) -> String {
    let sign = if amount.0 < 0 { "-" } else { "" };
    let abs = amount.0.unsigned_abs();
    let paisa = format!("{:02}", abs % 100);
    let paisa: String = match lang {
        Lang::En => paisa,
        Lang::Bn => paisa.chars().map(bangla_digit).collect(),
    };
    format!("{sign}৳{}.{paisa}", group_lakh(abs / 100, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::money::Poisha;

    #[test]
    fn catalogue_keys_are_unique_and_translated() {
        let catalogue: Vec<&Message> = crate::DOMAINS.iter().flat_map(|d| d.catalogue).collect();
        let mut keys: Vec<&str> = catalogue.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        for (key, en, bn) in catalogue {
            assert!(!en.is_empty() && !bn.is_empty(), "{key}");
        }
    }

    #[test]
    fn basis_points_read_as_percentages() {
        let cases = [
            (0, "0%"),
            (500, "5%"),
            (750, "7.5%"),
            (1025, "10.25%"),
            (1505, "15.05%"),
            (10_000, "100%"),
        ];
        for (bp, text) in cases {
            assert_eq!(percent(bp), text, "{bp}");
        }
    }

    #[test]
    fn lakh_and_crore_grouping() {
        assert_eq!(group_lakh(0, Lang::En), "0");
        assert_eq!(group_lakh(999, Lang::En), "999");
        assert_eq!(group_lakh(1000, Lang::En), "1,000");
        assert_eq!(group_lakh(100_000, Lang::En), "1,00,000");
        assert_eq!(group_lakh(1_234_567, Lang::En), "12,34,567");
        assert_eq!(group_lakh(123_456_789, Lang::En), "12,34,56,789");
        assert_eq!(group_lakh(1_234_567, Lang::Bn), "১২,৩৪,৫৬৭");
        assert_eq!(taka(Poisha(123_456_750), Lang::En), "৳12,34,567.50");
        assert_eq!(taka(Poisha(-5), Lang::En), "-৳0.05");
        assert_eq!(taka(Poisha(150_000), Lang::Bn), "৳১,৫০০.০০");
    }

    /// Keys the code passes at run time (field error codes, form labels, navigation labels)
    /// are in the catalogue: literal `tr!` keys are checked by the compiler, these by reading
    /// the source, whitespace and line breaks ignored, so a call rustfmt split over lines counts.
    #[test]
    fn every_key_named_in_the_source_exists() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(path).unwrap();
                    out.push(text.chars().filter(|c| !c.is_whitespace()).collect());
                }
            }
        }
        /// The string literals that follow `at`, separated by commas, as long as they are
        /// literals.
        fn literals(rest: &str) -> Vec<&str> {
            let mut out = Vec::new();
            let mut rest = rest;
            while let Some(body) = rest.strip_prefix('"') {
                let Some(end) = body.find('"') else { break };
                out.push(&body[..end]);
                rest = body[end + 1..].strip_prefix(',').unwrap_or("");
            }
            out
        }
        /// What a catalogue key looks like: `area.name`, lowercase.
        fn is_key(text: &str) -> bool {
            text.contains('.')
                && text.starts_with(|c: char| c.is_ascii_lowercase())
                && text.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                })
        }
        let mut sources = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut sources,
        );
        // (what precedes the literals, which literal is the key; `usize::MAX - 1`: the last
        // literal before the call's closing parenthesis)
        const LAST: usize = usize::MAX - 1;
        let patterns: [(&str, usize); 8] = [
            (".fail(", LAST),
            ("FieldError::new(", LAST),
            ("Error::field(", LAST),
            ("field(lang,", 2),
            ("select(lang,", 2),
            ("label:", 0),
            ("Err(\"password.", usize::MAX),
            ("t(lang,", 0),
        ];
        let mut used = Vec::new();
        for source in &sources {
            for (pattern, index) in patterns {
                for (at, _) in source.match_indices(pattern) {
                    let rest = &source[at + pattern.len()..];
                    if index == usize::MAX {
                        let key = rest.split('"').next().unwrap_or_default();
                        used.push(format!("password.{key}"));
                    } else if index == LAST {
                        let call = rest.split(')').next().unwrap_or_default();
                        if let Some(key) = call.rsplit('"').nth(1).filter(|k| is_key(k)) {
                            used.push(key.to_owned());
                        }
                    } else if let Some(key) = literals(rest).get(index).filter(|k| is_key(k)) {
                        used.push((*key).to_owned());
                    }
                }
            }
        }
        // The scan itself works: it finds keys of each kind, including split ones.
        for known in [
            "users.role_above_yours",
            "plans.rate_too_high",
            "fleet.pop",
            "nav.fleet",
            "password.too_short",
        ] {
            assert!(used.iter().any(|k| k == known), "the scan missed {known}");
        }
        assert!(
            used.len() > 60,
            "found only {} keys: is the scan broken?",
            used.len()
        );
        for key in &used {
            assert!(
                lookup(Lang::En, key).is_some(),
                "{key} is not in any catalogue"
            );
        }
    }
}
