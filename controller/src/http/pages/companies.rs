//! Companies page (platform admin): every ISP on this installation, adding one, and working in
//! one.

use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::account::switch_form;
use super::{escape, field, lang, Page};
use crate::i18n::{dhaka_time, t, Lang};
use crate::store::companies;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    render(&state, lang(&headers), &auth, "", &[]).await
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    name: &str,
    errors: &[FieldError],
) -> ApiResult<Html<String>> {
    let current = auth.tenant.map(|t| t.company);
    let rows: String = companies::list(&state.store)
        .await?
        .iter()
        .map(|c| {
            let action = if current == Some(c.id) {
                format!("<b>{}</b>", t(lang, "account.current"))
            } else {
                switch_form(lang, &auth.csrf_token, c.id)
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{action}</td></tr>",
                escape(&c.name),
                dhaka_time(c.created_at)
            )
        })
        .collect();
    let body = format!(
        "<h1>{title}</h1><table id=companies><thead><tr><th>{name_label}</th><th>{created}</th><th></th></tr></thead><tbody>{rows}</tbody></table>\
         <h2>{create}</h2><form method=post action=/companies class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
         {name_field}<button type=submit>{create}</button></form>",
        title = t(lang, "companies.title"),
        name_label = t(lang, "companies.name"),
        created = t(lang, "branches.created_at"),
        create = t(lang, "companies.create"),
        csrf = auth.csrf_token,
        name_field = field(lang, "company-name", "name", "companies.name", "text", name, errors),
    );
    Ok(Page {
        lang,
        auth,
        path: "/companies",
    }
    .render(t(lang, "companies.title"), &body))
}

#[derive(Deserialize)]
pub struct NewCompany {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<NewCompany>,
) -> ApiResult<Response> {
    match super::super::api::companies::create_company(&state, &auth, &origin, &form.name).await {
        Ok(_) => Ok(Redirect::to("/companies").into_response()),
        Err(ApiError::Validation(errors)) => {
            let page = render(&state, lang(&headers), &auth, &form.name, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
