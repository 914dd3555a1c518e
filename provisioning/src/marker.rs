//! The ownership marker: Setu changes only entries whose `comment` carries it.

/// Every managed entry's comment starts with this (or, for profiles, is [`PROFILE_MARKER`]).
pub const MARKER_PREFIX: &str = "setu:";
/// The comment of a managed profile.
pub const PROFILE_MARKER: &str = "setu";

const SUBSCRIBER_PREFIX: &str = "setu:sub=";

/// Whether a row with this comment is Setu's.
pub fn is_managed(comment: Option<&str>) -> bool {
    comment.is_some_and(|comment| comment == PROFILE_MARKER || comment.starts_with(MARKER_PREFIX))
}

/// The comment of a subscriber's entry: `setu:sub=42`.
pub(crate) fn subscriber_comment(subscriber_id: u64) -> String {
    format!("{SUBSCRIBER_PREFIX}{subscriber_id}")
}

/// The subscriber a managed comment names. Text after the id (an operator's note) is tolerated
/// here so the entry keeps its owner; the planner then writes the canonical comment back.
pub(crate) fn subscriber_of(comment: Option<&str>) -> Option<u64> {
    let rest = comment?.strip_prefix(SUBSCRIBER_PREFIX)?;
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .map_or(rest, |end| &rest[..end]);
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert!(is_managed(Some("setu")));
        assert!(is_managed(Some("setu:sub=7")));
        assert!(!is_managed(Some("setup box")));
        assert!(!is_managed(Some("cust#42")));
        assert!(!is_managed(None));
        assert_eq!(subscriber_of(Some(&subscriber_comment(42))), Some(42));
        assert_eq!(
            subscriber_of(Some("setu:sub=42 moved from POP-2")),
            Some(42)
        );
        assert_eq!(subscriber_of(Some("setu:sub=")), None);
        assert_eq!(subscriber_of(Some("setu")), None);
    }
}
