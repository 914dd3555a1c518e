//! The JSON API under `/api/v1`. Errors are `{code, message, fields?}` with stable codes
//! (`error.rs`); bodies with unknown fields or wrong types are refused; lists are paginated with
//! `?after=<id>&limit=<n>` (keyset, so pages stay fast at 100,000 rows).

pub(crate) mod audit;
pub(crate) mod branches;
pub(crate) mod companies;
pub(crate) mod plans;
pub(crate) mod pops;
pub(crate) mod roles;
pub(crate) mod routers;
pub mod sessions;
pub(crate) mod settings;
pub(crate) mod subscribers;
mod users;

use super::{Access, ApiError, Auth, Routes};
use crate::rbac::Permission;
use axum::extract::{FromRequest, Request};
use axum::routing::get;
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub fn routes(r: Routes) -> Routes {
    let r = r.add("GET", "/api/v1/me", Access::SignedIn, get(me));
    let r = r.add("GET", "/api/v1/openapi.json", Access::Public, get(openapi));
    let r = branches::routes(r);
    let r = companies::routes(r);
    let r = roles::routes(r);
    let r = settings::routes(r);
    let r = audit::routes(r);
    let r = pops::routes(r);
    let r = routers::routes(r);
    let r = plans::routes(r);
    let r = subscribers::routes(r);
    let r = sessions::routes(r);
    users::routes(r)
}

/// A JSON body whose rejections use our error format.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge)
            }
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

#[derive(Serialize)]
pub struct Me {
    pub user_id: crate::store::UserId,
    pub username: String,
    pub display_name: String,
    pub company_id: Option<crate::store::CompanyId>,
    pub role: Option<String>,
    pub permissions: Vec<&'static str>,
    /// Send as `x-csrf-token` on state-changing requests made with the session cookie.
    pub csrf_token: String,
}

async fn me(auth: Auth) -> Json<Me> {
    let mut permissions: Vec<&'static str> = Permission::ALL
        .iter()
        .filter(|p| auth.can(**p))
        .map(|p| p.name())
        .collect();
    permissions.sort_unstable();
    Json(Me {
        user_id: auth.user_id,
        username: auth.username,
        display_name: auth.display_name,
        company_id: auth.tenant.map(|t| t.company),
        role: auth.role,
        permissions,
        csrf_token: auth.csrf_token,
    })
}

/// A minimal OpenAPI 3.1 document generated from the route table: every path, method and the
/// permission it requires.
async fn openapi() -> Json<serde_json::Value> {
    let mut paths = serde_json::Map::new();
    for route in super::routes()
        .table()
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
    {
        let access = match route.access {
            Access::Public => "public".to_owned(),
            Access::SignedIn => "signed-in".to_owned(),
            Access::Needs(p) => p.name().to_owned(),
        };
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| serde_json::json!({}));
        entry[route.method.to_lowercase()] = serde_json::json!({
            "x-permission": access,
            "responses": { "default": { "description": "JSON; errors are {code, message, fields?}" } }
        });
    }
    Json(serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": "Setu controller API", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
    }))
}
