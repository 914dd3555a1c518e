//! Reading property values the way the router means them, so that echo differences (`true` for
//! `yes`, `5000000` for `5M`, `1d00:00:00` for `1d`, `10.0.0.1/32` for `10.0.0.1`) are not
//! mistaken for drift.

use crate::rate::{Rate, RateLimit};

/// How two texts of one property are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Text,
    /// Printed only to API users with the `sensitive` policy: when the router does not print it,
    /// it cannot be compared, and is taken as matching rather than rewritten on every run.
    Sensitive,
    Bool,
    Number,
    Duration,
    Mac,
    /// An address, prefix or comma-separated list of them.
    Addresses,
    RateLimit,
    /// `upload/download`, as in a simple queue's `max-limit`.
    RatePair,
}

/// Whether the router's value means what we want. An absent or empty value is the property's
/// router default.
pub(crate) fn equivalent(
    kind: ValueKind,
    wanted: &str,
    observed: Option<&str>,
    router_default: &str,
) -> bool {
    if kind == ValueKind::Sensitive && observed.is_none() {
        return true;
    }
    let wanted = or_default(wanted, router_default);
    same_meaning(
        kind,
        wanted,
        or_default(observed.unwrap_or_default(), router_default),
    )
}

fn or_default<'a>(text: &'a str, router_default: &'a str) -> &'a str {
    let text = text.trim();
    if text.is_empty() {
        router_default
    } else {
        text
    }
}

fn same_meaning(kind: ValueKind, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match kind {
        ValueKind::Text | ValueKind::Sensitive => false,
        ValueKind::Bool => parse_bool(a).is_some_and(|a| Some(a) == parse_bool(b)),
        ValueKind::Number => a.parse::<u64>().is_ok_and(|a| b.parse() == Ok(a)),
        ValueKind::Duration => {
            parse_duration_secs(a).is_some_and(|a| parse_duration_secs(b) == Some(a))
        }
        ValueKind::Mac => a.eq_ignore_ascii_case(b),
        ValueKind::Addresses => a
            .split(',')
            .map(normalize_address)
            .eq(b.split(',').map(normalize_address)),
        ValueKind::RateLimit => {
            match (RateLimit::parse_routeros(a), RateLimit::parse_routeros(b)) {
                (Ok(a), Ok(b)) => a.same_effect(&b),
                _ => false,
            }
        }
        ValueKind::RatePair => {
            let pair = |text: &str| -> Option<(Rate, Rate)> {
                match text.split_once('/') {
                    Some((up, down)) => Some((up.parse().ok()?, down.parse().ok()?)),
                    None => text.parse().ok().map(|both| (both, both)),
                }
            };
            pair(a).is_some_and(|a| pair(b) == Some(a))
        }
    }
}

/// The router prints `true`/`false` over the API; its console and our writes use `yes`/`no`.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

pub(crate) fn write_bool(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

/// A single address compares equal with or without its host prefix (`/32`, `/128`).
pub(crate) fn normalize_address(text: &str) -> &str {
    let text = text.trim();
    text.strip_suffix("/32")
        .or_else(|| text.strip_suffix("/128"))
        .unwrap_or(text)
}

/// Whether an address or prefix covers every address: any `/0` prefix, or the unspecified
/// address on its own.
pub(crate) fn matches_every_address(text: &str) -> bool {
    let text = text.trim();
    text.ends_with("/0") || text == "0.0.0.0" || text == "::"
}

/// Seconds in a RouterOS duration. Accepts the v7 form (`1w2d3h4m5s`, units in any subset and
/// a bare number meaning seconds), the v6 form (`1w2d03:04:05`, `00:30:00`) and a mix of both.
pub(crate) fn parse_duration_secs(text: &str) -> Option<u64> {
    let text = text.trim();
    let (units, clock) = match text.find(':') {
        // The clock part starts after the last unit letter before the first colon.
        Some(colon) => {
            let start = text[..colon]
                .rfind(|c: char| c.is_ascii_alphabetic())
                .map_or(0, |i| i + 1);
            (&text[..start], Some(text[start..].trim()))
        }
        None => (text, None),
    };
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in units.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(digits.parse::<u64>().ok()?.checked_mul(unit)?)?;
        digits.clear();
    }
    if !digits.is_empty() {
        if clock.is_some() {
            return None;
        }
        total = total.checked_add(digits.parse().ok()?)?;
    }
    if let Some(clock) = clock {
        let parts: Vec<&str> = clock.split(':').collect();
        let [hours, minutes, seconds] = parts.as_slice() else {
            return None;
        };
        let number = |part: &str| part.parse::<u64>().ok();
        let clock_secs = number(hours)? * 3_600 + number(minutes)? * 60 + number(seconds)?;
        total = total.checked_add(clock_secs)?;
    }
    (!text.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_both_syntaxes() {
        assert_eq!(parse_duration_secs("1d"), Some(86_400));
        assert_eq!(parse_duration_secs("1d00:00:00"), Some(86_400));
        assert_eq!(
            parse_duration_secs("1w2d03:04:05"),
            Some(9 * 86_400 + 3 * 3_600 + 4 * 60 + 5)
        );
        assert_eq!(parse_duration_secs("00:30:00"), Some(1_800));
        assert_eq!(parse_duration_secs("1h30m"), Some(5_400));
        assert_eq!(parse_duration_secs("16"), Some(16));
        assert_eq!(parse_duration_secs("0s"), Some(0));
        for bad in ["", "1x", "1:2", "5 days", "12 00:00:00"] {
            assert_eq!(parse_duration_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn absent_empty_and_default_are_the_same() {
        assert!(equivalent(ValueKind::Text, "", None, ""));
        assert!(equivalent(ValueKind::Text, "", Some(""), ""));
        assert!(equivalent(ValueKind::Bool, "", Some("default"), "default"));
        assert!(equivalent(ValueKind::Bool, "no", Some("false"), "no"));
        assert!(equivalent(ValueKind::Bool, "no", None, "no"));
        assert!(!equivalent(ValueKind::Bool, "yes", None, "no"));
        assert!(equivalent(ValueKind::Duration, "", Some("0s"), "0s"));
        assert!(equivalent(
            ValueKind::Mac,
            "aa:bb:cc:dd:ee:ff",
            Some("AA:BB:CC:DD:EE:FF"),
            ""
        ));
    }

    #[test]
    fn echo_forms_match() {
        assert!(equivalent(
            ValueKind::Addresses,
            "10.0.0.1/32,10.0.1.0/24",
            Some("10.0.0.1,10.0.1.0/24"),
            ""
        ));
        assert!(!equivalent(
            ValueKind::Addresses,
            "10.0.0.1",
            Some("10.0.0.2"),
            ""
        ));
        assert!(equivalent(
            ValueKind::RatePair,
            "5M/10M",
            Some("5000000/10000000"),
            ""
        ));
        assert!(equivalent(
            ValueKind::RateLimit,
            "5M/10M",
            Some("5M/10M 0/0 0/0 0/0 8"),
            ""
        ));
        assert!(!equivalent(
            ValueKind::RateLimit,
            "5M/10M",
            Some("10M/5M"),
            ""
        ));
        assert!(equivalent(ValueKind::Sensitive, "secret", None, ""));
        assert!(!equivalent(ValueKind::Sensitive, "secret", Some(""), ""));
    }

    #[test]
    fn every_address_forms() {
        for every in ["0.0.0.0/0", "0.0.0.0", "::/0", "::", "10.0.0.0/0"] {
            assert!(matches_every_address(every), "{every}");
        }
        assert!(!matches_every_address("10.0.0.0/8"));
    }
}
