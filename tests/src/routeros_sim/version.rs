//! RouterOS version profiles: which login methods, reply words and date formats a version has.

use std::fmt;
use std::str::FromStr;

/// A RouterOS version such as `7.18.2` or `6.42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RosVersion {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a RouterOS version (expected X.Y or X.Y.Z): {0:?}")]
pub struct BadVersion(String);

impl RosVersion {
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        RosVersion {
            major,
            minor,
            patch,
        }
    }

    /// 6.43 introduced `/login =name= =password=`.
    pub fn has_plaintext_login(self) -> bool {
        self >= RosVersion::new(6, 43, 0)
    }

    /// 6.45.1 removed the MD5 challenge login.
    pub fn has_challenge_login(self) -> bool {
        self < RosVersion::new(6, 45, 1)
    }

    /// 7.18 answers a command that has no data with `!empty` before `!done`.
    pub fn has_empty_reply(self) -> bool {
        self >= RosVersion::new(7, 18, 0)
    }

    /// 7.10 changed dates from `jun/26/2023 00:32:53` to `2023-06-26 00:32:53`.
    pub fn has_iso_dates(self) -> bool {
        self >= RosVersion::new(7, 10, 0)
    }

    /// v7 names the offending parameter in `unknown parameter <name>`; v6 clients report the
    /// bare text (mikrotik-java issues 2014–2020 vs terraform-provider-routeros #535, 2024).
    pub fn names_unknown_parameter(self) -> bool {
        self.major >= 7
    }
}

impl Default for RosVersion {
    fn default() -> Self {
        RosVersion::new(7, 18, 2)
    }
}

impl FromStr for RosVersion {
    type Err = BadVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.to_owned());
        let parts: Vec<u16> = s
            .split('.')
            .map(|p| p.parse::<u16>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        match parts.as_slice() {
            [major, minor] => Ok(RosVersion::new(*major, *minor, 0)),
            [major, minor, patch] => Ok(RosVersion::new(*major, *minor, *patch)),
            _ => Err(bad()),
        }
    }
}

/// `7.18.2`, or `6.42` when the patch level is zero (as RouterOS prints it).
impl fmt::Display for RosVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders_versions() {
        let v: RosVersion = "6.45.1".parse().unwrap();
        assert_eq!(v, RosVersion::new(6, 45, 1));
        assert_eq!("6.42".parse::<RosVersion>().unwrap().to_string(), "6.42");
        assert!("7".parse::<RosVersion>().is_err());
        assert!("7.x".parse::<RosVersion>().is_err());
        assert!(RosVersion::new(6, 45, 0).has_challenge_login());
        assert!(!v.has_challenge_login());
        assert!(v.has_plaintext_login());
        assert!(!RosVersion::new(6, 42, 0).has_plaintext_login());
        assert!(RosVersion::new(7, 18, 0).has_empty_reply());
        assert!(!RosVersion::new(7, 17, 9).has_empty_reply());
    }
}
