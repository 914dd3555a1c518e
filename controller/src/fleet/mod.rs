//! The fleet: POPs, routers and their edge agents, the MQTT link (`link.rs`, with the embedded
//! broker in `broker.rs`), each router's desired state (`desired.rs`), the agents' HTTP
//! endpoints (`agent.rs`), the uplinks' bookkeeping (`uplinks.rs`) and the session log.
//!
//! Agents authenticate over HTTP with the same credentials they use for MQTT (username = agent
//! id, a random password issued at enrollment, stored as SHA-256). What they fetch is bound to
//! the controller's signature: the signed desired notice carries the document's SHA-256.

pub mod agent;
pub mod api;
pub mod broker;
pub mod desired;
pub mod link;
pub mod pages;
pub mod service;
pub mod store;
pub mod uplinks;

use crate::kernel::db::Store;
use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;
use ring::signature::{Ed25519KeyPair, KeyPair};
use std::sync::Arc;

pub const VIEW: Permission = Permission::new("routers.view");
pub const MANAGE: Permission = Permission::new("routers.manage");

pub const DOMAIN: Domain = Domain {
    name: "fleet",
    routes,
    grants: &[
        Grant {
            permission: VIEW,
            en: "See routers",
            bn: "রাউটার দেখা",
            roles: &["manager", "support", "technician"],
            platform_only: false,
        },
        Grant {
            permission: MANAGE,
            en: "Manage routers",
            bn: "রাউটার পরিচালনা",
            roles: &["technician"],
            platform_only: false,
        },
    ],
    nav: &[
        NavItem {
            href: "/sessions",
            label: "nav.sessions",
            needs: Some(crate::subscribers::VIEW),
            position: 30,
        },
        NavItem {
            href: "/fleet",
            label: "nav.fleet",
            needs: Some(VIEW),
            position: 40,
        },
    ],
    catalogue: CATALOGUE,
    jobs: &[],
    schedules: &[],
};

fn routes(r: Routes) -> Routes {
    let r = agent::routes(r);
    pages::routes(api::routes(r))
}

/// What happened in the fleet, for the live pages.
#[derive(Debug, Clone)]
pub enum FleetEvent {
    /// A router's live state or versions changed; here is the fresh row.
    RouterUpdated(Arc<store::Router>),
}

/// The fleet's part of the application state.
#[derive(Clone)]
pub struct Runtime {
    /// `None` when no broker is configured.
    pub mqtt: Option<broker::MqttLink>,
    pub keys: FleetKeys,
    /// Fresh router rows for the live pages.
    pub events: tokio::sync::broadcast::Sender<FleetEvent>,
    /// Routers whose desired state changed, for the delivery task.
    pub nudges: Arc<link::Nudges>,
    pub documents: Arc<desired::Documents>,
}

impl Runtime {
    pub async fn new(store: &Store, mqtt: Option<broker::MqttLink>) -> anyhow::Result<Runtime> {
        Ok(Runtime {
            mqtt,
            keys: FleetKeys::load(store).await?,
            events: tokio::sync::broadcast::channel(1024).0,
            nudges: Arc::default(),
            documents: Arc::default(),
        })
    }
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
        let mut db = store.conn().await?;
        let (pkcs8_hex, public_hex) = store::signing_key(&mut db, || {
            let rng = ring::rand::SystemRandom::new();
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("the OS random source works");
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("a fresh key parses");
            (
                protocol::encoding::hex(pkcs8.as_ref()),
                protocol::encoding::hex(pair.public_key().as_ref()),
            )
        })
        .await?;
        let pkcs8 = protocol::encoding::unhex(&pkcs8_hex)
            .ok_or_else(|| anyhow::anyhow!("fleet key is not hex"))?;
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|_| anyhow::anyhow!("fleet key in the database is not a valid Ed25519 key"))?;
        Ok(FleetKeys {
            pair: Arc::new(pair),
            public_hex,
        })
    }
}

pub const CATALOGUE: &[Message] = &[
    ("nav.fleet", "Routers", "রাউটার"),
    ("fleet.title", "POPs and routers", "পপ ও রাউটার"),
    ("fleet.router", "Router", "রাউটার"),
    ("fleet.pop", "POP", "পপ"),
    ("fleet.state", "State", "অবস্থা"),
    ("fleet.last_seen", "Last seen", "শেষ দেখা"),
    ("fleet.memory", "Memory", "মেমরি"),
    ("fleet.sessions", "Online", "অনলাইন"),
    ("fleet.sync", "Desired / applied", "কাঙ্ক্ষিত / প্রয়োগকৃত"),
    ("fleet.online", "online", "অনলাইন"),
    ("fleet.offline", "offline", "অফলাইন"),
    ("fleet.revoked", "revoked", "বাতিল"),
    ("fleet.not_enrolled", "not enrolled", "এনরোল হয়নি"),
    ("fleet.in_sync", "in sync", "মিলে আছে"),
    ("fleet.pending", "applying", "প্রয়োগ চলছে"),
    ("fleet.add_pop", "Add POP", "পপ যোগ করুন"),
    ("fleet.add_router", "Add router", "রাউটার যোগ করুন"),
    ("fleet.pop_name", "POP name", "পপের নাম"),
    ("fleet.router_name", "Router name", "রাউটারের নাম"),
    ("fleet.agent", "Agent id", "এজেন্ট আইডি"),
    ("fleet.desired_version", "Desired version", "কাঙ্ক্ষিত সংস্করণ"),
    ("fleet.applied_version", "Applied version", "প্রয়োগকৃত সংস্করণ"),
    ("fleet.identity", "RouterOS identity", "RouterOS আইডেন্টিটি"),
    ("fleet.drift", "Drift", "অমিল"),
    ("fleet.enroll", "New enrollment token", "নতুন এনরোলমেন্ট টোকেন"),
    ("fleet.revoke", "Revoke agent", "এজেন্ট বাতিল করুন"),
    ("fleet.enrollment_once", "Run this on the agent box now; the token works once and is not shown again.", "এখনই এজেন্ট বক্সে এটি চালান; টোকেনটি একবারই কাজ করে এবং আর দেখানো হবে না।"),
    ("fleet.valid_until", "Valid until", "মেয়াদ"),
    ("fleet.bad_public_key", "Not an Ed25519 public key (64 hex characters).", "Ed25519 পাবলিক কী নয় (৬৪ হেক্স অক্ষর)।"),
    ("fleet.interfaces", "Interfaces (last telemetry)", "ইন্টারফেস (শেষ টেলিমেট্রি)"),
    ("fleet.interface", "Interface", "ইন্টারফেস"),
    ("fleet.commands", "Commands to the agent", "এজেন্টকে নির্দেশ"),
    ("fleet.command", "Command", "নির্দেশ"),
    ("fleet.cmd_resync", "Resync now", "এখনই মিলিয়ে নিন"),
    ("fleet.cmd_kick", "Disconnect a PPPoE session", "একটি PPPoE সেশন বিচ্ছিন্ন করুন"),
    ("fleet.cmd_diagnostics", "Collect diagnostics", "ডায়াগনস্টিক সংগ্রহ"),
    ("fleet.kick_user", "PPPoE username (to disconnect)", "PPPoE ইউজারনেম (বিচ্ছিন্ন করতে)"),
    ("fleet.send", "Send", "পাঠান"),
    ("fleet.bad_command", "Unknown command.", "অজানা নির্দেশ।"),
    ("routers.unknown_pop", "Choose a POP of this company.", "এই প্রতিষ্ঠানের একটি পপ বেছে নিন।"),
    ("nav.sessions", "Sessions", "সেশন"),
    ("sessions.title", "Session log", "সেশন লগ"),
    ("sessions.hint", "Who was online, from where, when. Give an address and a Dhaka time to find who had it then.", "কে কখন কোথা থেকে অনলাইন ছিল। কোন সময়ে কোন আইপি কার ছিল জানতে ঠিকানা ও ঢাকার সময় দিন।"),
    ("sessions.address", "IP address", "আইপি ঠিকানা"),
    ("sessions.at", "At (Dhaka time)", "সময় (ঢাকা)"),
    ("sessions.caller_id", "Caller id / MAC", "কলার আইডি / ম্যাক"),
    ("sessions.started", "Started", "শুরু"),
    ("sessions.ended", "Ended", "শেষ"),
    ("sessions.service", "Service", "সেবা"),
    ("sessions.online", "online now", "এখন অনলাইন"),
    ("sessions.bad_subscriber", "Not a subscriber id.", "গ্রাহক আইডি নয়।"),
    ("sessions.bad_time", "Use a Dhaka time like 2026-11-25 21:30.", "২০২৬-১১-২৫ ২১:৩০ এর মতো ঢাকার সময় দিন।"),
    ("sessions.bad_address", "Not an IP address.", "আইপি ঠিকানা নয়।"),
    ("fleet.lagging_since", "behind since", "পিছিয়ে আছে"),
];
