//! Cookie sessions stored in the database: signing in, the layer that recognises a session on
//! every request, timeouts, signing out (here or everywhere).

use super::{AppState, Auth};
use crate::rbac::Permission;
use crate::store::{
    self, api_tokens, audit, now_ms, sessions, throttle, users, CompanyId, Tenant, UserId,
};
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

/// How long a password-checked login waits for its TOTP code.
pub const SECOND_FACTOR_WINDOW_MS: i64 = 5 * 60_000;

/// Recognises the session cookie, or on the JSON API a bearer token, and puts [`Auth`] into
/// the request. The application state goes in too, for the per-route guard.
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with(super::guard::API_PREFIX);
    let auth = match bearer(req.headers()) {
        // Tokens are for scripts on the API; pages only take the cookie.
        Some(token) if is_api => load_token(&state, token).await,
        Some(_) => Ok(None),
        None => match cookie(req.headers(), SESSION_COOKIE) {
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

/// Prefix of every API token, so leaked ones are easy to recognise (and to scan for).
pub const TOKEN_PREFIX: &str = "setu_";

async fn load_token(state: &AppState, token: &str) -> store::Result<Option<Auth>> {
    let Some(token_row) =
        api_tokens::by_hash(&state.store, &crate::random::sha256_hex(token)).await?
    else {
        return Ok(None);
    };
    let now = now_ms();
    if !token_row.is_live(now) {
        return Ok(None);
    }
    let user = users::get(&state.store, token_row.user_id).await?;
    let membership = users::membership(&state.store, user.id, token_row.company_id).await?;
    // A token never holds more than its owner does now.
    let held: HashSet<Permission> = match &membership {
        Some(m) => m
            .permissions
            .iter()
            .filter_map(|p| Permission::from_name(p))
            .collect(),
        None if user.is_platform_admin => Permission::ALL.iter().copied().collect(),
        None => return Ok(None),
    };
    let permissions = token_row
        .permissions
        .iter()
        .filter_map(|p| Permission::from_name(p))
        .filter(|p| held.contains(p) && !p.is_platform_only())
        .collect();
    if token_row.last_used_at.is_none_or(|at| now - at > 60_000) {
        api_tokens::touch(&state.store, token_row.id).await?;
    }
    Ok(Some(Auth {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        // Whatever the owner is, a token carries only its own permissions.
        is_platform_admin: false,
        tenant: Some(Tenant {
            company: token_row.company_id,
            branch: membership.and_then(|m| m.branch_id),
        }),
        role: None,
        permissions,
        csrf_token: String::new(),
        session_hash: String::new(),
        via_token: true,
    }))
}

async fn load(state: &AppState, token: &str) -> store::Result<Option<Auth>> {
    let hash = crate::random::sha256_hex(token);
    let Some(session) = sessions::get(&state.store, &hash).await? else {
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
        via_token: false,
    }))
}

/// Why a login did not succeed. Unknown user and wrong password look the same to the caller.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginRefused {
    BadCredentials,
    Locked,
    /// Too many failures from this address.
    Throttled,
    /// The TOTP code was wrong or already used.
    BadCode,
    /// The password step is too old, or there was none.
    Expired,
}

/// A successful password check: a session, or first the second factor.
#[derive(Debug)]
pub enum SignedIn {
    /// The session cookie's token.
    Session(String),
    /// The token of the pending login, for the code step's cookie.
    NeedsCode(String),
}

/// Checks credentials and opens a session, or a pending login when the user has a second
/// factor. Every outcome is audited.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    origin: &Origin,
) -> Result<SignedIn, SignInError> {
    refuse_throttled(state, origin).await?;
    let credentials = users::credentials(&state.store, username).await?;
    let now = now_ms();
    let Some(credentials) = credentials else {
        // Same work as a real check, so timing does not reveal which names exist.
        crate::password::verify(password, crate::password::decoy());
        audit_login(state, None, None, "auth.login_failed", username, origin).await?;
        return Err(failed(state, origin, LoginRefused::BadCredentials).await);
    };
    // Failures against a known account show in its company's log.
    let home = users::companies_of(&state.store, credentials.id)
        .await?
        .first()
        .copied();
    if credentials.locked_until > now {
        audit_login(
            state,
            home,
            Some(credentials.id),
            "auth.login_locked",
            username,
            origin,
        )
        .await?;
        return Err(SignInError::Refused(LoginRefused::Locked));
    }
    if !crate::password::verify(password, &credentials.password_hash) {
        let action = account_failure(state, credentials.id).await?;
        audit_login(state, home, Some(credentials.id), action, username, origin).await?;
        return Err(failed(state, origin, LoginRefused::BadCredentials).await);
    }
    if credentials.has_second_factor {
        let token = crate::random::token();
        sessions::create(
            &state.store,
            &crate::random::sha256_hex(&token),
            credentials.id,
            None,
            "",
            true,
        )
        .await?;
        return Ok(SignedIn::NeedsCode(token));
    }
    let token = open_session(state, credentials.id, username, origin, false).await?;
    Ok(SignedIn::Session(token))
}

/// The second step: the TOTP code for a pending login. Returns the session cookie's token.
pub async fn complete_second_factor(
    state: &AppState,
    pending_token: &str,
    code: &str,
    origin: &Origin,
) -> Result<String, SignInError> {
    refuse_throttled(state, origin).await?;
    let pending_hash = crate::random::sha256_hex(pending_token);
    let now = now_ms();
    let pending = match sessions::get(&state.store, &pending_hash).await? {
        Some(s) if s.mfa_pending && now - s.created_at <= SECOND_FACTOR_WINDOW_MS => s,
        _ => return Err(SignInError::Refused(LoginRefused::Expired)),
    };
    let user = users::get(&state.store, pending.user_id).await?;
    let credentials = users::credentials(&state.store, &user.username)
        .await?
        .ok_or(store::StoreError::NotFound)?;
    if credentials.locked_until > now {
        sessions::delete(&state.store, &pending_hash).await?;
        return Err(SignInError::Refused(LoginRefused::Locked));
    }
    let factor = users::second_factor(&state.store, user.id).await?;
    let secret = factor
        .secret
        .as_deref()
        .and_then(crate::totp::base32_decode)
        .unwrap_or_default();
    let step = crate::totp::verify(&secret, code, now / 1000, factor.last_step);
    let accepted = match step {
        Some(step) => users::use_code_step(&state.store, user.id, step).await?,
        None => false,
    };
    if !accepted {
        let action = account_failure(state, user.id).await?;
        let action = if action == "auth.locked_out" {
            action
        } else {
            "auth.code_failed"
        };
        let home = users::companies_of(&state.store, user.id)
            .await?
            .first()
            .copied();
        audit_login(state, home, Some(user.id), action, &user.username, origin).await?;
        return Err(failed(state, origin, LoginRefused::BadCode).await);
    }
    sessions::delete(&state.store, &pending_hash).await?;
    Ok(open_session(state, user.id, &user.username, origin, true).await?)
}

/// A fresh session in the user's first company (a new token at every login: no fixation).
async fn open_session(
    state: &AppState,
    user: UserId,
    username: &str,
    origin: &Origin,
    second_factor: bool,
) -> store::Result<String> {
    users::record_success(&state.store, user).await?;
    let company = users::companies_of(&state.store, user)
        .await?
        .first()
        .copied();
    let token = crate::random::token();
    sessions::create(
        &state.store,
        &crate::random::sha256_hex(&token),
        user,
        company,
        &crate::random::token(),
        false,
    )
    .await?;
    audit::append(
        &state.store,
        audit::NewEntry {
            company_id: company,
            actor: Some(user),
            action: "auth.login".into(),
            entity: "user".into(),
            entity_id: username.to_owned(),
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
            before: serde_json::Value::Null,
            after: serde_json::json!({ "second_factor": second_factor }),
        },
    )
    .await?;
    Ok(token)
}

/// Counts a failure against the account; the audit action says whether it is now locked.
async fn account_failure(state: &AppState, user: UserId) -> store::Result<&'static str> {
    let login = &state.config.login;
    let lock_until = now_ms() + login.lockout_minutes * 60_000;
    let failures =
        users::record_failure(&state.store, user, login.max_failures, lock_until).await?;
    Ok(if failures >= login.max_failures {
        "auth.locked_out"
    } else {
        "auth.login_failed"
    })
}

async fn refuse_throttled(state: &AppState, origin: &Origin) -> Result<(), SignInError> {
    let window = state.config.login.lockout_minutes * 60_000;
    let failures = throttle::failures(&state.store, &origin.ip, now_ms(), window).await?;
    if failures >= state.config.login.max_failures_per_ip {
        return Err(SignInError::Refused(LoginRefused::Throttled));
    }
    Ok(())
}

/// Counts a failure against the client's address; the moment it reaches the limit is audited.
async fn failed(state: &AppState, origin: &Origin, why: LoginRefused) -> SignInError {
    let window = state.config.login.lockout_minutes * 60_000;
    let counted = throttle::record_failure(&state.store, &origin.ip, now_ms(), window).await;
    let result = match counted {
        Ok(n) if n == state.config.login.max_failures_per_ip => {
            audit_login(state, None, None, "auth.ip_throttled", &origin.ip, origin).await
        }
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => SignInError::Refused(why),
        Err(e) => SignInError::Store(e),
    }
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
    subject: &str,
    origin: &Origin,
) -> store::Result<()> {
    audit::append(
        &state.store,
        audit::NewEntry {
            company_id: company,
            actor: user,
            action: action.into(),
            entity: "user".into(),
            entity_id: subject.chars().take(64).collect(),
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        },
    )
    .await?;
    Ok(())
}
