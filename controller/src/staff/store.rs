//! Staff: users (global logins), their memberships (a role in a company, optionally one
//! branch), roles, API tokens, sign-in bookkeeping (lockouts, per-address throttling) and the
//! second factor. Company-level lists and changes are scoped by the work's [`Scope`].

use crate::kernel::db::{get, get_flag, now_ms, Db, Result, StoreError};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::http::session::permission_set;
use crate::kernel::ids::{ApiTokenId, BranchId, CompanyId, RoleId, UserId};
use crate::kernel::rbac::Permission;
use crate::kernel::scope::Scope;
use crate::kernel::work::Work;
use serde::Serialize;
use sqlx::any::AnyRow;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub is_platform_admin: bool,
    /// Set while the account is deactivated (sign-in refused).
    pub deactivated_at: Option<i64>,
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: get(row, "id")?,
        username: get(row, "username")?,
        display_name: get(row, "display_name")?,
        is_platform_admin: get_flag(row, "is_platform_admin")?,
        deactivated_at: get(row, "deactivated_at")?,
    })
}

pub async fn create_user(
    db: &mut Db,
    username: &str,
    display_name: &str,
    password_hash: &str,
    platform_admin: bool,
) -> Result<User> {
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, is_platform_admin, created_at)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, username, display_name, is_platform_admin, deactivated_at",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(i64::from(platform_admin))
    .bind(now_ms())
    .fetch_one(&mut *db)
    .await?;
    user_from_row(&row)
}

pub async fn user(db: &mut Db, id: UserId) -> Result<User> {
    let row = sqlx::query(
        "SELECT id, username, display_name, is_platform_admin, deactivated_at FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *db)
    .await?;
    user_from_row(&row)
}

/// What sign-in needs to know about a user.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub failed_logins: i64,
    pub locked_until: i64,
    /// Whether a TOTP code is asked for after the password.
    pub has_second_factor: bool,
    pub deactivated: bool,
}

pub async fn credentials(db: &mut Db, username: &str) -> Result<Option<Credentials>> {
    let row = sqlx::query(
        "SELECT id, username, password_hash, failed_logins, locked_until, totp_secret, deactivated_at FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(&mut *db)
    .await?;
    row.map(|row| {
        Ok(Credentials {
            id: get(&row, "id")?,
            username: get(&row, "username")?,
            password_hash: get(&row, "password_hash")?,
            failed_logins: get(&row, "failed_logins")?,
            locked_until: get(&row, "locked_until")?,
            has_second_factor: get::<Option<String>>(&row, "totp_secret")?.is_some(),
            deactivated: get::<Option<i64>>(&row, "deactivated_at")?.is_some(),
        })
    })
    .transpose()
}

/// Counts a failed sign-in of an account; locks it until `lock_until` once `max_failures` is
/// reached. Returns the count.
pub async fn record_failure(
    db: &mut Db,
    id: UserId,
    max_failures: i64,
    lock_until: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1,
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
         WHERE id = $1 RETURNING failed_logins",
    )
    .bind(id)
    .bind(max_failures)
    .bind(lock_until)
    .fetch_one(&mut *db)
    .await?;
    get(&row, "failed_logins")
}

pub async fn record_success(db: &mut Db, id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// When sign-in under a name that is no account is locked (0 when it is not).
pub async fn name_locked_until(db: &mut Db, name_hash: &str) -> Result<i64> {
    let row = sqlx::query("SELECT locked_until FROM login_names WHERE name_hash = $1")
        .bind(name_hash)
        .fetch_optional(&mut *db)
        .await?;
    row.map_or(Ok(0), |r| get(&r, "locked_until"))
}

/// Counts a failed sign-in under a name that is no account, exactly as [`record_failure`]
/// counts an account's.
pub async fn record_name_failure(
    db: &mut Db,
    name_hash: &str,
    max_failures: i64,
    lock_until: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO login_names (name_hash, failed_logins, locked_until)
         VALUES ($1, 1, CASE WHEN 1 >= $2 THEN $3 ELSE 0 END)
         ON CONFLICT (name_hash) DO UPDATE SET failed_logins = login_names.failed_logins + 1,
             locked_until = CASE WHEN login_names.failed_logins + 1 >= $2 THEN $3 ELSE login_names.locked_until END
         RETURNING failed_logins",
    )
    .bind(name_hash)
    .bind(max_failures)
    .bind(lock_until)
    .fetch_one(&mut *db)
    .await?;
    get(&row, "failed_logins")
}

pub async fn set_password(db: &mut Db, id: UserId, password_hash: &str) -> Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = 0 WHERE id = $2",
    )
    .bind(password_hash)
    .bind(id)
    .execute(&mut *db)
    .await?;
    Ok(())
}

pub async fn set_deactivated(db: &mut Db, id: UserId, at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE users SET deactivated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Failed sign-ins from one address within the window, and counting one more.
pub async fn address_failures(db: &mut Db, ip: &str, now: i64, window_ms: i64) -> Result<i64> {
    let row = sqlx::query("SELECT window_start, failures FROM login_throttle WHERE ip = $1")
        .bind(ip)
        .fetch_optional(&mut *db)
        .await?;
    Ok(match row {
        Some(row) if get::<i64>(&row, "window_start")? > now - window_ms => get(&row, "failures")?,
        _ => 0,
    })
}

pub async fn record_address_failure(
    db: &mut Db,
    ip: &str,
    now: i64,
    window_ms: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO login_throttle (ip, window_start, failures) VALUES ($1, $2, 1)
         ON CONFLICT (ip) DO UPDATE SET
             failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.failures + 1 END,
             window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 ELSE login_throttle.window_start END
         RETURNING failures",
    )
    .bind(ip)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(&mut *db)
    .await?;
    get(&row, "failures")
}

/// The companies a user belongs to, first one first (the default at sign-in).
pub async fn companies_of(db: &mut Db, user: UserId) -> Result<Vec<CompanyId>> {
    let rows =
        sqlx::query("SELECT company_id FROM memberships WHERE user_id = $1 ORDER BY company_id")
            .bind(user)
            .fetch_all(&mut *db)
            .await?;
    rows.iter().map(|r| get(r, "company_id")).collect()
}

// Second factor.

/// A user's TOTP state: the confirmed secret, one being set up, and the last step used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecondFactor {
    pub secret: Option<String>,
    pub pending: Option<String>,
    pub last_step: i64,
}

pub async fn second_factor(db: &mut Db, id: UserId) -> Result<SecondFactor> {
    let row =
        sqlx::query("SELECT totp_secret, totp_pending, totp_last_step FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *db)
            .await?;
    Ok(SecondFactor {
        secret: get(&row, "totp_secret")?,
        pending: get(&row, "totp_pending")?,
        last_step: get(&row, "totp_last_step")?,
    })
}

/// Starts setting up a second factor: the secret waits until a code from it is confirmed.
pub async fn set_pending_second_factor(db: &mut Db, id: UserId, secret: &str) -> Result<()> {
    sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(secret)
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Makes the pending secret the second factor.
pub async fn confirm_second_factor(db: &mut Db, id: UserId) -> Result<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL WHERE id = $1 AND totp_pending IS NOT NULL",
    )
    .bind(id)
    .execute(&mut *db)
    .await?;
    Ok(())
}

pub async fn clear_second_factor(db: &mut Db, id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Marks a code's time step used; false when it (or a later one) already was, so a code works
/// once even when two replicas see it at the same moment.
pub async fn use_code_step(db: &mut Db, id: UserId, step: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
            .bind(step)
            .bind(id)
            .execute(&mut *db)
            .await?;
    Ok(done.rows_affected() == 1)
}

// Roles.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    /// Permission names.
    pub permissions: Vec<String>,
}

impl Role {
    pub fn permission_set(&self) -> HashSet<Permission> {
        permission_set(&self.permissions.join(" "))
    }
}

fn role_from_row(row: &AnyRow) -> Result<Role> {
    Ok(Role {
        id: get(row, "id")?,
        name: get(row, "name")?,
        permissions: get::<String>(row, "permissions")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    })
}

pub async fn create_role(
    db: &mut Db,
    scope: Scope,
    name: &str,
    permissions: &[&str],
) -> Result<Role> {
    let row = sqlx::query(
        "INSERT INTO roles (company_id, name, permissions) VALUES ($1, $2, $3) RETURNING id, name, permissions",
    )
    .bind(scope.company())
    .bind(name)
    .bind(permissions.join(" "))
    .fetch_one(&mut *db)
    .await?;
    role_from_row(&row)
}

pub async fn roles(work: &mut Work) -> Result<Vec<Role>> {
    let company = work.scope().company();
    let rows =
        sqlx::query("SELECT id, name, permissions FROM roles WHERE company_id = $1 ORDER BY id")
            .bind(company)
            .fetch_all(work.db())
            .await?;
    rows.iter().map(role_from_row).collect()
}

pub async fn role(work: &mut Work, id: RoleId) -> Result<Role> {
    let company = work.scope().company();
    let row =
        sqlx::query("SELECT id, name, permissions FROM roles WHERE id = $1 AND company_id = $2")
            .bind(id)
            .bind(company)
            .fetch_one(work.db())
            .await?;
    role_from_row(&row)
}

pub async fn update_role(work: &mut Work, id: RoleId, permissions: &[&str]) -> Result<Role> {
    let company = work.scope().company();
    let row = sqlx::query(
        "UPDATE roles SET permissions = $1 WHERE id = $2 AND company_id = $3 RETURNING id, name, permissions",
    )
    .bind(permissions.join(" "))
    .bind(id)
    .bind(company)
    .fetch_one(work.db())
    .await?;
    role_from_row(&row)
}

/// How many staff hold the role.
pub async fn role_members(work: &mut Work, id: RoleId) -> Result<i64> {
    let company = work.scope().company();
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM memberships WHERE role_id = $1 AND company_id = $2")
            .bind(id)
            .bind(company)
            .fetch_one(work.db())
            .await?;
    get(&row, "n")
}

pub async fn delete_role(work: &mut Work, id: RoleId) -> Result<Role> {
    let company = work.scope().company();
    let row = sqlx::query(
        "DELETE FROM roles WHERE id = $1 AND company_id = $2 RETURNING id, name, permissions",
    )
    .bind(id)
    .bind(company)
    .fetch_one(work.db())
    .await?;
    role_from_row(&row)
}

// Memberships.

/// Gives `user` `role` in the work's company, optionally limited to one of its branches. The
/// composite keys refuse another company's role or branch.
pub async fn add_membership(
    work: &mut Work,
    user: UserId,
    role: RoleId,
    branch: Option<BranchId>,
) -> Result<()> {
    let company = work.scope().company();
    sqlx::query(
        "INSERT INTO memberships (company_id, user_id, role_id, branch_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(company)
    .bind(user)
    .bind(role)
    .bind(branch)
    .execute(work.db())
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::InUse => StoreError::NotFound,
        other => other,
    })?;
    Ok(())
}

/// A member of the company as the staff list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Member {
    #[serde(flatten)]
    pub user: User,
    pub role: String,
    pub branch_id: Option<BranchId>,
    /// What the role allows; an actor must hold all of it to reset this member's credentials.
    #[serde(skip)]
    pub permissions: HashSet<Permission>,
}

macro_rules! member_columns {
    () => {
        "u.id, u.username, u.display_name, u.is_platform_admin, u.deactivated_at, r.name AS role,
         r.permissions, m.branch_id FROM memberships m JOIN users u ON u.id = m.user_id
         JOIN roles r ON r.company_id = m.company_id AND r.id = m.role_id"
    };
}

fn member_from_row(row: &AnyRow) -> Result<Member> {
    Ok(Member {
        user: user_from_row(row)?,
        role: get(row, "role")?,
        branch_id: get(row, "branch_id")?,
        permissions: permission_set(&get::<String>(row, "permissions")?),
    })
}

/// The company's staff in id order (a branch-limited viewer sees their branch's).
pub async fn members(work: &mut Work, page: &PageQuery) -> Result<Paged<Member>> {
    let scope = work.scope();
    let rows = sqlx::query(concat!(
        "SELECT ",
        member_columns!(),
        " WHERE m.company_id = $1 AND u.id > $2 AND ($3 = -1 OR m.branch_id = $3) ORDER BY u.id LIMIT $4"
    ))
    .bind(scope.company())
    .bind(page.after())
    .bind(scope.branch_filter())
    .bind(page.limit() + 1)
    .fetch_all(work.db())
    .await?;
    let rows = rows
        .iter()
        .map(member_from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Paged::from_rows(rows, page, |m: &Member| m.user.id.0))
}

/// `user` as a member of the work's company (and branch, for a branch-limited actor).
pub async fn member(work: &mut Work, user: UserId) -> Result<Member> {
    let scope = work.scope();
    let row = sqlx::query(concat!(
        "SELECT ",
        member_columns!(),
        " WHERE m.company_id = $1 AND u.id = $2 AND ($3 = -1 OR m.branch_id = $3)"
    ))
    .bind(scope.company())
    .bind(user)
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?;
    member_from_row(&row)
}

// API tokens.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

macro_rules! token_columns {
    () => {
        "id, company_id, user_id, name, permissions, created_at, expires_at, revoked_at, last_used_at"
    };
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: get(row, "id")?,
        company_id: get(row, "company_id")?,
        user_id: get(row, "user_id")?,
        name: get(row, "name")?,
        permissions: get::<String>(row, "permissions")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        created_at: get(row, "created_at")?,
        expires_at: get(row, "expires_at")?,
        revoked_at: get(row, "revoked_at")?,
        last_used_at: get(row, "last_used_at")?,
    })
}

pub async fn create_token(
    work: &mut Work,
    user: UserId,
    name: &str,
    token_hash: &str,
    permissions: &[&str],
    expires_at: i64,
) -> Result<ApiToken> {
    let company = work.scope().company();
    let row = sqlx::query(concat!(
        "INSERT INTO api_tokens (company_id, user_id, name, token_hash, permissions, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        token_columns!()
    ))
    .bind(company)
    .bind(user)
    .bind(name)
    .bind(token_hash)
    .bind(permissions.join(" "))
    .bind(now_ms())
    .bind(expires_at)
    .fetch_one(work.db())
    .await?;
    token_from_row(&row)
}

/// `user`'s tokens in the work's company, newest first.
pub async fn tokens_of(work: &mut Work, user: UserId) -> Result<Vec<ApiToken>> {
    let company = work.scope().company();
    let rows = sqlx::query(concat!(
        "SELECT ",
        token_columns!(),
        " FROM api_tokens WHERE company_id = $1 AND user_id = $2 ORDER BY id DESC"
    ))
    .bind(company)
    .bind(user)
    .fetch_all(work.db())
    .await?;
    rows.iter().map(token_from_row).collect()
}

/// Revokes one live token of `user` in the work's company.
pub async fn revoke_token(work: &mut Work, user: UserId, id: ApiTokenId) -> Result<ApiToken> {
    let company = work.scope().company();
    let row = sqlx::query(concat!(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND company_id = $3 AND user_id = $4
         AND revoked_at IS NULL RETURNING ",
        token_columns!()
    ))
    .bind(now_ms())
    .bind(id)
    .bind(company)
    .bind(user)
    .fetch_one(work.db())
    .await?;
    token_from_row(&row)
}

/// Revokes every live token of `user`, in every company (password reset, deactivation).
pub async fn revoke_all_tokens(db: &mut Db, user: UserId) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(user)
    .execute(&mut *db)
    .await?;
    Ok(done.rows_affected())
}
