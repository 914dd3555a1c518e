//! The embedded MQTT broker and the controller's own MQTT client.
//!
//! rumqttd runs on its own OS threads (its `start` blocks and builds its own runtimes); the rest
//! of the controller sees only [`MqttLink`]. Logins are checked against `mqtt_credentials` in the
//! database by rumqttd's external-auth hook. The controller talks to the broker as an ordinary
//! client (rumqttc), so the same code path serves an external broker later.

use crate::store::{mqtt, Store};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MqttConfig {
    /// Start the embedded broker.
    pub embedded: bool,
    pub listen: SocketAddr,
    /// Largest MQTT payload accepted, in bytes.
    pub max_payload_bytes: usize,
    pub max_connections: usize,
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            embedded: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            max_payload_bytes: 256 * 1024,
            max_connections: 10_000,
        }
    }
}

/// The controller's view of MQTT: whether its client is connected.
#[derive(Clone, Default)]
pub struct MqttLink {
    connected: Arc<AtomicBool>,
}

impl MqttLink {
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }
}

const CONTROLLER_LOGIN: &str = "setu-controller";

/// Starts the embedded broker (when configured) and connects the controller's client to it.
pub async fn start(config: &MqttConfig, store: Store) -> anyhow::Result<Option<MqttLink>> {
    if !config.embedded {
        return Ok(None);
    }
    start_embedded(config, store.clone())?;
    wait_until_listening(config.listen).await?;
    // A fresh password at every start; only its hash is stored.
    let password = crate::random::token();
    mqtt::upsert(&store, CONTROLLER_LOGIN, &password, "controller").await?;
    Ok(Some(connect_client(
        config.listen,
        CONTROLLER_LOGIN,
        &password,
    )))
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
                    .spawn(async move { mqtt::check(&store, &username, &password).await })
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

/// The controller's client; reconnects on its own and keeps [`MqttLink`] up to date.
fn connect_client(broker: SocketAddr, username: &str, password: &str) -> MqttLink {
    let mut options = rumqttc::MqttOptions::new(
        format!("setu-controller-{}", &crate::random::token()[..8]),
        broker.ip().to_string(),
        broker.port(),
    );
    options.set_credentials(username, password);
    options.set_keep_alive(Duration::from_secs(10));
    let (_client, mut events) = rumqttc::AsyncClient::new(options, 64);
    let link = MqttLink::default();
    let connected = link.connected.clone();
    tokio::spawn(async move {
        // Keep the client alive for as long as its event loop runs.
        let _client = _client;
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(ack))) => {
                    connected.store(
                        ack.code == rumqttc::ConnectReturnCode::Success,
                        Ordering::Relaxed,
                    );
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
