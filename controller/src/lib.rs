//! The Setu controller: web UI and JSON API for the office.
//!
//! Layout:
//! - [`config`]: layered configuration; [`store`]: the only module that knows SQL (SQLite or
//!   PostgreSQL through one set of queries), tenant-scoped.
//! - [`http`]: routes (each with its declared permission), sessions, CSRF, pages, JSON API.
//! - [`rbac`]: permissions and seeded roles; [`password`]: argon2id; [`totp`]: the second factor; [`i18n`]: Bangla/English,
//!   lakh grouping, taka, Dhaka time; [`metrics`]: Prometheus text.
//! - [`bootstrap`]: first admin, companies with their seeded roles, demo data.
//! - [`broker`]: the embedded MQTT broker (own threads) and the controller's MQTT client.
//!
//! [`run`] serves until `shutdown` completes; `main.rs` only parses the command line.

pub mod bootstrap;
pub mod broker;
pub mod config;
pub mod fleet;
pub mod http;
pub mod i18n;
pub mod metrics;
pub mod password;
pub mod random;
pub mod rbac;
pub mod store;
pub mod totp;

use config::Config;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use store::Store;
use tokio::net::TcpListener;

/// Opens the store (creating the data directory for SQLite) and applies migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database.url.is_empty() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let store = Store::connect(&config.database_url()).await?;
    store.migrate().await?;
    Ok(store)
}

/// Starts the embedded MQTT broker (when configured), then serves the application on `listener`
/// until `shutdown` completes, and drains requests.
pub async fn run(
    config: Config,
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mqtt = broker::start(&config.mqtt, store.clone())
        .await
        .map_err(std::io::Error::other)?;
    let fleet_keys = fleet::FleetKeys::load(&store)
        .await
        .map_err(std::io::Error::other)?;
    let (fleet_events, _) = tokio::sync::broadcast::channel(1024);
    let state = http::AppState {
        store: store.clone(),
        config: Arc::new(config),
        metrics: Arc::default(),
        mqtt,
        fleet_keys,
        fleet_events,
    };
    if let Some(link) = state.mqtt.clone() {
        tokio::spawn(fleet::link::run(state.clone(), link));
    }
    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    let app = http::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    housekeeping.abort();
    store.close().await;
    result
}

/// Hourly clean-up of rows nobody needs any more.
async fn housekeeping(state: http::AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let store = &state.store;
        match store::idempotency::purge_expired(store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "expired idempotency keys removed"),
            Err(e) => tracing::warn!(error = %e, "idempotency clean-up failed"),
        }
        let cutoff = store::now_ms() - state.config.fleet.session_retention_days * 86_400_000;
        match store::fleet::purge_sessions(store, cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "sessions past retention removed"),
            Err(e) => tracing::warn!(error = %e, "session log clean-up failed"),
        }
    }
}
