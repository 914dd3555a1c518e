//! `/api/v1/routers`: routers with their agents: create, enrollment tokens, revocation, live
//! status and desired vs applied version.

use super::super::session::Origin;
use super::super::{
    audit_change, required_text, Access, ApiError, ApiResult, AppState, Auth, Change, Routes,
};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::{fleet, mqtt, now_ms, routers, PopId, RouterId, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/routers",
        Access::Needs(Permission::RoutersView),
        get(list),
    )
    .add(
        "POST",
        "/api/v1/routers",
        Access::Needs(Permission::RoutersManage),
        post(create),
    )
    .add(
        "GET",
        "/api/v1/routers/{id}",
        Access::Needs(Permission::RoutersView),
        get(show),
    )
    .add(
        "POST",
        "/api/v1/routers/{id}/enrollment",
        Access::Needs(Permission::RoutersManage),
        post(enrollment),
    )
    .add(
        "POST",
        "/api/v1/routers/{id}/revoke",
        Access::Needs(Permission::RoutersManage),
        post(revoke),
    )
    .add(
        "GET",
        "/api/v1/routers/{id}/commands",
        Access::Needs(Permission::RoutersView),
        get(commands),
    )
    .add(
        "POST",
        "/api/v1/routers/{id}/commands",
        Access::Needs(Permission::RoutersManage),
        post(command),
    )
}

async fn commands(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<fleet::CommandRow>>> {
    let tenant = auth.tenant()?;
    routers::get(&state.store, &tenant, RouterId(id)).await?;
    Ok(Json(
        fleet::commands(&state.store, &tenant, RouterId(id), 100).await?,
    ))
}

/// What staff may ask an agent to do.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "action", rename_all = "snake_case")]
pub enum CommandRequest {
    Resync,
    Kick { user: String },
    Diagnostics,
}

#[derive(Debug, Serialize)]
pub struct CommandIssued {
    pub id: String,
}

async fn command(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CommandRequest>,
) -> ApiResult<(StatusCode, Json<CommandIssued>)> {
    let id = issue_command(&state, &auth, &origin, RouterId(id), body).await?;
    Ok((StatusCode::ACCEPTED, Json(CommandIssued { id })))
}

/// Records, sends and audits a command to a router's agent; shared with the router page.
pub(crate) async fn issue_command(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    id: RouterId,
    request: CommandRequest,
) -> ApiResult<String> {
    use protocol::fleet::{CommandAction, Service};
    let tenant = auth.tenant()?;
    let router = routers::get(&state.store, &tenant, id).await?;
    if !router.is_active() {
        return Err(ApiError::field("router", "fleet.not_enrolled"));
    }
    let Some(link) = state.mqtt.clone() else {
        return Err(ApiError::Unavailable);
    };
    let action = match request {
        CommandRequest::Resync => CommandAction::Resync,
        CommandRequest::Diagnostics => CommandAction::Diagnostics,
        CommandRequest::Kick { user } => CommandAction::Kick {
            service: Service::Pppoe,
            user: required_text("user", &user, 64).map_err(|e| ApiError::Validation(vec![e]))?,
        },
    };
    let audit_action = serde_json::to_value(&action).unwrap_or_default();
    let command_id = crate::fleet::link::send_command(state, &link, &router, action, Some(&tenant))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "router.command",
            "router",
            router.id,
            serde_json::Value::Null,
            serde_json::json!({ "command_id": command_id, "action": audit_action }),
        ),
    )
    .await?;
    Ok(command_id)
}

async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<routers::Router>>> {
    Ok(Json(routers::list(&state.store, &auth.tenant()?).await?))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<routers::Router>> {
    Ok(Json(
        routers::get(&state.store, &auth.tenant()?, RouterId(id)).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRouter {
    pub pop_id: i64,
    pub name: String,
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(body): ApiJson<NewRouter>,
) -> ApiResult<(StatusCode, Json<routers::Router>)> {
    let router = create_router(&state, &auth, &origin, &body).await?;
    Ok((StatusCode::CREATED, Json(router)))
}

/// Validates, creates and audits a router record; shared with the fleet page.
pub(crate) async fn create_router(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    new: &NewRouter,
) -> ApiResult<routers::Router> {
    let name = required_text("name", &new.name, 100).map_err(|e| ApiError::Validation(vec![e]))?;
    let router = match routers::create(&state.store, &auth.tenant()?, PopId(new.pop_id), &name)
        .await
    {
        Err(StoreError::Conflict) => return Err(ApiError::field("name", "field.taken")),
        Err(StoreError::NotFound) => return Err(ApiError::field("pop_id", "routers.unknown_pop")),
        other => other?,
    };
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "router.create",
            "router",
            router.id,
            serde_json::Value::Null,
            &router,
        ),
    )
    .await?;
    Ok(router)
}

/// A one-time enrollment token, shown once.
#[derive(Debug, Serialize)]
pub struct Enrollment {
    pub token: String,
    pub expires_at: i64,
    /// What to run on the agent box.
    pub command: String,
}

async fn enrollment(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Enrollment>)> {
    Ok((
        StatusCode::CREATED,
        Json(issue_enrollment(&state, &auth, &origin, RouterId(id)).await?),
    ))
}

/// Makes a one-time enrollment token for a router (re-enrolling an agent works the same way);
/// only its hash is stored.
pub(crate) async fn issue_enrollment(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    id: RouterId,
) -> ApiResult<Enrollment> {
    let tenant = auth.tenant()?;
    routers::get(&state.store, &tenant, id).await?;
    let token = format!("enr_{}", crate::random::token());
    let expires_at = now_ms() + state.config.fleet.enrollment_minutes * 60_000;
    fleet::create_enrollment(
        &state.store,
        &tenant,
        id,
        &crate::random::sha256_hex(&token),
        expires_at,
    )
    .await?;
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "router.enrollment_issued",
            "router",
            id,
            serde_json::Value::Null,
            serde_json::json!({ "expires_at": expires_at }),
        ),
    )
    .await?;
    let command = format!(
        "setu-agent enroll --controller {} --token {token}",
        state.config.public_url()
    );
    Ok(Enrollment {
        token,
        expires_at,
        command,
    })
}

async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<Json<routers::Router>> {
    Ok(Json(
        revoke_router(&state, &auth, &origin, RouterId(id)).await?,
    ))
}

/// Revokes a router's agent: its MQTT login dies and its messages are refused from now on.
pub(crate) async fn revoke_router(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    id: RouterId,
) -> ApiResult<routers::Router> {
    let tenant = auth.tenant()?;
    let before = routers::get(&state.store, &tenant, id).await?;
    let after = routers::revoke(&state.store, &tenant, id).await?;
    mqtt::revoke(&state.store, &after.agent_id).await?;
    state.mqtt_logins_changed().await;
    audit_change(
        state,
        auth,
        origin,
        Change::new("router.revoke", "router", id, &before, &after),
    )
    .await?;
    Ok(after)
}
