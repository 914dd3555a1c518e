//! The embedded MQTT broker: it starts with the controller, admits only logins from the
//! database, and readiness reports the controller's own link to it.

use crate::helpers::{free_port, spawn_with, Client};
use controller::config::Config;
use controller::fleet::broker::{revoke_login, upsert_login};
use std::time::Duration;

/// Connects with `username`/`password`; returns whether the broker accepted.
async fn try_login(port: u16, username: &str, password: &str) -> bool {
    let mut options = rumqttc::MqttOptions::new(
        format!("test-{}", &controller::kernel::random::token()[..6]),
        "127.0.0.1",
        port,
    );
    options.set_credentials(username, password);
    let (_client, mut events) = rumqttc::AsyncClient::new(options, 8);
    let outcome = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(ack))) => {
                    return ack.code == rumqttc::ConnectReturnCode::Success
                }
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    })
    .await;
    outcome.unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_admits_only_live_database_logins_and_readiness_follows_the_link() {
    let port = free_port();
    let mut config = Config::default();
    config.mqtt.listen = format!("127.0.0.1:{port}").parse().unwrap();
    config.http.metrics_token = "t".into();
    let app = spawn_with(config).await;

    let mut probe = Client::new(&app);
    let mut ready = false;
    for _ in 0..100 {
        if probe.get("/readyz").await.status == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        ready,
        "readyz never became ready: {}",
        probe.get("/readyz").await.body
    );
    let metrics = probe
        .request(
            "GET",
            "/metrics",
            None,
            b"",
            &[("Authorization", "Bearer t")],
        )
        .await
        .body;
    assert!(metrics.contains("setu_mqtt_connected 1"), "{metrics}");

    assert!(
        !try_login(port, "pop-agent-1", "guess").await,
        "unknown login refused"
    );
    let secret = controller::kernel::random::token();
    upsert_login(
        &mut app.store.conn().await.unwrap(),
        "pop-agent-1",
        &secret,
        "agent",
    )
    .await
    .unwrap();
    assert!(
        !try_login(port, "pop-agent-1", "wrong").await,
        "wrong password refused"
    );
    assert!(
        try_login(port, "pop-agent-1", &secret).await,
        "live login admitted"
    );
    revoke_login(&mut app.store.conn().await.unwrap(), "pop-agent-1")
        .await
        .unwrap();
    assert!(
        !try_login(port, "pop-agent-1", &secret).await,
        "revoked login refused"
    );
    let stored =
        sqlx::query("SELECT password_sha256 FROM mqtt_credentials WHERE username = 'pop-agent-1'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_ne!(
        sqlx::Row::get::<String, _>(&stored, "password_sha256"),
        secret,
        "only a hash is stored"
    );
}
