//! Settings page: the company's profile, printed later on invoices, receipts and SMS.

use super::super::api::settings::save_profile;
use super::super::error::FieldError;
use super::super::session::Origin;
use super::super::{ApiError, ApiResult, AppState, Auth};
use super::{field, lang, Page};
use crate::i18n::{t, Lang};
use crate::store::companies::{self, Profile};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    let company = companies::own(&state.store, &auth.tenant()?).await?;
    render(lang(&headers), &auth, &company.name, &company.profile, &[])
}

fn render(
    lang: Lang,
    auth: &Auth,
    company: &str,
    profile: &Profile,
    errors: &[FieldError],
) -> ApiResult<Html<String>> {
    let body = format!(
        "<h1>{title}</h1><p>{company}</p><form method=post action=/settings class=card novalidate>\
         <input type=hidden name=csrf value=\"{csrf}\">{legal}{phone}{address}{licence}\
         <button type=submit>{save}</button></form>",
        title = t(lang, "settings.title"),
        company = super::escape(company),
        csrf = auth.csrf_token,
        legal = field(
            lang,
            "legal-name",
            "legal_name",
            "settings.legal_name",
            "text",
            &profile.legal_name,
            errors
        ),
        phone = field(
            lang,
            "phone",
            "phone",
            "settings.phone",
            "tel",
            &profile.phone,
            errors
        ),
        address = field(
            lang,
            "address",
            "address",
            "settings.address",
            "text",
            &profile.address,
            errors
        ),
        licence = field(
            lang,
            "licence-no",
            "licence_no",
            "settings.licence_no",
            "text",
            &profile.licence_no,
            errors
        ),
        save = t(lang, "settings.save"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/settings",
    }
    .render(t(lang, "settings.title"), &body))
}

/// The form as posted (with its `csrf` field, which the guard has checked).
#[derive(Deserialize)]
pub struct SettingsForm {
    legal_name: String,
    phone: String,
    address: String,
    licence_no: String,
}

pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<SettingsForm>,
) -> ApiResult<Response> {
    let profile = Profile {
        legal_name: form.legal_name,
        phone: form.phone,
        address: form.address,
        licence_no: form.licence_no,
    };
    match save_profile(&state, &auth, &origin, profile.clone()).await {
        Ok(_) => Ok(Redirect::to("/settings").into_response()),
        Err(ApiError::Validation(errors)) => {
            let company = companies::own(&state.store, &auth.tenant()?).await?;
            let page = render(lang(&headers), &auth, &company.name, &profile, &errors)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
