//! `/api/v1/companies`, `/api/v1/branches`, `/api/v1/settings`.

use super::service::{self, NameInput};
use super::store::{self, Branch, Company, Profile};
use super::{BRANCHES_MANAGE, BRANCHES_VIEW, COMPANIES_MANAGE, SETTINGS_MANAGE};
use crate::kernel::http::extract::{ApiPath, ApiQuery, Input};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::{Access, Auth, Doc, Routes};
use crate::kernel::ids::BranchId;
use crate::kernel::work::{Origin, Work};
use crate::kernel::Result;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post, put};
use axum::Json;

pub fn routes(r: Routes) -> Routes {
    use Access::Needs;
    r.api(
        "GET",
        "/api/v1/companies",
        Needs(COMPANIES_MANAGE),
        Doc::new("Every company on this installation")
            .query::<PageQuery>()
            .list::<Company>(),
        get(list_companies),
    )
    .api(
        "POST",
        "/api/v1/companies",
        Needs(COMPANIES_MANAGE),
        Doc::new("Create a company with the seeded roles")
            .body::<NameInput>()
            .created::<Company>()
            .errors(&["conflict"]),
        post(create_company),
    )
    .api(
        "GET",
        "/api/v1/branches",
        Needs(BRANCHES_VIEW),
        Doc::new("The company's branches")
            .query::<PageQuery>()
            .list::<Branch>(),
        get(list_branches),
    )
    .api(
        "POST",
        "/api/v1/branches",
        Needs(BRANCHES_MANAGE),
        Doc::new("Add a branch")
            .body::<NameInput>()
            .created::<Branch>()
            .errors(&["conflict"]),
        post(create_branch),
    )
    .api(
        "GET",
        "/api/v1/branches/{id}",
        Needs(BRANCHES_VIEW),
        Doc::new("One branch").ok::<Branch>(),
        get(show_branch),
    )
    .api(
        "PATCH",
        "/api/v1/branches/{id}",
        Needs(BRANCHES_MANAGE),
        Doc::new("Rename a branch")
            .body::<NameInput>()
            .ok::<Branch>()
            .errors(&["conflict"]),
        patch(rename_branch),
    )
    .api(
        "DELETE",
        "/api/v1/branches/{id}",
        Needs(BRANCHES_MANAGE),
        Doc::new("Delete a branch nothing refers to")
            .no_content()
            .errors(&["in_use"]),
        delete(delete_branch),
    )
    .api(
        "GET",
        "/api/v1/settings",
        Needs(SETTINGS_MANAGE),
        Doc::new("The company's profile").ok::<Company>(),
        get(show_settings),
    )
    .api(
        "PUT",
        "/api/v1/settings",
        Needs(SETTINGS_MANAGE),
        Doc::new("Change the company's profile")
            .body::<Profile>()
            .ok::<Company>(),
        put(save_settings),
    )
}

async fn list_companies(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Paged<Company>>> {
    let mut db = state.store.conn().await?;
    Ok(Json(store::companies(&mut db, &page).await?))
}

async fn create_company(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Input(input): Input<NameInput>,
) -> Result<(StatusCode, Json<Company>)> {
    let company = service::create_company(&state.store, auth.actor(), origin, &input).await?;
    Ok((StatusCode::CREATED, Json(company)))
}

async fn list_branches(
    mut work: Work,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Paged<Branch>>> {
    Ok(Json(store::branches(&mut work, &page).await?))
}

async fn create_branch(
    mut work: Work,
    Input(input): Input<NameInput>,
) -> Result<(StatusCode, Json<Branch>)> {
    let branch = service::create_branch(&mut work, &input).await?;
    work.commit().await?;
    Ok((StatusCode::CREATED, Json(branch)))
}

async fn show_branch(mut work: Work, ApiPath(id): ApiPath<BranchId>) -> Result<Json<Branch>> {
    Ok(Json(store::branch(&mut work, id).await?))
}

async fn rename_branch(
    mut work: Work,
    ApiPath(id): ApiPath<BranchId>,
    Input(input): Input<NameInput>,
) -> Result<Json<Branch>> {
    let branch = service::rename_branch(&mut work, id, &input).await?;
    work.commit().await?;
    Ok(Json(branch))
}

async fn delete_branch(mut work: Work, ApiPath(id): ApiPath<BranchId>) -> Result<StatusCode> {
    service::delete_branch(&mut work, id).await?;
    work.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn show_settings(mut work: Work) -> Result<Json<Company>> {
    Ok(Json(store::own(&mut work).await?))
}

async fn save_settings(mut work: Work, Input(input): Input<Profile>) -> Result<Json<Company>> {
    let company = service::save_profile(&mut work, &input).await?;
    work.commit().await?;
    Ok(Json(company))
}
