//! The HTTP layer: web pages and the JSON API, on one router.
//!
//! Every route is registered through [`Routes::add`] with the [`Access`] it needs; there is no
//! other way to add one, so no route can forget its permission, and `tests` walk
//! [`Routes::table`] to prove it. The session layer (`session.rs`) puts the signed-in user's
//! [`Auth`] in the request; the per-route guard checks access and, for state-changing requests
//! on a cookie session, the CSRF token.
//!
//! Module pattern (every later resource copies it): `api/<resource>.rs` holds JSON handlers,
//! `pages/<resource>.rs` the HTML pages, both calling `store::<resource>` with the caller's
//! `Tenant`, both writing an audit entry for every change, both registering in `routes()`.

pub mod agent;
pub mod api;
pub mod error;
mod guard;
pub mod health;
mod idempotency;
pub mod pages;
pub mod session;
pub mod staff;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::rbac::Permission;
use crate::store::{Store, Tenant, UserId};
use axum::routing::MethodRouter;
use axum::Router;
use std::collections::HashSet;
use std::sync::Arc;

pub use error::{ApiError, ApiResult};
pub use guard::{form_field, form_values, urlencode};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// `None` when no broker is configured.
    pub mqtt: Option<crate::broker::MqttLink>,
    pub fleet_keys: crate::fleet::FleetKeys,
    /// Changes the fleet link and live pages act on.
    pub fleet_events: tokio::sync::broadcast::Sender<crate::fleet::FleetEvent>,
}

impl AppState {
    /// An MQTT login was added or revoked: an external Mosquitto's password file follows.
    pub async fn mqtt_logins_changed(&self) {
        if let Err(e) = crate::broker::sync_mosquitto(&self.config.mqtt, &self.store).await {
            tracing::error!(error = %e, "Mosquitto password file not updated");
        }
    }

    /// Tells the fleet link that these routers' desired state changed.
    pub fn fleet_changed(&self, routers: &[crate::store::RouterId]) {
        for router in routers {
            // No receiver (no link, no live page) is fine: agents also learn at their next birth.
            let _ = self
                .fleet_events
                .send(crate::fleet::FleetEvent::DesiredChanged(*router));
        }
    }
}

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: login, health, language switch.
    Public,
    /// Any signed-in user (e.g. logout).
    SignedIn,
    /// A signed-in user holding this permission in the current company.
    Needs(Permission),
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub is_platform_admin: bool,
    /// The company the session works in; `None` for a platform admin who has not chosen one.
    pub tenant: Option<Tenant>,
    pub role: Option<String>,
    pub permissions: HashSet<Permission>,
    /// Empty for API tokens, which need none (no ambient credential to forge requests with).
    pub csrf_token: String,
    pub session_hash: String,
    /// Signed in with an API token rather than the session cookie.
    pub via_token: bool,
}

impl Auth {
    pub fn can(&self, permission: Permission) -> bool {
        self.is_platform_admin
            || (!permission.is_platform_only() && self.permissions.contains(&permission))
    }

    /// The tenant for tenant-scoped work; a platform admin must pick a company first.
    pub fn tenant(&self) -> ApiResult<Tenant> {
        self.tenant.ok_or(ApiError::Forbidden)
    }
}

/// One registered route, for the access sweep in tests and the OpenAPI listing.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    fn new() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Registers `handler` for `method path`, guarded by `access`.
    pub fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.table.push(RouteInfo {
            method,
            path,
            access,
        });
        let guarded = handler.route_layer(axum::middleware::from_fn(move |req, next| {
            guard::check(access, req, next)
        }));
        self.router = self.router.route(path, guarded);
        self
    }

    pub fn table(&self) -> &[RouteInfo] {
        &self.table
    }
}

/// Every route of the application.
pub fn routes() -> Routes {
    let r = Routes::new();
    let r = health::routes(r);
    let r = agent::routes(r);
    let r = pages::routes(r);
    api::routes(r)
}

/// The application: routes, session layer, metrics, body limit.
pub fn app(state: AppState) -> Router {
    let limit = state.config.http.max_body_bytes;
    routes()
        .router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::layer,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(state)
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for session::Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        Ok(session::Origin::of(&parts.headers, peer))
    }
}

/// What changed, for the audit log.
pub struct Change {
    pub action: &'static str,
    pub entity: &'static str,
    pub entity_id: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl Change {
    /// `before` and `after` are the entity's JSON (`Null` where it did not exist).
    pub fn new(
        action: &'static str,
        entity: &'static str,
        id: impl ToString,
        before: impl serde::Serialize,
        after: impl serde::Serialize,
    ) -> Change {
        Change {
            action,
            entity,
            entity_id: id.to_string(),
            before: serde_json::to_value(before).unwrap_or_default(),
            after: serde_json::to_value(after).unwrap_or_default(),
        }
    }
}

/// Records a change made by the signed-in user.
pub async fn audit_change(
    state: &AppState,
    auth: &Auth,
    origin: &session::Origin,
    change: Change,
) -> ApiResult<()> {
    crate::store::audit::append(
        &state.store,
        crate::store::audit::NewEntry {
            company_id: auth.tenant.map(|t| t.company),
            actor: Some(auth.user_id),
            action: change.action.into(),
            entity: change.entity.into(),
            entity_id: change.entity_id,
            before: change.before,
            after: change.after,
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
        },
    )
    .await?;
    Ok(())
}

/// Checks a name-like text field: trimmed, non-empty, at most `max` characters.
pub fn required_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, error::FieldError> {
    let value = value.trim();
    if value.is_empty() {
        Err(error::FieldError {
            field,
            code: "field.required",
        })
    } else if value.chars().count() > max {
        Err(error::FieldError {
            field,
            code: "field.too_long",
        })
    } else {
        Ok(value.to_owned())
    }
}
