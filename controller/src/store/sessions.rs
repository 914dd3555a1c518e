//! Login sessions, stored so that any controller replica can serve any request.

use super::{get_i64, get_opt_i64, get_string, now_ms, CompanyId, Result, Store, UserId};

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
    store: &Store,
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
    .bind(user.0)
    .bind(company.map(|c| c.0))
    .bind(csrf)
    .bind(now)
    .bind(i64::from(mfa_pending))
    .execute(store.pool())
    .await?;
    Ok(())
}

pub async fn get(store: &Store, token_hash: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT user_id, company_id, csrf_token, created_at, last_seen_at, mfa_pending FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| {
        Ok(Session {
            user_id: UserId(get_i64(&r, "user_id")?),
            company_id: get_opt_i64(&r, "company_id")?.map(CompanyId),
            csrf_token: get_string(&r, "csrf_token")?,
            created_at: get_i64(&r, "created_at")?,
            last_seen_at: get_i64(&r, "last_seen_at")?,
            mfa_pending: get_i64(&r, "mfa_pending")? != 0,
        })
    })
    .transpose()
}

pub async fn touch(store: &Store, token_hash: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(now_ms())
        .bind(token_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn delete(store: &Store, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// "Log out everywhere".
pub async fn delete_all_for_user(store: &Store, user: UserId) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.0)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Moves a session to another company (the platform admin, or staff of several companies).
pub async fn set_company(store: &Store, token_hash: &str, company: CompanyId) -> Result<()> {
    sqlx::query("UPDATE sessions SET company_id = $1 WHERE token_hash = $2")
        .bind(company.0)
        .bind(token_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}
