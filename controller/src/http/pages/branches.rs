//! Branches page: list, and the add form with inline validation.

use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::{escape, lang, Page};
use crate::i18n::{dhaka_time, t, Lang};
use crate::rbac::Permission;
use crate::store::branches;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    render(&state, lang(&headers), &auth, "", None).await
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    name: &str,
    error: Option<&FieldError>,
) -> ApiResult<Html<String>> {
    let rows = branches::list(&state.store, &auth.tenant()?, None, 500).await?;
    let table = if rows.is_empty() {
        format!("<p>{}</p>", t(lang, "branches.none"))
    } else {
        let rows: String = rows
            .iter()
            .map(|b| {
                format!(
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(&b.name),
                    dhaka_time(b.created_at)
                )
            })
            .collect();
        format!(
            "<table id=branches><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            t(lang, "branches.name"),
            t(lang, "branches.created_at")
        )
    };
    let form = if auth.can(Permission::BranchesManage) {
        let (invalid, message) = match error {
            Some(e) => (
                "true",
                format!("<span class=error id=name-error>{}</span>", t(lang, e.code)),
            ),
            None => ("false", String::new()),
        };
        format!(
            "<form method=post action=/branches class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             <label for=name>{label}</label><input id=name name=name value=\"{value}\" aria-invalid={invalid} aria-describedby=name-error>{message}\
             <button type=submit>{submit}</button></form>",
            csrf = auth.csrf_token,
            label = t(lang, "branches.name"),
            value = escape(name),
            submit = t(lang, "branches.create"),
        )
    } else {
        String::new()
    };
    let body = format!("<h1>{}</h1>{form}{table}", t(lang, "branches.title"));
    Ok(Page {
        lang,
        auth,
        path: "/branches",
    }
    .render(t(lang, "branches.title"), &body))
}

#[derive(Deserialize)]
pub struct NewBranch {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<NewBranch>,
) -> ApiResult<Response> {
    let lang = lang(&headers);
    let error = match super::super::api::branches::create_branch(&state, &auth, &origin, &form.name)
        .await
    {
        Ok(_) => return Ok(Redirect::to("/branches").into_response()),
        Err(ApiError::Validation(mut errors)) if !errors.is_empty() => errors.swap_remove(0),
        Err(ApiError::Conflict) => FieldError {
            field: "name",
            code: "field.taken",
        },
        Err(e) => return Err(e),
    };
    invalid(&state, lang, &auth, &form.name, error).await
}

/// The form again, with the error next to the field (422).
async fn invalid(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    name: &str,
    error: FieldError,
) -> ApiResult<Response> {
    let page = render(state, lang, auth, name, Some(&error)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
