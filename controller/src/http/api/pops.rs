//! `/api/v1/pops`: where routers stand.

use super::super::session::Origin;
use super::super::{
    audit_change, required_text, Access, ApiError, ApiResult, AppState, Auth, Change, Routes,
};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::{pops, BranchId, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/pops",
        Access::Needs(Permission::RoutersView),
        get(list),
    )
    .add(
        "POST",
        "/api/v1/pops",
        Access::Needs(Permission::RoutersManage),
        post(create),
    )
}

async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<pops::Pop>>> {
    Ok(Json(pops::list(&state.store, &auth.tenant()?).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPop {
    pub name: String,
    #[serde(default)]
    pub branch_id: Option<i64>,
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(body): ApiJson<NewPop>,
) -> ApiResult<(StatusCode, Json<pops::Pop>)> {
    let pop = create_pop(&state, &auth, &origin, &body).await?;
    Ok((StatusCode::CREATED, Json(pop)))
}

/// Validates, creates and audits a POP; shared with the fleet page.
pub(crate) async fn create_pop(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    new: &NewPop,
) -> ApiResult<pops::Pop> {
    let name = required_text("name", &new.name, 100).map_err(|e| ApiError::Validation(vec![e]))?;
    let pop = match pops::create(
        &state.store,
        &auth.tenant()?,
        &name,
        new.branch_id.map(BranchId),
    )
    .await
    {
        Err(StoreError::Conflict) => return Err(ApiError::field("name", "field.taken")),
        Err(StoreError::NotFound) => {
            return Err(ApiError::field("branch_id", "users.unknown_branch"))
        }
        other => other?,
    };
    audit_change(
        state,
        auth,
        origin,
        Change::new("pop.create", "pop", pop.id, serde_json::Value::Null, &pop),
    )
    .await?;
    Ok(pop)
}
