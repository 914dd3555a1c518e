//! `/api/v1/subscribers`: who gets service on which router and plan. Every change bumps the
//! desired-state version of the router(s) involved, and the fleet link tells their agents.

use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{
    audit_change, required_text, Access, ApiError, ApiResult, AppState, Auth, Change, Routes,
};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::subscribers::{self, Fields, Status, Subscriber};
use crate::store::{plans, routers, BranchId, PlanId, RouterId, StoreError, SubscriberId};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/subscribers",
        Access::Needs(Permission::SubscribersView),
        get(list),
    )
    .add(
        "POST",
        "/api/v1/subscribers",
        Access::Needs(Permission::SubscribersManage),
        post(create),
    )
    .add(
        "GET",
        "/api/v1/subscribers/{id}",
        Access::Needs(Permission::SubscribersView),
        get(show),
    )
    .add(
        "PUT",
        "/api/v1/subscribers/{id}",
        Access::Needs(Permission::SubscribersManage),
        axum::routing::put(update),
    )
    .add(
        "POST",
        "/api/v1/subscribers/{id}/status",
        Access::Needs(Permission::SubscribersManage),
        post(set_status),
    )
    .add(
        "DELETE",
        "/api/v1/subscribers/{id}",
        Access::Needs(Permission::SubscribersManage),
        axum::routing::delete(remove),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    router_id: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct List {
    items: Vec<Subscriber>,
    next_after: Option<SubscriberId>,
}

async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<List>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let items = subscribers::list(
        &state.store,
        &auth.tenant()?,
        q.router_id.map(RouterId),
        q.after.map(SubscriberId),
        limit,
    )
    .await?;
    let next_after = (items.len() as i64 == limit)
        .then(|| items.last().map(|s| s.id))
        .flatten();
    Ok(Json(List { items, next_after }))
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Subscriber>> {
    Ok(Json(
        subscribers::get(&state.store, &auth.tenant()?, SubscriberId(id)).await?,
    ))
}

/// A subscriber as the API and the page send it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberBody {
    pub name: String,
    pub phone: String,
    pub router_id: i64,
    pub plan_id: i64,
    pub pppoe_username: String,
    /// Required when creating; when updating, empty keeps the current password.
    #[serde(default)]
    pub pppoe_password: String,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub branch_id: Option<i64>,
}

fn active() -> String {
    "active".into()
}

/// Checks every field (all errors at once); the router and plan must be the tenant's.
async fn validated(state: &AppState, auth: &Auth, body: &SubscriberBody) -> ApiResult<Fields> {
    let tenant = auth.tenant()?;
    let mut errors = Vec::new();
    let name = required_text("name", &body.name, 100)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let phone = super::settings::normalise_phone(&body.phone).unwrap_or_else(|| {
        errors.push(FieldError {
            field: "phone",
            code: "settings.bad_phone",
        });
        String::new()
    });
    let username = body.pppoe_username.trim().to_owned();
    // What RouterOS and every PPPoE client accept without quoting.
    if !(1..=64).contains(&username.len())
        || !username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'))
    {
        errors.push(FieldError {
            field: "pppoe_username",
            code: "subscribers.bad_username",
        });
    }
    let password = &body.pppoe_password;
    if !(4..=64).contains(&password.len()) || !password.bytes().all(|b| b.is_ascii_graphic()) {
        errors.push(FieldError {
            field: "pppoe_password",
            code: "subscribers.bad_password",
        });
    }
    let status = Status::parse(&body.status).unwrap_or_else(|| {
        errors.push(FieldError {
            field: "status",
            code: "subscribers.bad_status",
        });
        Status::Active
    });
    if routers::get(&state.store, &tenant, RouterId(body.router_id))
        .await
        .is_err()
    {
        errors.push(FieldError {
            field: "router_id",
            code: "subscribers.unknown_router",
        });
    }
    if plans::get(&state.store, &tenant, PlanId(body.plan_id))
        .await
        .is_err()
    {
        errors.push(FieldError {
            field: "plan_id",
            code: "subscribers.unknown_plan",
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(Fields {
        name,
        phone,
        router_id: RouterId(body.router_id),
        plan_id: PlanId(body.plan_id),
        pppoe_username: username,
        pppoe_password: password.clone(),
        status,
        branch_id: body.branch_id.map(BranchId),
    })
}

fn taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict => ApiError::field("pppoe_username", "field.taken"),
        other => other.into(),
    }
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(body): ApiJson<SubscriberBody>,
) -> ApiResult<(StatusCode, Json<Subscriber>)> {
    let subscriber = create_subscriber(&state, &auth, &origin, &body).await?;
    Ok((StatusCode::CREATED, Json(subscriber)))
}

/// Shared with the subscribers page.
pub(crate) async fn create_subscriber(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    body: &SubscriberBody,
) -> ApiResult<Subscriber> {
    let fields = validated(state, auth, body).await?;
    let tenant = auth.tenant()?;
    let subscriber = subscribers::create(&state.store, &tenant, &fields)
        .await
        .map_err(taken)?;
    changed(state, auth, &[subscriber.router_id]).await?;
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "subscriber.create",
            "subscriber",
            subscriber.id,
            serde_json::Value::Null,
            &subscriber,
        ),
    )
    .await?;
    Ok(subscriber)
}

async fn update(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<SubscriberBody>,
) -> ApiResult<Json<Subscriber>> {
    Ok(Json(
        update_subscriber(&state, &auth, &origin, SubscriberId(id), &body).await?,
    ))
}

/// Shared with the subscribers page (suspend and reconnect are updates of `status`).
pub(crate) async fn update_subscriber(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    id: SubscriberId,
    body: &SubscriberBody,
) -> ApiResult<Subscriber> {
    let tenant = auth.tenant()?;
    let before = subscribers::get(&state.store, &tenant, id).await?;
    let mut body = body.clone();
    if body.pppoe_password.is_empty() {
        body.pppoe_password = before.pppoe_password.clone();
    }
    let fields = validated(state, auth, &body).await?;
    let after = subscribers::update(&state.store, &tenant, id, &fields)
        .await
        .map_err(taken)?;
    changed(state, auth, &[before.router_id, after.router_id]).await?;
    let action = match (before.status, after.status) {
        (a, b) if a == b => "subscriber.update",
        (_, Status::Suspended) => "subscriber.suspend",
        (_, Status::Active) => "subscriber.reconnect",
        (_, Status::Terminated) => "subscriber.terminate",
    };
    audit_change(
        state,
        auth,
        origin,
        Change::new(action, "subscriber", id, &before, &after),
    )
    .await?;
    Ok(after)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: String,
}

async fn set_status(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<StatusBody>,
) -> ApiResult<Json<Subscriber>> {
    Ok(Json(
        change_status(&state, &auth, &origin, SubscriberId(id), &body.status).await?,
    ))
}

/// Suspends, reconnects or terminates (the page's buttons, payment callbacks later).
pub(crate) async fn change_status(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    id: SubscriberId,
    status: &str,
) -> ApiResult<Subscriber> {
    let current = subscribers::get(&state.store, &auth.tenant()?, id).await?;
    let body = SubscriberBody {
        name: current.name,
        phone: current.phone,
        router_id: current.router_id.0,
        plan_id: current.plan_id.0,
        pppoe_username: current.pppoe_username,
        pppoe_password: String::new(),
        status: status.to_owned(),
        branch_id: current.branch_id.map(|b| b.0),
    };
    update_subscriber(state, auth, origin, id, &body).await
}

async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let tenant = auth.tenant()?;
    let before = subscribers::delete(&state.store, &tenant, SubscriberId(id)).await?;
    changed(&state, &auth, &[before.router_id]).await?;
    audit_change(
        &state,
        &auth,
        &origin,
        Change::new(
            "subscriber.delete",
            "subscriber",
            id,
            &before,
            serde_json::Value::Null,
        ),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bumps the desired-state version of each router (once) and tells the fleet link.
async fn changed(state: &AppState, auth: &Auth, routers_touched: &[RouterId]) -> ApiResult<()> {
    let tenant = auth.tenant()?;
    let mut done: Vec<RouterId> = Vec::new();
    for router in routers_touched {
        if !done.contains(router) {
            routers::bump_desired(&state.store, &tenant, *router).await?;
            done.push(*router);
        }
    }
    state.fleet_changed(&done);
    Ok(())
}
