//! Who is asking: the session cookie (pages and the API) or an API token (the API only), turned
//! into [`Auth`] on every request; and the `sessions` table behind the cookie. Signing in is the
//! staff domain's (`staff::login`); this module only recognises what it issued.
//!
//! Cookies are HttpOnly, SameSite=Lax, and Secure with the `__Host-` prefix unless
//! `http.secure_cookies` is off (plain HTTP in a lab), so no other site or subdomain can plant
//! one.

use super::{Auth, API_PREFIX};
use crate::kernel::db::{get, get_flag, now_ms, Db, Result, Store};
use crate::kernel::ids::{ApiTokenId, BranchId, CompanyId, RoleId, UserId};
use crate::kernel::random::sha256_hex;
use crate::kernel::rbac::Permission;
use crate::kernel::scope::Scope;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashSet;

/// The session cookie's name before the `__Host-` prefix.
pub const SESSION_COOKIE: &str = "setu_session";

/// A cookie's name as this deployment sets it: `__Host-` + `base` with secure cookies.
pub fn cookie_name(state: &AppState, base: &str) -> String {
    if state.config.http.secure_cookies {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The value of cookie `name` (exactly as named; see [`cookie_name`]).
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// `Set-Cookie` for cookie `base`: HttpOnly, SameSite=Lax, Path=/, Secure and `__Host-` when
/// configured.
pub fn set_cookie(state: &AppState, base: &str, value: &str, max_age_secs: Option<i64>) -> String {
    let mut c = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax",
        cookie_name(state, base)
    );
    if state.config.http.secure_cookies {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// How long a password-checked login waits for its TOTP code.
pub const SECOND_FACTOR_WINDOW_MS: i64 = 5 * 60_000;

/// Prefix of every API token, so leaked ones are easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "setu_";

/// Recognises the session cookie, or on the JSON API a bearer token, and puts [`Auth`] into
/// the request. The application state goes in too, for the per-route guard.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with(API_PREFIX);
    let auth = match bearer(req.headers()) {
        // Tokens are for scripts on the API; pages only take the cookie.
        Some(token) if is_api => load_token(&state, token).await,
        Some(_) => Ok(None),
        None => match cookie(req.headers(), &cookie_name(&state, SESSION_COOKIE)) {
            Some(token) => load(&state, &token).await,
            None => Ok(None),
        },
    };
    match auth {
        Ok(Some(auth)) => {
            req.extensions_mut().insert(auth);
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "session lookup failed"),
    }
    req.extensions_mut().insert(state);
    next.run(req).await
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A user as sign-in needs them.
#[derive(Debug, Clone)]
pub struct Identity {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub is_platform_admin: bool,
    pub deactivated: bool,
}

pub async fn identity(db: &mut Db, user: UserId) -> Result<Identity> {
    let row = sqlx::query(
        "SELECT id, username, display_name, is_platform_admin, deactivated_at FROM users WHERE id = $1",
    )
    .bind(user)
    .fetch_one(&mut *db)
    .await?;
    Ok(Identity {
        id: get(&row, "id")?,
        username: get(&row, "username")?,
        display_name: get(&row, "display_name")?,
        is_platform_admin: get_flag(&row, "is_platform_admin")?,
        deactivated: get::<Option<i64>>(&row, "deactivated_at")?.is_some(),
    })
}

/// A user's standing in one company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub company_id: CompanyId,
    pub role_id: RoleId,
    pub role: String,
    pub permissions: HashSet<Permission>,
    pub branch_id: Option<BranchId>,
}

pub async fn membership(
    db: &mut Db,
    user: UserId,
    company: CompanyId,
) -> Result<Option<Membership>> {
    let row = sqlx::query(
        "SELECT m.role_id, m.branch_id, r.name, r.permissions FROM memberships m
         JOIN roles r ON r.company_id = m.company_id AND r.id = m.role_id
         WHERE m.user_id = $1 AND m.company_id = $2",
    )
    .bind(user)
    .bind(company)
    .fetch_optional(&mut *db)
    .await?;
    row.map(|row| {
        Ok(Membership {
            company_id: company,
            role_id: get(&row, "role_id")?,
            role: get(&row, "name")?,
            permissions: permission_set(&get::<String>(&row, "permissions")?),
            branch_id: get(&row, "branch_id")?,
        })
    })
    .transpose()
}

/// Space-separated permission names as stored; names no domain declares (any more) are dropped.
pub fn permission_set(text: &str) -> HashSet<Permission> {
    text.split_whitespace()
        .filter_map(Permission::from_name)
        .collect()
}

/// The scope of a member: their company, and their branch when the role is limited to one.
pub(in crate::kernel) fn member_scope(m: &Membership) -> Scope {
    Scope::member(m.company_id, m.branch_id)
}

/// The scope of a platform admin working in a company they are no member of.
pub(in crate::kernel) fn platform_scope(company: CompanyId) -> Scope {
    Scope::member(company, None)
}

async fn load_token(state: &AppState, token: &str) -> Result<Option<Auth>> {
    let mut db = state.store.conn().await?;
    let row = sqlx::query(
        "SELECT id, company_id, user_id, permissions, expires_at, revoked_at, last_used_at
         FROM api_tokens WHERE token_hash = $1",
    )
    .bind(sha256_hex(token))
    .fetch_optional(&mut *db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let now = now_ms();
    let revoked: Option<i64> = get(&row, "revoked_at")?;
    if revoked.is_some() || get::<i64>(&row, "expires_at")? <= now {
        return Ok(None);
    }
    let id: ApiTokenId = get(&row, "id")?;
    let company: CompanyId = get(&row, "company_id")?;
    let user = identity(&mut db, get(&row, "user_id")?).await?;
    if user.deactivated {
        return Ok(None);
    }
    let membership = membership(&mut db, user.id, company).await?;
    // A token never holds more than its owner does now.
    let held: HashSet<Permission> = match &membership {
        Some(m) => m.permissions.clone(),
        None if user.is_platform_admin => Permission::all().collect(),
        None => return Ok(None),
    };
    let permissions = permission_set(&get::<String>(&row, "permissions")?)
        .into_iter()
        .filter(|p| held.contains(p) && !p.is_platform_only())
        .collect();
    let last_used: Option<i64> = get(&row, "last_used_at")?;
    if last_used.is_none_or(|at| now - at > 60_000) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *db)
            .await?;
    }
    Ok(Some(Auth {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        // Whatever the owner is, a token carries only its own permissions.
        is_platform_admin: false,
        scope: Some(match &membership {
            Some(m) => member_scope(m),
            None => platform_scope(company),
        }),
        role: None,
        permissions,
        csrf_token: String::new(),
        session_hash: String::new(),
        token: Some(id),
    }))
}

async fn load(state: &AppState, token: &str) -> Result<Option<Auth>> {
    let hash = sha256_hex(token);
    let mut db = state.store.conn().await?;
    let Some(session) = get_session(&mut db, &hash).await? else {
        return Ok(None);
    };
    if session.mfa_pending {
        return Ok(None);
    }
    let now = now_ms();
    let http = &state.config.http;
    let idle = now - session.last_seen_at > http.session_idle_minutes * 60_000;
    let expired = now - session.created_at > http.session_absolute_hours * 3_600_000;
    if idle || expired {
        delete(&mut db, &hash).await?;
        return Ok(None);
    }
    // Writing on every request would make reads into writes; a minute of slack is enough.
    if now - session.last_seen_at > 60_000 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&hash)
            .execute(&mut *db)
            .await?;
    }
    let user = identity(&mut db, session.user_id).await?;
    if user.deactivated {
        return Ok(None);
    }
    let (scope, role, permissions) = match session.company_id {
        Some(company) => match membership(&mut db, user.id, company).await? {
            Some(m) => (Some(member_scope(&m)), Some(m.role.clone()), m.permissions),
            // A platform admin may work in any company without a membership.
            None if user.is_platform_admin => (Some(platform_scope(company)), None, HashSet::new()),
            None => (None, None, HashSet::new()),
        },
        None => (None, None, HashSet::new()),
    };
    Ok(Some(Auth {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        is_platform_admin: user.is_platform_admin,
        scope,
        role,
        permissions,
        csrf_token: session.csrf_token,
        session_hash: hash,
        token: None,
    }))
}

/// Whether the session behind `session_hash` is still live (for long-lived answers such as
/// `/fleet/live`, which must end when the user signs out or the session times out).
pub async fn still_live(state: &AppState, session_hash: &str) -> Result<bool> {
    let mut db = state.store.conn().await?;
    let Some(session) = get_session(&mut db, session_hash).await? else {
        return Ok(false);
    };
    let now = now_ms();
    let http = &state.config.http;
    Ok(!session.mfa_pending
        && now - session.last_seen_at <= http.session_idle_minutes * 60_000
        && now - session.created_at <= http.session_absolute_hours * 3_600_000)
}

/// A row of `sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    pub company_id: Option<CompanyId>,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Password checked, TOTP code still owed: not a usable session.
    pub mfa_pending: bool,
}

pub async fn create(
    db: &mut Db,
    token_hash: &str,
    user: UserId,
    company: Option<CompanyId>,
    csrf: &str,
    mfa_pending: bool,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, company_id, csrf_token, created_at, last_seen_at, mfa_pending)
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(token_hash)
    .bind(user)
    .bind(company)
    .bind(csrf)
    .bind(now)
    .bind(i64::from(mfa_pending))
    .execute(&mut *db)
    .await?;
    Ok(())
}

pub async fn get_session(db: &mut Db, token_hash: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT user_id, company_id, csrf_token, created_at, last_seen_at, mfa_pending FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *db)
    .await?;
    row.map(|r| {
        Ok(Session {
            user_id: get(&r, "user_id")?,
            company_id: get(&r, "company_id")?,
            csrf_token: get(&r, "csrf_token")?,
            created_at: get(&r, "created_at")?,
            last_seen_at: get(&r, "last_seen_at")?,
            mfa_pending: get_flag(&r, "mfa_pending")?,
        })
    })
    .transpose()
}

pub async fn delete(db: &mut Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Ends every session of `user` ("sign out everywhere", password reset, deactivation).
pub async fn delete_all_for_user(db: &mut Db, user: UserId) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(&mut *db)
        .await?;
    Ok(done.rows_affected())
}

/// Moves a session to another company (the platform admin, or staff of several companies).
pub async fn set_company(db: &mut Db, token_hash: &str, company: CompanyId) -> Result<()> {
    sqlx::query("UPDATE sessions SET company_id = $1 WHERE token_hash = $2")
        .bind(company)
        .bind(token_hash)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Sessions of users who were deactivated while signed in are gone already; this removes
/// expired ones nobody came back to (housekeeping).
pub async fn purge_expired(store: &Store, idle_ms: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1")
        .bind(now_ms() - idle_ms)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
