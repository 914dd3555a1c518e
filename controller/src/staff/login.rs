//! Signing in: password, then (when the user has one) the TOTP second factor; lockouts per
//! account and per client address; every outcome audited.
//!
//! The answer never tells which usernames exist: an unknown name costs the same argon2 work as
//! a real one, and failures under it are counted and locked out exactly like an account's.

use super::store;
use crate::kernel::audit::{self, NewEntry};
use crate::kernel::db::{self, now_ms};
use crate::kernel::http::session::{self, SECOND_FACTOR_WINDOW_MS};
use crate::kernel::ids::{CompanyId, UserId};
use crate::kernel::scope::Actor;
use crate::kernel::work::Origin;
use crate::kernel::{password, random};
use crate::AppState;

/// Why a sign-in did not succeed. Unknown user and wrong password look the same to the caller.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
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

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("sign-in refused")]
    Refused(Refused),
    #[error(transparent)]
    Store(#[from] db::StoreError),
}

/// Checks credentials and opens a session, or a pending login when the user has a second
/// factor.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password_text: &str,
    origin: &Origin,
) -> Result<SignedIn, SignInError> {
    refuse_throttled(state, origin).await?;
    let mut db = state.store.conn().await?;
    let now = now_ms();
    let Some(credentials) = store::credentials(&mut db, username).await? else {
        let name = random::sha256_hex(&username.to_lowercase());
        if store::name_locked_until(&mut db, &name).await? > now {
            audit_login(state, None, None, "auth.login_locked", username, origin).await?;
            return Err(SignInError::Refused(Refused::Locked));
        }
        // Same work as a real check, so timing does not reveal which names exist.
        password::verify(password_text, password::decoy());
        let login = &state.config.login;
        let lock_until = now + login.lockout_minutes * 60_000;
        let failures =
            store::record_name_failure(&mut db, &name, login.max_failures, lock_until).await?;
        let action = if failures >= login.max_failures {
            "auth.locked_out"
        } else {
            "auth.login_failed"
        };
        audit_login(state, None, None, action, username, origin).await?;
        return Err(failed(state, origin, Refused::BadCredentials).await);
    };
    // Failures against a known account show in its company's log.
    let home = store::companies_of(&mut db, credentials.id)
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
        return Err(SignInError::Refused(Refused::Locked));
    }
    if !password::verify(password_text, &credentials.password_hash) {
        let action = account_failure(state, &mut db, credentials.id).await?;
        audit_login(state, home, Some(credentials.id), action, username, origin).await?;
        return Err(failed(state, origin, Refused::BadCredentials).await);
    }
    if credentials.deactivated {
        // The right password of a deactivated account: refused like a wrong one, but audited
        // as what it is.
        audit_login(
            state,
            home,
            Some(credentials.id),
            "auth.login_deactivated",
            username,
            origin,
        )
        .await?;
        return Err(SignInError::Refused(Refused::BadCredentials));
    }
    if credentials.has_second_factor {
        let token = random::token();
        session::create(
            &mut db,
            &random::sha256_hex(&token),
            credentials.id,
            None,
            "",
            true,
        )
        .await?;
        return Ok(SignedIn::NeedsCode(token));
    }
    let token = open_session(state, credentials.id, &credentials.username, origin, false).await?;
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
    let mut db = state.store.conn().await?;
    let pending_hash = random::sha256_hex(pending_token);
    let now = now_ms();
    let pending = match session::get_session(&mut db, &pending_hash).await? {
        Some(s) if s.mfa_pending && now - s.created_at <= SECOND_FACTOR_WINDOW_MS => s,
        _ => return Err(SignInError::Refused(Refused::Expired)),
    };
    let user = store::user(&mut db, pending.user_id).await?;
    let credentials = store::credentials(&mut db, &user.username)
        .await?
        .ok_or(db::StoreError::NotFound)?;
    if credentials.locked_until > now || credentials.deactivated {
        session::delete(&mut db, &pending_hash).await?;
        return Err(SignInError::Refused(Refused::Locked));
    }
    let factor = store::second_factor(&mut db, user.id).await?;
    let secret = factor
        .secret
        .as_deref()
        .and_then(super::totp::base32_decode)
        .unwrap_or_default();
    let accepted = match super::totp::verify(&secret, code, now / 1000, factor.last_step) {
        Some(step) => store::use_code_step(&mut db, user.id, step).await?,
        None => false,
    };
    if !accepted {
        let action = match account_failure(state, &mut db, user.id).await? {
            "auth.locked_out" => "auth.locked_out",
            _ => "auth.code_failed",
        };
        let home = store::companies_of(&mut db, user.id)
            .await?
            .first()
            .copied();
        audit_login(state, home, Some(user.id), action, &user.username, origin).await?;
        return Err(failed(state, origin, Refused::BadCode).await);
    }
    session::delete(&mut db, &pending_hash).await?;
    Ok(open_session(state, user.id, &user.username, origin, true).await?)
}

/// A fresh session in the user's first company (a new token at every login: no fixation).
async fn open_session(
    state: &AppState,
    user: UserId,
    username: &str,
    origin: &Origin,
    second_factor: bool,
) -> db::Result<String> {
    let mut tx = state.store.begin().await?;
    store::record_success(&mut tx, user).await?;
    let company = store::companies_of(&mut tx, user).await?.first().copied();
    let token = random::token();
    session::create(
        &mut tx,
        &random::sha256_hex(&token),
        user,
        company,
        &random::token(),
        false,
    )
    .await?;
    let entry = NewEntry {
        company_id: company,
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
        after: serde_json::json!({ "second_factor": second_factor }),
        ..NewEntry::by(
            &Actor::Staff { user, token: None },
            "auth.login",
            "user",
            username,
        )
    };
    audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(token)
}

/// Counts a failure against the account; the audit action says whether it is now locked.
async fn account_failure(
    state: &AppState,
    db: &mut db::Db,
    user: UserId,
) -> db::Result<&'static str> {
    let login = &state.config.login;
    let lock_until = now_ms() + login.lockout_minutes * 60_000;
    let failures = store::record_failure(db, user, login.max_failures, lock_until).await?;
    Ok(if failures >= login.max_failures {
        "auth.locked_out"
    } else {
        "auth.login_failed"
    })
}

async fn refuse_throttled(state: &AppState, origin: &Origin) -> Result<(), SignInError> {
    let window = state.config.login.lockout_minutes * 60_000;
    let mut db = state.store.conn().await?;
    let failures = store::address_failures(&mut db, &origin.ip, now_ms(), window).await?;
    if failures >= state.config.login.max_failures_per_ip {
        return Err(SignInError::Refused(Refused::Throttled));
    }
    Ok(())
}

/// Counts a failure against the client's address; the moment it reaches the limit is audited.
async fn failed(state: &AppState, origin: &Origin, why: Refused) -> SignInError {
    let window = state.config.login.lockout_minutes * 60_000;
    let counted = async {
        let mut db = state.store.conn().await?;
        store::record_address_failure(&mut db, &origin.ip, now_ms(), window).await
    }
    .await;
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

async fn audit_login(
    state: &AppState,
    company: Option<CompanyId>,
    user: Option<UserId>,
    action: &str,
    subject: &str,
    origin: &Origin,
) -> db::Result<()> {
    let actor = match user {
        Some(user) => Actor::Staff { user, token: None },
        None => Actor::Anonymous,
    };
    let entry = NewEntry {
        company_id: company,
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.clone(),
        ..NewEntry::by(
            &actor,
            action,
            "user",
            subject.chars().take(64).collect::<String>(),
        )
    };
    audit::append_alone(&state.store, &entry).await?;
    Ok(())
}
