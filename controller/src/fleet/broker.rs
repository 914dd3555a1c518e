//! The embedded MQTT broker and the controller's own MQTT client.
//!
//! rumqttd runs on its own OS threads (its `start` blocks and builds its own runtimes); the rest
//! of the controller sees only [`MqttLink`]. Logins are checked against `mqtt_credentials` in the
//! database by rumqttd's external-auth hook. The controller talks to the broker as an ordinary
//! client (rumqttc), so the same code path serves an external broker later.

use crate::kernel::db::{get, now_ms, Db, Result as StoreResult, Store};
use crate::kernel::{password, random};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MqttConfig {
    /// Start the embedded broker.
    pub embedded: bool,
    pub listen: SocketAddr,
    /// Largest MQTT payload accepted, in bytes.
    pub max_payload_bytes: usize,
    pub max_connections: usize,
    /// An external broker instead of the embedded one, e.g. `mqtt://mosquitto:1883`; the
    /// controller logs in with `username`/`password`.
    pub external_url: String,
    pub username: String,
    pub password: String,
    /// Subscribe through `$share/setu-controller/…` so several controller replicas split the
    /// agents' traffic. Turn off for a broker without shared subscriptions.
    pub shared_subscriptions: bool,
    /// Most messages waiting to be published (acks, notices, commands); beyond it a publish is
    /// refused and logged: acks are resent on the agent's retry, notices by the resend loop.
    pub publish_queue: usize,
    /// With Mosquitto: the password file the controller keeps (agents enrolled and not revoked,
    /// plus the controller's own login), and the shell command that makes Mosquitto re-read it
    /// (e.g. `kill -HUP $(cat /run/mosquitto/mosquitto.pid)`).
    pub mosquitto_password_file: String,
    pub mosquitto_reload_command: String,
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            embedded: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            max_payload_bytes: 256 * 1024,
            max_connections: 10_000,
            external_url: String::new(),
            username: String::new(),
            password: String::new(),
            shared_subscriptions: true,
            publish_queue: 10_000,
            mosquitto_password_file: String::new(),
            mosquitto_reload_command: String::new(),
        }
    }
}

impl std::fmt::Debug for MqttConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttConfig")
            .field("embedded", &self.embedded)
            .field("listen", &self.listen)
            .field("max_payload_bytes", &self.max_payload_bytes)
            .field("max_connections", &self.max_connections)
            .field("external_url", &self.external_url)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("shared_subscriptions", &self.shared_subscriptions)
            .field("publish_queue", &self.publish_queue)
            .field("mosquitto_password_file", &self.mosquitto_password_file)
            .field("mosquitto_reload_command", &self.mosquitto_reload_command)
            .finish()
    }
}

/// The controller's MQTT client: whether it is connected, publishing, and the agents' messages
/// (taken once by the fleet link).
#[derive(Clone)]
pub struct MqttLink {
    connected: Arc<AtomicBool>,
    /// Publishes go through their own task: the event loop also hands us incoming messages,
    /// and a consumer waiting on the client's request queue while the event loop waits on the
    /// consumer would deadlock under load.
    outgoing: tokio::sync::mpsc::Sender<(String, Vec<u8>, bool)>,
    /// The agents' messages, for the fleet link's ingest task (a restarted task takes the lock
    /// again and goes on where the last one stopped).
    incoming: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<rumqttc::Publish>>>,
}

impl MqttLink {
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Queues a QoS 1 publish; never waits for the broker. Refused when the queue is full.
    pub fn publish(&self, topic: String, payload: Vec<u8>, retain: bool) -> anyhow::Result<()> {
        self.outgoing
            .try_send((topic, payload, retain))
            .map_err(|e| match e {
                tokio::sync::mpsc::error::TrySendError::Full(_) => {
                    anyhow::anyhow!("the MQTT publish queue is full")
                }
                tokio::sync::mpsc::error::TrySendError::Closed(_) => {
                    anyhow::anyhow!("the MQTT client has stopped")
                }
            })
    }

    /// The agents' messages (held by one task at a time).
    pub fn incoming(
        &self,
    ) -> Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<rumqttc::Publish>>> {
        self.incoming.clone()
    }
}

const CONTROLLER_LOGIN: &str = "setu-controller";

/// Starts the embedded broker (when configured) and connects the controller's client to it.
pub async fn start(config: &MqttConfig, store: Store) -> anyhow::Result<Option<MqttLink>> {
    if !config.external_url.is_empty() {
        sync_mosquitto(config, &store).await?;
        let (host, port) = parse_mqtt_url(&config.external_url)?;
        return Ok(Some(connect_client(
            &host,
            port,
            &config.username,
            &config.password,
            config,
        )));
    }
    if !config.embedded {
        return Ok(None);
    }
    start_embedded(config, store.clone())?;
    wait_until_listening(config.listen).await?;
    // A fresh password at every start; only its hash is stored.
    let password = random::token();
    upsert_login(
        &mut *store.conn().await?,
        CONTROLLER_LOGIN,
        &password,
        "controller",
    )
    .await?;
    Ok(Some(connect_client(
        &config.listen.ip().to_string(),
        config.listen.port(),
        CONTROLLER_LOGIN,
        &password,
        config,
    )))
}

/// Rewrites Mosquitto's password file from the database (when configured) and asks Mosquitto to
/// re-read it. Called at start and whenever an agent is enrolled or revoked; with several
/// replicas on one Mosquitto host any of them may do it, the result is the same.
pub async fn sync_mosquitto(config: &MqttConfig, store: &Store) -> anyhow::Result<()> {
    if config.mosquitto_password_file.is_empty() {
        return Ok(());
    }
    let mut lines = mosquitto_lines(&mut *store.conn().await?).await?;
    if !config.username.is_empty() {
        lines.push(format!(
            "{}:{}",
            config.username,
            password::mosquitto_hash(&config.password)
        ));
    }
    let path = std::path::Path::new(&config.mosquitto_password_file);
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, lines.join("\n") + "\n")?;
    std::fs::rename(&temp, path)?;
    if !config.mosquitto_reload_command.is_empty() {
        let status = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&config.mosquitto_reload_command)
            .status()
            .await?;
        anyhow::ensure!(
            status.success(),
            "mosquitto reload command failed: {status}"
        );
    }
    Ok(())
}

/// `mqtt://host:port` (TCP) → host and port.
fn parse_mqtt_url(url: &str) -> anyhow::Result<(String, u16)> {
    let rest = url
        .strip_prefix("mqtt://")
        .or_else(|| url.strip_prefix("tcp://"))
        .ok_or_else(|| anyhow::anyhow!("mqtt.external_url must start with mqtt:// (got {url})"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "1883"));
    Ok((host.to_owned(), port.parse()?))
}

fn start_embedded(config: &MqttConfig, store: Store) -> anyhow::Result<()> {
    let mut connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 10_000,
        max_payload_size: config.max_payload_bytes,
        max_inflight_count: 100,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let handle = tokio::runtime::Handle::current();
    connections.set_auth_handler(
        move |client_id: String, username: String, password: String| {
            let store = store.clone();
            let handle = handle.clone();
            async move {
                // The database pool lives on the controller's runtime.
                let checked = handle
                    .spawn(async move {
                        let mut conn = store.conn().await?;
                        check_login(&mut conn, &username, &password).await
                    })
                    .await;
                let allowed = matches!(checked, Ok(Ok(true)));
                if !allowed {
                    tracing::warn!(%client_id, "MQTT login refused");
                }
                allowed
            }
        },
    );
    let server = rumqttd::ServerSettings {
        name: "v4".into(),
        listen: config.listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let broker_config = rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: config.max_connections,
            max_outgoing_packet_count: 200,
            max_segment_size: 16 * 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some([("v4".to_owned(), server)].into_iter().collect()),
        ..Default::default()
    };
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(broker_config);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded MQTT broker stopped");
            }
        })?;
    Ok(())
}

async fn wait_until_listening(addr: SocketAddr) -> anyhow::Result<()> {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the embedded MQTT broker did not start listening on {addr}")
}

/// The controller's client; reconnects on its own, subscribes to the agents' topics after
/// every connect, and keeps [`MqttLink`] up to date.
fn connect_client(
    host: &str,
    port: u16,
    username: &str,
    password: &str,
    config: &MqttConfig,
) -> MqttLink {
    use protocol::fleet::topics;
    let mut options = rumqttc::MqttOptions::new(
        format!("setu-controller-{}", &random::token()[..8]),
        host,
        port,
    );
    options.set_credentials(username, password);
    options.set_keep_alive(Duration::from_secs(10));
    options.set_max_packet_size(
        config.max_payload_bytes + 1024,
        config.max_payload_bytes + 1024,
    );
    let (client, mut events) = rumqttc::AsyncClient::new(options, 256);
    let (incoming_tx, incoming_rx) = tokio::sync::mpsc::channel(1024);
    let (outgoing, mut to_publish) =
        tokio::sync::mpsc::channel::<(String, Vec<u8>, bool)>(config.publish_queue.max(1));
    let link = MqttLink {
        connected: Arc::default(),
        outgoing,
        incoming: Arc::new(tokio::sync::Mutex::new(incoming_rx)),
    };
    let publisher = client.clone();
    tokio::spawn(async move {
        while let Some((topic, payload, retain)) = to_publish.recv().await {
            if let Err(e) = publisher
                .publish(topic, rumqttc::QoS::AtLeastOnce, retain, payload)
                .await
            {
                tracing::warn!(error = %e, "MQTT publish failed");
            }
        }
    });
    let connected = link.connected.clone();
    let filters = if config.shared_subscriptions {
        // Status stays unshared: shared subscriptions get no retained messages, and every
        // replica should know every agent's status.
        [
            topics::CONTROLLER_UP_FILTER,
            topics::CONTROLLER_STATUS_FILTER_UNSHARED,
        ]
    } else {
        [
            topics::CONTROLLER_UP_FILTER_UNSHARED,
            topics::CONTROLLER_STATUS_FILTER_UNSHARED,
        ]
    };
    tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(ack))) => {
                    let ok = ack.code == rumqttc::ConnectReturnCode::Success;
                    connected.store(ok, Ordering::Relaxed);
                    if ok {
                        for filter in filters {
                            if let Err(e) =
                                client.subscribe(filter, rumqttc::QoS::AtLeastOnce).await
                            {
                                tracing::error!(error = %e, filter, "subscribe failed");
                            }
                        }
                    }
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(publish))) => {
                    // Backpressure: a slow database slows reading from the broker.
                    if incoming_tx.send(publish).await.is_err() {
                        tracing::debug!("no fleet link; agent message dropped");
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if connected.swap(false, Ordering::Relaxed) {
                        tracing::warn!(error = %e, "controller lost its MQTT connection");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    link
}

// MQTT logins, kept (hashed) in the database for the embedded broker's auth hook and Mosquitto's
// password file.

/// Creates or replaces a login. `password` should be a random token (see module docs of the
/// migration): only its SHA-256 is kept.
pub async fn upsert_login(
    db: &mut Db,
    username: &str,
    password: &str,
    kind: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mqtt_credentials (username, password_sha256, kind, created_at, mosquitto_hash)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (username) DO UPDATE SET password_sha256 = $2, kind = $3, revoked_at = NULL,
             mosquitto_hash = $5",
    )
    .bind(username)
    .bind(random::sha256_hex(password))
    .bind(kind)
    .bind(now_ms())
    .bind(password::mosquitto_hash(password))
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Whether `username`/`password` is a live login.
pub async fn check_login(db: &mut Db, username: &str, password: &str) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT password_sha256 FROM mqtt_credentials WHERE username = $1 AND revoked_at IS NULL",
    )
    .bind(username)
    .fetch_optional(&mut *db)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let stored: String = get(&row, "password_sha256")?;
    let offered = random::sha256_hex(password);
    Ok(random::constant_time_eq(
        stored.as_bytes(),
        offered.as_bytes(),
    ))
}

pub async fn revoke_login(db: &mut Db, username: &str) -> StoreResult<()> {
    sqlx::query("UPDATE mqtt_credentials SET revoked_at = $1 WHERE username = $2")
        .bind(now_ms())
        .bind(username)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Live logins as Mosquitto password-file lines (`username:$7$…`), agents only: the
/// controller's own login comes from its configuration.
pub async fn mosquitto_lines(db: &mut Db) -> StoreResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT username, mosquitto_hash FROM mqtt_credentials
         WHERE revoked_at IS NULL AND kind = 'agent' AND mosquitto_hash <> '' ORDER BY username",
    )
    .fetch_all(&mut *db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(format!(
                "{}:{}",
                get::<String>(r, "username")?,
                get::<String>(r, "mosquitto_hash")?
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The publish queue is bounded: when nothing drains it, publishes are refused instead of
    /// piling up in memory.
    #[test]
    fn a_full_publish_queue_refuses_instead_of_growing() {
        let (outgoing, _waiting) = tokio::sync::mpsc::channel(3);
        let (_, incoming) = tokio::sync::mpsc::channel(1);
        let link = MqttLink {
            connected: Arc::default(),
            outgoing,
            incoming: Arc::new(tokio::sync::Mutex::new(incoming)),
        };
        for i in 0..3 {
            link.publish(format!("t/{i}"), vec![0; 16], false).unwrap();
        }
        let refused = link.publish("t/3".into(), vec![0; 16], false).unwrap_err();
        assert!(refused.to_string().contains("full"), "{refused}");
    }
}
