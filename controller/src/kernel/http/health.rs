//! `/healthz` (the process answers), `/readyz` (it can do work), `/metrics` (Prometheus).
//!
//! Metrics tell an outsider how big the ISP is and what its fleet is doing, so they are not
//! public: on the main listener `/metrics` wants `Authorization: Bearer <http.metrics_token>`
//! (and answers 404 when no token is configured), and `http.metrics_listen` serves them without
//! a token on a separate address, e.g. one only Prometheus can reach.

use crate::kernel::random::constant_time_eq;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and is fully migrated, the MQTT link (if any) is up, and the
/// job scheduler (if this replica runs one) ticks and the queue moves.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if !state.store.ready().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable or not migrated",
        );
    }
    if state.fleet.mqtt.as_ref().is_some_and(|m| !m.is_connected()) {
        return (StatusCode::SERVICE_UNAVAILABLE, "MQTT broker not connected");
    }
    if let Some(stalled) = crate::jobs::service::stalled(&state).await {
        return (StatusCode::SERVICE_UNAVAILABLE, stalled);
    }
    (StatusCode::OK, "ready")
}

/// `/metrics` on the main listener: only with the configured token.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = &state.config.http.metrics_token;
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if token.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    if !constant_time_eq(offered.trim().as_bytes(), token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    exposition(&state).await.into_response()
}

async fn exposition(state: &AppState) -> impl IntoResponse {
    let pool = state.store.pool();
    let mqtt_connected = state.fleet.mqtt.as_ref().is_some_and(|m| m.is_connected());
    let mut extra = vec![
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
    match crate::jobs::service::figures(state).await {
        Ok(figures) => extra.extend(figures),
        Err(e) => tracing::warn!(error = %e, "job queue not measured"),
    }
    match crate::fleet::service::lag(state).await {
        Ok(lag) => extra.extend([
            (
                "setu_fleet_routers_lagging",
                "Enrolled routers whose applied desired-state version is behind the desired one.",
                lag.routers as f64,
            ),
            (
                "setu_fleet_lag_oldest_seconds",
                "How long the longest-lagging router has been behind.",
                lag.oldest_ms as f64 / 1000.0,
            ),
        ]),
        Err(e) => tracing::warn!(error = %e, "fleet lag not measured"),
    }
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(&extra),
    )
}

/// The separate metrics listener's app (`http.metrics_listen`): `/metrics` without a token.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(state): State<AppState>| async move {
                exposition(&state).await.into_response()
            }),
        )
        .with_state(state)
}

/// The kernel's own routes: health, readiness, metrics.
pub fn routes(r: super::Routes) -> super::Routes {
    use super::Access::Public;
    use axum::routing::get;
    r.add("GET", "/healthz", Public, get(healthz))
        .add("GET", "/readyz", Public, get(readyz))
        .add("GET", "/metrics", Public, get(metrics))
}
