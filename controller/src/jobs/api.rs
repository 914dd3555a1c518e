//! `/api/v1/jobs`: the job queue as staff see it, and retrying a failed job.

use super::service;
use super::{MANAGE, VIEW};
use crate::kernel::http::extract::{ApiPath, ApiQuery};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::{Access, Auth, Doc, Routes};
use crate::kernel::ids::JobId;
use crate::kernel::jobs::Job;
use crate::kernel::work::Work;
use crate::kernel::Result;
use axum::routing::{get, post};
use axum::Json;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.api(
        "GET",
        "/api/v1/jobs",
        Access::Needs(VIEW),
        Doc::new("Jobs in one state, newest first")
            .query::<JobsQuery>()
            .list::<Job>(),
        get(list),
    )
    .api(
        "GET",
        "/api/v1/jobs/{id}",
        Access::Needs(VIEW),
        Doc::new("One job").ok::<Job>(),
        get(show),
    )
    .api(
        "POST",
        "/api/v1/jobs/{id}/retry",
        Access::Needs(MANAGE),
        Doc::new("Queue a failed job again").ok::<Job>(),
        post(retry),
    )
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// `queued`, `running`, `done` or `failed`; `failed` when absent.
    pub state: Option<String>,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 500; 50 when absent.
    pub limit: Option<i64>,
}

async fn list(
    mut work: Work,
    auth: Auth,
    ApiQuery(q): ApiQuery<JobsQuery>,
) -> Result<Json<Paged<Job>>> {
    let visible = service::visible(&work, auth.is_platform_admin);
    let page = PageQuery {
        before: q.before,
        limit: q.limit,
        after: None,
    };
    let state = q.state.as_deref().unwrap_or("failed");
    Ok(Json(service::list(&mut work, visible, state, &page).await?))
}

async fn show(mut work: Work, auth: Auth, ApiPath(id): ApiPath<JobId>) -> Result<Json<Job>> {
    let visible = service::visible(&work, auth.is_platform_admin);
    Ok(Json(super::store::get(work.db(), visible, id).await?))
}

async fn retry(mut work: Work, auth: Auth, ApiPath(id): ApiPath<JobId>) -> Result<Json<Job>> {
    let visible = service::visible(&work, auth.is_platform_admin);
    let job = service::retry(&mut work, visible, id).await?;
    work.commit().await?;
    Ok(Json(job))
}
