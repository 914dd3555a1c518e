//! Wire formats shared by the controller and the edge agent.
//!
//! - [`routeros`]: the RouterOS API (ports 8728/8729) sentence codec, sans I/O. Words are bytes:
//!   RouterOS stores whatever code page the admin's Winbox used, so nothing here assumes UTF-8.
//! - [`desired`]: the desired-state document for one router (what the agent converges it to),
//!   read from a file by the standalone agent and, later, sent by the controller.
//! - [`encoding`]: hex and base64, written once for both sides.
//! - [`fleet`]: the agent ↔ controller protocol over MQTT: topics, signed message envelopes.
//!
//! This crate does no I/O and holds no business logic (see ARCHITECTURE.md).

pub mod desired;
pub mod encoding;
pub mod fleet;
pub mod routeros;
