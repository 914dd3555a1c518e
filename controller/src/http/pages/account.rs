//! The signed-in user's own page: second factor (set up, confirm, turn off), switching between
//! companies, and signing out everywhere.

use super::super::session::Origin;
use super::super::{audit_change, ApiError, ApiResult, AppState, Auth, Change};
use super::{escape, lang, Page};
use crate::i18n::{t, Lang};
use crate::store::{companies, now_ms, sessions, users, CompanyId};
use crate::totp;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> ApiResult<Html<String>> {
    render(&state, lang(&headers), &auth, None).await
}

async fn render(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    code_error: Option<&str>,
) -> ApiResult<Html<String>> {
    let csrf = &auth.csrf_token;
    let error = code_error.map_or(String::new(), |key| {
        format!(
            "<span class=error id=code-error role=alert>{}</span>",
            t(lang, key)
        )
    });
    let code_input = |id: &str| {
        format!(
            "<label for={id}>{}</label><input id={id} name=code inputmode=numeric autocomplete=one-time-code \
             maxlength=7 required aria-invalid={} aria-describedby=code-error>{error}",
            t(lang, "login.code"),
            code_error.is_some(),
        )
    };
    let factor = users::second_factor(&state.store, auth.user_id).await?;
    let second_factor = if factor.secret.is_some() {
        format!(
            "<p id=second-factor-status class=notice>{on}</p>\
             <form method=post action=/account/second-factor/disable class=card><input type=hidden name=csrf value=\"{csrf}\">\
             {input}<button type=submit>{disable}</button></form>",
            on = t(lang, "account.second_factor_on"),
            input = code_input("disable-code"),
            disable = t(lang, "account.disable"),
        )
    } else if let Some(pending) = &factor.pending {
        let secret = totp::base32_decode(pending).unwrap_or_default();
        let grouped: Vec<String> = pending
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!(
            "<p>{hint}</p><p><code id=totp-secret>{grouped}</code></p><p><a href=\"{uri}\">{open}</a></p>\
             <form method=post action=/account/second-factor/confirm class=card><input type=hidden name=csrf value=\"{csrf}\">\
             {input}<button type=submit>{confirm}</button></form>",
            hint = t(lang, "account.setup_hint"),
            grouped = grouped.join(" "),
            uri = escape(&totp::provisioning_uri(&secret, "Setu", &auth.username)),
            open = t(lang, "account.open_app"),
            input = code_input("confirm-code"),
            confirm = t(lang, "account.confirm"),
        )
    } else {
        format!(
            "<p id=second-factor-status>{off}</p><form method=post action=/account/second-factor/start>\
             <input type=hidden name=csrf value=\"{csrf}\"><button type=submit>{enable}</button></form>",
            off = t(lang, "account.second_factor_off"),
            enable = t(lang, "account.enable"),
        )
    };
    let mut switch = String::new();
    let memberships = users::companies_of(&state.store, auth.user_id).await?;
    if memberships.len() > 1 {
        switch.push_str(&format!("<h2>{}</h2><ul>", t(lang, "account.companies")));
        for id in memberships {
            let company = companies::get(&state.store, id).await?;
            let action = if auth.tenant.map(|t| t.company) == Some(id) {
                format!("<b>{}</b>", t(lang, "account.current"))
            } else {
                switch_form(lang, csrf, id)
            };
            switch.push_str(&format!("<li>{} {action}</li>", escape(&company.name)));
        }
        switch.push_str("</ul>");
    }
    let body = format!(
        "<h1>{title}</h1><p>{user}</p><h2>{sf}</h2>{second_factor}{switch}<h2>{sessions}</h2>\
         <form method=post action=/logout-everywhere><input type=hidden name=csrf value=\"{csrf}\">\
         <button type=submit>{everywhere}</button></form>",
        title = t(lang, "account.title"),
        user = escape(&format!("{} ({})", auth.display_name, auth.username)),
        sf = t(lang, "account.second_factor"),
        sessions = t(lang, "account.sessions"),
        everywhere = t(lang, "account.logout_everywhere"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/account",
    }
    .render(t(lang, "account.title"), &body))
}

/// A one-button form that moves the session to another company.
pub fn switch_form(lang: Lang, csrf: &str, company: CompanyId) -> String {
    format!(
        "<form method=post action=/session/company style=display:inline><input type=hidden name=csrf value=\"{csrf}\">\
         <input type=hidden name=company_id value={company}><button type=submit>{}</button></form>",
        t(lang, "account.switch")
    )
}

/// Makes a new secret to set up; it becomes the second factor only once a code is confirmed.
pub async fn start_second_factor(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    let secret = totp::base32_encode(&totp::new_secret());
    users::set_pending_second_factor(&state.store, auth.user_id, &secret).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// Checks `code` against the user's confirmed (or, when setting up, pending) secret, once.
async fn code_accepted(
    state: &AppState,
    auth: &Auth,
    code: &str,
    pending: bool,
) -> ApiResult<bool> {
    let factor = users::second_factor(&state.store, auth.user_id).await?;
    let secret = if pending {
        factor.pending
    } else {
        factor.secret
    };
    let Some(secret) = secret.as_deref().and_then(totp::base32_decode) else {
        return Ok(false);
    };
    match totp::verify(&secret, code, now_ms() / 1000, factor.last_step) {
        Some(step) => Ok(users::use_code_step(&state.store, auth.user_id, step).await?),
        None => Ok(false),
    }
}

pub async fn confirm_second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<CodeForm>,
) -> ApiResult<Response> {
    change_second_factor(&state, &headers, &auth, &origin, &form.code, true).await
}

pub async fn disable_second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    origin: Origin,
    Form(form): Form<CodeForm>,
) -> ApiResult<Response> {
    change_second_factor(&state, &headers, &auth, &origin, &form.code, false).await
}

/// Turns the second factor on (a code from the pending secret) or off (a code from the current
/// one); a wrong code shows the page again with the error.
async fn change_second_factor(
    state: &AppState,
    headers: &HeaderMap,
    auth: &Auth,
    origin: &Origin,
    code: &str,
    enable: bool,
) -> ApiResult<Response> {
    if !code_accepted(state, auth, code, enable).await? {
        let page = render(state, lang(headers), auth, Some("login.bad_code")).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let action = if enable {
        users::confirm_second_factor(&state.store, auth.user_id).await?;
        "user.second_factor_enabled"
    } else {
        users::clear_second_factor(&state.store, auth.user_id).await?;
        "user.second_factor_disabled"
    };
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            action,
            "user",
            auth.user_id,
            serde_json::Value::Null,
            serde_json::Value::Null,
        ),
    )
    .await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct SwitchForm {
    company_id: i64,
}

/// Works in another company: one the user is staff of, or any for the platform admin.
pub async fn switch_company(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Form(form): Form<SwitchForm>,
) -> ApiResult<Response> {
    let company = CompanyId(form.company_id);
    let allowed = if auth.is_platform_admin {
        companies::get(&state.store, company).await.is_ok()
    } else {
        users::membership(&state.store, auth.user_id, company)
            .await?
            .is_some()
    };
    if !allowed {
        return Err(ApiError::NotFound);
    }
    sessions::set_company(&state.store, &auth.session_hash, company).await?;
    let mut moved = auth.clone();
    moved.tenant = Some(crate::store::Tenant::company(company));
    audit_change(
        &state,
        &moved,
        &origin,
        Change::new(
            "auth.switch_company",
            "company",
            company,
            serde_json::json!({ "company_id": auth.tenant.map(|t| t.company) }),
            serde_json::json!({ "company_id": company }),
        ),
    )
    .await?;
    Ok(Redirect::to("/").into_response())
}
