//! Money is integer poisha (1/100 taka), never a float.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(transparent)]
#[sqlx(transparent)]
#[schema(value_type = i64)]
pub struct Poisha(pub i64);

impl From<i64> for Poisha {
    fn from(poisha: i64) -> Self {
        Poisha(poisha)
    }
}

impl Poisha {
    pub const ZERO: Poisha = Poisha(0);

    pub fn from_taka(taka: i64) -> Option<Poisha> {
        taka.checked_mul(100).map(Poisha)
    }

    pub fn checked_add(self, other: Poisha) -> Option<Poisha> {
        self.0.checked_add(other.0).map(Poisha)
    }

    pub fn checked_sub(self, other: Poisha) -> Option<Poisha> {
        self.0.checked_sub(other.0).map(Poisha)
    }

    /// Taka with two decimals, no grouping or symbol (`-1234.50`): the form spreadsheets
    /// read, and what `parse_taka` reads back.
    pub fn plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// Taka as people write it (`500`, `1,200.5`, `৫০০`) to poisha, exactly; `None` for
    /// anything else (negative, more than two decimals, letters).
    pub fn parse_taka(text: &str) -> Option<Poisha> {
        let text: String = text
            .trim()
            .chars()
            .filter(|c| *c != ',')
            .map(|c| match c {
                '০'..='৯' => char::from(b'0' + (c as u32 - '০' as u32) as u8),
                c => c,
            })
            .collect();
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        if whole.is_empty()
            || fraction.len() > 2
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
        whole.checked_mul(100)?.checked_add(fraction).map(Poisha)
    }
}

#[cfg(test)]
mod tests {
    use super::Poisha;

    #[test]
    fn plain_taka_for_spreadsheets() {
        assert_eq!(Poisha(123_450).plain(), "1234.50");
        assert_eq!(Poisha(-5).plain(), "-0.05");
        assert_eq!(Poisha(0).plain(), "0.00");
        assert_eq!(
            Poisha::parse_taka(&Poisha(99_901).plain()),
            Some(Poisha(99_901))
        );
    }

    #[test]
    fn taka_parses_exactly() {
        let p = |t: &str| Poisha::parse_taka(t).map(|p| p.0);
        assert_eq!(p("500"), Some(50_000));
        assert_eq!(p("1,200.5"), Some(120_050));
        assert_eq!(p("0.05"), Some(5));
        assert_eq!(p("1.234"), None);
        assert_eq!(p("-5"), None);
        assert_eq!(p(""), None);
        assert_eq!(p("৫০০"), Some(50_000), "Bangla digits");
        assert_eq!(p("99999999999999999999"), None, "overflow");
        assert_eq!(Poisha(i64::MAX).checked_add(Poisha(1)), None);
    }
}
