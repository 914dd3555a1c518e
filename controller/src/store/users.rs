//! Staff users, roles and memberships (a user's role in a company, optionally one branch).
//!
//! Users are global (one login across companies); what they may do is per company, through a
//! membership. Listing and changing memberships is tenant-scoped.

use super::{
    get_i64, get_opt_i64, get_opt_string, get_string, now_ms, BranchId, CompanyId, Result, RoleId,
    Store, Tenant, UserId,
};
use serde::Serialize;

/// What login needs to know about a user.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
    pub is_platform_admin: bool,
    pub failed_logins: i64,
    pub locked_until: i64,
    /// Whether a TOTP code is asked for after the password.
    pub has_second_factor: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub is_platform_admin: bool,
}

/// A user's standing in one company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub company_id: CompanyId,
    pub role_id: RoleId,
    pub role: String,
    /// Permission names.
    pub permissions: Vec<String>,
    pub branch_id: Option<BranchId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub permissions: Vec<String>,
}

pub async fn create(
    store: &Store,
    username: &str,
    display_name: &str,
    password_hash: &str,
    platform_admin: bool,
) -> Result<User> {
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, is_platform_admin, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(i64::from(platform_admin))
    .bind(now_ms())
    .fetch_one(store.pool())
    .await?;
    Ok(User {
        id: UserId(get_i64(&row, "id")?),
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        is_platform_admin: platform_admin,
    })
}

pub async fn credentials(store: &Store, username: &str) -> Result<Option<Credentials>> {
    let row = sqlx::query(
        "SELECT id, password_hash, is_platform_admin, failed_logins, locked_until, totp_secret FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(store.pool())
    .await?;
    row.map(|row| {
        Ok(Credentials {
            id: UserId(get_i64(&row, "id")?),
            password_hash: get_string(&row, "password_hash")?,
            is_platform_admin: get_i64(&row, "is_platform_admin")? != 0,
            failed_logins: get_i64(&row, "failed_logins")?,
            locked_until: get_i64(&row, "locked_until")?,
            has_second_factor: get_opt_string(&row, "totp_secret")?.is_some(),
        })
    })
    .transpose()
}

pub async fn get(store: &Store, id: UserId) -> Result<User> {
    let row = sqlx::query(
        "SELECT id, username, display_name, is_platform_admin FROM users WHERE id = $1",
    )
    .bind(id.0)
    .fetch_one(store.pool())
    .await?;
    Ok(User {
        id,
        username: get_string(&row, "username")?,
        display_name: get_string(&row, "display_name")?,
        is_platform_admin: get_i64(&row, "is_platform_admin")? != 0,
    })
}

/// Counts a failed login; locks the account until `lock_until` once `max_failures` is reached.
pub async fn record_failure(
    store: &Store,
    id: UserId,
    max_failures: i64,
    lock_until: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1,
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
         WHERE id = $1 RETURNING failed_logins",
    )
    .bind(id.0)
    .bind(max_failures)
    .bind(lock_until)
    .fetch_one(store.pool())
    .await?;
    get_i64(&row, "failed_logins")
}

pub async fn record_success(store: &Store, id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1")
        .bind(id.0)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn set_password(store: &Store, id: UserId, password_hash: &str) -> Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = 0 WHERE id = $2",
    )
    .bind(password_hash)
    .bind(id.0)
    .execute(store.pool())
    .await?;
    Ok(())
}

fn permissions(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

pub async fn create_role(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    permission_names: &[&str],
) -> Result<Role> {
    let row = sqlx::query(
        "INSERT INTO roles (company_id, name, permissions) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(tenant.company.0)
    .bind(name)
    .bind(permission_names.join(" "))
    .fetch_one(store.pool())
    .await?;
    Ok(Role {
        id: RoleId(get_i64(&row, "id")?),
        name: name.to_owned(),
        permissions: permission_names.iter().map(|p| (*p).to_owned()).collect(),
    })
}

pub async fn roles(store: &Store, tenant: &Tenant) -> Result<Vec<Role>> {
    let rows =
        sqlx::query("SELECT id, name, permissions FROM roles WHERE company_id = $1 ORDER BY id")
            .bind(tenant.company.0)
            .fetch_all(store.pool())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Role {
                id: RoleId(get_i64(r, "id")?),
                name: get_string(r, "name")?,
                permissions: permissions(&get_string(r, "permissions")?),
            })
        })
        .collect()
}

/// Gives `user` the role `role` (of the tenant's company), optionally limited to one branch of it.
pub async fn add_membership(
    store: &Store,
    tenant: &Tenant,
    user: UserId,
    role: RoleId,
    branch: Option<BranchId>,
) -> Result<()> {
    // The role and branch must belong to the tenant's company: checked inside the INSERT.
    let inserted = sqlx::query(
        "INSERT INTO memberships (company_id, user_id, role_id, branch_id)
         SELECT $1, $2, r.id, $4 FROM roles r
         WHERE r.id = $3 AND r.company_id = $1
           AND ($4 IS NULL OR EXISTS (SELECT 1 FROM branches b WHERE b.id = $4 AND b.company_id = $1))",
    )
    .bind(tenant.company.0)
    .bind(user.0)
    .bind(role.0)
    .bind(branch.map(|b| b.0))
    .execute(store.pool())
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(super::StoreError::NotFound);
    }
    Ok(())
}

pub async fn membership(
    store: &Store,
    user: UserId,
    company: CompanyId,
) -> Result<Option<Membership>> {
    let row = sqlx::query(
        "SELECT m.role_id, m.branch_id, r.name, r.permissions FROM memberships m
         JOIN roles r ON r.id = m.role_id WHERE m.user_id = $1 AND m.company_id = $2",
    )
    .bind(user.0)
    .bind(company.0)
    .fetch_optional(store.pool())
    .await?;
    row.map(|row| {
        Ok(Membership {
            company_id: company,
            role_id: RoleId(get_i64(&row, "role_id")?),
            role: get_string(&row, "name")?,
            permissions: permissions(&get_string(&row, "permissions")?),
            branch_id: get_opt_i64(&row, "branch_id")?.map(BranchId),
        })
    })
    .transpose()
}

/// The companies a user belongs to, first one first (the default at login).
pub async fn companies_of(store: &Store, user: UserId) -> Result<Vec<CompanyId>> {
    let rows =
        sqlx::query("SELECT company_id FROM memberships WHERE user_id = $1 ORDER BY company_id")
            .bind(user.0)
            .fetch_all(store.pool())
            .await?;
    rows.iter()
        .map(|r| Ok(CompanyId(get_i64(r, "company_id")?)))
        .collect()
}

/// Staff of the tenant's company with their role names.
pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<(User, String)>> {
    let rows = sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.is_platform_admin, r.name AS role FROM memberships m
         JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id
         WHERE m.company_id = $1 AND ($2 = -1 OR m.branch_id = $2) ORDER BY u.username",
    )
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                User {
                    id: UserId(get_i64(r, "id")?),
                    username: get_string(r, "username")?,
                    display_name: get_string(r, "display_name")?,
                    is_platform_admin: get_i64(r, "is_platform_admin")? != 0,
                },
                get_string(r, "role")?,
            ))
        })
        .collect()
}

/// Whether `user` is staff of the tenant's company (and of its branch, for branch-limited callers).
pub async fn in_tenant(store: &Store, tenant: &Tenant, user: UserId) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM memberships WHERE user_id = $1 AND company_id = $2 AND ($3 = -1 OR branch_id = $3)",
    )
    .bind(user.0)
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_one(store.pool())
    .await?;
    Ok(get_i64(&row, "n")? > 0)
}

/// A user's TOTP state: the confirmed secret, one being set up, and the last step used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecondFactor {
    pub secret: Option<String>,
    pub pending: Option<String>,
    pub last_step: i64,
}

pub async fn second_factor(store: &Store, id: UserId) -> Result<SecondFactor> {
    let row =
        sqlx::query("SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_one(store.pool())
            .await?;
    Ok(SecondFactor {
        secret: get_opt_string(&row, "totp_secret")?,
        pending: get_opt_string(&row, "totp_pending")?,
        last_step: get_i64(&row, "totp_last_step")?,
    })
}

/// Starts setting up a second factor: the secret waits until a code from it is confirmed.
pub async fn set_pending_second_factor(store: &Store, id: UserId, secret: &str) -> Result<()> {
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(secret)
        .bind(id.0)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Makes the pending secret the second factor.
pub async fn confirm_second_factor(store: &Store, id: UserId) -> Result<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL WHERE id = $1 AND totp_pending IS NOT NULL",
    )
    .bind(id.0)
    .execute(store.pool())
    .await?;
    Ok(())
}

pub async fn clear_second_factor(store: &Store, id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL WHERE id = $1")
        .bind(id.0)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Marks a code's time step used; false when it (or a later one) already was, so a code works
/// once even when two replicas see it at the same moment.
pub async fn use_code_step(store: &Store, id: UserId, step: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
            .bind(step)
            .bind(id.0)
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes a role's permissions (of the tenant's company).
pub async fn update_role(
    store: &Store,
    tenant: &Tenant,
    id: RoleId,
    permission_names: &[&str],
) -> Result<Role> {
    let row = sqlx::query(
        "UPDATE roles SET permissions = $1 WHERE id = $2 AND company_id = $3 RETURNING name",
    )
    .bind(permission_names.join(" "))
    .bind(id.0)
    .bind(tenant.company.0)
    .fetch_one(store.pool())
    .await?;
    Ok(Role {
        id,
        name: get_string(&row, "name")?,
        permissions: permission_names.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// Deletes a role nobody holds; `Conflict` while it has members.
pub async fn delete_role(store: &Store, tenant: &Tenant, id: RoleId) -> Result<Role> {
    let mut tx = store.pool().begin().await?;
    let members =
        sqlx::query("SELECT COUNT(*) AS n FROM memberships WHERE role_id = $1 AND company_id = $2")
            .bind(id.0)
            .bind(tenant.company.0)
            .fetch_one(&mut *tx)
            .await?;
    if get_i64(&members, "n")? > 0 {
        return Err(super::StoreError::Conflict);
    }
    let row = sqlx::query(
        "DELETE FROM roles WHERE id = $1 AND company_id = $2 RETURNING name, permissions",
    )
    .bind(id.0)
    .bind(tenant.company.0)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Role {
        id,
        name: get_string(&row, "name")?,
        permissions: permissions(&get_string(&row, "permissions")?),
    })
}
