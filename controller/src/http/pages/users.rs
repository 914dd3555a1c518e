//! Staff page: who works here with which role, and (with `users.manage`) the add form.

use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::staff::{self, NewStaff};
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::{escape, field, lang, Page};
use crate::i18n::{role_name, t, Lang};
use crate::rbac::Permission;
use crate::store::{branches, users};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    render(&state, lang(&headers), &auth, &NewStaff::blank(), &[]).await
}

impl NewStaff {
    fn blank() -> NewStaff {
        NewStaff {
            username: String::new(),
            display_name: String::new(),
            password: String::new(),
            role: String::new(),
            branch_id: None,
        }
    }
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    form: &NewStaff,
    errors: &[FieldError],
) -> ApiResult<Html<String>> {
    let tenant = auth.tenant()?;
    let staff = users::list(&state.store, &tenant).await?;
    let rows: String = staff
        .iter()
        .map(|(u, role)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&u.username),
                escape(&u.display_name),
                escape(&role_name(lang, role))
            )
        })
        .collect();
    let form_html = if auth.can(Permission::UsersManage) {
        let roles: String = users::roles(&state.store, &tenant)
            .await?
            .iter()
            .map(|r| {
                let selected = if r.name == form.role { " selected" } else { "" };
                format!(
                    "<option value=\"{}\"{selected}>{}</option>",
                    escape(&r.name),
                    escape(&role_name(lang, &r.name))
                )
            })
            .collect();
        let branches: String = branches::list(&state.store, &tenant, None, 500)
            .await?
            .iter()
            .map(|b| {
                let selected = if Some(b.id.0) == form.branch_id {
                    " selected"
                } else {
                    ""
                };
                format!(
                    "<option value={}{selected}>{}</option>",
                    b.id,
                    escape(&b.name)
                )
            })
            .collect();
        let role_error = errors
            .iter()
            .find(|e| e.field == "role")
            .map_or(String::new(), |e| {
                format!("<span class=error>{}</span>", t(lang, e.code))
            });
        format!(
            "<h2>{title}</h2><form method=post action=/users class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {username}{name}{password}<span class=hint>{hint}</span>\
             <label for=new-role>{role_label}</label><select id=new-role name=role><option value=\"\">{choose}</option>{roles}</select>{role_error}\
             <label for=new-branch>{branch_label}</label><select id=new-branch name=branch_id><option value=\"\">{all}</option>{branches}</select>\
             <button type=submit>{title}</button></form>",
            title = t(lang, "users.create"),
            hint = t(lang, "users.password_hint"),
            csrf = auth.csrf_token,
            username = field(lang, "new-username", "username", "users.username", "text", &form.username, errors),
            name = field(lang, "new-display-name", "display_name", "users.display_name", "text", &form.display_name, errors),
            password = field(lang, "new-password", "password", "users.password", "password", "", errors),
            role_label = t(lang, "users.role"),
            choose = t(lang, "users.choose_role"),
            branch_label = t(lang, "users.branch"),
            all = t(lang, "users.all_branches"),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><table id=users><thead><tr><th>{u}</th><th>{n}</th><th>{r}</th></tr></thead><tbody>{rows}</tbody></table>{form_html}",
        title = t(lang, "users.title"),
        u = t(lang, "users.username"),
        n = t(lang, "users.name"),
        r = t(lang, "users.role"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/users",
    }
    .render(t(lang, "users.title"), &body))
}

/// The form as posted: `branch_id` is "" for all branches.
#[derive(Deserialize)]
pub struct StaffForm {
    username: String,
    display_name: String,
    password: String,
    role: String,
    #[serde(default)]
    branch_id: String,
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<StaffForm>,
) -> ApiResult<Response> {
    let lang = lang(&headers);
    let new = NewStaff {
        username: form.username,
        display_name: form.display_name,
        password: form.password,
        role: form.role,
        branch_id: form.branch_id.trim().parse().ok(),
    };
    match staff::create(&state, &auth, &origin, &new).await {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(ApiError::Validation(errors)) => {
            let page = render(&state, lang, &auth, &new, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
