//! Integration tests of the RouterOS API simulator, driven over raw sockets with the protocol
//! crate's codec (not a client library), plus a cross-check with Python librouteros.

mod agent;
mod crosscheck;
mod faults;
mod fleet;
mod grammar;
mod listen;
mod login;
mod menus;
mod process;
mod sessions;
mod state_file;
mod support;
mod tls;
