//! `/healthz` (the process answers), `/readyz` (it can do work), `/metrics` (Prometheus).

use super::{Access, AppState, Routes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

pub fn routes(r: Routes) -> Routes {
    r.add("GET", "/healthz", Access::Public, get(healthz))
        .add("GET", "/readyz", Access::Public, get(readyz))
        .add("GET", "/metrics", Access::Public, get(metrics))
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and is fully migrated, and the MQTT link (if any) is up.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if !state.store.ready().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable or not migrated",
        );
    }
    if state.mqtt.as_ref().is_some_and(|m| !m.is_connected()) {
        return (StatusCode::SERVICE_UNAVAILABLE, "MQTT broker not connected");
    }
    (StatusCode::OK, "ready")
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let pool = state.store.pool();
    let mqtt_connected = state.mqtt.as_ref().is_some_and(|m| m.is_connected());
    let extra = [
        (
            "setu_db_pool_connections",
            "Open database connections.",
            f64::from(pool.size()),
        ),
        (
            "setu_db_pool_idle",
            "Idle database connections.",
            pool.num_idle() as f64,
        ),
        (
            "setu_mqtt_connected",
            "1 while the controller's MQTT client is connected.",
            f64::from(u8::from(mqtt_connected)),
        ),
    ];
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(&extra),
    )
}
