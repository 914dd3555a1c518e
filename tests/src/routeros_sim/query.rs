//! The `print` query language (reference §1.6): query words evaluated per item on a stack of
//! booleans that starts as infinitely many `true`; an item is printed when no `false` remains.
//!
//! Choices where the manual is silent:
//! - A property the item lacks counts as empty for `?name=x` (so `?comment=` matches items
//!   without a comment) but makes `?<name=x` and `?>name=x` false.
//! - `<`/`>` compare numerically when both sides are decimal integers, or both are `.id`s
//!   (`*` + hex); otherwise bytewise.
//! - Unknown characters in a `?#` operation string are ignored.

use std::cmp::Ordering;

use super::state::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Word {
    Has(String),
    Lacks(String),
    Equals(String, Vec<u8>),
    Less(String, Vec<u8>),
    Greater(String, Vec<u8>),
    Ops(Vec<Op>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Push a copy of the value at this depth (top = 0).
    PushCopy(usize),
    /// Replace the whole stack with the value at this depth.
    ReplaceAll(usize),
    Not,
    And,
    Or,
    DupTop,
}

/// A parsed sequence of query words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query {
    words: Vec<Word>,
}

impl Query {
    /// Parses query words given without their leading `?`.
    pub(crate) fn parse(words: &[Vec<u8>]) -> Query {
        Query {
            words: words.iter().map(|w| parse_word(w)).collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub(crate) fn matches(&self, row: &Row) -> bool {
        let mut stack = Stack::default();
        for word in &self.words {
            match word {
                Word::Has(name) => stack.push(lookup(row, name).is_some()),
                Word::Lacks(name) => stack.push(lookup(row, name).is_none()),
                Word::Equals(name, value) => {
                    stack.push(lookup(row, name).unwrap_or_default() == value.as_slice());
                }
                Word::Less(name, value) => stack
                    .push(lookup(row, name).is_some_and(|v| compare(v, value) == Ordering::Less)),
                Word::Greater(name, value) => stack.push(
                    lookup(row, name).is_some_and(|v| compare(v, value) == Ordering::Greater),
                ),
                Word::Ops(ops) => ops.iter().for_each(|op| stack.apply(*op)),
            }
        }
        stack.all_true()
    }
}

fn lookup<'r>(row: &'r Row, name: &str) -> Option<&'r [u8]> {
    row.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

fn split_name_value(rest: &[u8]) -> (String, Vec<u8>) {
    match rest.iter().position(|&b| b == b'=') {
        Some(i) => (
            String::from_utf8_lossy(&rest[..i]).into_owned(),
            rest[i + 1..].to_vec(),
        ),
        None => (String::from_utf8_lossy(rest).into_owned(), Vec::new()),
    }
}

fn parse_word(word: &[u8]) -> Word {
    match word.split_first() {
        Some((b'#', ops)) => Word::Ops(parse_ops(ops)),
        Some((b'-', name)) => Word::Lacks(String::from_utf8_lossy(name).into_owned()),
        Some((b'=', rest)) => {
            let (name, value) = split_name_value(rest);
            Word::Equals(name, value)
        }
        Some((b'<', rest)) => {
            let (name, value) = split_name_value(rest);
            Word::Less(name, value)
        }
        Some((b'>', rest)) => {
            let (name, value) = split_name_value(rest);
            Word::Greater(name, value)
        }
        _ if word.contains(&b'=') => {
            let (name, value) = split_name_value(word);
            Word::Equals(name, value)
        }
        _ => Word::Has(String::from_utf8_lossy(word).into_owned()),
    }
}

fn parse_ops(ops: &[u8]) -> Vec<Op> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut after_index = false;
    while i < ops.len() {
        if ops[i].is_ascii_digit() {
            let start = i;
            while i < ops.len() && ops[i].is_ascii_digit() {
                i += 1;
            }
            // Digits only, so the text is ASCII; an absurd index just reaches the infinite base.
            let index = std::str::from_utf8(&ops[start..i])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(usize::MAX);
            out.push(if i == ops.len() {
                Op::ReplaceAll(index)
            } else {
                Op::PushCopy(index)
            });
            after_index = true;
            continue;
        }
        match ops[i] {
            b'!' => out.push(Op::Not),
            b'&' => out.push(Op::And),
            b'|' => out.push(Op::Or),
            b'.' if !after_index => out.push(Op::DupTop),
            _ => {}
        }
        after_index = false;
        i += 1;
    }
    out
}

/// Numbers as numbers, `.id`s as numbers, anything else byte by byte.
fn compare(a: &[u8], b: &[u8]) -> Ordering {
    fn decimal(v: &[u8]) -> Option<i64> {
        std::str::from_utf8(v).ok()?.parse().ok()
    }
    fn id(v: &[u8]) -> Option<u64> {
        u64::from_str_radix(std::str::from_utf8(v.strip_prefix(b"*")?).ok()?, 16).ok()
    }
    if let (Some(x), Some(y)) = (decimal(a), decimal(b)) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (id(a), id(b)) {
        return x.cmp(&y);
    }
    a.cmp(b)
}

/// Finite values on top of an infinite run of `base`.
struct Stack {
    values: Vec<bool>,
    base: bool,
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            values: Vec::new(),
            base: true,
        }
    }
}

impl Stack {
    fn push(&mut self, v: bool) {
        self.values.push(v);
    }

    fn pop(&mut self) -> bool {
        self.values.pop().unwrap_or(self.base)
    }

    fn at(&self, depth: usize) -> bool {
        let len = self.values.len();
        if depth < len {
            self.values[len - 1 - depth]
        } else {
            self.base
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::PushCopy(depth) => self.push(self.at(depth)),
            Op::ReplaceAll(depth) => {
                self.base = self.at(depth);
                self.values.clear();
            }
            Op::Not => {
                let v = self.pop();
                self.push(!v);
            }
            Op::And => {
                let (a, b) = (self.pop(), self.pop());
                self.push(a && b);
            }
            Op::Or => {
                let (a, b) = (self.pop(), self.pop());
                self.push(a || b);
            }
            Op::DupTop => self.push(self.at(0)),
        }
    }

    fn all_true(&self) -> bool {
        self.base && self.values.iter().all(|&v| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect()
    }

    fn q(words: &[&str]) -> Query {
        let words: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        Query::parse(&words)
    }

    #[test]
    fn simple_words() {
        let r = row(&[(".id", "*1A"), ("name", "alice"), ("limit", "100")]);
        assert!(q(&[]).matches(&r));
        assert!(q(&["name"]).matches(&r));
        assert!(!q(&["-name"]).matches(&r));
        assert!(q(&["-comment"]).matches(&r));
        assert!(q(&["name=alice"]).matches(&r));
        assert!(q(&["=name=alice"]).matches(&r));
        assert!(!q(&["name=bob"]).matches(&r));
        assert!(q(&["comment="]).matches(&r), "absent counts as empty for =");
        assert!(q(&["<limit=99999"]).matches(&r), "numeric, not bytewise");
        assert!(q(&[">limit=99"]).matches(&r));
        assert!(!q(&[">comment="]).matches(&r), "absent is not greater");
        assert!(q(&[">.id=*9"]).matches(&r), "ids compare as numbers");
        assert!(q(&["<name=bob"]).matches(&r));
    }

    #[test]
    fn manual_examples_with_operations() {
        let ether = row(&[("type", "ether")]);
        let vlan = row(&[("type", "vlan")]);
        let ppp = row(&[("type", "pppoe-in")]);
        let either = q(&["type=ether", "type=vlan", "#|"]);
        assert!(either.matches(&ether) && either.matches(&vlan) && !either.matches(&ppp));
        let neither = q(&["type=ether", "type=vlan", "#|!"]);
        assert!(!neither.matches(&ether) && !neither.matches(&vlan) && neither.matches(&ppp));
        // librouteros `!=`: ?=k=v ?#!
        assert!(q(&["=type=vlan", "#!"]).matches(&ether));
        // librouteros In(): ?=k=x ?=k=y ?=k=z ?#| ?#|
        let any_of = q(&["=type=a", "=type=vlan", "=type=c", "#|", "#|"]);
        assert!(any_of.matches(&vlan) && !any_of.matches(&ether));
    }

    #[test]
    fn index_and_dot_rules() {
        let r = row(&[("a", "1")]);
        // false true, then "1" at the end replaces everything with the value at depth 1 (false).
        assert!(!q(&["a=2", "a=1", "#1"]).matches(&r));
        // "0" at the end replaces everything with the top (true): the earlier false is gone.
        assert!(q(&["a=2", "a=1", "#0"]).matches(&r));
        // "1." pushes a copy of depth 1 (false); "." right after an index does nothing.
        assert!(!q(&["a=2", "a=1", "#1."]).matches(&r));
        // "!." negates the top then pushes a copy of it: two falses.
        assert!(!q(&["a=1", "#!."]).matches(&r));
        // Popping below the pushed values reaches the infinite trues.
        assert!(q(&["#&&&|"]).matches(&r));
    }
}
