//! The fleet link, controller side: enrollment of agents, the desired state they fetch, and
//! (in `link.rs`) the MQTT traffic with them.
//!
//! Agents authenticate over HTTP with the same credentials they use for MQTT (username = agent
//! id, a random password issued at enrollment, stored as SHA-256 in `mqtt_credentials`). What
//! they fetch is bound to the controller's signature: the signed desired notice carries the
//! document's SHA-256.

pub mod desired;
pub mod link;

use crate::store::{self, fleet, mqtt, routers, Store};
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::sync::Arc;

/// What happened in the fleet, for the MQTT link and the live pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetEvent {
    /// Staff changed what this router should hold.
    DesiredChanged(store::RouterId),
    /// An agent reported something (status, telemetry, applied version).
    RouterUpdated(store::RouterId),
}

/// The controller's signing key, shared by every replica through the database.
#[derive(Clone)]
pub struct FleetKeys {
    pub pair: Arc<Ed25519KeyPair>,
    pub public_hex: String,
}

impl std::fmt::Debug for FleetKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetKeys")
            .field("public_hex", &self.public_hex)
            .finish_non_exhaustive()
    }
}

impl FleetKeys {
    /// Loads the installation's key, making it on first start.
    pub async fn load(store: &Store) -> anyhow::Result<FleetKeys> {
        let (pkcs8_hex, public_hex) = fleet::signing_key(store, || {
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("the OS random source works");
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("a fresh key parses");
            (
                crate::random::hex(pkcs8.as_ref()),
                crate::random::hex(pair.public_key().as_ref()),
            )
        })
        .await?;
        let pkcs8 = unhex(&pkcs8_hex).ok_or_else(|| anyhow::anyhow!("fleet key is not hex"))?;
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|_| anyhow::anyhow!("fleet key in the database is not a valid Ed25519 key"))?;
        Ok(FleetKeys {
            pair: Arc::new(pair),
            public_hex,
        })
    }
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Why an agent's HTTP request was refused (the same answer for every reason, so a prober
/// learns nothing).
#[derive(Debug, thiserror::Error)]
pub enum AgentAuthError {
    #[error("agent credentials refused")]
    Refused,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// The router of an agent presenting `agent_id`/`password`, if the login is live and the
/// router enrolled and not revoked.
pub async fn authenticate_agent(
    store: &Store,
    agent_id: &str,
    password: &str,
) -> Result<routers::Router, AgentAuthError> {
    if !mqtt::check(store, agent_id, password).await? {
        return Err(AgentAuthError::Refused);
    }
    match routers::by_agent_id(store, agent_id).await? {
        Some(router) if router.is_active() => Ok(router),
        _ => Err(AgentAuthError::Refused),
    }
}
