//! The agent's link to the controller: enrollment ([`identity`]), the MQTT connection it dials
//! out on, the durable outbox behind every uplink, and what the controller sends down.
//!
//! - Uplinks go through [`Uplinks::push`]: numbered per boot, written to the outbox (fsynced),
//!   then published at QoS 1 whenever connected. They leave the outbox only on the controller's
//!   signed ack, never on the broker's PUBACK. After a reconnect everything unacked is sent
//!   again; records from an earlier process are marked `historical`.
//! - Every message is sealed with the agent's key; every downlink must carry the controller's
//!   signature and this agent's id, or it is dropped and counted.
//! - Each connection bumps `boot_seq` and sets a last will (`online: false`, same `boot_seq`),
//!   so the controller can tell a stale will from a current one.
//! - Reconnects back off with jitter (rumqttc itself retries at once).
//! - Commands are executed at most once: their ids are remembered on disk, and an expired
//!   command is answered `expired`, not run.

pub mod http;
pub mod identity;

use crate::backoff::Backoff;
use crate::outbox::{Limits, Outbox, OutboxError, Priority, Record};
use identity::Identity;
use protocol::fleet::{
    self as wire, topics, Command, CommandResult, CommandState, DesiredNotice, DownBody, Envelope,
    Status, UpBody,
};
use serde::Serialize;
use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

/// How many recently seen command ids are remembered (QoS 1 may deliver a command twice).
const SEEN_COMMANDS: usize = 256;
/// Records published per flush before the event loop gets a turn.
const FLUSH_BATCH: usize = 256;

/// What the controller asked for, for the agent's main loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Down {
    Desired(DesiredNotice),
    Command(Command),
}

/// The link as the status page shows it.
#[derive(Debug, Default, Serialize)]
pub struct LinkStatus {
    pub connected: AtomicBool,
    pub outbox_depth: AtomicU64,
    pub outbox_bytes: AtomicU64,
    /// Unix ms of the last ack from the controller (0: none yet).
    pub last_ack_ms: AtomicU64,
    pub refused_downlinks: AtomicU64,
    pub published: AtomicU64,
}

struct Inner {
    identity: Identity,
    boot_id: String,
    seq: AtomicU64,
    started: Instant,
    outbox: Mutex<Outbox>,
    wake: Notify,
    status: Arc<LinkStatus>,
}

/// Pushes uplinks into the outbox; cheap to clone.
#[derive(Clone)]
pub struct Uplinks {
    inner: Arc<Inner>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Identity(#[from] identity::IdentityError),
    #[error("outbox {path}: {source}")]
    Outbox {
        path: String,
        source: std::io::Error,
    },
    #[error("bad MQTT URL {0:?}: use mqtt://, mqtts://, ws:// or wss://host[:port]")]
    BadUrl(String),
    #[error("the MQTT URL needs TLS: give the controller's CA ([controller] ca_file)")]
    NoCa,
    #[error("TLS setup: {0}")]
    Tls(String),
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Before NTP has set the clock, a box without an RTC thinks it is 1970 (or its build date).
fn clock_synced() -> bool {
    // 2025-01-01: no real clock is earlier than this software.
    now_ms() > 1_735_689_600_000
}

fn priority_of(body: &UpBody) -> Priority {
    match body {
        UpBody::CommandResult(_) => Priority::CommandResult,
        UpBody::Event(_) => Priority::Event,
        UpBody::Birth(_) | UpBody::Reported(_) | UpBody::Status(_) => Priority::State,
        UpBody::Telemetry(_) => Priority::Telemetry,
    }
}

impl Uplinks {
    /// Numbers the message, makes it durable, and wakes the sender. `Full` when the outbox has
    /// no room for it (lower-priority records are evicted first).
    pub fn push(&self, body: UpBody) -> Result<(), OutboxError> {
        let inner = &self.inner;
        let seq = inner.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let envelope = inner.envelope(seq, body, false);
        let record = Record {
            boot_id: inner.boot_id.clone(),
            seq,
            priority: priority_of(&envelope.body),
            created_at_ms: now_ms(),
            payload: serde_json::to_vec(&envelope).expect("serialisable"),
        };
        {
            let mut outbox = inner.outbox.lock().expect("outbox lock");
            outbox.push(record)?;
            inner.update_counts(&outbox);
        }
        inner.wake.notify_one();
        Ok(())
    }

    pub fn status(&self) -> Arc<LinkStatus> {
        self.inner.status.clone()
    }

    pub fn outbox_stats(&self) -> crate::outbox::Stats {
        self.inner.outbox.lock().expect("outbox lock").stats()
    }
}

impl Inner {
    fn envelope(&self, seq: u64, body: UpBody, historical: bool) -> Envelope {
        Envelope {
            v: wire::PROTOCOL_VERSION,
            agent_id: self.identity.agent_id.clone(),
            boot_id: self.boot_id.clone(),
            seq,
            sent_at_ms: now_ms(),
            mono_ms: self.started.elapsed().as_millis() as u64,
            clock_synced: clock_synced(),
            historical,
            body,
        }
    }

    fn update_counts(&self, outbox: &Outbox) {
        self.status
            .outbox_depth
            .store(outbox.len() as u64, Ordering::Relaxed);
        self.status
            .outbox_bytes
            .store(outbox.bytes(), Ordering::Relaxed);
    }

    fn sealed_status(&self, online: bool, boot_seq: u64) -> Vec<u8> {
        let envelope = self.envelope(
            wire::UNSEQUENCED,
            UpBody::Status(Status {
                online,
                boot_id: self.boot_id.clone(),
                boot_seq,
            }),
            false,
        );
        wire::seal_up(&envelope, &self.identity.key)
    }
}

/// Starts the link. Returns the uplink handle and the stream of downlinks; `birth` is called
/// after every connect for the birth message.
pub fn start(
    identity: Identity,
    limits: Limits,
    tls_ca: Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
    birth: impl Fn() -> UpBody + Send + 'static,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(Uplinks, mpsc::UnboundedReceiver<Down>), LinkError> {
    let outbox_dir = identity.state_dir.join("outbox");
    let outbox = Outbox::open(&outbox_dir, limits).map_err(|source| LinkError::Outbox {
        path: outbox_dir.display().to_string(),
        source,
    })?;
    let broker = parse_mqtt_url(&identity.enrollment.mqtt_url)?;
    let tls = match (broker.scheme, tls_ca) {
        (Scheme::Tcp | Scheme::Ws, _) => None,
        (Scheme::Tls | Scheme::Wss, Some(ca)) => Some(
            crate::routeros::tls::client_config(&crate::routeros::Trust::Ca(ca))
                .map_err(|e| LinkError::Tls(e.to_string()))?,
        ),
        (Scheme::Tls | Scheme::Wss, None) => return Err(LinkError::NoCa),
    };
    let seen_path = identity.state_dir.join("commands_seen.json");
    let inner = Arc::new(Inner {
        identity,
        boot_id: wire::new_boot_id(),
        seq: AtomicU64::new(0),
        started: Instant::now(),
        outbox: Mutex::new(outbox),
        wake: Notify::new(),
        status: Arc::default(),
    });
    {
        let outbox = inner.outbox.lock().expect("outbox lock");
        inner.update_counts(&outbox);
    }
    let uplinks = Uplinks {
        inner: inner.clone(),
    };
    let (downs_tx, downs_rx) = mpsc::unbounded_channel();
    let session = Session {
        uplinks: uplinks.clone(),
        broker,
        tls,
        downs: downs_tx,
        seen: SeenCommands::load(seen_path),
    };
    tokio::spawn(session.run(birth, shutdown));
    Ok((uplinks, downs_rx))
}

/// Where and how to reach the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Broker {
    /// Host, or for WebSockets the whole URL (rumqttc wants it that way).
    host: String,
    port: u16,
    scheme: Scheme,
}

/// The transports an agent can dial out on: plain MQTT, MQTT over TLS, and MQTT over
/// WebSocket(S) for POPs whose upstream passes only HTTP(S).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Tcp,
    Tls,
    Ws,
    Wss,
}

fn parse_mqtt_url(url: &str) -> Result<Broker, LinkError> {
    let bad = || LinkError::BadUrl(url.to_owned());
    let (scheme, rest, default_port) = [
        ("mqtt://", Scheme::Tcp, 1883),
        ("tcp://", Scheme::Tcp, 1883),
        ("mqtts://", Scheme::Tls, 8883),
        ("ws://", Scheme::Ws, 80),
        ("wss://", Scheme::Wss, 443),
    ]
    .into_iter()
    .find_map(|(prefix, scheme, port)| url.strip_prefix(prefix).map(|rest| (scheme, rest, port)))
    .ok_or_else(bad)?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
        None => (authority, default_port),
    };
    if host.is_empty() {
        return Err(bad());
    }
    let host = match scheme {
        Scheme::Ws | Scheme::Wss => {
            // rumqttc splits the URL itself and needs the port in it.
            let path = &rest[authority.len()..];
            let prefix = if scheme == Scheme::Ws { "ws" } else { "wss" };
            format!(
                "{prefix}://{host}:{port}{}",
                if path.is_empty() { "/mqtt" } else { path }
            )
        }
        _ => host.trim_matches(['[', ']']).to_owned(),
    };
    Ok(Broker { host, port, scheme })
}

/// Command ids already taken, persisted so a restart does not run a redelivered command again.
struct SeenCommands {
    path: PathBuf,
    ids: VecDeque<String>,
}

impl SeenCommands {
    fn load(path: PathBuf) -> SeenCommands {
        let ids = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        SeenCommands { path, ids }
    }

    /// True the first time an id is seen.
    fn first_time(&mut self, id: &str) -> bool {
        if self.ids.iter().any(|seen| seen == id) {
            return false;
        }
        self.ids.push_back(id.to_owned());
        while self.ids.len() > SEEN_COMMANDS {
            self.ids.pop_front();
        }
        if let Err(e) = identity::write_private(
            &self.path,
            &serde_json::to_vec(&self.ids).expect("serialisable"),
        ) {
            tracing::warn!(error = %e, "could not persist seen command ids");
        }
        true
    }
}

struct Session {
    uplinks: Uplinks,
    broker: Broker,
    tls: Option<Arc<rustls::ClientConfig>>,
    downs: mpsc::UnboundedSender<Down>,
    seen: SeenCommands,
}

impl Session {
    async fn run(
        mut self,
        birth: impl Fn() -> UpBody + Send + 'static,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        loop {
            if *shutdown.borrow() {
                return;
            }
            let inner = self.uplinks.inner.clone();
            let boot_seq = match identity::next_boot_seq(&inner.identity.state_dir) {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "cannot persist boot_seq");
                    0
                }
            };
            let agent = &inner.identity.agent_id;
            let enrollment = &inner.identity.enrollment;
            let mut options =
                rumqttc::MqttOptions::new(agent.as_str(), &self.broker.host, self.broker.port);
            let tls =
                || rumqttc::TlsConfiguration::Rustls(self.tls.clone().expect("checked at start"));
            options.set_transport(match self.broker.scheme {
                Scheme::Tcp => rumqttc::Transport::Tcp,
                Scheme::Tls => rumqttc::Transport::Tls(tls()),
                Scheme::Ws => rumqttc::Transport::Ws,
                Scheme::Wss => rumqttc::Transport::Wss(tls()),
            });
            options.set_credentials(&enrollment.mqtt_username, &enrollment.mqtt_password);
            options.set_keep_alive(Duration::from_secs(30));
            options.set_max_packet_size(
                wire::MAX_MESSAGE_BYTES + 1024,
                wire::MAX_MESSAGE_BYTES + 1024,
            );
            options.set_last_will(rumqttc::LastWill::new(
                topics::status(agent),
                inner.sealed_status(false, boot_seq),
                rumqttc::QoS::AtLeastOnce,
                true,
            ));
            let (client, mut events) = rumqttc::AsyncClient::new(options, FLUSH_BATCH * 2);
            let mut sent: HashSet<(String, u64)> = HashSet::new();
            let mut connected = false;
            let mut more = false;
            loop {
                tokio::select! {
                    event = events.poll() => match event {
                        Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(ack))) => {
                            if ack.code != rumqttc::ConnectReturnCode::Success {
                                tracing::warn!(code = ?ack.code, "controller's broker refused the login");
                                break;
                            }
                            connected = true;
                            backoff.reset();
                            inner.status.connected.store(true, Ordering::Relaxed);
                            tracing::info!(boot_seq, "connected to the controller");
                            let _ = client.try_subscribe(topics::agent_filter(agent), rumqttc::QoS::AtLeastOnce);
                            let _ = client.try_publish(
                                topics::status(agent),
                                rumqttc::QoS::AtLeastOnce,
                                true,
                                inner.sealed_status(true, boot_seq),
                            );
                            if let Err(e) = self.uplinks.push(birth()) {
                                tracing::warn!(error = %e, "birth not queued");
                            }
                            more = true;
                        }
                        Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(publish))) => {
                            self.handle_down(&publish.payload, &mut sent);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            if connected {
                                tracing::warn!(error = %e, "lost the controller's broker");
                            }
                            break;
                        }
                    },
                    _ = inner.wake.notified() => more = true,
                    _ = shutdown.changed() => {
                        if *shutdown.borrow() {
                            let _ = client.try_publish(topics::status(agent), rumqttc::QoS::AtLeastOnce, true, inner.sealed_status(false, boot_seq));
                            let _ = client.try_disconnect();
                            // Give the event loop a moment to send both.
                            let _ = tokio::time::timeout(Duration::from_millis(300), async { while events.poll().await.is_ok() {} }).await;
                            return;
                        }
                    }
                    _ = std::future::ready(()), if connected && more => {
                        more = self.flush(&client, &mut sent);
                    }
                }
            }
            inner.status.connected.store(false, Ordering::Relaxed);
            let delay = backoff.next_delay();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Publishes unacked records not yet sent on this connection; true if more remain.
    fn flush(&self, client: &rumqttc::AsyncClient, sent: &mut HashSet<(String, u64)>) -> bool {
        let inner = &self.uplinks.inner;
        let records = {
            let mut outbox = inner.outbox.lock().expect("outbox lock");
            match outbox.pending(sent.len() + FLUSH_BATCH) {
                Ok(records) => records,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox read failed");
                    return false;
                }
            }
        };
        let mut published = 0;
        for record in records {
            let key = (record.boot_id.clone(), record.seq);
            if sent.contains(&key) {
                continue;
            }
            if published == FLUSH_BATCH {
                return true;
            }
            let Ok(mut envelope) = serde_json::from_slice::<Envelope>(&record.payload) else {
                tracing::warn!(seq = record.seq, "unreadable outbox record skipped");
                sent.insert(key);
                continue;
            };
            // From an earlier process: history, not the live state.
            envelope.historical = record.boot_id != inner.boot_id;
            envelope.sent_at_ms = now_ms();
            envelope.clock_synced = clock_synced();
            let topic = topics::build(&inner.identity.agent_id, envelope.body.topic_kind());
            let wire = wire::seal_up(&envelope, &inner.identity.key);
            match client.try_publish(topic, rumqttc::QoS::AtLeastOnce, false, wire) {
                Ok(()) => {
                    sent.insert(key);
                    published += 1;
                    inner.status.published.fetch_add(1, Ordering::Relaxed);
                }
                // The request queue is full: let the event loop drain it first.
                Err(_) => return true,
            }
        }
        false
    }

    fn handle_down(&mut self, payload: &[u8], sent: &mut HashSet<(String, u64)>) {
        let inner = &self.uplinks.inner;
        let envelope = match wire::open_down(
            payload,
            &inner.identity.agent_id,
            &inner.identity.controller_key,
        ) {
            Ok(envelope) => envelope,
            Err(e) => {
                inner
                    .status
                    .refused_downlinks
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, code = e.code(), "downlink refused");
                return;
            }
        };
        match envelope.body {
            DownBody::Ack(ack) => {
                let mut outbox = inner.outbox.lock().expect("outbox lock");
                let mut removed = outbox.ack(&ack.boot_id, ack.up_to_seq).unwrap_or(0);
                if let Some(seq) = ack.seq {
                    removed += outbox.ack_one(&ack.boot_id, seq).unwrap_or(0);
                }
                inner.update_counts(&outbox);
                if removed > 0 {
                    sent.retain(|(boot, seq)| *boot != ack.boot_id || *seq > ack.up_to_seq);
                }
                inner
                    .status
                    .last_ack_ms
                    .store(now_ms().max(0) as u64, Ordering::Relaxed);
            }
            DownBody::Desired(notice) => {
                let _ = self.downs.send(Down::Desired(notice));
            }
            DownBody::Command(command) => {
                if !self.seen.first_time(&command.id) {
                    tracing::info!(id = %command.id, "command already taken; ignored");
                    return;
                }
                if command.is_expired(now_ms()) && clock_synced() {
                    let _ = self.uplinks.push(UpBody::CommandResult(CommandResult {
                        id: command.id.clone(),
                        state: CommandState::Expired,
                        detail: "expired before it arrived".into(),
                    }));
                    return;
                }
                if matches!(command.action, wire::CommandAction::Rebirth) {
                    // Resend everything unacked on this connection, after a fresh birth.
                    sent.clear();
                    inner.wake.notify_one();
                }
                let _ = self.downs.send(Down::Command(command));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_choose_the_transport() {
        let b = parse_mqtt_url("mqtt://10.0.0.1").unwrap();
        assert_eq!(
            (b.host.as_str(), b.port, b.scheme),
            ("10.0.0.1", 1883, Scheme::Tcp)
        );
        let b = parse_mqtt_url("mqtts://setu.example.net:8884").unwrap();
        assert_eq!(
            (b.host.as_str(), b.port, b.scheme),
            ("setu.example.net", 8884, Scheme::Tls)
        );
        let b = parse_mqtt_url("wss://setu.example.net/mqtt").unwrap();
        assert_eq!(
            (b.host.as_str(), b.port, b.scheme),
            ("wss://setu.example.net:443/mqtt", 443, Scheme::Wss)
        );
        let b = parse_mqtt_url("ws://127.0.0.1:8083").unwrap();
        assert_eq!(b.host, "ws://127.0.0.1:8083/mqtt");
        assert!(parse_mqtt_url("http://x").is_err());
        assert!(parse_mqtt_url("mqtt://:1883").is_err());
    }
}
