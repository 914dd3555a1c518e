//! Wire formats shared by the controller and the edge agent.
//!
//! - [`routeros`]: the RouterOS API (ports 8728/8729) sentence codec, sans I/O. Words are bytes:
//!   RouterOS stores whatever code page the admin's Winbox used, so nothing here assumes UTF-8.
//!
//! This crate does no I/O and holds no business logic (see ARCHITECTURE.md).

pub mod routeros;
