//! Rates and RouterOS `rate-limit` strings.

use std::fmt;
use std::str::FromStr;

use crate::value::parse_duration_secs;

/// Bits per second. Written and read in RouterOS syntax: a plain number or one with a `k`, `M`
/// or `G` suffix (decimal: `k` = 1000). Display picks the largest exact suffix: `10M`, `1500k`,
/// `64`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rate(pub u64);

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SUFFIXES: [(u64, &str); 3] = [(1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")];
        let bits = self.0;
        match SUFFIXES
            .iter()
            .find(|(unit, _)| bits != 0 && bits % unit == 0)
        {
            Some((unit, suffix)) => write!(f, "{}{suffix}", bits / unit),
            None => write!(f, "{bits}"),
        }
    }
}

impl FromStr for Rate {
    type Err = RateParseError;

    fn from_str(text: &str) -> Result<Rate, RateParseError> {
        let error = |problem: &str| RateParseError::new("rate", text, problem);
        let (digits, unit) = match text.char_indices().last() {
            Some((at, 'k' | 'K')) => (&text[..at], 1_000),
            Some((at, 'M')) => (&text[..at], 1_000_000),
            Some((at, 'G')) => (&text[..at], 1_000_000_000),
            _ => (text, 1),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error("expected a number with an optional k, M or G suffix"));
        }
        let number: u64 = digits.parse().map_err(|_| error("number too large"))?;
        number
            .checked_mul(unit)
            .map(Rate)
            .ok_or_else(|| error("number too large"))
    }
}

/// A RouterOS rate limit, in the subscriber's terms (`upload`, `download`).
///
/// RouterOS writes it from the router's point of view, `rx/tx`, where rx (what the router
/// receives) is the subscriber's upload and tx is the subscriber's download. The full syntax is
/// `rx-rate[/tx-rate] [rx-burst-rate[/tx-burst-rate] [rx-burst-threshold[/tx-burst-threshold]
/// [rx-burst-time[/tx-burst-time] [priority] [rx-rate-min[/tx-rate-min]]]]]`.
///
/// The fields are positional, so a later one forces the earlier ones to be written: without a
/// burst, `0/0 0/0 0/0` is written; without a priority, the router's default `8`. A burst whose
/// two rates are zero is no burst, and reads back as `None`. Every value in canonical form
/// (burst rates not both zero, `min` only with `priority`) round-trips through
/// [`RateLimit::to_routeros`] and [`RateLimit::parse_routeros`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RateLimit {
    pub upload: Rate,
    pub download: Rate,
    pub burst: Option<Burst>,
    /// 1 (highest) to 8 (the router's default).
    pub priority: Option<u8>,
    /// Guaranteed rates (`limit-at`): (upload, download).
    pub min: Option<(Rate, Rate)>,
}

/// Burst: the rate allowed while the average over the burst time stays under the threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Burst {
    pub upload_rate: Rate,
    pub download_rate: Rate,
    pub upload_threshold: Rate,
    pub download_threshold: Rate,
    pub upload_time_secs: u32,
    pub download_time_secs: u32,
}

/// The router's priority when none is given.
const DEFAULT_PRIORITY: u8 = 8;
/// The router's burst time when a burst rate is given without one.
const DEFAULT_BURST_TIME_SECS: u32 = 1;

impl RateLimit {
    /// The RouterOS text, e.g. `5M/10M` for 5 Mbit/s up and 10 Mbit/s down.
    pub fn to_routeros(&self) -> String {
        let mut text = format!("{}/{}", self.upload, self.download);
        if self.burst.is_none() && self.priority.is_none() && self.min.is_none() {
            return text;
        }
        let burst = self.burst.unwrap_or_default();
        text += &format!(
            " {}/{} {}/{} {}/{}",
            burst.upload_rate,
            burst.download_rate,
            burst.upload_threshold,
            burst.download_threshold,
            burst.upload_time_secs,
            burst.download_time_secs
        );
        if self.priority.is_none() && self.min.is_none() {
            return text;
        }
        text += &format!(" {}", self.priority.unwrap_or(DEFAULT_PRIORITY));
        if let Some((upload, download)) = self.min {
            text += &format!(" {upload}/{download}");
        }
        text
    }

    /// Reads a rate limit as the router echoes it: a single rate applies to both directions,
    /// burst times may carry units (`16`, `16s`, `1m`), rates may be plain bits (`5000000`).
    pub fn parse_routeros(text: &str) -> Result<RateLimit, RateParseError> {
        let error = |problem: &str| RateParseError::new("rate-limit", text, problem);
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() > 6 {
            return Err(error("more than 6 fields"));
        }
        let rates = |index: usize| -> Result<Option<(Rate, Rate)>, RateParseError> {
            fields
                .get(index)
                .map(|field| pair(field, str::parse::<Rate>))
                .transpose()
        };
        let (upload, download) = rates(0)?.ok_or_else(|| error("empty"))?;
        let burst = match rates(1)? {
            Some((upload_rate, download_rate)) if upload_rate.0 != 0 || download_rate.0 != 0 => {
                let (upload_threshold, download_threshold) = rates(2)?.unwrap_or_default();
                let (upload_time_secs, download_time_secs) = match fields.get(3) {
                    Some(field) => pair(field, |time| {
                        parse_duration_secs(time)
                            .and_then(|secs| u32::try_from(secs).ok())
                            .ok_or_else(|| error("invalid burst time"))
                    })?,
                    None => (DEFAULT_BURST_TIME_SECS, DEFAULT_BURST_TIME_SECS),
                };
                Some(Burst {
                    upload_rate,
                    download_rate,
                    upload_threshold,
                    download_threshold,
                    upload_time_secs,
                    download_time_secs,
                })
            }
            _ => None,
        };
        let priority = match fields.get(4) {
            Some(field) => match field.parse::<u8>() {
                Ok(priority @ 1..=8) => Some(priority),
                _ => return Err(error("priority must be 1 to 8")),
            },
            None => None,
        };
        Ok(RateLimit {
            upload,
            download,
            burst,
            priority,
            min: rates(5)?,
        })
    }

    /// Whether two limits shape traffic the same way: an absent priority is the router's
    /// default and an absent guaranteed rate is zero.
    pub(crate) fn same_effect(&self, other: &RateLimit) -> bool {
        let effective = |limit: &RateLimit| RateLimit {
            priority: Some(limit.priority.unwrap_or(DEFAULT_PRIORITY)),
            min: Some(limit.min.unwrap_or_default()),
            ..*limit
        };
        effective(self) == effective(other)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_routeros())
    }
}

impl FromStr for RateLimit {
    type Err = RateParseError;

    fn from_str(text: &str) -> Result<RateLimit, RateParseError> {
        RateLimit::parse_routeros(text)
    }
}

/// Parses `a/b`, or `a` meaning the same value for both directions.
fn pair<T: Copy, E>(field: &str, parse: impl Fn(&str) -> Result<T, E>) -> Result<(T, T), E> {
    match field.split_once('/') {
        Some((first, second)) => Ok((parse(first)?, parse(second)?)),
        None => parse(field).map(|both| (both, both)),
    }
}

/// A rate or rate-limit text the router would not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateParseError {
    what: &'static str,
    input: String,
    problem: String,
}

impl RateParseError {
    fn new(what: &'static str, input: &str, problem: &str) -> RateParseError {
        RateParseError {
            what,
            input: input.to_owned(),
            problem: problem.to_owned(),
        }
    }
}

impl fmt::Display for RateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?}: {}",
            self.what, self.input, self.problem
        )
    }
}

impl std::error::Error for RateParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(text: &str) -> RateLimit {
        RateLimit::parse_routeros(text).unwrap()
    }

    #[test]
    fn rates_use_the_largest_exact_suffix() {
        let shown: Vec<String> = [0, 64, 1_500_000, 10_000_000, 2_000_000_000]
            .map(|b| Rate(b).to_string())
            .into();
        assert_eq!(shown, ["0", "64", "1500k", "10M", "2G"]);
        assert_eq!("512k".parse(), Ok(Rate(512_000)));
        assert_eq!("5000000".parse(), Ok(Rate(5_000_000)));
        assert!("5m".parse::<Rate>().is_err());
        assert!("M".parse::<Rate>().is_err());
        assert!("99999999999999999999".parse::<Rate>().is_err());
    }

    #[test]
    fn rx_is_upload_and_tx_is_download() {
        let parsed = limit("2M/10M");
        assert_eq!(
            (parsed.upload, parsed.download),
            (Rate(2_000_000), Rate(10_000_000))
        );
        assert_eq!(limit("10M"), limit("10M/10M"));
    }

    #[test]
    fn the_full_syntax_reads_and_writes_back() {
        let text = "2M/10M 4M/20M 1500k/8M 16/16 8 1M/5M";
        let parsed = limit(text);
        assert_eq!(
            parsed.burst,
            Some(Burst {
                upload_rate: Rate(4_000_000),
                download_rate: Rate(20_000_000),
                upload_threshold: Rate(1_500_000),
                download_threshold: Rate(8_000_000),
                upload_time_secs: 16,
                download_time_secs: 16,
            })
        );
        assert_eq!(parsed.priority, Some(8));
        assert_eq!(parsed.min, Some((Rate(1_000_000), Rate(5_000_000))));
        assert_eq!(parsed.to_routeros(), text);
        assert_eq!(
            limit("2000000/10000000 4M/20M 1500k/8M 16s/16s 8 1M/5M"),
            parsed
        );
    }

    #[test]
    fn missing_positions_are_written_as_defaults() {
        let min_only = RateLimit {
            min: Some((Rate(1_000), Rate(2_000))),
            ..limit("5M/10M")
        };
        assert_eq!(min_only.to_routeros(), "5M/10M 0/0 0/0 0/0 8 1k/2k");
        assert_eq!(limit("5M/10M 0/0 0/0 0/0 4").burst, None);
        assert!(limit("5M/10M 0/0 0/0 0/0 8 0/0").same_effect(&limit("5M/10M")));
    }

    #[test]
    fn malformed_limits_are_rejected_with_the_reason() {
        let error = RateLimit::parse_routeros("5M/10M 1M/1M 0/0 1/1 9").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid rate-limit \"5M/10M 1M/1M 0/0 1/1 9\": priority must be 1 to 8"
        );
        assert!(RateLimit::parse_routeros("").is_err());
        assert!(RateLimit::parse_routeros("fast").is_err());
        assert!(RateLimit::parse_routeros("1 1 1 1 1 1 1").is_err());
    }
}
