//! `/api/v1/subscribers`: who gets service on which router and plan.

use super::service::{self, SubscriberInput};
use super::store::{self, Status, Subscriber};
use super::{MANAGE, VIEW};
use crate::kernel::http::extract::{ApiPath, ApiQuery, Input};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::{Access, Doc, Routes};
use crate::kernel::ids::{RouterId, SubscriberId};
use crate::kernel::work::Work;
use crate::kernel::{Error, Result};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::Json;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.api(
        "GET",
        "/api/v1/subscribers",
        Needs(VIEW),
        Doc::new("Subscribers, optionally on one router")
            .query::<ListQuery>()
            .list::<Subscriber>(),
        get(list),
    )
    .api(
        "POST",
        "/api/v1/subscribers",
        Needs(MANAGE),
        Doc::new("Add a subscriber; their router follows")
            .body::<SubscriberInput>()
            .created::<Subscriber>()
            .errors(&["conflict"]),
        post(create),
    )
    .api(
        "GET",
        "/api/v1/subscribers/{id}",
        Needs(VIEW),
        Doc::new("One subscriber").ok::<Subscriber>(),
        get(show),
    )
    .api(
        "PUT",
        "/api/v1/subscribers/{id}",
        Needs(MANAGE),
        Doc::new("Replace a subscriber's fields (empty password keeps it)")
            .body::<SubscriberInput>()
            .ok::<Subscriber>()
            .errors(&["conflict"]),
        put(update),
    )
    .api(
        "POST",
        "/api/v1/subscribers/{id}/status",
        Needs(MANAGE),
        Doc::new("Suspend, reconnect or terminate")
            .body::<StatusInput>()
            .ok::<Subscriber>(),
        post(set_status),
    )
    .api(
        "DELETE",
        "/api/v1/subscribers/{id}",
        Needs(MANAGE),
        Doc::new("Delete a subscriber (the session log keeps their sessions)").no_content(),
        delete(remove),
    )
}

/// Which subscribers: a page, optionally of one router's.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub router_id: Option<i64>,
    pub after: Option<i64>,
    /// 1 to 500; 50 when absent.
    pub limit: Option<i64>,
}

async fn list(mut work: Work, ApiQuery(q): ApiQuery<ListQuery>) -> Result<Json<Paged<Subscriber>>> {
    let page = PageQuery {
        after: q.after,
        limit: q.limit,
        ..PageQuery::default()
    };
    Ok(Json(
        store::list(&mut work, q.router_id.map(RouterId), &page).await?,
    ))
}

async fn show(mut work: Work, ApiPath(id): ApiPath<SubscriberId>) -> Result<Json<Subscriber>> {
    Ok(Json(store::get(&mut work, id).await?))
}

async fn create(
    mut work: Work,
    Input(input): Input<SubscriberInput>,
) -> Result<(StatusCode, Json<Subscriber>)> {
    let subscriber = service::create(&mut work, &input).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(subscriber)))
}

async fn update(
    mut work: Work,
    ApiPath(id): ApiPath<SubscriberId>,
    Input(input): Input<SubscriberInput>,
) -> Result<Json<Subscriber>> {
    let subscriber = service::update(&mut work, id, &input).await?;
    work.commit().await?;
    Ok(Json(subscriber))
}

/// The status to move to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// `active`, `suspended` or `terminated`.
    pub status: String,
}

impl StatusInput {
    pub fn status(&self) -> Result<Status> {
        Status::parse(self.status.trim())
            .ok_or_else(|| Error::field("status", "subscribers.bad_status"))
    }
}

async fn set_status(
    mut work: Work,
    ApiPath(id): ApiPath<SubscriberId>,
    Input(input): Input<StatusInput>,
) -> Result<Json<Subscriber>> {
    let subscriber = service::change_status(&mut work, id, input.status()?).await?;
    work.commit().await?;
    Ok(Json(subscriber))
}

async fn remove(mut work: Work, ApiPath(id): ApiPath<SubscriberId>) -> Result<StatusCode> {
    service::delete(&mut work, id).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
