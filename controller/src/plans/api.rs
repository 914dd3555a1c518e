//! `/api/v1/plans`: speeds and prices.

use super::service::{self, PlanInput};
use super::store::{self, Plan};
use super::MANAGE;
use crate::kernel::http::extract::{ApiPath, ApiQuery, Input};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::{Access, Doc, Routes};
use crate::kernel::ids::PlanId;
use crate::kernel::work::Work;
use crate::kernel::Result;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Json;

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.api(
        "GET",
        "/api/v1/plans",
        Needs(crate::subscribers::VIEW),
        Doc::new("The company's plans")
            .query::<PageQuery>()
            .list::<Plan>(),
        get(list),
    )
    .api(
        "POST",
        "/api/v1/plans",
        Needs(MANAGE),
        Doc::new("Add a plan")
            .body::<PlanInput>()
            .created::<Plan>()
            .errors(&["conflict"]),
        post(create),
    )
    .api(
        "GET",
        "/api/v1/plans/{id}",
        Needs(crate::subscribers::VIEW),
        Doc::new("One plan").ok::<Plan>(),
        get(show),
    )
    .api(
        "PUT",
        "/api/v1/plans/{id}",
        Needs(MANAGE),
        Doc::new("Change a plan; the routers serving it follow")
            .body::<PlanInput>()
            .ok::<Plan>()
            .errors(&["conflict"]),
        put(update),
    )
}

async fn list(mut work: Work, ApiQuery(page): ApiQuery<PageQuery>) -> Result<Json<Paged<Plan>>> {
    Ok(Json(store::list(&mut work, &page).await?))
}

async fn show(mut work: Work, ApiPath(id): ApiPath<PlanId>) -> Result<Json<Plan>> {
    Ok(Json(store::get(&mut work, id).await?))
}

async fn create(
    mut work: Work,
    Input(input): Input<PlanInput>,
) -> Result<(StatusCode, Json<Plan>)> {
    let plan = service::create(&mut work, &input).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

async fn update(
    mut work: Work,
    ApiPath(id): ApiPath<PlanId>,
    Input(input): Input<PlanInput>,
) -> Result<Json<Plan>> {
    let plan = service::update(&mut work, id, &input).await?;
    work.commit().await?;
    Ok(Json(plan))
}
