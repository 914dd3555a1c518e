//! `/api/v1/roles`: a company's roles and the permissions they grant. The owner role is fixed
//! (a company can never lock itself out), and nobody grants a permission they do not hold.

use super::super::session::Origin;
use super::super::{
    audit_change, required_text, Access, ApiError, ApiResult, AppState, Auth, Change, Routes,
};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::{users, RoleId, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::Json;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/roles",
        Access::Needs(Permission::UsersView),
        get(list),
    )
    .add(
        "POST",
        "/api/v1/roles",
        Access::Needs(Permission::RolesManage),
        post(create),
    )
    .add(
        "PATCH",
        "/api/v1/roles/{id}",
        Access::Needs(Permission::RolesManage),
        patch(update),
    )
    .add(
        "DELETE",
        "/api/v1/roles/{id}",
        Access::Needs(Permission::RolesManage),
        delete(remove),
    )
}

/// The seeded role that always holds every company permission.
pub const OWNER: &str = "owner";

async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<users::Role>>> {
    Ok(Json(users::roles(&state.store, &auth.tenant()?).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    name: String,
    permissions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePermissions {
    permissions: Vec<String>,
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(body): ApiJson<NewRole>,
) -> ApiResult<(StatusCode, Json<users::Role>)> {
    let role = create_role(&state, &auth, &origin, &body.name, &body.permissions).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<RolePermissions>,
) -> ApiResult<Json<users::Role>> {
    Ok(Json(
        update_role(&state, &auth, &origin, RoleId(id), &body.permissions).await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    delete_role(&state, &auth, &origin, RoleId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Permission names checked: known, for companies, and held by the caller.
fn grantable(auth: &Auth, names: &[String]) -> ApiResult<Vec<&'static str>> {
    let mut granted = Vec::new();
    for name in names {
        let permission = Permission::from_name(name)
            .filter(|p| !p.is_platform_only())
            .ok_or_else(|| ApiError::field("permissions", "roles.unknown_permission"))?;
        if !auth.can(permission) {
            return Err(ApiError::field("permissions", "roles.above_yours"));
        }
        if !granted.contains(&permission.name()) {
            granted.push(permission.name());
        }
    }
    Ok(granted)
}

pub(crate) async fn create_role(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    name: &str,
    permissions: &[String],
) -> ApiResult<users::Role> {
    let name = required_text("name", name, 40).map_err(|e| ApiError::Validation(vec![e]))?;
    let granted = grantable(auth, permissions)?;
    let role = match users::create_role(&state.store, &auth.tenant()?, &name, &granted).await {
        Err(StoreError::Conflict) => return Err(ApiError::field("name", "field.taken")),
        other => other?,
    };
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "role.create",
            "role",
            role.id,
            serde_json::Value::Null,
            &role,
        ),
    )
    .await?;
    Ok(role)
}

async fn existing(state: &AppState, auth: &Auth, id: RoleId) -> ApiResult<users::Role> {
    let role = users::roles(&state.store, &auth.tenant()?)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(ApiError::NotFound)?;
    if role.name == OWNER {
        return Err(ApiError::field("name", "roles.owner_fixed"));
    }
    Ok(role)
}

pub(crate) async fn update_role(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    id: RoleId,
    permissions: &[String],
) -> ApiResult<users::Role> {
    let before = existing(state, auth, id).await?;
    let granted = grantable(auth, permissions)?;
    let after = users::update_role(&state.store, &auth.tenant()?, id, &granted).await?;
    audit_change(
        state,
        auth,
        origin,
        Change::new("role.update", "role", id, &before, &after),
    )
    .await?;
    Ok(after)
}

pub(crate) async fn delete_role(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    id: RoleId,
) -> ApiResult<()> {
    existing(state, auth, id).await?;
    let before = match users::delete_role(&state.store, &auth.tenant()?, id).await {
        Err(StoreError::Conflict) => return Err(ApiError::field("name", "roles.in_use")),
        other => other?,
    };
    audit_change(
        state,
        auth,
        origin,
        Change::new("role.delete", "role", id, &before, serde_json::Value::Null),
    )
    .await?;
    Ok(())
}
