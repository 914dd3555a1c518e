//! The agent ↔ controller protocol carried over MQTT: topic names, message envelopes and their
//! Ed25519 signatures. Pure code: the agent and the controller do the MQTT I/O themselves.
//!
//! - [`topics`]: one topic tree, `a/{agent}/…`, with the agent id at the second level so a broker
//!   ACL can pin each agent to its own topics (`pattern readwrite a/%u/#`).
//! - [`message`]: the uplink [`Envelope`] (agent → controller) and the downlink [`DownEnvelope`].
//! - [`seal`]: every message travels signed, `{"m": "<envelope JSON>", "s": "<hex signature>"}`,
//!   because the embedded broker has no ACL and does not tell subscribers who published.
//!
//! Compatibility: receivers ignore fields they do not know, so adding a field (with a default)
//! does not bump [`PROTOCOL_VERSION`]; removing, renaming or changing the meaning of one does. An
//! unknown message `kind` is refused as malformed, so the controller is upgraded before agents
//! start sending a new kind, and a new downlink kind is only sent to agents whose birth lists it
//! in `capabilities`. Unknown command actions are the exception: they parse as
//! [`CommandAction::Unsupported`] so the agent can answer `rejected` instead of staying silent.

pub mod agent_id;
pub mod message;
pub mod seal;
pub mod topics;

pub use agent_id::AgentId;
pub use message::*;
pub use seal::{
    generate_keypair_pkcs8, keypair_from_pkcs8, new_boot_id, open_down, open_up,
    parse_public_key_hex, public_key_hex, seal_down, seal_up,
};

/// The envelope version this code writes and accepts (`v`).
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest signed message accepted. Bigger payloads are refused before any parsing, so a peer
/// cannot make the receiver parse or verify megabytes. Senders keep bodies bounded (drift notes,
/// interface lists) and move bulk data (the desired state) over HTTPS instead. Note that MQTT
/// clients and brokers have their own, often smaller, packet limits that must be raised to this.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Why a message, key or agent id was refused. Messages never include key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    #[error("message of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("signature does not verify with the sender's public key")]
    BadSignature,
    #[error("unsupported protocol version {found} (this side speaks {PROTOCOL_VERSION})")]
    UnsupportedVersion { found: u32 },
    #[error("message names agent `{claimed}` but arrived for agent `{expected}`")]
    WrongAgent { expected: AgentId, claimed: AgentId },
    #[error("invalid agent id: {0}")]
    BadAgentId(&'static str),
    #[error("invalid key: {0}")]
    BadKey(&'static str),
}

impl FleetError {
    /// A stable, low-cardinality name for metrics and logs.
    pub fn code(&self) -> &'static str {
        match self {
            FleetError::TooLarge { .. } => "too_large",
            FleetError::Malformed(_) => "malformed",
            FleetError::BadSignature => "bad_signature",
            FleetError::UnsupportedVersion { .. } => "unsupported_version",
            FleetError::WrongAgent { .. } => "wrong_agent",
            FleetError::BadAgentId(_) => "bad_agent_id",
            FleetError::BadKey(_) => "bad_key",
        }
    }
}
