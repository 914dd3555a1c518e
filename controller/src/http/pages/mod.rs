//! Server-rendered pages. Every string comes from the message catalogue; every value is
//! escaped; every form carries the session's CSRF token.

mod branches;
mod shell;
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

pub use shell::{escape, Page};

pub fn routes(r: Routes) -> Routes {
    r.add("GET", "/login", Access::Public, get(login_form))
        .add("POST", "/login", Access::Public, post(login))
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
            get(shell::audit),
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
    let cookie = session::set_cookie(state, PRELOGIN_COOKIE, &token, Some(3600));
    (
        status,
        [(header::SET_COOKIE, cookie)],
        Html(shell::bare(lang, t(lang, "login.title"), &body)),
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
    let expected = session::cookie(&headers, PRELOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty()
        || !crate::random::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes())
    {
        return super::ApiError::Csrf.into_response();
    }
    match session::sign_in(&state, form.username.trim(), &form.password, &origin).await {
        Ok(token) => {
            let max_age = state.config.http.session_absolute_hours * 3600;
            let cookie =
                session::set_cookie(&state, session::SESSION_COOKIE, &token, Some(max_age));
            let clear = session::set_cookie(&state, PRELOGIN_COOKIE, "", Some(0));
            let mut response = Redirect::to(safe_next(&form.next)).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.parse().expect("cookie is ASCII"));
            response
                .headers_mut()
                .append(header::SET_COOKIE, clear.parse().expect("cookie is ASCII"));
            response
        }
        Err(session::SignInError::Refused(session::LoginRefused::Locked)) => render_login(
            &state,
            lang,
            &form.next,
            Some("login.locked"),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(session::SignInError::Refused(_)) => render_login(
            &state,
            lang,
            &form.next,
            Some("login.failed"),
            StatusCode::UNAUTHORIZED,
        ),
        Err(session::SignInError::Store(e)) => super::ApiError::from(e).into_response(),
    }
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
