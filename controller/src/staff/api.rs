//! `/api/v1/users` and `/api/v1/roles`.

use super::service::{self, RoleInput, StaffInput};
use super::store::{self, ApiToken, Member, Role, User};
use super::{ROLES_MANAGE, USERS_MANAGE, USERS_VIEW};
use crate::kernel::http::extract::{ApiPath, ApiQuery, Input};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::{Access, Doc, Routes};
use crate::kernel::ids::{ApiTokenId, RoleId, UserId};
use crate::kernel::work::Work;
use crate::kernel::Result;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post};
use axum::Json;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.api(
        "GET",
        "/api/v1/users",
        Needs(USERS_VIEW),
        Doc::new("Staff of the company")
            .query::<PageQuery>()
            .list::<Member>(),
        get(list),
    )
    .api(
        "POST",
        "/api/v1/users",
        Needs(USERS_MANAGE),
        Doc::new("Add a staff member")
            .body::<StaffInput>()
            .created::<User>()
            .errors(&["conflict"]),
        post(create),
    )
    .api(
        "POST",
        "/api/v1/users/{id}/password",
        Needs(USERS_MANAGE),
        Doc::new("Set a member's password; their sessions end and their API tokens are revoked")
            .body::<NewPassword>()
            .no_content(),
        post(reset_password),
    )
    .api(
        "DELETE",
        "/api/v1/users/{id}/second-factor",
        Needs(USERS_MANAGE),
        Doc::new("Remove a member's lost second factor; their sessions end").no_content(),
        delete(reset_second_factor),
    )
    .api(
        "POST",
        "/api/v1/users/{id}/deactivate",
        Needs(USERS_MANAGE),
        Doc::new("Deactivate a member: sign-in refused, sessions ended, API tokens revoked")
            .ok::<User>(),
        post(deactivate),
    )
    .api(
        "POST",
        "/api/v1/users/{id}/reactivate",
        Needs(USERS_MANAGE),
        Doc::new("Let a deactivated member sign in again").ok::<User>(),
        post(reactivate),
    )
    .api(
        "GET",
        "/api/v1/users/{id}/tokens",
        Needs(USERS_MANAGE),
        Doc::new("A member's API tokens").ok::<TokenList>(),
        get(tokens),
    )
    .api(
        "POST",
        "/api/v1/users/{id}/tokens/{token}/revoke",
        Needs(USERS_MANAGE),
        Doc::new("Revoke one of a member's API tokens").ok::<ApiToken>(),
        post(revoke_token),
    )
    .api(
        "GET",
        "/api/v1/roles",
        Needs(USERS_VIEW),
        Doc::new("The company's roles and their permissions")
            .query::<PageQuery>()
            .list::<Role>(),
        get(roles),
    )
    .api(
        "POST",
        "/api/v1/roles",
        Needs(ROLES_MANAGE),
        Doc::new("Add a role (only with permissions you hold)")
            .body::<RoleInput>()
            .created::<Role>()
            .errors(&["conflict"]),
        post(create_role),
    )
    .api(
        "PATCH",
        "/api/v1/roles/{id}",
        Needs(ROLES_MANAGE),
        Doc::new("Change a role's permissions (not the owner's)")
            .body::<RoleInput>()
            .ok::<Role>(),
        patch(update_role),
    )
    .api(
        "DELETE",
        "/api/v1/roles/{id}",
        Needs(ROLES_MANAGE),
        Doc::new("Delete a role nobody holds")
            .no_content()
            .errors(&["in_use"]),
        delete(delete_role),
    )
}

async fn list(mut work: Work, ApiQuery(page): ApiQuery<PageQuery>) -> Result<Json<Paged<Member>>> {
    Ok(Json(store::members(&mut work, &page).await?))
}

async fn create(
    mut work: Work,
    Input(input): Input<StaffInput>,
) -> Result<(StatusCode, Json<User>)> {
    let user = service::create_staff(&mut work, &input).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    password: String,
}

async fn reset_password(
    mut work: Work,
    ApiPath(id): ApiPath<UserId>,
    Input(body): Input<NewPassword>,
) -> Result<StatusCode> {
    service::reset_password(&mut work, id, &body.password).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_second_factor(mut work: Work, ApiPath(id): ApiPath<UserId>) -> Result<StatusCode> {
    service::reset_second_factor(&mut work, id).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn deactivate(mut work: Work, ApiPath(id): ApiPath<UserId>) -> Result<Json<User>> {
    let user = service::set_active(&mut work, id, false).await?;
    work.commit().await?;
    Ok(Json(user))
}

async fn reactivate(mut work: Work, ApiPath(id): ApiPath<UserId>) -> Result<Json<User>> {
    let user = service::set_active(&mut work, id, true).await?;
    work.commit().await?;
    Ok(Json(user))
}

/// A member's tokens.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenList {
    pub items: Vec<ApiToken>,
}

async fn tokens(mut work: Work, ApiPath(id): ApiPath<UserId>) -> Result<Json<TokenList>> {
    Ok(Json(TokenList {
        items: service::tokens_of_member(&mut work, id).await?,
    }))
}

async fn revoke_token(
    mut work: Work,
    ApiPath((user, token)): ApiPath<(UserId, ApiTokenId)>,
) -> Result<Json<ApiToken>> {
    let token = service::revoke_token(&mut work, user, token).await?;
    work.commit().await?;
    Ok(Json(token))
}

async fn roles(mut work: Work, ApiQuery(page): ApiQuery<PageQuery>) -> Result<Json<Paged<Role>>> {
    let roles = store::roles(&mut work).await?;
    let rows = roles
        .into_iter()
        .filter(|r| r.id.0 > page.after())
        .collect();
    Ok(Json(Paged::from_rows(rows, &page, |r: &Role| r.id.0)))
}

async fn create_role(
    mut work: Work,
    Input(input): Input<RoleInput>,
) -> Result<(StatusCode, Json<Role>)> {
    let role = service::create_role(&mut work, &input).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(role)))
}

async fn update_role(
    mut work: Work,
    ApiPath(id): ApiPath<RoleId>,
    Input(input): Input<RoleInput>,
) -> Result<Json<Role>> {
    let role = service::update_role(&mut work, id, &input).await?;
    work.commit().await?;
    Ok(Json(role))
}

async fn delete_role(mut work: Work, ApiPath(id): ApiPath<RoleId>) -> Result<StatusCode> {
    service::delete_role(&mut work, id).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
