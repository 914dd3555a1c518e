//! Staff pages: signing in and out (with the second factor), the staff list and its add form,
//! roles and permissions, the user's own account page, and API tokens.

use super::login::{self, Refused, SignInError, SignedIn};
use super::service::{self, RoleInput, StaffInput, TokenInput, TOKEN_LIFETIMES};
use super::{store, totp, ROLES_MANAGE, USERS_MANAGE, USERS_VIEW};
use crate::kernel::audit::{self, NewEntry};
use crate::kernel::date::dhaka_time;
use crate::kernel::db::now_ms;
use crate::kernel::error::FieldError;
use crate::kernel::http::extract::Input;
use crate::kernel::http::form::{safe_next, urlencode};
use crate::kernel::http::list::PageQuery;
use crate::kernel::http::page::{bare, escape, field, other_errors, select, Page};
use crate::kernel::http::session::{
    self, cookie, cookie_name, set_cookie, SECOND_FACTOR_WINDOW_MS, SESSION_COOKIE,
};
use crate::kernel::http::{Access, Auth, Routes};
use crate::kernel::i18n::{role_name, t, Lang};
use crate::kernel::ids::{ApiTokenId, CompanyId, RoleId, UserId};
use crate::kernel::random;
use crate::kernel::rbac::{Permission, OWNER};
use crate::kernel::work::{Origin, Work};
use crate::kernel::{Error, Result};
use crate::{tr, AppState};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    use Access::{Needs, Public, SignedIn};
    r.add("GET", "/login", Public, get(login_form))
        .add("POST", "/login", Public, post(login))
        .add("GET", "/login/code", Public, get(code_form))
        .add("POST", "/login/code", Public, post(submit_code))
        .add("POST", "/logout", SignedIn, post(logout))
        .add(
            "POST",
            "/logout-everywhere",
            SignedIn,
            post(logout_everywhere),
        )
        .add("GET", "/users", Needs(USERS_VIEW), get(users))
        .add("POST", "/users", Needs(USERS_MANAGE), post(create_user))
        .add(
            "POST",
            "/users/{id}/active",
            Needs(USERS_MANAGE),
            post(set_user_active),
        )
        .add("GET", "/roles", Needs(ROLES_MANAGE), get(roles))
        .add("POST", "/roles", Needs(ROLES_MANAGE), post(create_role))
        .add(
            "POST",
            "/roles/{id}",
            Needs(ROLES_MANAGE),
            post(update_role),
        )
        .add(
            "POST",
            "/roles/{id}/delete",
            Needs(ROLES_MANAGE),
            post(delete_role),
        )
        .add("GET", "/account", SignedIn, get(account))
        .add(
            "POST",
            "/account/second-factor/start",
            SignedIn,
            post(start_second_factor),
        )
        .add(
            "POST",
            "/account/second-factor/confirm",
            SignedIn,
            post(confirm_second_factor),
        )
        .add(
            "POST",
            "/account/second-factor/disable",
            SignedIn,
            post(disable_second_factor),
        )
        .add("POST", "/session/company", SignedIn, post(switch_company))
        .add("GET", "/tokens", SignedIn, get(tokens))
        .add("POST", "/tokens", SignedIn, post(create_token))
        .add("POST", "/tokens/{id}/revoke", SignedIn, post(revoke_token))
}

fn invalid(page: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

// Signing in.

/// Before a session exists the sign-in forms carry a CSRF pair: a random nonce in a cookie and,
/// in the form, the nonce's HMAC under a key only the server has, so whoever can plant a cookie
/// still cannot make a matching form.
const PRELOGIN_COOKIE: &str = "setu_prelogin";
/// The pending login of the code step (password checked, TOTP code owed).
const PENDING_COOKIE: &str = "setu_pending";

fn prelogin_token(state: &AppState, nonce: &str) -> String {
    random::hmac_hex(&state.login_key, &format!("login-csrf:{nonce}"))
}

fn prelogin_csrf_ok(state: &AppState, headers: &HeaderMap, submitted: &str) -> bool {
    let nonce = cookie(headers, &cookie_name(state, PRELOGIN_COOKIE)).unwrap_or_default();
    !nonce.is_empty()
        && random::constant_time_eq(
            prelogin_token(state, &nonce).as_bytes(),
            submitted.as_bytes(),
        )
}

/// A page of the sign-in steps, setting the cookie half of its CSRF pair.
fn prelogin_page(
    state: &AppState,
    lang: Lang,
    title: &str,
    form: &str,
    status: StatusCode,
) -> Response {
    let nonce = random::token();
    let body = form.replace("{csrf}", &prelogin_token(state, &nonce));
    let cookie = set_cookie(state, PRELOGIN_COOKIE, &nonce, Some(3600));
    (
        status,
        [(header::SET_COOKIE, cookie)],
        Html(bare(lang, title, &body)),
    )
        .into_response()
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<NextQuery>,
) -> Response {
    render_login(
        &state,
        lang,
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
    let error = error.map_or(String::new(), |key| {
        format!("<p class=error role=alert>{}</p>", t(lang, key))
    });
    let form = format!(
        "<h1>{title}</h1>{error}<form method=post action=/login class=card>\
         <input type=hidden name=csrf value=\"{{csrf}}\"><input type=hidden name=next value=\"{next}\">\
         <label for=username>{u}</label><input id=username name=username autocomplete=username required autofocus>\
         <label for=password>{p}</label><input id=password name=password type=password autocomplete=current-password required>\
         <button type=submit>{submit}</button></form>\
         <p><a href=\"/lang/{other}?next=/login\">{switch}</a></p>",
        title = tr!(lang, "login.title"),
        u = tr!(lang, "login.username"),
        p = tr!(lang, "login.password"),
        submit = tr!(lang, "login.submit"),
        next = escape(&safe_next(next)),
        other = lang.other().code(),
        switch = tr!(lang, "lang.switch"),
    );
    prelogin_page(state, lang, tr!(lang, "login.title"), &form, status)
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
    lang: Lang,
    headers: HeaderMap,
    origin: Origin,
    axum::extract::Form(form): axum::extract::Form<LoginForm>,
) -> Response {
    if !prelogin_csrf_ok(&state, &headers, &form.csrf) {
        return Error::Csrf.into_response();
    }
    match login::sign_in(&state, form.username.trim(), &form.password, &origin).await {
        Ok(SignedIn::Session(token)) => signed_in(&state, &token, &form.next),
        Ok(SignedIn::NeedsCode(pending)) => {
            let cookie = set_cookie(
                &state,
                PENDING_COOKIE,
                &pending,
                Some(SECOND_FACTOR_WINDOW_MS / 1000),
            );
            let to = format!("/login/code?next={}", urlencode(&safe_next(&form.next)));
            ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
        }
        Err(e) => refused(&state, lang, &form.next, e, render_login),
    }
}

/// The password (and code) were right; the session starts. The pre-login cookies are cleared.
fn signed_in(state: &AppState, token: &str, next: &str) -> Response {
    let max_age = state.config.http.session_absolute_hours * 3600;
    let mut response = Redirect::to(&safe_next(next)).into_response();
    for cookie in [
        set_cookie(state, SESSION_COOKIE, token, Some(max_age)),
        set_cookie(state, PRELOGIN_COOKIE, "", Some(0)),
        set_cookie(state, PENDING_COOKIE, "", Some(0)),
    ] {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

type Render = fn(&AppState, Lang, &str, Option<&str>, StatusCode) -> Response;

/// The form again with why the attempt failed.
fn refused(
    state: &AppState,
    lang: Lang,
    next: &str,
    error: SignInError,
    render: Render,
) -> Response {
    let (key, status) = match error {
        SignInError::Store(e) => return Error::from(e).into_response(),
        SignInError::Refused(why) => match why {
            Refused::BadCredentials => ("login.failed", StatusCode::UNAUTHORIZED),
            Refused::BadCode => ("login.bad_code", StatusCode::UNAUTHORIZED),
            Refused::Locked => ("login.locked", StatusCode::TOO_MANY_REQUESTS),
            Refused::Throttled => ("login.throttled", StatusCode::TOO_MANY_REQUESTS),
            // Back to the password step.
            Refused::Expired => {
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

async fn code_form(
    State(state): State<AppState>,
    lang: Lang,
    Query(q): Query<NextQuery>,
) -> Response {
    render_code(
        &state,
        lang,
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
    let error = error.map_or(String::new(), |key| {
        format!(
            "<p class=error role=alert id=code-error>{}</p>",
            t(lang, key)
        )
    });
    let form = format!(
        "<h1>{title}</h1><p>{hint}</p>{error}<form method=post action=/login/code class=card>\
         <input type=hidden name=csrf value=\"{{csrf}}\"><input type=hidden name=next value=\"{next}\">\
         <label for=code>{label}</label><input id=code name=code inputmode=numeric autocomplete=one-time-code \
         pattern=\"[0-9 ]*\" maxlength=7 required autofocus aria-describedby=code-error>\
         <button type=submit>{submit}</button></form>",
        title = tr!(lang, "login.code_title"),
        hint = tr!(lang, "login.code_hint"),
        label = tr!(lang, "login.code"),
        submit = tr!(lang, "login.submit"),
        next = escape(&safe_next(next)),
    );
    prelogin_page(state, lang, tr!(lang, "login.code_title"), &form, status)
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
    lang: Lang,
    headers: HeaderMap,
    origin: Origin,
    axum::extract::Form(form): axum::extract::Form<CodeForm>,
) -> Response {
    if !prelogin_csrf_ok(&state, &headers, &form.csrf) {
        return Error::Csrf.into_response();
    }
    let pending = cookie(&headers, &cookie_name(&state, PENDING_COOKIE)).unwrap_or_default();
    match login::complete_second_factor(&state, &pending, &form.code, &origin).await {
        Ok(token) => signed_in(&state, &token, &form.next),
        Err(e) => refused(&state, lang, &form.next, e, render_code),
    }
}

/// Audits a user-level event (sign-out, second factor, company switch) in the session's
/// company, in the transaction of the change.
async fn audit_user_event(
    db: &mut crate::kernel::db::Db,
    auth: &Auth,
    origin: &Origin,
    company: Option<CompanyId>,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> Result<()> {
    let entry = NewEntry {
        company_id: company,
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
        before,
        after,
        ..NewEntry::by(&auth.actor(), action, "user", auth.user_id)
    };
    audit::append(db, &entry).await?;
    Ok(())
}

async fn logout(State(state): State<AppState>, auth: Auth, origin: Origin) -> Result<Response> {
    let mut tx = state.store.begin().await?;
    session::delete(&mut tx, &auth.session_hash).await?;
    let company = auth.scope.map(|s| s.company());
    audit_user_event(
        &mut tx,
        &auth,
        &origin,
        company,
        "auth.logout",
        serde_json::Value::Null,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(signed_out(&state))
}

async fn logout_everywhere(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
) -> Result<Response> {
    let mut tx = state.store.begin().await?;
    let ended = session::delete_all_for_user(&mut tx, auth.user_id).await?;
    let company = auth.scope.map(|s| s.company());
    audit_user_event(
        &mut tx,
        &auth,
        &origin,
        company,
        "auth.logout_everywhere",
        serde_json::Value::Null,
        serde_json::json!({ "sessions_ended": ended }),
    )
    .await?;
    tx.commit().await?;
    Ok(signed_out(&state))
}

fn signed_out(state: &AppState) -> Response {
    let clear = set_cookie(state, SESSION_COOKIE, "", Some(0));
    ([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response()
}

// Staff.

async fn users(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render_users(&mut work, lang, &auth, &StaffInput::default(), &[]).await
}

async fn render_users(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    form: &StaffInput,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let staff = store::members(work, &PageQuery::first(500)).await?.items;
    let can_manage = auth.can(USERS_MANAGE);
    let rows: String = staff
        .iter()
        .map(|m| {
            let active = m.user.deactivated_at.is_none();
            let action = if can_manage && m.user.id != auth.user_id && work.holds_all(&m.permissions) {
                format!(
                    "<form method=post action=/users/{id}/active><input type=hidden name=csrf value=\"{csrf}\">\
                     <input type=hidden name=active value={to}><button type=submit>{label}</button></form>",
                    id = m.user.id,
                    csrf = auth.csrf_token,
                    to = !active,
                    label = if active { tr!(lang, "users.deactivate") } else { tr!(lang, "users.reactivate") },
                )
            } else {
                String::new()
            };
            format!(
                "<tr data-user={id}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{action}</td></tr>",
                escape(&m.user.username),
                escape(&m.user.display_name),
                escape(&role_name(lang, &m.role)),
                if active { "" } else { tr!(lang, "users.deactivated") },
                id = m.user.id,
            )
        })
        .collect();
    let form_html = if can_manage {
        let mut role_options = vec![(String::new(), tr!(lang, "users.choose_role").to_owned())];
        role_options.extend(
            store::roles(work)
                .await?
                .iter()
                .map(|r| (r.name.clone(), role_name(lang, &r.name))),
        );
        let mut branch_options = vec![(String::new(), tr!(lang, "users.all_branches").to_owned())];
        branch_options.extend(
            crate::tenancy::store::branches(work, &PageQuery::first(500))
                .await?
                .items
                .into_iter()
                .map(|b| (b.id.to_string(), b.name)),
        );
        let chosen_branch = form.branch_id.map_or(String::new(), |b| b.to_string());
        format!(
            "<h2>{title}</h2><form method=post action=/users class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
             {username}{name}{password}<span class=hint>{hint}</span>{role}{branch}\
             <button type=submit>{title}</button></form>",
            title = tr!(lang, "users.create"),
            hint = tr!(lang, "users.password_hint"),
            csrf = auth.csrf_token,
            username = field(lang, "new-username", "username", "users.username", "text", &form.username, errors),
            name = field(lang, "new-display-name", "display_name", "users.display_name", "text", &form.display_name, errors),
            password = field(lang, "new-password", "password", "users.password", "password", "", errors),
            role = select(lang, "new-role", "role", "users.role", &form.role, &role_options, errors),
            branch = select(lang, "new-branch", "branch_id", "users.branch", &chosen_branch, &branch_options, errors),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><table id=users><thead><tr><th>{u}</th><th>{n}</th><th>{r}</th><th></th><th></th></tr></thead><tbody>{rows}</tbody></table>{form_html}",
        title = tr!(lang, "users.title"),
        u = tr!(lang, "users.username"),
        n = tr!(lang, "users.name"),
        r = tr!(lang, "users.role"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/users",
    }
    .render(tr!(lang, "users.title"), &body))
}

async fn create_user(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<StaffInput>,
) -> Result<Response> {
    match service::create_staff(&mut work, &input).await {
        Ok(_) => {
            work.commit().await?;
            Ok(Redirect::to("/users").into_response())
        }
        Err(e) if !e.fields().is_empty() => {
            let mut work = work.rolled_back().await?;
            let page = render_users(&mut work, lang, &auth, &input, e.fields()).await?;
            Ok(invalid(page))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    /// `true` or `false`.
    active: String,
}

async fn set_user_active(
    mut work: Work,
    axum::extract::Path(id): axum::extract::Path<UserId>,
    Input(form): Input<ActiveForm>,
) -> Result<Response> {
    service::set_active(&mut work, id, form.active == "true").await?;
    work.commit().await?;
    Ok(Redirect::to("/users").into_response())
}

// Roles.

fn checkboxes(lang: Lang, auth: &Auth, prefix: &str, checked: &[String]) -> String {
    Permission::all()
        .filter(|p| !p.is_platform_only())
        .map(|p| {
            let is_checked = checked.iter().any(|c| c == p.name());
            format!(
                "<label><input type=checkbox id={prefix}-{name} name=permission value=\"{name}\"{checked}{disabled}> {label}</label>",
                name = p.name(),
                checked = if is_checked { " checked" } else { "" },
                // Only what the editor holds can be granted.
                disabled = if auth.can(p) { "" } else { " disabled" },
                label = p.label(lang),
            )
        })
        .collect()
}

async fn roles(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render_roles(&mut work, lang, &auth, &[]).await
}

async fn render_roles(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let roles = store::roles(work).await?;
    let csrf = &auth.csrf_token;
    let sections: String = roles
        .iter()
        .map(|role| {
            let title = escape(&role_name(lang, &role.name));
            if role.name == OWNER {
                return format!(
                    "<section id=role-{id}><h2>{title}</h2><p class=hint>{fixed}</p></section>",
                    id = role.id,
                    fixed = tr!(lang, "roles.owner_fixed"),
                );
            }
            format!(
                "<section id=role-{id}><h2>{title}</h2>\
                 <form method=post action=/roles/{id}><input type=hidden name=csrf value=\"{csrf}\">\
                 <fieldset><legend>{perms}</legend>{boxes}</fieldset><button type=submit>{save}</button></form>\
                 <form method=post action=/roles/{id}/delete><input type=hidden name=csrf value=\"{csrf}\">\
                 <button type=submit>{delete}</button></form></section>",
                id = role.id,
                perms = tr!(lang, "roles.permissions"),
                boxes = checkboxes(lang, auth, &format!("r{}", role.id), &role.permissions),
                save = tr!(lang, "roles.save"),
                delete = tr!(lang, "roles.delete"),
            )
        })
        .collect();
    let body = format!(
        "<h1>{title}</h1>{alerts}{sections}<h2>{create}</h2>\
         <form method=post action=/roles class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
         {name}<fieldset><legend>{perms}</legend>{boxes}</fieldset><button type=submit>{create}</button></form>",
        title = tr!(lang, "roles.title"),
        alerts = other_errors(lang, errors, &["name"]),
        create = tr!(lang, "roles.create"),
        name = field(lang, "role-name", "name", "roles.name", "text", "", errors),
        perms = tr!(lang, "roles.permissions"),
        boxes = checkboxes(lang, auth, "new", &[]),
    );
    Ok(Page {
        lang,
        auth,
        path: "/roles",
    }
    .render(tr!(lang, "roles.title"), &body))
}

/// The roles page again with the errors, or back to the list.
async fn roles_done(work: Work, lang: Lang, auth: &Auth, result: Result<()>) -> Result<Response> {
    let errors = match result {
        Ok(()) => {
            work.commit().await?;
            return Ok(Redirect::to("/roles").into_response());
        }
        Err(Error::InUse(_)) => vec![FieldError::new("role", "roles.in_use")],
        Err(e) if !e.fields().is_empty() => e.fields().to_vec(),
        Err(e) => return Err(e),
    };
    let mut work = work.rolled_back().await?;
    Ok(invalid(render_roles(&mut work, lang, auth, &errors).await?))
}

async fn create_role(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<RoleInput>,
) -> Result<Response> {
    let result = service::create_role(&mut work, &input).await.map(drop);
    roles_done(work, lang, &auth, result).await
}

async fn update_role(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<RoleId>,
    Input(input): Input<RoleInput>,
) -> Result<Response> {
    let result = service::update_role(&mut work, id, &input).await.map(drop);
    roles_done(work, lang, &auth, result).await
}

async fn delete_role(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<RoleId>,
) -> Result<Response> {
    let result = service::delete_role(&mut work, id).await;
    roles_done(work, lang, &auth, result).await
}

// The user's own account.

async fn account(State(state): State<AppState>, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render_account(&state, lang, &auth, None).await
}

async fn render_account(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    code_error: Option<&str>,
) -> Result<Html<String>> {
    let mut db = state.store.conn().await?;
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
            tr!(lang, "login.code"),
            code_error.is_some(),
        )
    };
    let factor = store::second_factor(&mut db, auth.user_id).await?;
    let second_factor = if factor.secret.is_some() {
        format!(
            "<p id=second-factor-status class=notice>{on}</p>\
             <form method=post action=/account/second-factor/disable class=card><input type=hidden name=csrf value=\"{csrf}\">\
             {input}<button type=submit>{disable}</button></form>",
            on = tr!(lang, "account.second_factor_on"),
            input = code_input("disable-code"),
            disable = tr!(lang, "account.disable"),
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
            hint = tr!(lang, "account.setup_hint"),
            grouped = grouped.join(" "),
            uri = escape(&totp::provisioning_uri(&secret, "Setu", &auth.username)),
            open = tr!(lang, "account.open_app"),
            input = code_input("confirm-code"),
            confirm = tr!(lang, "account.confirm"),
        )
    } else {
        format!(
            "<p id=second-factor-status>{off}</p><form method=post action=/account/second-factor/start>\
             <input type=hidden name=csrf value=\"{csrf}\"><button type=submit>{enable}</button></form>",
            off = tr!(lang, "account.second_factor_off"),
            enable = tr!(lang, "account.enable"),
        )
    };
    let mut switch = String::new();
    let memberships = store::companies_of(&mut db, auth.user_id).await?;
    if memberships.len() > 1 {
        switch.push_str(&format!("<h2>{}</h2><ul>", tr!(lang, "account.companies")));
        for id in memberships {
            let company = crate::tenancy::store::company(&mut db, id).await?;
            let action = if auth.scope.map(|s| s.company()) == Some(id) {
                format!("<b>{}</b>", tr!(lang, "account.current"))
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
        title = tr!(lang, "account.title"),
        user = escape(&format!("{} ({})", auth.display_name, auth.username)),
        sf = tr!(lang, "account.second_factor"),
        sessions = tr!(lang, "account.sessions"),
        everywhere = tr!(lang, "account.logout_everywhere"),
    );
    Ok(Page {
        lang,
        auth,
        path: "/account",
    }
    .render(tr!(lang, "account.title"), &body))
}

/// A one-button form that moves the session to another company.
pub fn switch_form(lang: Lang, csrf: &str, company: CompanyId) -> String {
    format!(
        "<form method=post action=/session/company style=display:inline><input type=hidden name=csrf value=\"{csrf}\">\
         <input type=hidden name=company_id value={company}><button type=submit>{}</button></form>",
        tr!(lang, "account.switch")
    )
}

/// Makes a new secret to set up; it becomes the second factor only once a code is confirmed.
async fn start_second_factor(State(state): State<AppState>, auth: Auth) -> Result<Response> {
    let secret = totp::base32_encode(&totp::new_secret());
    let mut db = state.store.conn().await?;
    store::set_pending_second_factor(&mut db, auth.user_id, &secret).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
struct CodeInput {
    code: String,
}

async fn confirm_second_factor(
    State(state): State<AppState>,
    lang: Lang,
    auth: Auth,
    origin: Origin,
    Input(form): Input<CodeInput>,
) -> Result<Response> {
    change_second_factor(&state, lang, &auth, &origin, &form.code, true).await
}

async fn disable_second_factor(
    State(state): State<AppState>,
    lang: Lang,
    auth: Auth,
    origin: Origin,
    Input(form): Input<CodeInput>,
) -> Result<Response> {
    change_second_factor(&state, lang, &auth, &origin, &form.code, false).await
}

/// Turns the second factor on (a code from the pending secret) or off (a code from the current
/// one), once per code; a wrong code shows the page again with the error.
async fn change_second_factor(
    state: &AppState,
    lang: Lang,
    auth: &Auth,
    origin: &Origin,
    code: &str,
    enable: bool,
) -> Result<Response> {
    let mut tx = state.store.begin().await?;
    let factor = store::second_factor(&mut tx, auth.user_id).await?;
    let secret = if enable {
        factor.pending
    } else {
        factor.secret
    };
    let accepted = match secret.as_deref().and_then(totp::base32_decode) {
        Some(secret) => match totp::verify(&secret, code, now_ms() / 1000, factor.last_step) {
            Some(step) => store::use_code_step(&mut tx, auth.user_id, step).await?,
            None => false,
        },
        None => false,
    };
    if !accepted {
        drop(tx);
        return Ok(invalid(
            render_account(state, lang, auth, Some("login.bad_code")).await?,
        ));
    }
    let action = if enable {
        store::confirm_second_factor(&mut tx, auth.user_id).await?;
        "user.second_factor_enabled"
    } else {
        store::clear_second_factor(&mut tx, auth.user_id).await?;
        "user.second_factor_disabled"
    };
    let company = auth.scope.map(|s| s.company());
    audit_user_event(
        &mut tx,
        auth,
        origin,
        company,
        action,
        serde_json::Value::Null,
        serde_json::Value::Null,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
struct SwitchInput {
    #[serde(deserialize_with = "crate::kernel::http::extract::loose::opt")]
    company_id: Option<CompanyId>,
}

/// Works in another company: one the user is staff of, or any for the platform admin.
async fn switch_company(
    State(state): State<AppState>,
    auth: Auth,
    origin: Origin,
    Input(form): Input<SwitchInput>,
) -> Result<Response> {
    let company = form.company_id.ok_or(Error::NotFound)?;
    let mut tx = state.store.begin().await?;
    let allowed = if auth.is_platform_admin {
        crate::tenancy::store::company(&mut tx, company)
            .await
            .is_ok()
    } else {
        session::membership(&mut tx, auth.user_id, company)
            .await?
            .is_some()
    };
    if !allowed {
        return Err(Error::NotFound);
    }
    session::set_company(&mut tx, &auth.session_hash, company).await?;
    audit_user_event(
        &mut tx,
        &auth,
        &origin,
        Some(company),
        "auth.switch_company",
        serde_json::json!({ "company_id": auth.scope.map(|s| s.company()) }),
        serde_json::json!({ "company_id": company }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/").into_response())
}

// API tokens.

async fn tokens(mut work: Work, lang: Lang, auth: Auth) -> Result<Html<String>> {
    render_tokens(&mut work, lang, &auth, None, &[]).await
}

async fn render_tokens(
    work: &mut Work,
    lang: Lang,
    auth: &Auth,
    new_token: Option<&str>,
    errors: &[FieldError],
) -> Result<Html<String>> {
    let now = now_ms();
    let tokens = store::tokens_of(work, auth.user_id).await?;
    let rows: String = tokens
        .iter()
        .map(|tok| {
            let state = match (tok.revoked_at, tok.expires_at > now) {
                (Some(_), _) => tr!(lang, "tokens.revoked"),
                (None, false) => tr!(lang, "tokens.expired"),
                (None, true) => tr!(lang, "tokens.live"),
            };
            let revoke = if tok.is_live(now) {
                format!(
                    "<form method=post action=/tokens/{}/revoke><input type=hidden name=csrf value=\"{}\">\
                     <button type=submit>{}</button></form>",
                    tok.id,
                    auth.csrf_token,
                    tr!(lang, "tokens.revoke")
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{state}</td><td>{revoke}</td></tr>",
                escape(&tok.name),
                escape(&tok.permissions.join(" ")),
                dhaka_time(tok.expires_at),
                tok.last_used_at.map_or_else(|| tr!(lang, "tokens.never").to_owned(), dhaka_time),
            )
        })
        .collect();
    let shown_once = new_token.map_or(String::new(), |token| {
        format!(
            "<p class=notice role=status>{}</p><p><output id=new-token>{}</output></p>",
            tr!(lang, "tokens.shown_once"),
            escape(token)
        )
    });
    let boxes: String = Permission::all()
        .filter(|p| auth.can(*p) && !p.is_platform_only())
        .map(|p| {
            format!(
                "<label><input type=checkbox name=permission value=\"{name}\"> {label}</label>",
                name = p.name(),
                label = p.label(lang),
            )
        })
        .collect();
    let lifetimes: String = TOKEN_LIFETIMES
        .iter()
        .map(|d| {
            format!(
                "<option value={d}>{d} {}</option>",
                tr!(lang, "tokens.days")
            )
        })
        .collect();
    let body = format!(
        "<h1>{title}</h1>{shown_once}<p class=hint>{hint}</p>\
         <table id=tokens><thead><tr><th>{name}</th><th>{perms}</th><th>{expires}</th><th>{used}</th><th>{status}</th><th></th></tr></thead><tbody>{rows}</tbody></table>\
         <h2>{create}</h2><form method=post action=/tokens class=card novalidate><input type=hidden name=csrf value=\"{csrf}\">\
         {name_field}<label for=token-days>{expires}</label><select id=token-days name=days>{lifetimes}</select>\
         <fieldset><legend>{perms}</legend>{boxes}</fieldset>{alerts}<button type=submit>{create}</button></form>",
        title = tr!(lang, "tokens.title"),
        hint = tr!(lang, "tokens.hint"),
        name = tr!(lang, "tokens.name"),
        perms = tr!(lang, "tokens.permissions"),
        expires = tr!(lang, "tokens.expires"),
        used = tr!(lang, "tokens.last_used"),
        status = tr!(lang, "tokens.state"),
        create = tr!(lang, "tokens.create"),
        csrf = auth.csrf_token,
        name_field = field(lang, "token-name", "name", "tokens.name", "text", "", errors),
        alerts = other_errors(lang, errors, &["name"]),
    );
    Ok(Page {
        lang,
        auth,
        path: "/tokens",
    }
    .render(tr!(lang, "tokens.title"), &body))
}

async fn create_token(
    mut work: Work,
    lang: Lang,
    auth: Auth,
    Input(input): Input<TokenInput>,
) -> Result<Response> {
    match service::create_token(&mut work, auth.user_id, &input).await {
        Ok((_, secret)) => {
            let page = render_tokens(&mut work, lang, &auth, Some(&secret), &[]).await?;
            work.commit().await?;
            Ok(page.into_response())
        }
        Err(Error::Validation(errors)) => {
            let mut work = work.rolled_back().await?;
            let page = render_tokens(&mut work, lang, &auth, None, &errors).await?;
            Ok(invalid(page))
        }
        Err(e) => Err(e),
    }
}

async fn revoke_token(
    mut work: Work,
    auth: Auth,
    axum::extract::Path(id): axum::extract::Path<ApiTokenId>,
) -> Result<Response> {
    service::revoke_token(&mut work, auth.user_id, id).await?;
    work.commit().await?;
    Ok(Redirect::to("/tokens").into_response())
}
