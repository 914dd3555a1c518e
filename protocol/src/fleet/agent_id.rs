//! The agent's identity on the wire.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FleetError;

/// An agent's id: 1 to 64 characters of `[a-z0-9-]`. The narrow alphabet makes it safe as an MQTT
/// topic level (no `/`, `+`, `#`, `$`) and as the username a Mosquitto ACL `%u` pattern expands.
/// Serialized as a plain string and validated when deserialized.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgentId(String);

impl AgentId {
    /// Longest accepted id.
    pub const MAX_LEN: usize = 64;

    /// Validates `raw` as an agent id.
    pub fn parse(raw: &str) -> Result<AgentId, FleetError> {
        if raw.is_empty() {
            return Err(FleetError::BadAgentId("empty"));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(FleetError::BadAgentId("longer than 64 characters"));
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(FleetError::BadAgentId(
                "only lowercase letters, digits and '-' are allowed",
            ));
        }
        Ok(AgentId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AgentId {
    type Error = FleetError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        AgentId::parse(&raw)
    }
}

impl From<AgentId> for String {
    fn from(id: AgentId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet_and_length() {
        for ok in ["a", "pop-mirpur-01", "0", &"x".repeat(64)] {
            assert_eq!(AgentId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_anything_unsafe_in_a_topic_or_acl() {
        for bad in [
            "",
            &"x".repeat(65),
            "Pop",
            "a/b",
            "+",
            "#",
            "a+",
            "$sys",
            "a b",
            "a_b",
            "a.b",
            "মিরপুর",
        ] {
            let err = AgentId::parse(bad).unwrap_err();
            assert_eq!(err.code(), "bad_agent_id", "{bad:?}");
        }
    }

    #[test]
    fn serde_is_a_plain_string_validated_on_the_way_in() {
        let id = AgentId::parse("pop-mirpur-01").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""pop-mirpur-01""#);
        assert_eq!(
            serde_json::from_str::<AgentId>(r#""pop-mirpur-01""#).unwrap(),
            id
        );
        let err = serde_json::from_str::<AgentId>(r#""a/+/up""#).unwrap_err();
        assert!(err.to_string().contains("invalid agent id"), "{err}");
    }
}
