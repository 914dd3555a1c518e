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

/// Ready when the database answers and is fully migrated.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.store.ready().await {
        (StatusCode::OK, "ready")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable or not migrated",
        )
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let pool = state.store.pool();
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
    ];
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(&extra),
    )
}
