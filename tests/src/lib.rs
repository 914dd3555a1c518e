//! Whole-system test support and stand-ins for what cannot run here.
//!
//! - [`routeros_sim`]: a RouterOS API (8728/8729) simulator, faithful to real routers' wire
//!   behaviour, used by the agent's tests in place of MikroTik hardware.
//! - [`fleet`]: the controller, a simulator and enrolled agents in one process.

pub mod fleet;
pub mod routeros_sim;
