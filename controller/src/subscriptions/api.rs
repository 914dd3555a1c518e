//! `/api/v1/subscriptions`: a subscriber's subscriptions, and their plan changes, pauses and
//! ends.

use super::service::{self, PauseInput, PlanChangeInput, SubscriptionInput, TerminateInput};
use super::store::{self, Event, Subscription};
use crate::kernel::http::extract::{ApiPath, ApiQuery, Input};
use crate::kernel::http::list::Paged;
use crate::kernel::http::{Access, Doc, Routes};
use crate::kernel::ids::{SubscriberId, SubscriptionId};
use crate::kernel::work::Work;
use crate::kernel::Result;
use crate::subscribers::{MANAGE, VIEW};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.api(
        "GET",
        "/api/v1/subscriptions",
        Needs(VIEW),
        Doc::new("A subscriber's subscriptions, oldest first")
            .query::<ListQuery>()
            .list::<Subscription>(),
        get(list),
    )
    .api(
        "POST",
        "/api/v1/subscriptions",
        Needs(MANAGE),
        Doc::new("Add a subscription; what it already owes is billed at once")
            .body::<SubscriptionInput>()
            .created::<Subscription>()
            .errors(&["billing_not_configured"]),
        post(create),
    )
    .api(
        "GET",
        "/api/v1/subscriptions/{id}",
        Needs(VIEW),
        Doc::new("One subscription with its history").ok::<Detail>(),
        get(show),
    )
    .api(
        "POST",
        "/api/v1/subscriptions/{id}/plan",
        Needs(MANAGE),
        Doc::new("Change plan from a day on (default: upgrade today, downgrade next period)")
            .body::<PlanChangeInput>()
            .ok::<Event>(),
        post(change_plan),
    )
    .api(
        "POST",
        "/api/v1/subscriptions/{id}/pause",
        Needs(MANAGE),
        Doc::new("A staff-approved pause: its days are not billed")
            .body::<PauseInput>()
            .ok::<Event>(),
        post(pause),
    )
    .api(
        "POST",
        "/api/v1/subscriptions/{id}/terminate",
        Needs(MANAGE),
        Doc::new("End the subscription; unused days already billed are credited")
            .body::<TerminateInput>()
            .ok::<Event>(),
        post(terminate),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub subscriber_id: SubscriberId,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Detail {
    #[serde(flatten)]
    pub subscription: Subscription,
    pub events: Vec<Event>,
}

async fn list(
    mut work: Work,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Paged<Subscription>>> {
    crate::subscribers::store::get(&mut work, q.subscriber_id).await?;
    Ok(Json(Paged {
        items: store::of_subscriber(&mut work, q.subscriber_id).await?,
        ..Paged::default()
    }))
}

async fn create(
    mut work: Work,
    Input(input): Input<SubscriptionInput>,
) -> Result<(StatusCode, Json<Subscription>)> {
    let sub = service::create(&mut work, &input, false).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(sub)))
}

async fn show(mut work: Work, ApiPath(id): ApiPath<SubscriptionId>) -> Result<Json<Detail>> {
    let subscription = store::get_one(&mut work, id).await?;
    let company = work.scope().company();
    let events = store::events_of(work.db(), company, &[id]).await?;
    Ok(Json(Detail {
        subscription,
        events,
    }))
}

async fn change_plan(
    mut work: Work,
    ApiPath(id): ApiPath<SubscriptionId>,
    Input(input): Input<PlanChangeInput>,
) -> Result<Json<Event>> {
    let event = service::change_plan(&mut work, id, &input).await?;
    work.commit().await?;
    Ok(Json(event))
}

async fn pause(
    mut work: Work,
    ApiPath(id): ApiPath<SubscriptionId>,
    Input(input): Input<PauseInput>,
) -> Result<Json<Event>> {
    let event = service::pause(&mut work, id, &input).await?;
    work.commit().await?;
    Ok(Json(event))
}

async fn terminate(
    mut work: Work,
    ApiPath(id): ApiPath<SubscriptionId>,
    Input(input): Input<TerminateInput>,
) -> Result<Json<Event>> {
    let event = service::terminate(&mut work, id, &input).await?;
    work.commit().await?;
    Ok(Json(event))
}
