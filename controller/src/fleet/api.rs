//! `/api/v1/pops`, `/api/v1/routers` (records, enrollment tokens, revocation, live status,
//! commands) and `/api/v1/sessions` (the session log).

use super::service::{self, CommandRequest, Enrollment, PopInput, RouterInput};
use super::store::{self, CommandRow, Pop, Router, Session, SessionQuery};
use super::{MANAGE, VIEW};
use crate::kernel::date::parse_dhaka_datetime;
use crate::kernel::http::extract::{ApiJson, ApiPath, ApiQuery, Input};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::{Access, Doc, Routes};
use crate::kernel::ids::{RouterId, SubscriberId};
use crate::kernel::work::Work;
use crate::kernel::{Error, Result};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use serde::{Deserialize, Serialize};

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.api(
        "GET",
        "/api/v1/pops",
        Needs(VIEW),
        Doc::new("The company's POPs")
            .query::<PageQuery>()
            .list::<Pop>(),
        get(list_pops),
    )
    .api(
        "POST",
        "/api/v1/pops",
        Needs(MANAGE),
        Doc::new("Add a POP")
            .body::<PopInput>()
            .created::<Pop>()
            .errors(&["conflict"]),
        post(create_pop),
    )
    .api(
        "GET",
        "/api/v1/routers",
        Needs(VIEW),
        Doc::new("Routers with their agents' live status")
            .query::<PageQuery>()
            .list::<Router>(),
        get(list_routers),
    )
    .api(
        "POST",
        "/api/v1/routers",
        Needs(MANAGE),
        Doc::new("Add a router record")
            .body::<RouterInput>()
            .created::<Router>()
            .errors(&["conflict"]),
        post(create_router),
    )
    .api(
        "GET",
        "/api/v1/routers/{id}",
        Needs(VIEW),
        Doc::new("One router").ok::<Router>(),
        get(show_router),
    )
    .api(
        "POST",
        "/api/v1/routers/{id}/enrollment",
        Needs(MANAGE),
        Doc::new("A one-time enrollment token for the router's agent").created::<Enrollment>(),
        post(enrollment),
    )
    .api(
        "POST",
        "/api/v1/routers/{id}/revoke",
        Needs(MANAGE),
        Doc::new("Revoke the router's agent").ok::<Router>(),
        post(revoke),
    )
    .api(
        "GET",
        "/api/v1/routers/{id}/commands",
        Needs(VIEW),
        Doc::new("The router's recent commands, newest first").list::<CommandRow>(),
        get(commands),
    )
    .api(
        "POST",
        "/api/v1/routers/{id}/commands",
        Needs(MANAGE),
        Doc::new("Send a command to the router's agent")
            .body::<CommandRequest>()
            .accepted::<CommandIssued>()
            .errors(&["unavailable"]),
        post(command),
    )
    .api(
        "GET",
        "/api/v1/sessions",
        Needs(crate::subscribers::VIEW),
        Doc::new(
            "The session log, newest first; `address` with `at` finds who had an address then",
        )
        .query::<SessionParams>()
        .list::<Session>(),
        get(sessions),
    )
}

async fn list_pops(
    mut work: Work,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Paged<Pop>>> {
    Ok(Json(store::pops(&mut work, &page).await?))
}

async fn create_pop(
    mut work: Work,
    Input(input): Input<PopInput>,
) -> Result<(StatusCode, Json<Pop>)> {
    let pop = service::create_pop(&mut work, &input).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(pop)))
}

async fn list_routers(
    mut work: Work,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Paged<Router>>> {
    Ok(Json(store::routers(&mut work, &page).await?))
}

async fn create_router(
    mut work: Work,
    Input(input): Input<RouterInput>,
) -> Result<(StatusCode, Json<Router>)> {
    let router = service::create_router(&mut work, &input).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(router)))
}

async fn show_router(mut work: Work, ApiPath(id): ApiPath<RouterId>) -> Result<Json<Router>> {
    Ok(Json(store::router(&mut work, id).await?))
}

async fn enrollment(
    mut work: Work,
    ApiPath(id): ApiPath<RouterId>,
) -> Result<(StatusCode, Json<Enrollment>)> {
    let enrollment = service::issue_enrollment(&mut work, id).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(enrollment)))
}

async fn revoke(mut work: Work, ApiPath(id): ApiPath<RouterId>) -> Result<Json<Router>> {
    let router = service::revoke_router(&mut work, id).await?;
    work.commit().await?;
    Ok(Json(router))
}

async fn commands(
    mut work: Work,
    ApiPath(id): ApiPath<RouterId>,
) -> Result<Json<Paged<CommandRow>>> {
    let items = service::commands(&mut work, id).await?;
    Ok(Json(Paged {
        items,
        next_after: None,
        next_before: None,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommandIssued {
    pub id: String,
}

async fn command(
    mut work: Work,
    ApiPath(id): ApiPath<RouterId>,
    ApiJson(body): ApiJson<CommandRequest>,
) -> Result<(StatusCode, Json<CommandIssued>)> {
    let id = service::issue_command(&mut work, id, body).await?;
    work.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(CommandIssued { id })))
}

/// Query-string filters; `at` is a Dhaka time `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM`).
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionParams {
    #[serde(default)]
    pub subscriber_id: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub at: String,
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 500; 50 when absent.
    pub limit: Option<i64>,
}

impl SessionParams {
    pub fn query(&self) -> Result<SessionQuery> {
        let subscriber = match self.subscriber_id.trim() {
            "" => None,
            id => Some(
                id.parse::<SubscriberId>()
                    .map_err(|_| Error::field("subscriber_id", "sessions.bad_subscriber"))?,
            ),
        };
        let at = match self.at.trim() {
            "" => None,
            text => Some(
                parse_dhaka_datetime(text)
                    .ok_or_else(|| Error::field("at", "sessions.bad_time"))?,
            ),
        };
        let address = self.address.trim().to_owned();
        if !address.is_empty() && address.parse::<std::net::IpAddr>().is_err() {
            return Err(Error::field("address", "sessions.bad_address"));
        }
        Ok(SessionQuery {
            subscriber,
            username: self.username.trim().to_owned(),
            address,
            at,
        })
    }

    pub fn page(&self) -> PageQuery {
        PageQuery {
            before: self.before,
            limit: self.limit,
            ..PageQuery::default()
        }
    }
}

async fn sessions(
    mut work: Work,
    ApiQuery(params): ApiQuery<SessionParams>,
) -> Result<Json<Paged<Session>>> {
    let query = params.query()?;
    Ok(Json(
        store::sessions(&mut work, &query, &params.page()).await?,
    ))
}
