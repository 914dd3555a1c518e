//! The controller's side of the MQTT link: verifies and stores what agents send, acknowledges
//! it, tells agents about new desired-state versions, and sends commands.
//!
//! Every uplink is checked before anything is believed: the topic names an agent, that agent's
//! router must be enrolled and not revoked, the message must carry a valid signature by *that*
//! agent's key and name the same agent inside. Forged or misaddressed messages are counted and
//! audited; nothing else happens. Stored messages are idempotent by (agent, boot, seq) and
//! acknowledged with the boot's highest contiguous seq; a gap that stays open asks the agent
//! for a rebirth (it then resends its outbox).

use super::{unhex, FleetEvent, FleetKeys};
use crate::broker::MqttLink;
use crate::http::AppState;
use crate::store::{self, audit, fleet, now_ms, routers, subscribers, RouterId, Tenant};
use protocol::fleet::{
    self as wire, topics, Ack, Command, CommandAction, DesiredNotice, DownBody, DownEnvelope,
    Envelope, FleetError, SessionChange, UpBody,
};

/// How long a gap in an agent's sequence may stay open before a rebirth is requested.
pub const GAP_TIMEOUT_MS: i64 = 10_000;
/// How long a command stays executable.
pub const COMMAND_LIFETIME_MS: i64 = 10 * 60_000;

/// Runs until the MQTT client goes away.
pub async fn run(state: AppState, link: MqttLink) {
    let Some(mut incoming) = link.take_incoming() else {
        return;
    };
    let mut events = state.fleet_events.subscribe();
    loop {
        tokio::select! {
            message = incoming.recv() => {
                let Some(message) = message else { break };
                if let Err(e) = handle_uplink(&state, &link, &message.topic, &message.payload).await {
                    // A store error: not acknowledged, so the agent sends it again.
                    tracing::warn!(error = %e, topic = %message.topic, "uplink not stored");
                    state.metrics.fleet_message("store_error");
                }
            }
            event = events.recv() => match event {
                Ok(FleetEvent::DesiredChanged(router)) => {
                    if let Err(e) = notify_desired_by_id(&state, &link, router).await {
                        tracing::warn!(error = %e, router = %router, "desired notice not sent");
                    }
                }
                Ok(FleetEvent::RouterUpdated(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "fleet events lagged; agents catch up at their next birth");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("publish failed: {0}")]
    Publish(#[from] anyhow::Error),
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
    let Some(router) = routers::by_agent_id(&state.store, topic.agent.as_str()).await? else {
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
        .and_then(unhex)
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
    metrics.fleet_message("accepted");
    if let UpBody::Status(status) = &envelope.body {
        // Unsequenced: applied unless older than what we know (a late last will of an earlier
        // connection must not mark a live agent offline); the store checks that.
        routers::set_presence(
            &state.store,
            router.id,
            status.online,
            &status.boot_id,
            status.boot_seq as i64,
        )
        .await?;
        let _ = state
            .fleet_events
            .send(FleetEvent::RouterUpdated(router.id));
        return Ok(());
    }
    let effect = effect_of(state, &router, &envelope).await?;
    let recorded = fleet::record_uplink(
        &state.store,
        router.agent_id.as_str(),
        &envelope.boot_id,
        envelope.seq as i64,
        kind_name(&envelope.body),
        envelope.sent_at_ms,
        &effect,
    )
    .await?;
    if !recorded.fresh {
        metrics.fleet_message("duplicate");
    } else if matches!(
        envelope.body,
        UpBody::Birth(_) | UpBody::Telemetry(_) | UpBody::Reported(_)
    ) {
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
        if (birth.applied_desired_version as i64) < router.desired_version {
            notify_desired(state, link, &router).await?;
        }
    }
    if recorded
        .gap_since
        .is_some_and(|since| now_ms() - since > GAP_TIMEOUT_MS)
    {
        metrics.fleet_message("rebirth_requested");
        fleet::reset_gap(&state.store, &router.agent_id, &envelope.boot_id).await?;
        send_command(state, link, &router, CommandAction::Rebirth, None).await?;
    }
    let _ = state
        .fleet_events
        .send(FleetEvent::RouterUpdated(router.id));
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

/// What storing this message changes, besides the live status.
async fn effect_of(
    state: &AppState,
    router: &routers::Router,
    envelope: &Envelope,
) -> Result<fleet::Effect, LinkError> {
    Ok(match &envelope.body {
        UpBody::Reported(reported) => fleet::Effect::Applied {
            router: router.id,
            version: reported.applied_desired_version as i64,
            drift_json: serde_json::to_string(&reported.drift).ok(),
        },
        UpBody::Birth(birth) => fleet::Effect::Applied {
            router: router.id,
            version: birth.applied_desired_version as i64,
            drift_json: None,
        },
        UpBody::Event(event) => {
            let subscriber =
                subscribers::by_username(&state.store, router.company_id, &event.user).await?;
            let row = fleet::SessionRow {
                company: router.company_id,
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
                started_at: match (event.change, event.uptime_secs) {
                    (SessionChange::Down, Some(up)) => event.at_ms - up as i64 * 1000,
                    _ => event.at_ms,
                },
                ended_at: (event.change == SessionChange::Down).then_some(event.at_ms),
                bytes_in: event.bytes_in.map(|b| b as i64),
                bytes_out: event.bytes_out.map(|b| b as i64),
            };
            match event.change {
                SessionChange::Up => fleet::Effect::SessionUp(row),
                SessionChange::Down => fleet::Effect::SessionDown(row),
            }
        }
        UpBody::CommandResult(result) => fleet::Effect::CommandResult {
            router: router.id,
            id: result.id.clone(),
            state: serde_json::to_value(result.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "failed".into()),
            detail: result.detail.chars().take(2000).collect(),
        },
        UpBody::Telemetry(_) | UpBody::Status(_) => fleet::Effect::None,
    })
}

/// The router's live fields from a fresh message (replayed history never overwrites them).
async fn update_live(
    state: &AppState,
    router: &routers::Router,
    envelope: &Envelope,
) -> Result<(), LinkError> {
    match &envelope.body {
        UpBody::Birth(birth) => {
            let ros = birth.routeros.as_ref();
            routers::set_birth(
                &state.store,
                router.id,
                &birth.agent_version,
                ros.map(|r| r.version.as_str()),
                ros.map(|r| r.identity.as_str()),
            )
            .await?;
        }
        UpBody::Telemetry(t) if !envelope.historical => {
            let fields = routers::TelemetryFields {
                cpu_load: i64::from(t.cpu_load_pct),
                free_memory: t.free_memory_bytes as i64,
                total_memory: t.total_memory_bytes as i64,
                uptime_secs: t.uptime_secs as i64,
                sessions_online: i64::from(t.pppoe_active + t.hotspot_active),
                interfaces_json: serde_json::to_string(&t.interfaces).unwrap_or_default(),
            };
            routers::set_telemetry(&state.store, router.id, &fields).await?;
        }
        _ => routers::seen(&state.store, router.id).await?,
    }
    Ok(())
}

async fn audit_refusal(
    state: &AppState,
    router: &routers::Router,
    code: &str,
) -> Result<(), LinkError> {
    audit::append(
        &state.store,
        audit::NewEntry {
            company_id: Some(router.company_id),
            action: "fleet.message_refused".into(),
            entity: "router".into(),
            entity_id: router.id.to_string(),
            after: serde_json::json!({ "agent_id": router.agent_id, "reason": code }),
            ..audit::NewEntry::default()
        },
    )
    .await?;
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
    let keys: &FleetKeys = &state.fleet_keys;
    link.publish(topic, wire::seal_down(&envelope, &keys.pair), false)?;
    Ok(())
}

async fn notify_desired_by_id(
    state: &AppState,
    link: &MqttLink,
    id: RouterId,
) -> Result<(), LinkError> {
    match routers::by_id(&state.store, id).await? {
        Some(router) if router.is_active() => notify_desired(state, link, &router).await,
        _ => Ok(()),
    }
}

/// Tells the agent the current version, with the document's size and SHA-256 so what it
/// fetches over HTTP is bound to this signed message.
pub async fn notify_desired(
    state: &AppState,
    link: &MqttLink,
    router: &routers::Router,
) -> Result<(), LinkError> {
    let document = super::desired::for_router(&state.store, router).await?;
    let bytes = serde_json::to_vec(&document).unwrap_or_default();
    let sha256 = crate::random::hex(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref());
    send_down(
        state,
        link,
        &router.agent_id,
        DownBody::Desired(DesiredNotice {
            version: document.version,
            bytes: bytes.len() as u64,
            sha256,
        }),
    )
    .await
}

/// Records and sends a command; returns its id.
pub async fn send_command(
    state: &AppState,
    link: &MqttLink,
    router: &routers::Router,
    action: CommandAction,
    tenant: Option<&Tenant>,
) -> Result<String, LinkError> {
    let id = format!("cmd-{}", &crate::random::token()[..16]);
    let issued_at = now_ms();
    let expires_at = issued_at + COMMAND_LIFETIME_MS;
    let tenant = tenant
        .copied()
        .unwrap_or(Tenant::company(router.company_id));
    fleet::create_command(
        &state.store,
        &tenant,
        router.id,
        &id,
        &serde_json::to_value(&action).unwrap_or_default(),
        issued_at,
        expires_at,
    )
    .await?;
    send_down(
        state,
        link,
        &router.agent_id,
        DownBody::Command(Command {
            id: id.clone(),
            action,
            issued_at_ms: issued_at,
            expires_at_ms: expires_at,
        }),
    )
    .await?;
    Ok(id)
}
