//! Client behaviour against a scripted fake router, byte by byte. Behaviour against the full
//! RouterOS simulator lives in the `tests` crate.

mod client;
mod fake_router;
mod outbox;
mod power_cut;
