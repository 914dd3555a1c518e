//! Whole-system test support and stand-ins for what cannot run here.
//!
//! - [`routeros_sim`]: a RouterOS API (8728/8729) simulator, faithful to real routers' wire
//!   behaviour, used by the agent's tests in place of MikroTik hardware.
//! - [`fleet`]: the controller, a simulator and enrolled agents in one process.

pub mod fleet;
pub mod routeros_sim;

/// The value of the environment variable that switches on a test needing an outside service
/// (`SETU_MOSQUITTO`, `SETU_CROSSCHECK_PYTHON`, …). Without it the test is skipped locally, but
/// fails under CI (`CI` set), so a broken `.ci/run` step cannot pass by skipping. (The
/// controller's own test harness has the same rule in `controller/tests/it/helpers.rs`.)
pub fn service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set, and CI is: the test cannot skip")
        }
        _ => {
            println!("skipped: {var} is not set (see .ci/run)");
            None
        }
    }
}
