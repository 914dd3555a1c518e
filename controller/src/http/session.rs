//! Cookie sessions stored in the database: signing in, the layer that recognises a session on
//! every request, timeouts, signing out (here or everywhere).

use super::{AppState, Auth};
use crate::rbac::Permission;
use crate::store::{self, audit, now_ms, sessions, users, CompanyId, Tenant};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashSet;

pub const SESSION_COOKIE: &str = "setu_session";

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

impl Origin {
    pub fn of(headers: &axum::http::HeaderMap, peer: Option<std::net::SocketAddr>) -> Origin {
        Origin {
            ip: peer.map(|p| p.ip().to_string()).unwrap_or_default(),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        }
    }
}

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

/// `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when configured.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if state.config.http.secure_cookies {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// Recognises the session cookie and puts [`Auth`] into the request.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE) {
        match load(&state, &token).await {
            Ok(Some(auth)) => {
                req.extensions_mut().insert(auth);
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "session lookup failed"),
        }
    }
    next.run(req).await
}

async fn load(state: &AppState, token: &str) -> store::Result<Option<Auth>> {
    let hash = crate::random::sha256_hex(token);
    let Some(session) = sessions::get(&state.store, &hash).await? else {
        return Ok(None);
    };
    let now = now_ms();
    let http = &state.config.http;
    let idle = now - session.last_seen_at > http.session_idle_minutes * 60_000;
    let expired = now - session.created_at > http.session_absolute_hours * 3_600_000;
    if idle || expired {
        sessions::delete(&state.store, &hash).await?;
        return Ok(None);
    }
    // Writing on every request would make reads into writes; a minute of slack is enough.
    if now - session.last_seen_at > 60_000 {
        sessions::touch(&state.store, &hash).await?;
    }
    let user = users::get(&state.store, session.user_id).await?;
    let (tenant, role, permissions) = match session.company_id {
        Some(company) => match users::membership(&state.store, user.id, company).await? {
            Some(m) => (
                Some(Tenant {
                    company,
                    branch: m.branch_id,
                }),
                Some(m.role),
                m.permissions
                    .iter()
                    .filter_map(|p| Permission::from_name(p))
                    .collect(),
            ),
            // A platform admin may work in any company without a membership.
            None if user.is_platform_admin => {
                (Some(Tenant::company(company)), None, HashSet::new())
            }
            None => (None, None, HashSet::new()),
        },
        None => (None, None, HashSet::new()),
    };
    Ok(Some(Auth {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        is_platform_admin: user.is_platform_admin,
        tenant,
        role,
        permissions,
        csrf_token: session.csrf_token,
        session_hash: hash,
    }))
}

/// Why a login did not succeed. Unknown user and wrong password look the same to the caller.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginRefused {
    BadCredentials,
    Locked,
}

/// Checks credentials and opens a session; returns the cookie token. Every outcome is audited.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    origin: &Origin,
) -> Result<String, SignInError> {
    let credentials = users::credentials(&state.store, username).await?;
    let now = now_ms();
    let Some(credentials) = credentials else {
        // Same work as a real check, so timing does not reveal which names exist.
        crate::password::verify(password, crate::password::decoy());
        audit_login(state, None, None, "auth.login_failed", username, origin).await?;
        return Err(SignInError::Refused(LoginRefused::BadCredentials));
    };
    if credentials.locked_until > now {
        audit_login(
            state,
            None,
            Some(credentials.id),
            "auth.login_locked",
            username,
            origin,
        )
        .await?;
        return Err(SignInError::Refused(LoginRefused::Locked));
    }
    if !crate::password::verify(password, &credentials.password_hash) {
        let lock_until = now + state.config.login.lockout_minutes * 60_000;
        let failures = users::record_failure(
            &state.store,
            credentials.id,
            state.config.login.max_failures,
            lock_until,
        )
        .await?;
        let action = if failures >= state.config.login.max_failures {
            "auth.locked_out"
        } else {
            "auth.login_failed"
        };
        audit_login(state, None, Some(credentials.id), action, username, origin).await?;
        return Err(SignInError::Refused(LoginRefused::BadCredentials));
    }
    users::record_success(&state.store, credentials.id).await?;
    let company = users::companies_of(&state.store, credentials.id)
        .await?
        .first()
        .copied();
    // A fresh token at every login (no session fixation).
    let token = crate::random::token();
    sessions::create(
        &state.store,
        &crate::random::sha256_hex(&token),
        credentials.id,
        company,
        &crate::random::token(),
    )
    .await?;
    audit_login(
        state,
        company,
        Some(credentials.id),
        "auth.login",
        username,
        origin,
    )
    .await?;
    Ok(token)
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("login refused")]
    Refused(LoginRefused),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

async fn audit_login(
    state: &AppState,
    company: Option<CompanyId>,
    user: Option<crate::store::UserId>,
    action: &str,
    username: &str,
    origin: &Origin,
) -> store::Result<()> {
    audit::append(
        &state.store,
        audit::NewEntry {
            company_id: company,
            actor: user,
            action: action.into(),
            entity: "user".into(),
            entity_id: username.chars().take(64).collect(),
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        },
    )
    .await?;
    Ok(())
}
