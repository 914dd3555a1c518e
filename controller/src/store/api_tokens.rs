//! API tokens for the JSON API: shown once, kept as a SHA-256, limited to chosen permissions,
//! expiring, revocable. A token belongs to one user in one company.

use super::{
    get_i64, get_opt_i64, get_string, now_ms, ApiTokenId, CompanyId, Result, Store, Tenant, UserId,
};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub name: String,
    pub permissions: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl ApiToken {
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

macro_rules! columns {
    () => {
        "id, company_id, user_id, name, permissions, created_at, expires_at, revoked_at, last_used_at"
    };
}

fn from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: ApiTokenId(get_i64(row, "id")?),
        company_id: CompanyId(get_i64(row, "company_id")?),
        user_id: UserId(get_i64(row, "user_id")?),
        name: get_string(row, "name")?,
        permissions: get_string(row, "permissions")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        created_at: get_i64(row, "created_at")?,
        expires_at: get_i64(row, "expires_at")?,
        revoked_at: get_opt_i64(row, "revoked_at")?,
        last_used_at: get_opt_i64(row, "last_used_at")?,
    })
}

pub async fn create(
    store: &Store,
    tenant: &Tenant,
    user: UserId,
    name: &str,
    token_hash: &str,
    permission_names: &[&str],
    expires_at: i64,
) -> Result<ApiToken> {
    let row = sqlx::query(concat!(
        "INSERT INTO api_tokens (company_id, user_id, name, token_hash, permissions, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        columns!()
    ))
    .bind(tenant.company.0)
    .bind(user.0)
    .bind(name)
    .bind(token_hash)
    .bind(permission_names.join(" "))
    .bind(now_ms())
    .bind(expires_at)
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

/// The user's own tokens in the tenant's company, newest first.
pub async fn list_own(store: &Store, tenant: &Tenant, user: UserId) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM api_tokens WHERE company_id = $1 AND user_id = $2 ORDER BY id DESC"
    ))
    .bind(tenant.company.0)
    .bind(user.0)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Revokes one of the user's own tokens; `NotFound` for anyone else's.
pub async fn revoke(
    store: &Store,
    tenant: &Tenant,
    user: UserId,
    id: ApiTokenId,
) -> Result<ApiToken> {
    let row = sqlx::query(concat!(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND company_id = $3 AND user_id = $4
         AND revoked_at IS NULL RETURNING ",
        columns!()
    ))
    .bind(now_ms())
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(user.0)
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

/// The token presented with a request, by its hash (live or not; the caller decides).
pub async fn by_hash(store: &Store, token_hash: &str) -> Result<Option<ApiToken>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM api_tokens WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn touch(store: &Store, id: ApiTokenId) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id.0)
        .execute(store.pool())
        .await?;
    Ok(())
}
