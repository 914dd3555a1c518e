//! The controller's side of the MQTT link: verifies and stores what agents send, acknowledges
//! it, delivers desired-state notices, and sends commands.
//!
//! Every uplink is checked before anything is believed: the topic names an agent, that agent's
//! router must be enrolled and not revoked, the message must carry a valid signature by *that*
//! agent's key and name the same agent inside. Forged or misaddressed messages are counted and
//! audited; nothing else happens. Stored messages are idempotent by (agent, boot, seq) and
//! acknowledged with the boot's highest contiguous seq; a gap that stays open asks the agent
//! for a rebirth (it then resends its outbox). Numbers an agent sends are never trusted to fit:
//! every conversion is checked.
//!
//! Delivery: the database is the truth. A committed change pokes [`Nudges`]; the delivery task
//! coalesces the pokes and notifies those routers, and every `fleet.resend_secs` it re-notifies
//! every online router still behind its desired version, so a lost notice, a broker hiccup or a
//! burst of thousands of changes ends with every router on its final state. A birth, and a
//! status saying an agent came back, are answered the same way.

use super::store::{self, Router};
use super::uplinks::{self, Effect, SessionRow};
use super::{FleetEvent, FleetKeys};
use crate::fleet::broker::MqttLink;
use crate::kernel::audit::{self, NewEntry};
use crate::kernel::db::{now_ms, StoreError};
use crate::kernel::ids::RouterId;
use crate::kernel::scope::Actor;
use crate::AppState;
use protocol::fleet::{
    self as wire, topics, Ack, Command, CommandAction, DesiredNotice, DownBody, DownEnvelope,
    Envelope, FleetError, SessionChange, UpBody,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a gap in an agent's sequence may stay open before a rebirth is requested.
pub const GAP_TIMEOUT_MS: i64 = 10_000;
/// How long a command stays executable.
pub const COMMAND_LIFETIME_MS: i64 = 10 * 60_000;
/// How long the delivery task waits after a poke for more (a bulk change pokes once per row).
const COALESCE: Duration = Duration::from_millis(10);

/// Routers whose desired state changed since the delivery task last looked.
#[derive(Debug, Default)]
pub struct Nudges {
    pending: Mutex<BTreeSet<RouterId>>,
    wake: tokio::sync::Notify,
}

impl Nudges {
    pub fn poke(&self, routers: &[RouterId]) {
        self.pending.lock().expect("nudges lock").extend(routers);
        self.wake.notify_one();
    }

    fn take(&self) -> BTreeSet<RouterId> {
        std::mem::take(&mut *self.pending.lock().expect("nudges lock"))
    }
}

/// Starts the ingest and delivery tasks, each restarted if it panics or stops.
pub fn start(state: &AppState, link: MqttLink) -> Vec<tokio::task::JoinHandle<()>> {
    let metrics = state.metrics.clone();
    let ingest = {
        let (state, link) = (state.clone(), link.clone());
        crate::supervise(metrics.clone(), "fleet_ingest", move || {
            ingest(state.clone(), link.clone())
        })
    };
    let delivery = {
        let state = state.clone();
        crate::supervise(metrics, "fleet_delivery", move || {
            delivery(state.clone(), link.clone())
        })
    };
    vec![ingest, delivery]
}

async fn ingest(state: AppState, link: MqttLink) {
    let incoming = link.incoming();
    let mut incoming = incoming.lock().await;
    while let Some(message) = incoming.recv().await {
        if let Err(e) = handle_uplink(&state, &link, &message.topic, &message.payload).await {
            // A store error: not acknowledged, so the agent sends it again.
            tracing::warn!(error = %e, topic = %message.topic, "uplink not stored");
            state.metrics.fleet_message("store_error");
        }
    }
}

async fn delivery(state: AppState, link: MqttLink) {
    let resend = Duration::from_secs(state.config.fleet.resend_secs.max(1));
    let mut tick = tokio::time::interval(resend);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // When each router was last told each version, so the resend loop does not repeat itself
    // faster than `resend`.
    let mut told: HashMap<RouterId, (i64, Instant)> = HashMap::new();
    let nudges = state.fleet.nudges.clone();
    loop {
        let routers: Vec<RouterId> = tokio::select! {
            () = nudges.wake.notified() => {
                tokio::time::sleep(COALESCE).await;
                nudges.take().into_iter().collect()
            }
            _ = tick.tick() => match lagging(&state).await {
                Ok(routers) => routers
                    .into_iter()
                    .filter(|r| told.get(&r.id).is_none_or(|(v, at)| *v < r.desired_version || at.elapsed() >= resend))
                    .map(|r| r.id)
                    .collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "lagging routers not read");
                    Vec::new()
                }
            },
        };
        for id in routers {
            match notify_desired_by_id(&state, &link, id).await {
                Ok(Some(version)) => {
                    told.insert(id, (version, Instant::now()));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, router = %id, "desired notice not sent"),
            }
            publish_router(&state, id).await;
        }
    }
}

async fn lagging(state: &AppState) -> Result<Vec<Router>, StoreError> {
    let mut db = state.store.conn().await?;
    store::lagging_online(&mut db).await
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("publish failed: {0}")]
    Publish(#[from] anyhow::Error),
}

/// An agent's number as a stored integer, if it fits.
fn int(n: u64) -> Option<i64> {
    i64::try_from(n).ok()
}

/// Verifies, stores and acknowledges one uplink. Refusals are counted (and security-relevant
/// ones audited) and return `Ok`: there is nothing to retry.
pub async fn handle_uplink(
    state: &AppState,
    link: &MqttLink,
    topic: &str,
    payload: &[u8],
) -> Result<(), LinkError> {
    let metrics = &state.metrics;
    let Some(topic) = topics::parse(topic) else {
        metrics.fleet_message("bad_topic");
        return Ok(());
    };
    let router = {
        let mut db = state.store.conn().await?;
        store::router_by_agent(&mut db, topic.agent.as_str()).await?
    };
    let Some(router) = router else {
        metrics.fleet_message("unknown_agent");
        return Ok(());
    };
    if !router.is_active() {
        metrics.fleet_message("revoked_agent");
        return Ok(());
    }
    let key = router
        .agent_public_key
        .as_deref()
        .and_then(protocol::encoding::unhex)
        .unwrap_or_default();
    let envelope = match wire::open_up(payload, &topic.agent, &key) {
        Ok(envelope) => envelope,
        Err(e) => {
            metrics.fleet_message(e.code());
            if matches!(e, FleetError::BadSignature | FleetError::WrongAgent { .. }) {
                audit_refusal(state, &router, e.code()).await?;
            }
            tracing::warn!(agent = %topic.agent, error = %e, "uplink refused");
            return Ok(());
        }
    };
    if envelope.body.topic_kind() != topic.kind {
        metrics.fleet_message("kind_mismatch");
        return Ok(());
    }
    if let UpBody::Status(status) = &envelope.body {
        let Some(boot_seq) = int(status.boot_seq) else {
            metrics.fleet_message("bad_number");
            return Ok(());
        };
        metrics.fleet_message("accepted");
        // Unsequenced: applied unless older than what we know (a late last will of an earlier
        // connection must not mark a live agent offline); the store checks that.
        let mut db = state.store.conn().await?;
        let applied =
            store::set_presence(&mut db, router.id, status.online, &status.boot_id, boot_seq)
                .await?;
        drop(db);
        if applied && status.online && router.applied_version < router.desired_version {
            // Back after a while: it may have missed notices.
            notify_desired(state, link, &router).await?;
        }
        publish_router(state, router.id).await;
        return Ok(());
    }
    let Some(seq) = int(envelope.seq) else {
        metrics.fleet_message("bad_number");
        return Ok(());
    };
    let effect = match effect_of(state, &router, &envelope).await {
        Ok(effect) => effect,
        // Stored (so acknowledged, and not sent again) but without effect.
        Err(EffectError::BadNumber) => {
            metrics.fleet_message("bad_number");
            Effect::None
        }
        Err(EffectError::Store(e)) => return Err(e.into()),
    };
    metrics.fleet_message("accepted");
    let mut tx = state.store.begin().await?;
    let recorded = uplinks::record(
        &mut tx,
        router.agent_id.as_str(),
        &envelope.boot_id,
        seq,
        kind_name(&envelope.body),
        envelope.sent_at_ms,
        &effect,
    )
    .await?;
    tx.commit().await?;
    let live = matches!(
        envelope.body,
        UpBody::Birth(_) | UpBody::Telemetry(_) | UpBody::Reported(_)
    );
    if !recorded.fresh {
        metrics.fleet_message("duplicate");
    } else if live {
        // Events and command results change no live field; telemetry refreshes "last seen"
        // often enough, and skipping the write here keeps session bursts fast.
        update_live(state, &router, &envelope).await?;
    }
    send_down(
        state,
        link,
        &router.agent_id,
        DownBody::Ack(Ack {
            boot_id: envelope.boot_id.clone(),
            up_to_seq: recorded.contiguous_seq.max(0) as u64,
            seq: Some(envelope.seq),
            server_time_ms: now_ms(),
        }),
    )
    .await?;
    if let UpBody::Birth(birth) = &envelope.body {
        // A birth answers a rebirth request, or starts a connection: say what is current.
        if int(birth.applied_desired_version).is_none_or(|v| v < router.desired_version) {
            notify_desired(state, link, &router).await?;
        }
    }
    if recorded
        .gap_since
        .is_some_and(|since| now_ms().saturating_sub(since) > GAP_TIMEOUT_MS)
    {
        metrics.fleet_message("rebirth_requested");
        let mut db = state.store.conn().await?;
        uplinks::reset_gap(&mut db, &router.agent_id, &envelope.boot_id).await?;
        drop(db);
        send_command(state, link, &router, CommandAction::Rebirth).await?;
    }
    if live {
        publish_router(state, router.id).await;
    }
    Ok(())
}

fn kind_name(body: &UpBody) -> &'static str {
    match body {
        UpBody::Status(_) => "status",
        UpBody::Birth(_) => "birth",
        UpBody::Reported(_) => "reported",
        UpBody::Telemetry(_) => "telemetry",
        UpBody::Event(_) => "event",
        UpBody::CommandResult(_) => "command_result",
    }
}

enum EffectError {
    /// A number the agent sent does not fit where it goes (overflow, out of range).
    BadNumber,
    Store(StoreError),
}

use EffectError::BadNumber;

/// What storing this message changes, besides the live status.
async fn effect_of(
    state: &AppState,
    router: &Router,
    envelope: &Envelope,
) -> Result<Effect, EffectError> {
    Ok(match &envelope.body {
        UpBody::Reported(reported) => Effect::Applied {
            router: router.id,
            version: int(reported.applied_desired_version).ok_or(BadNumber)?,
            drift_json: serde_json::to_string(&reported.drift).ok(),
        },
        UpBody::Birth(birth) => Effect::Applied {
            router: router.id,
            version: int(birth.applied_desired_version).ok_or(BadNumber)?,
            drift_json: None,
        },
        UpBody::Event(event) => {
            let found = async {
                let mut db = state.store.conn().await?;
                crate::subscribers::store::by_username(&mut db, router.company_id, &event.user)
                    .await
            }
            .await;
            let (subscriber, branch) = match found {
                Ok(Some((id, branch))) => (Some(id), branch.or(router.branch_id)),
                Ok(None) => (None, router.branch_id),
                Err(e) => return Err(EffectError::Store(e)),
            };
            // The agent's clock: trusted when synced; otherwise the time we heard it.
            let at = if envelope.clock_synced {
                event.at_ms
            } else {
                now_ms()
            };
            let down = event.change == SessionChange::Down;
            let uptime_ms = match event.uptime_secs {
                Some(up) => Some(int(up).and_then(|s| s.checked_mul(1000)).ok_or(BadNumber)?),
                None => None,
            };
            let start = |end: i64| match (down, uptime_ms) {
                (true, Some(up)) => end.checked_sub(up).ok_or(BadNumber),
                _ => Ok(end),
            };
            let bytes = |b: Option<u64>| b.map(|b| int(b).ok_or(BadNumber)).transpose();
            let row = SessionRow {
                company: router.company_id,
                branch,
                router: router.id,
                subscriber,
                service: serde_json::to_value(event.service)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                username: event.user.clone(),
                address: event.address.clone(),
                caller_id: event.caller_id.clone(),
                router_session_id: event.router_session_id.clone(),
                started_at: start(at)?,
                ended_at: down.then_some(at),
                agent_started_at: Some(start(event.at_ms)?),
                agent_ended_at: down.then_some(event.at_ms),
                bytes_in: bytes(event.bytes_in)?,
                bytes_out: bytes(event.bytes_out)?,
            };
            if down {
                Effect::SessionDown(row)
            } else {
                Effect::SessionUp(row)
            }
        }
        UpBody::CommandResult(result) => Effect::CommandResult {
            router: router.id,
            id: result.id.clone(),
            state: serde_json::to_value(result.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "failed".into()),
            detail: result.detail.chars().take(2000).collect(),
        },
        UpBody::Telemetry(_) | UpBody::Status(_) => Effect::None,
    })
}

/// The router's live fields from a fresh message (replayed history never overwrites them).
async fn update_live(
    state: &AppState,
    router: &Router,
    envelope: &Envelope,
) -> Result<(), LinkError> {
    let mut db = state.store.conn().await?;
    match &envelope.body {
        UpBody::Birth(birth) => {
            let ros = birth.routeros.as_ref();
            store::set_birth(
                &mut db,
                router.id,
                &birth.agent_version,
                ros.map(|r| r.version.as_str()),
                ros.map(|r| r.identity.as_str()),
            )
            .await?;
        }
        UpBody::Telemetry(t) if !envelope.historical => {
            let fields = store::TelemetryFields {
                cpu_load: i64::from(t.cpu_load_pct),
                free_memory: int(t.free_memory_bytes),
                total_memory: int(t.total_memory_bytes),
                uptime_secs: int(t.uptime_secs),
                sessions_online: i64::from(t.pppoe_active) + i64::from(t.hotspot_active),
                interfaces_json: serde_json::to_string(&t.interfaces).unwrap_or_default(),
            };
            store::set_telemetry(&mut db, router.id, &fields).await?;
        }
        _ => store::seen(&mut db, router.id).await?,
    }
    Ok(())
}

/// Tells open live pages about the router's fresh state (one read, whoever is watching).
async fn publish_router(state: &AppState, id: RouterId) {
    if state.fleet.events.receiver_count() == 0 {
        return;
    }
    let found = async {
        let mut db = state.store.conn().await?;
        store::router_by_id(&mut db, id).await
    }
    .await;
    if let Ok(Some(router)) = found {
        let _ = state
            .fleet
            .events
            .send(FleetEvent::RouterUpdated(Arc::new(router)));
    }
}

async fn audit_refusal(state: &AppState, router: &Router, code: &str) -> Result<(), LinkError> {
    let entry = NewEntry {
        company_id: Some(router.company_id),
        branch_id: router.branch_id,
        after: serde_json::json!({ "agent_id": router.agent_id, "reason": code }),
        ..NewEntry::by(
            &Actor::Agent(router.id),
            "fleet.message_refused",
            "router",
            router.id,
        )
    };
    audit::append_alone(&state.store, &entry).await?;
    Ok(())
}

/// Signs and publishes a downlink to one agent.
pub async fn send_down(
    state: &AppState,
    link: &MqttLink,
    agent_id: &str,
    body: DownBody,
) -> Result<(), LinkError> {
    let agent = wire::AgentId::parse(agent_id).map_err(|e| anyhow::anyhow!(e))?;
    let topic = topics::build(&agent, body.topic_kind());
    let envelope = DownEnvelope {
        v: wire::PROTOCOL_VERSION,
        agent_id: agent,
        issued_at_ms: now_ms(),
        body,
    };
    let keys: &FleetKeys = &state.fleet.keys;
    link.publish(topic, wire::seal_down(&envelope, &keys.pair), false)?;
    Ok(())
}

/// Notifies the router's agent if it is enrolled; returns the version announced.
async fn notify_desired_by_id(
    state: &AppState,
    link: &MqttLink,
    id: RouterId,
) -> Result<Option<i64>, LinkError> {
    let router = {
        let mut db = state.store.conn().await?;
        store::router_by_id(&mut db, id).await?
    };
    match router {
        Some(router) if router.is_active() => notify_desired(state, link, &router).await.map(Some),
        _ => Ok(None),
    }
}

/// Tells the agent the current version, with the document's size and SHA-256 so what it
/// fetches over HTTP is bound to this signed message. Returns the version announced.
pub async fn notify_desired(
    state: &AppState,
    link: &MqttLink,
    router: &Router,
) -> Result<i64, LinkError> {
    let document = state
        .fleet
        .documents
        .current(&state.store, router.id)
        .await?;
    send_down(
        state,
        link,
        &router.agent_id,
        DownBody::Desired(DesiredNotice {
            version: document.version.max(0) as u64,
            bytes: document.bytes.len() as u64,
            sha256: document.sha256.clone(),
        }),
    )
    .await?;
    Ok(document.version)
}

/// Records and sends a command the controller issues itself (a rebirth); returns its id.
async fn send_command(
    state: &AppState,
    link: &MqttLink,
    router: &Router,
    action: CommandAction,
) -> Result<String, LinkError> {
    let mut db = state.store.conn().await?;
    let command = record_command(&mut db, router, action).await?;
    drop(db);
    let id = command.id.clone();
    send_down(state, link, &router.agent_id, DownBody::Command(command)).await?;
    Ok(id)
}

/// Stores a command for `router` and returns it, ready to send.
pub async fn record_command(
    db: &mut crate::kernel::db::Db,
    router: &Router,
    action: CommandAction,
) -> Result<Command, StoreError> {
    let id = format!("cmd-{}", &crate::kernel::random::token()[..16]);
    let issued_at = now_ms();
    let expires_at = issued_at + COMMAND_LIFETIME_MS;
    store::create_command(
        db,
        router.company_id,
        router.id,
        &id,
        &serde_json::to_value(&action).unwrap_or_default(),
        issued_at,
        expires_at,
    )
    .await?;
    Ok(Command {
        id,
        action,
        issued_at_ms: issued_at,
        expires_at_ms: expires_at,
    })
}
