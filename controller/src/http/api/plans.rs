//! `/api/v1/plans`: speeds and prices. A change reaches every router that serves the plan.

use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{
    audit_change, required_text, Access, ApiError, ApiResult, AppState, Auth, Change, Routes,
};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::plans::{self, PlanFields};
use crate::store::{routers, PlanId, StoreError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Json;

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/plans",
        Access::Needs(Permission::SubscribersView),
        get(list),
    )
    .add(
        "POST",
        "/api/v1/plans",
        Access::Needs(Permission::PlansManage),
        post(create),
    )
    .add(
        "PUT",
        "/api/v1/plans/{id}",
        Access::Needs(Permission::PlansManage),
        put(update),
    )
}

async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<plans::Plan>>> {
    Ok(Json(plans::list(&state.store, &auth.tenant()?).await?))
}

/// Rates must be RouterOS numbers; a burst needs both directions.
fn validated(f: &PlanFields) -> ApiResult<PlanFields> {
    let mut errors = Vec::new();
    let name = required_text("name", &f.name, 100)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let mut rate = |field: &'static str, value: &str, optional: bool| {
        let value = value.trim().to_owned();
        let ok = (optional && value.is_empty())
            || value.parse::<provisioning::Rate>().is_ok_and(|r| r.0 > 0);
        if !ok {
            errors.push(FieldError {
                field,
                code: "plans.bad_rate",
            });
        }
        value
    };
    let clean = PlanFields {
        name,
        download: rate("download", &f.download, false),
        upload: rate("upload", &f.upload, false),
        burst_download: rate("burst_download", &f.burst_download, true),
        burst_upload: rate("burst_upload", &f.burst_upload, true),
        price_poisha: f.price_poisha,
    };
    if clean.burst_download.is_empty() != clean.burst_upload.is_empty() {
        errors.push(FieldError {
            field: "burst_upload",
            code: "plans.burst_pair",
        });
    }
    if !(0..=100_000_000).contains(&clean.price_poisha) {
        errors.push(FieldError {
            field: "price_poisha",
            code: "plans.bad_price",
        });
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(ApiError::Validation(errors))
    }
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(body): ApiJson<PlanFields>,
) -> ApiResult<(StatusCode, Json<plans::Plan>)> {
    let plan = create_plan(&state, &auth, &origin, &body).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Shared with the plans page.
pub(crate) async fn create_plan(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    fields: &PlanFields,
) -> ApiResult<plans::Plan> {
    let fields = validated(fields)?;
    let plan = match plans::create(&state.store, &auth.tenant()?, &fields).await {
        Err(StoreError::Conflict) => return Err(ApiError::field("name", "field.taken")),
        other => other?,
    };
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "plan.create",
            "plan",
            plan.id,
            serde_json::Value::Null,
            &plan,
        ),
    )
    .await?;
    Ok(plan)
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PlanFields>,
) -> ApiResult<Json<plans::Plan>> {
    let fields = validated(&body)?;
    let tenant = auth.tenant()?;
    let before = plans::get(&state.store, &tenant, PlanId(id)).await?;
    let after = match plans::update(&state.store, &tenant, PlanId(id), &fields).await {
        Err(StoreError::Conflict) => return Err(ApiError::field("name", "field.taken")),
        other => other?,
    };
    let bumped = routers::bump_desired_for_plan(&state.store, &tenant, after.id).await?;
    state.fleet_changed(&bumped);
    audit_change(
        &state,
        &auth,
        &origin,
        Change::new("plan.update", "plan", id, &before, &after),
    )
    .await?;
    Ok(Json(after))
}
