//! The only module that speaks the RouterOS API (see ARCHITECTURE.md).
//!
//! - [`client`]: connection, login, tagged concurrent commands, capability probe.
//! - [`tls`]: API-SSL trust (CA or pinned fingerprint).
//! - [`error`]: errors typed by the router's trap texts.

pub mod client;
pub mod error;
pub mod tls;

pub use client::{Capabilities, Client, ConnectOptions, Item, LoginMethod, ReplyStream, Response};
pub use error::{RouterError, Trap, TrapKind};
pub use tls::Trust;
