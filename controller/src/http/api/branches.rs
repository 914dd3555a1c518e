//! `/api/v1/branches`: the JSON twin of the branches page.

use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{
    audit_change, required_text, Access, ApiError, ApiResult, AppState, Auth, Change, Routes,
};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::{branches, BranchId};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: super::Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/branches",
        Access::Needs(Permission::BranchesView),
        get(list),
    )
    .add(
        "POST",
        "/api/v1/branches",
        Access::Needs(Permission::BranchesManage),
        post(create),
    )
    .add(
        "GET",
        "/api/v1/branches/{id}",
        Access::Needs(Permission::BranchesView),
        get(show),
    )
    .add(
        "PATCH",
        "/api/v1/branches/{id}",
        Access::Needs(Permission::BranchesManage),
        patch(rename),
    )
    .add(
        "DELETE",
        "/api/v1/branches/{id}",
        Access::Needs(Permission::BranchesManage),
        delete(remove),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct List {
    items: Vec<branches::Branch>,
    /// Pass as `after` for the next page; absent on the last page.
    next_after: Option<BranchId>,
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(page): Query<Page>,
) -> ApiResult<Json<List>> {
    let limit = page.limit.unwrap_or(50).clamp(1, 500);
    let items = branches::list(
        &state.store,
        &auth.tenant()?,
        page.after.map(BranchId),
        limit,
    )
    .await?;
    let next_after = (items.len() as i64 == limit)
        .then(|| items.last().map(|b| b.id))
        .flatten();
    Ok(Json(List { items, next_after }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchBody {
    name: String,
}

fn valid_name(name: &str) -> ApiResult<String> {
    required_text("name", name, 100).map_err(|e: FieldError| ApiError::Validation(vec![e]))
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(body): ApiJson<BranchBody>,
) -> ApiResult<(StatusCode, Json<branches::Branch>)> {
    let branch = create_branch(&state, &auth, &origin, &body.name).await?;
    Ok((StatusCode::CREATED, Json(branch)))
}

/// Validates the name, creates the branch in the caller's company and audits it; shared with
/// the branches page. A duplicate name is `ApiError::Conflict`.
pub(crate) async fn create_branch(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    name: &str,
) -> ApiResult<branches::Branch> {
    let name = valid_name(name)?;
    let branch = branches::create(&state.store, &auth.tenant()?, &name).await?;
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "branch.create",
            "branch",
            branch.id,
            serde_json::Value::Null,
            &branch,
        ),
    )
    .await?;
    Ok(branch)
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<branches::Branch>> {
    Ok(Json(
        branches::get(&state.store, &auth.tenant()?, BranchId(id)).await?,
    ))
}

async fn rename(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<BranchBody>,
) -> ApiResult<Json<branches::Branch>> {
    let name = valid_name(&body.name)?;
    let tenant = auth.tenant()?;
    let before = branches::get(&state.store, &tenant, BranchId(id)).await?;
    let after = branches::rename(&state.store, &tenant, BranchId(id), &name).await?;
    audit_change(
        &state,
        &auth,
        &origin,
        Change::new("branch.rename", "branch", id, &before, &after),
    )
    .await?;
    Ok(Json(after))
}

async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let before = branches::delete(&state.store, &auth.tenant()?, BranchId(id)).await?;
    audit_change(
        &state,
        &auth,
        &origin,
        Change::new(
            "branch.delete",
            "branch",
            id,
            &before,
            serde_json::Value::Null,
        ),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
