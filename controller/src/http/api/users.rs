//! `/api/v1/users`: staff of the caller's company.

use super::super::session::Origin;
use super::super::staff::{self, NewStaff};
use super::super::{Access, ApiResult, AppState, Auth, Routes};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::{users, UserId};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/users",
        Access::Needs(Permission::UsersView),
        get(list),
    )
    .add(
        "POST",
        "/api/v1/users",
        Access::Needs(Permission::UsersManage),
        post(create),
    )
    .add(
        "POST",
        "/api/v1/users/{id}/password",
        Access::Needs(Permission::UsersManage),
        post(reset_password),
    )
    .add(
        "DELETE",
        "/api/v1/users/{id}/second-factor",
        Access::Needs(Permission::UsersManage),
        delete(reset_second_factor),
    )
}

#[derive(Serialize)]
pub struct StaffMember {
    #[serde(flatten)]
    user: users::User,
    role: String,
}

async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<StaffMember>>> {
    let staff = users::list(&state.store, &auth.tenant()?).await?;
    Ok(Json(
        staff
            .into_iter()
            .map(|(user, role)| StaffMember { user, role })
            .collect(),
    ))
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(new): ApiJson<NewStaff>,
) -> ApiResult<(StatusCode, Json<users::User>)> {
    let user = staff::create(&state, &auth, &origin, &new).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<NewPassword>,
) -> ApiResult<StatusCode> {
    staff::reset_password(&state, &auth, &origin, UserId(id), &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_second_factor(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    staff::reset_second_factor(&state, &auth, &origin, UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
