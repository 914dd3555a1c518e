//! Roles and permissions page: which role may do what, editing a role's permissions, adding and
//! removing roles. The owner role is shown but fixed.

use super::super::api::roles::{self as shared, OWNER};
use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{form_field, form_values, ApiError, ApiResult, AppState, Auth};
use super::{escape, field, lang, Page};
use crate::i18n::{role_name, t, Lang};
use crate::rbac::Permission;
use crate::store::{users, RoleId};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    render(&state, lang(&headers), &auth, &[]).await
}

fn checkboxes(lang: Lang, auth: &Auth, prefix: &str, checked: &[String]) -> String {
    Permission::ALL
        .iter()
        .filter(|p| !p.is_platform_only())
        .map(|p| {
            let is_checked = checked.iter().any(|c| c == p.name());
            format!(
                "<label><input type=checkbox id={prefix}-{name} name=permission value=\"{name}\"{checked}{disabled}> {label}</label>",
                name = p.name(),
                checked = if is_checked { " checked" } else { "" },
                // Only what the editor holds can be granted.
                disabled = if auth.can(*p) { "" } else { " disabled" },
                label = t(lang, &format!("perm.{}", p.name())),
            )
        })
        .collect()
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    errors: &[FieldError],
) -> ApiResult<Html<String>> {
    let roles = users::roles(&state.store, &auth.tenant()?).await?;
    let csrf = &auth.csrf_token;
    let error_list: String = errors
        .iter()
        .filter(|e| e.field != "name")
        .map(|e| format!("<p class=error role=alert>{}</p>", t(lang, e.code)))
        .collect();
    let sections: String = roles
        .iter()
        .map(|role| {
            let title = escape(&role_name(lang, &role.name));
            if role.name == OWNER {
                return format!(
                    "<section id=role-{id}><h2>{title}</h2><p class=hint>{fixed}</p></section>",
                    id = role.id,
                    fixed = t(lang, "roles.owner_fixed"),
                );
            }
            format!(
                "<section id=role-{id}><h2>{title}</h2>\
                 <form method=post action=/roles/{id}><input type=hidden name=csrf value=\"{csrf}\">\
                 <fieldset><legend>{perms}</legend>{boxes}</fieldset><button type=submit>{save}</button></form>\
                 <form method=post action=/roles/{id}/delete><input type=hidden name=csrf value=\"{csrf}\">\
                 <button type=submit>{delete}</button></form></section>",
                id = role.id,
                perms = t(lang, "roles.permissions"),
                boxes = checkboxes(lang, auth, &format!("r{}", role.id), &role.permissions),
                save = t(lang, "roles.save"),
                delete = t(lang, "roles.delete"),
            )
        })
        .collect();
    let body = format!(
        "<h1>{title}</h1>{error_list}{sections}<h2>{create}</h2>\
         <form method=post action=/roles class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
         {name}<fieldset><legend>{perms}</legend>{boxes}</fieldset><button type=submit>{create}</button></form>",
        title = t(lang, "roles.title"),
        create = t(lang, "roles.create"),
        name = field(lang, "role-name", "name", "roles.name", "text", "", errors),
        perms = t(lang, "roles.permissions"),
        boxes = checkboxes(lang, auth, "new", &[]),
    );
    Ok(Page {
        lang,
        auth,
        path: "/roles",
    }
    .render(t(lang, "roles.title"), &body))
}

/// The page again with the errors, or back to the list.
async fn done(
    state: &AppState,
    headers: &HeaderMap,
    auth: &Auth,
    result: ApiResult<()>,
) -> ApiResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to("/roles").into_response()),
        Err(ApiError::Validation(errors)) => {
            let page = render(state, lang(headers), auth, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    body: Bytes,
) -> ApiResult<Response> {
    let name = form_field(&body, "name").unwrap_or_default();
    let permissions = form_values(&body, "permission");
    let result = shared::create_role(&state, &auth, &origin, &name, &permissions)
        .await
        .map(drop);
    done(&state, &headers, &auth, result).await
}

pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    let permissions = form_values(&body, "permission");
    let result = shared::update_role(&state, &auth, &origin, RoleId(id), &permissions)
        .await
        .map(drop);
    done(&state, &headers, &auth, result).await
}

pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let result = shared::delete_role(&state, &auth, &origin, RoleId(id)).await;
    done(&state, &headers, &auth, result).await
}
