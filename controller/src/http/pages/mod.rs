//! Server-rendered pages. Every string comes from the message catalogue; every value is
//! escaped; every form carries the session's CSRF token.

mod account;
mod audit;
mod branches;
mod companies;
mod fleet;
mod plans;
mod roles;
mod sessions;
mod settings;
mod shell;
mod subscribers;
mod tokens;
mod users;

use super::session::{self, Origin};
use super::{Access, AppState, Routes};
use crate::i18n::{t, Lang};
use crate::rbac::Permission;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub use shell::{escape, field, Page};

pub fn routes(r: Routes) -> Routes {
    r.add("GET", "/login", Access::Public, get(login_form))
        .add("POST", "/login", Access::Public, post(login))
        .add("GET", "/login/code", Access::Public, get(code_form))
        .add("POST", "/login/code", Access::Public, post(submit_code))
        .add("POST", "/logout", Access::SignedIn, post(logout))
        .add(
            "POST",
            "/logout-everywhere",
            Access::SignedIn,
            post(logout_everywhere),
        )
        .add("GET", "/lang/{code}", Access::Public, get(switch_language))
        .add(
            "GET",
            "/",
            Access::Needs(Permission::DashboardView),
            get(shell::dashboard),
        )
        .add(
            "GET",
            "/users",
            Access::Needs(Permission::UsersView),
            get(users::list),
        )
        .add(
            "POST",
            "/users",
            Access::Needs(Permission::UsersManage),
            post(users::create),
        )
        .add(
            "GET",
            "/audit",
            Access::Needs(Permission::AuditView),
            get(audit::list),
        )
        .add(
            "GET",
            "/audit.csv",
            Access::Needs(Permission::AuditView),
            get(audit::export),
        )
        .add("GET", "/account", Access::SignedIn, get(account::show))
        .add(
            "POST",
            "/account/second-factor/start",
            Access::SignedIn,
            post(account::start_second_factor),
        )
        .add(
            "POST",
            "/account/second-factor/confirm",
            Access::SignedIn,
            post(account::confirm_second_factor),
        )
        .add(
            "POST",
            "/account/second-factor/disable",
            Access::SignedIn,
            post(account::disable_second_factor),
        )
        .add(
            "POST",
            "/session/company",
            Access::SignedIn,
            post(account::switch_company),
        )
        .add("GET", "/tokens", Access::SignedIn, get(tokens::list))
        .add("POST", "/tokens", Access::SignedIn, post(tokens::create))
        .add(
            "POST",
            "/tokens/{id}/revoke",
            Access::SignedIn,
            post(tokens::revoke),
        )
        .add(
            "GET",
            "/companies",
            Access::Needs(Permission::CompaniesManage),
            get(companies::list),
        )
        .add(
            "POST",
            "/companies",
            Access::Needs(Permission::CompaniesManage),
            post(companies::create),
        )
        .add(
            "GET",
            "/roles",
            Access::Needs(Permission::RolesManage),
            get(roles::list),
        )
        .add(
            "POST",
            "/roles",
            Access::Needs(Permission::RolesManage),
            post(roles::create),
        )
        .add(
            "POST",
            "/roles/{id}",
            Access::Needs(Permission::RolesManage),
            post(roles::update),
        )
        .add(
            "POST",
            "/roles/{id}/delete",
            Access::Needs(Permission::RolesManage),
            post(roles::delete),
        )
        .add(
            "GET",
            "/fleet",
            Access::Needs(Permission::RoutersView),
            get(fleet::list),
        )
        .add(
            "GET",
            "/fleet/live",
            Access::Needs(Permission::RoutersView),
            get(fleet::live),
        )
        .add(
            "POST",
            "/pops",
            Access::Needs(Permission::RoutersManage),
            post(fleet::add_pop),
        )
        .add(
            "POST",
            "/routers",
            Access::Needs(Permission::RoutersManage),
            post(fleet::add_router),
        )
        .add(
            "GET",
            "/routers/{id}",
            Access::Needs(Permission::RoutersView),
            get(fleet::show),
        )
        .add(
            "POST",
            "/routers/{id}/enrollment",
            Access::Needs(Permission::RoutersManage),
            post(fleet::enroll),
        )
        .add(
            "POST",
            "/routers/{id}/revoke",
            Access::Needs(Permission::RoutersManage),
            post(fleet::revoke),
        )
        .add(
            "POST",
            "/routers/{id}/commands",
            Access::Needs(Permission::RoutersManage),
            post(fleet::command),
        )
        .add(
            "GET",
            "/plans",
            Access::Needs(Permission::SubscribersView),
            get(plans::list),
        )
        .add(
            "POST",
            "/plans",
            Access::Needs(Permission::PlansManage),
            post(plans::create),
        )
        .add(
            "GET",
            "/subscribers",
            Access::Needs(Permission::SubscribersView),
            get(subscribers::list),
        )
        .add(
            "POST",
            "/subscribers",
            Access::Needs(Permission::SubscribersManage),
            post(subscribers::create),
        )
        .add(
            "POST",
            "/subscribers/{id}/status",
            Access::Needs(Permission::SubscribersManage),
            post(subscribers::set_status),
        )
        .add(
            "GET",
            "/sessions",
            Access::Needs(Permission::SubscribersView),
            get(sessions::list),
        )
        .add(
            "GET",
            "/sessions.csv",
            Access::Needs(Permission::SubscribersView),
            get(sessions::export),
        )
        .add(
            "GET",
            "/settings",
            Access::Needs(Permission::SettingsManage),
            get(settings::show),
        )
        .add(
            "POST",
            "/settings",
            Access::Needs(Permission::SettingsManage),
            post(settings::save),
        )
        .add(
            "GET",
            "/branches",
            Access::Needs(Permission::BranchesView),
            get(branches::list),
        )
        .add(
            "POST",
            "/branches",
            Access::Needs(Permission::BranchesManage),
            post(branches::create),
        )
}

/// The language chosen with the switch (cookie), English by default.
pub fn lang(headers: &HeaderMap) -> Lang {
    session::cookie(headers, "lang")
        .and_then(|c| Lang::from_code(&c))
        .unwrap_or(Lang::En)
}

/// The 403 page for a signed-in user whose role lacks the permission.
pub fn forbidden(req: &axum::extract::Request) -> Response {
    let lang = lang(req.headers());
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/\">{}</a></p>",
        t(lang, "forbidden.title"),
        t(lang, "forbidden.body"),
        t(lang, "nav.dashboard")
    );
    (
        StatusCode::FORBIDDEN,
        Html(shell::bare(lang, t(lang, "forbidden.title"), &body)),
    )
        .into_response()
}

const PRELOGIN_COOKIE: &str = "setu_prelogin";

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Login form. CSRF before a session exists: a random token in a cookie and in the form must
/// match (double submit).
async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    render_login(
        &state,
        lang(&headers),
        q.next.as_deref().unwrap_or("/"),
        None,
        StatusCode::OK,
    )
}

fn render_login(
    state: &AppState,
    lang: Lang,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = crate::random::token();
    let error = error.map_or(String::new(), |key| {
        format!("<p class=error role=alert>{}</p>", t(lang, key))
    });
    let body = format!(
        "<h1>{title}</h1>{error}<form method=post action=/login class=card>\
         <input type=hidden name=csrf value=\"{token}\"><input type=hidden name=next value=\"{next}\">\
         <label for=username>{u}</label><input id=username name=username autocomplete=username required autofocus>\
         <label for=password>{p}</label><input id=password name=password type=password autocomplete=current-password required>\
         <button type=submit>{submit}</button></form>\
         <p><a href=\"/lang/{other}?next=/login\">{switch}</a></p>",
        title = t(lang, "login.title"),
        u = t(lang, "login.username"),
        p = t(lang, "login.password"),
        submit = t(lang, "login.submit"),
        next = escape(safe_next(next)),
        other = lang.other().code(),
        switch = t(lang, "lang.switch"),
    );
    prelogin_page(state, lang, "login.title", &token, &body, status)
}

/// A page of the sign-in steps, setting the cookie half of its double-submit CSRF token.
fn prelogin_page(
    state: &AppState,
    lang: Lang,
    title_key: &str,
    token: &str,
    body: &str,
    status: StatusCode,
) -> Response {
    let cookie = session::set_cookie(state, PRELOGIN_COOKIE, token, Some(3600));
    (
        status,
        [(header::SET_COOKIE, cookie)],
        Html(shell::bare(lang, t(lang, title_key), body)),
    )
        .into_response()
}

/// Only same-site paths may be redirected to after login.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    origin: Origin,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang(&headers);
    if !prelogin_csrf_ok(&headers, &form.csrf) {
        return super::ApiError::Csrf.into_response();
    }
    let outcome = session::sign_in(&state, form.username.trim(), &form.password, &origin).await;
    match outcome {
        Ok(session::SignedIn::Session(token)) => signed_in(&state, &token, &form.next),
        Ok(session::SignedIn::NeedsCode(pending)) => {
            let cookie = session::set_cookie(
                &state,
                PENDING_COOKIE,
                &pending,
                Some(session::SECOND_FACTOR_WINDOW_MS / 1000),
            );
            let to = format!(
                "/login/code?next={}",
                super::urlencode(safe_next(&form.next))
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
        }
        Err(e) => refused(&state, lang, &form.next, e, render_login),
    }
}

/// The password is right; the session starts. The pre-login cookies are cleared.
fn signed_in(state: &AppState, token: &str, next: &str) -> Response {
    let max_age = state.config.http.session_absolute_hours * 3600;
    let mut response = Redirect::to(safe_next(next)).into_response();
    for cookie in [
        session::set_cookie(state, session::SESSION_COOKIE, token, Some(max_age)),
        session::set_cookie(state, PRELOGIN_COOKIE, "", Some(0)),
        session::set_cookie(state, PENDING_COOKIE, "", Some(0)),
    ] {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.parse().expect("cookie is ASCII"));
    }
    response
}

type Render = fn(&AppState, Lang, &str, Option<&str>, StatusCode) -> Response;

/// The form again with why the attempt failed.
fn refused(
    state: &AppState,
    lang: Lang,
    next: &str,
    error: session::SignInError,
    render: Render,
) -> Response {
    use session::LoginRefused::*;
    let (key, status) = match error {
        session::SignInError::Store(e) => return super::ApiError::from(e).into_response(),
        session::SignInError::Refused(why) => match why {
            BadCredentials => ("login.failed", StatusCode::UNAUTHORIZED),
            BadCode => ("login.bad_code", StatusCode::UNAUTHORIZED),
            Locked => ("login.locked", StatusCode::TOO_MANY_REQUESTS),
            Throttled => ("login.throttled", StatusCode::TOO_MANY_REQUESTS),
            // Back to the password step.
            Expired => {
                return render_login(
                    state,
                    lang,
                    next,
                    Some("login.expired"),
                    StatusCode::UNAUTHORIZED,
                )
            }
        },
    };
    render(state, lang, next, Some(key), status)
}

/// The pending login of the code step (password checked, TOTP code owed).
const PENDING_COOKIE: &str = "setu_pending";

async fn code_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    render_code(
        &state,
        lang(&headers),
        q.next.as_deref().unwrap_or("/"),
        None,
        StatusCode::OK,
    )
}

fn render_code(
    state: &AppState,
    lang: Lang,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = crate::random::token();
    let error = error.map_or(String::new(), |key| {
        format!(
            "<p class=error role=alert id=code-error>{}</p>",
            t(lang, key)
        )
    });
    let body = format!(
        "<h1>{title}</h1><p>{hint}</p>{error}<form method=post action=/login/code class=card>\
         <input type=hidden name=csrf value=\"{token}\"><input type=hidden name=next value=\"{next}\">\
         <label for=code>{label}</label><input id=code name=code inputmode=numeric autocomplete=one-time-code \
         pattern=\"[0-9 ]*\" maxlength=7 required autofocus aria-describedby=code-error>\
         <button type=submit>{submit}</button></form>",
        title = t(lang, "login.code_title"),
        hint = t(lang, "login.code_hint"),
        label = t(lang, "login.code"),
        submit = t(lang, "login.submit"),
        next = escape(safe_next(next)),
    );
    prelogin_page(state, lang, "login.code_title", &token, &body, status)
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn submit_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    origin: Origin,
    Form(form): Form<CodeForm>,
) -> Response {
    let lang = lang(&headers);
    if !prelogin_csrf_ok(&headers, &form.csrf) {
        return super::ApiError::Csrf.into_response();
    }
    let pending = session::cookie(&headers, PENDING_COOKIE).unwrap_or_default();
    match session::complete_second_factor(&state, &pending, &form.code, &origin).await {
        Ok(token) => signed_in(&state, &token, &form.next),
        Err(e) => refused(&state, lang, &form.next, e, render_code),
    }
}

/// Before a session exists, CSRF is a double submit: the form's token must equal the cookie's.
fn prelogin_csrf_ok(headers: &HeaderMap, submitted: &str) -> bool {
    let expected = session::cookie(headers, PRELOGIN_COOKIE).unwrap_or_default();
    !expected.is_empty()
        && crate::random::constant_time_eq(expected.as_bytes(), submitted.as_bytes())
}

async fn logout(
    State(state): State<AppState>,
    auth: super::Auth,
    origin: Origin,
) -> super::ApiResult<Response> {
    crate::store::sessions::delete(&state.store, &auth.session_hash).await?;
    super::audit_change(
        &state,
        &auth,
        &origin,
        super::Change::new(
            "auth.logout",
            "user",
            auth.user_id,
            serde_json::Value::Null,
            serde_json::Value::Null,
        ),
    )
    .await?;
    Ok(signed_out(&state))
}

async fn logout_everywhere(
    State(state): State<AppState>,
    auth: super::Auth,
    origin: Origin,
) -> super::ApiResult<Response> {
    let ended = crate::store::sessions::delete_all_for_user(&state.store, auth.user_id).await?;
    super::audit_change(
        &state,
        &auth,
        &origin,
        super::Change::new(
            "auth.logout_everywhere",
            "user",
            auth.user_id,
            serde_json::Value::Null,
            serde_json::json!({ "sessions_ended": ended }),
        ),
    )
    .await?;
    Ok(signed_out(&state))
}

fn signed_out(state: &AppState) -> Response {
    let clear = session::set_cookie(state, session::SESSION_COOKIE, "", Some(0));
    ([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response()
}

async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(Lang::En);
    let mut cookie = session::set_cookie(&state, "lang", lang.code(), Some(365 * 86_400));
    // The language is not a secret; scripts may read it.
    cookie = cookie.replace("; HttpOnly", "");
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(safe_next(q.next.as_deref().unwrap_or("/"))),
    )
        .into_response()
}
