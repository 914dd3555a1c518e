//! `/api/v1/companies`: the platform admin's list of ISPs and sub-ISPs.

use super::super::session::Origin;
use super::super::{
    audit_change, required_text, Access, ApiError, ApiResult, AppState, Auth, Change, Routes,
};
use super::ApiJson;
use crate::rbac::Permission;
use crate::store::{companies, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.add(
        "GET",
        "/api/v1/companies",
        Access::Needs(Permission::CompaniesManage),
        get(list),
    )
    .add(
        "POST",
        "/api/v1/companies",
        Access::Needs(Permission::CompaniesManage),
        post(create),
    )
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<companies::Company>>> {
    Ok(Json(companies::list(&state.store).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCompany {
    name: String,
}

async fn create(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    ApiJson(body): ApiJson<NewCompany>,
) -> ApiResult<(StatusCode, Json<companies::Company>)> {
    let company = create_company(&state, &auth, &origin, &body.name).await?;
    Ok((StatusCode::CREATED, Json(company)))
}

/// Validates the name, creates the company with its seeded roles and audits it (in the new
/// company's log); shared with the companies page.
pub(crate) async fn create_company(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    name: &str,
) -> ApiResult<companies::Company> {
    let name = required_text("name", name, 100).map_err(|e| ApiError::Validation(vec![e]))?;
    let company = match crate::bootstrap::create_company(&state.store, &name).await {
        Err(StoreError::Conflict) => return Err(ApiError::field("name", "field.taken")),
        other => other?,
    };
    let mut in_company = auth.clone();
    in_company.tenant = Some(crate::store::Tenant::company(company.id));
    audit_change(
        state,
        &in_company,
        origin,
        Change::new(
            "company.create",
            "company",
            company.id,
            serde_json::Value::Null,
            &company,
        ),
    )
    .await?;
    Ok(company)
}
