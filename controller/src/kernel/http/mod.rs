//! The HTTP plumbing every domain shares: the route registry, the signed-in user ([`Auth`]),
//! the per-route guard (authentication, permission, CSRF, idempotency keys), sessions, the
//! extractors that turn a request into a [`Work`](super::work::Work), errors, the page shell,
//! lists, security headers and the OpenAPI document.
//!
//! Every route is registered through [`Routes::add`] (pages, agents' endpoints) or
//! [`Routes::api`] (the JSON API, with its OpenAPI description) with the [`Access`] it needs;
//! there is no other way to add one, so no route can forget its permission, and tests walk
//! [`Routes::table`] to prove it.

pub mod csv;
pub mod doc;
pub mod error;
pub mod extract;
pub mod form;
pub mod guard;
pub mod health;
pub mod idempotency;
pub mod list;
pub mod openapi;
pub mod page;
pub mod security;
pub mod server;
pub mod session;

use super::ids::{ApiTokenId, UserId};
use super::rbac::Permission;
use super::scope::{Actor, Scope};
use crate::AppState;
use axum::routing::MethodRouter;
use axum::Router;
use std::collections::HashSet;

pub use doc::Doc;

/// Requests whose path starts with this get JSON errors; the rest get pages.
pub const API_PREFIX: &str = "/api/";

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: login, health, language switch, agents' own endpoints.
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
    /// The company (and branch) the session works in; `None` for a platform admin who has not
    /// chosen one.
    pub scope: Option<Scope>,
    pub role: Option<String>,
    pub permissions: HashSet<Permission>,
    /// Empty for API tokens, which need none (no ambient credential to forge requests with).
    pub csrf_token: String,
    pub session_hash: String,
    /// Signed in with this API token rather than the session cookie.
    pub token: Option<ApiTokenId>,
}

impl Auth {
    pub fn can(&self, permission: Permission) -> bool {
        self.is_platform_admin
            || (!permission.is_platform_only() && self.permissions.contains(&permission))
    }

    /// The scope for company work; a platform admin must pick a company first.
    pub fn scope(&self) -> super::Result<Scope> {
        self.scope.ok_or(super::Error::Forbidden)
    }

    pub fn actor(&self) -> Actor {
        Actor::Staff {
            user: self.user_id,
            token: self.token,
        }
    }

    /// What this user may hand out (see [`Held`](crate::kernel::work::Held)).
    pub fn held(&self) -> crate::kernel::work::Held {
        use crate::kernel::work::Held;
        if self.is_platform_admin {
            Held::Everything
        } else {
            Held::Only(
                self.permissions
                    .iter()
                    .copied()
                    .filter(|p| !p.is_platform_only())
                    .collect(),
            )
        }
    }

    pub fn via_token(&self) -> bool {
        self.token.is_some()
    }
}

/// One registered route, for the access sweep in tests and the OpenAPI document.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    /// The JSON API's routes describe themselves.
    pub doc: Option<Doc>,
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

    /// Registers `handler` for `method path` (a page or another non-API route), guarded by
    /// `access`.
    pub fn add(
        self,
        method: &'static str,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.register(method, path, access, None, handler)
    }

    /// Registers a JSON API route with its description for the OpenAPI document.
    pub fn api(
        self,
        method: &'static str,
        path: &'static str,
        access: Access,
        doc: Doc,
        handler: MethodRouter<AppState>,
    ) -> Self {
        debug_assert!(path.starts_with(API_PREFIX), "{path} is not an API path");
        self.register(method, path, access, Some(doc), handler)
    }

    fn register(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        doc: Option<Doc>,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.table.push(RouteInfo {
            method,
            path,
            access,
            doc,
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

/// Every route of the application: each domain's, in [`crate::DOMAINS`] order.
pub fn routes() -> Routes {
    crate::DOMAINS
        .iter()
        .fold(Routes::new(), |routes, domain| (domain.routes)(routes))
}

/// The application: routes, fallbacks, session layer, metrics, security headers, body limit.
pub fn app(state: AppState) -> Router {
    let limit = state.config.http.max_body_bytes;
    routes()
        .router
        .fallback(guard::not_found)
        .method_not_allowed_fallback(guard::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            super::metrics::layer,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(state)
}
