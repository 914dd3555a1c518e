//! Errors of the RouterOS client, typed by the router's real trap texts.

use protocol::routeros::text::display_bytes;
use std::time::Duration;

/// What a `!trap` means, classified by its message (categories are often absent, so the text is
/// the reliable key; see reference/routeros-api.md §2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrapKind {
    /// `failure: secret with the same name already exists`, `... already have such entry`, ...
    AlreadyExists,
    /// `no such item` (optionally with a code: `no such item (4)`).
    NoSuchItem,
    /// `invalid user name or password (6)` or, before 6.43, `cannot log in`.
    InvalidCredentials,
    /// `not enough permissions`.
    NotEnoughPermissions,
    /// `no such command prefix` / `no such command or directory (...)`: a menu the router lacks
    /// (e.g. no hotspot package).
    NoSuchCommand,
    /// `unknown parameter ...`.
    UnknownParameter,
    /// `input does not match any value of <prop>`: e.g. a profile that does not exist.
    InvalidValue,
    /// Category 2: the command was cancelled.
    Interrupted,
    Other,
}

/// A `!trap` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    pub message: String,
    pub category: Option<u8>,
}

impl Trap {
    pub fn kind(&self) -> TrapKind {
        let m = self.message.as_str();
        if m.contains("already exists") || m.contains("already have") {
            TrapKind::AlreadyExists
        } else if m.starts_with("no such item") {
            TrapKind::NoSuchItem
        } else if m.starts_with("invalid user name or password") || m == "cannot log in" {
            TrapKind::InvalidCredentials
        } else if m.starts_with("not enough permissions") {
            TrapKind::NotEnoughPermissions
        } else if m.starts_with("no such command") {
            TrapKind::NoSuchCommand
        } else if m.starts_with("unknown parameter") {
            TrapKind::UnknownParameter
        } else if m.starts_with("input does not match any value")
            || m.starts_with("ambiguous value")
        {
            TrapKind::InvalidValue
        } else if self.category == Some(2) || m == "interrupted" {
            TrapKind::Interrupted
        } else {
            TrapKind::Other
        }
    }
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.category {
            Some(c) => write!(f, "{} (category {c})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("connecting to {addr} timed out after {after:?} (is the api service enabled and is this address allowed in /ip service?)")]
    ConnectTimeout { addr: String, after: Duration },
    #[error(
        "the router's api-ssl offers only anonymous Diffie-Hellman (it has no certificate), which \
         cannot authenticate the router, so Setu refuses it. On the router, create and assign a \
         certificate: `/certificate add name=api common-name=router; /certificate sign api; \
         /ip service set api-ssl certificate=api tls-version=only-1.2`, then pin its SHA-256 \
         fingerprint in the agent's config (or use the plain API on a trusted link)"
    )]
    AnonymousDhOnly,
    #[error("TLS with the router failed: {0}")]
    Tls(String),
    #[error("the router's certificate fingerprint {actual} does not match the pinned {expected}")]
    FingerprintMismatch { expected: String, actual: String },
    #[error("login refused: {0}")]
    LoginFailed(String),
    #[error("the router closed the session: {0}")]
    Fatal(String),
    #[error("{command}: {trap}")]
    Trap { command: String, trap: Trap },
    #[error("{command}: no reply within {after:?}")]
    Timeout { command: String, after: Duration },
    #[error("{command}: more than {limit} rows")]
    TooManyRows { command: String, limit: usize },
    /// The connection ended: closed by the router, a read or write failed, or the router sent
    /// bytes that break the framing (after which nothing it sends can be trusted).
    #[error("connection to the router lost: {0}")]
    Lost(String),
}

impl RouterError {
    /// The trap's kind when this error is a trap.
    pub fn trap_kind(&self) -> Option<TrapKind> {
        match self {
            RouterError::Trap { trap, .. } => Some(trap.kind()),
            _ => None,
        }
    }

    /// True when the connection is unusable and must be re-established.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, RouterError::Fatal(_) | RouterError::Lost(_))
    }
}

pub(crate) fn text(bytes: &[u8]) -> String {
    display_bytes(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_trap_texts_are_classified() {
        let cases = [
            (
                "failure: secret with the same name already exists",
                TrapKind::AlreadyExists,
            ),
            (
                "failure: already have user with this name for this server",
                TrapKind::AlreadyExists,
            ),
            ("failure: already have such entry", TrapKind::AlreadyExists),
            ("no such item", TrapKind::NoSuchItem),
            ("no such item (4)", TrapKind::NoSuchItem),
            (
                "invalid user name or password (6)",
                TrapKind::InvalidCredentials,
            ),
            ("cannot log in", TrapKind::InvalidCredentials),
            ("not enough permissions", TrapKind::NotEnoughPermissions),
            ("no such command prefix", TrapKind::NoSuchCommand),
            (
                "no such command or directory (hotspot)",
                TrapKind::NoSuchCommand,
            ),
            (
                "input does not match any value of profile",
                TrapKind::InvalidValue,
            ),
            ("interrupted", TrapKind::Interrupted),
            ("something else", TrapKind::Other),
        ];
        for (message, kind) in cases {
            let trap = Trap {
                message: message.into(),
                category: None,
            };
            assert_eq!(trap.kind(), kind, "{message}");
        }
    }
}
