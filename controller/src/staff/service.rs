//! Staff operations, each on a unit of work: adding staff, the administrator's resets and
//! deactivation, roles, API tokens.
//!
//! The rule that keeps a company's owner its owner: nobody grants a role or a token with a
//! permission they lack, and nobody resets, deactivates or revokes the credentials of a member
//! whose role holds a permission they lack (a manager cannot take over the owner's account).

use super::store::{self, ApiToken, Member, Role, User};
use crate::kernel::db::StoreError;
use crate::kernel::http::extract::loose;
use crate::kernel::http::session::{self, TOKEN_PREFIX};
use crate::kernel::ids::{ApiTokenId, BranchId, RoleId, UserId};
use crate::kernel::rbac::{Permission, OWNER};
use crate::kernel::validate::{text, Checks};
use crate::kernel::work::{Change, Work};
use crate::kernel::{password, random, Error, Result};
use serde::Deserialize;

/// A new staff member.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// A role name of the company.
    pub role: String,
    /// Limit to one branch; empty for all branches.
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<BranchId>,
}

/// Validates, creates the user and the membership, audits. Field errors come back together.
pub async fn create_staff(work: &mut Work, input: &StaffInput) -> Result<User> {
    let mut checks = Checks::new();
    let username = input.username.trim().to_lowercase();
    let username_ok = (3..=32).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if !username_ok {
        checks.fail("username", "users.bad_username");
    }
    let display_name = checks.text("display_name", &input.display_name, 100);
    if let Err(code) = password::check_strength(&input.password) {
        checks.fail("password", code);
    }
    let role = store::roles(work)
        .await?
        .into_iter()
        .find(|r| r.name == input.role);
    match &role {
        None => checks.fail("role", "users.unknown_role"),
        // Nobody can hand out more than they hold.
        Some(role) if !work.holds_all(&role.permission_set()) => {
            checks.fail("role", "users.role_above_yours")
        }
        Some(_) => {}
    }
    // A branch-limited manager can only add staff to their own branch.
    let branch = match (work.scope().branch(), input.branch_id) {
        (Some(own), Some(asked)) if own != asked => {
            checks.fail("branch_id", "users.unknown_branch");
            None
        }
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    if let Some(branch) = branch {
        if crate::tenancy::store::branch(work, branch).await.is_err() {
            checks.fail("branch_id", "users.unknown_branch");
        }
    }
    checks.finish()?;
    let role = role.expect("checked above");
    let hash = password::hash(&input.password);
    let user = match store::create_user(work.db(), &username, &display_name, &hash, false).await {
        Err(StoreError::Conflict) => return Err(Error::taken("username")),
        other => other?,
    };
    store::add_membership(work, user.id, role.id, branch).await?;
    let after = serde_json::json!({
        "username": user.username, "display_name": user.display_name, "role": role.name, "branch_id": branch,
    });
    work.audit(
        Change::new(
            "user.create",
            "user",
            user.id,
            serde_json::Value::Null,
            after,
        )
        .in_branch(branch),
    )
    .await?;
    Ok(user)
}

/// `user` as a member the actor may act on: in their scope, and holding nothing the actor
/// lacks. Otherwise `NotFound` (not theirs) or `Forbidden` (above them).
async fn subordinate(work: &mut Work, user: UserId) -> Result<Member> {
    let member = store::member(work, user).await?;
    if !work.holds_all(&member.permissions) {
        return Err(Error::Forbidden);
    }
    Ok(member)
}

/// An administrator sets a new password: the user's sessions end and their API tokens are
/// revoked (whoever had the old password may have made one).
pub async fn reset_password(work: &mut Work, user: UserId, new_password: &str) -> Result<()> {
    let member = subordinate(work, user).await?;
    password::check_strength(new_password).map_err(|code| Error::field("password", code))?;
    store::set_password(work.db(), user, &password::hash(new_password)).await?;
    let sessions_ended = session::delete_all_for_user(work.db(), user).await?;
    let tokens_revoked = store::revoke_all_tokens(work.db(), user).await?;
    work.audit(
        Change::new(
            "user.password_reset",
            "user",
            user,
            serde_json::Value::Null,
            serde_json::json!({ "sessions_ended": sessions_ended, "tokens_revoked": tokens_revoked }),
        )
        .in_branch(member.branch_id),
    )
    .await
    .map_err(Into::into)
}

/// An administrator removes the second factor of staff who lost their phone; they sign in
/// with the password alone until they set up a new one. Their sessions end.
pub async fn reset_second_factor(work: &mut Work, user: UserId) -> Result<()> {
    let member = subordinate(work, user).await?;
    store::clear_second_factor(work.db(), user).await?;
    let sessions_ended = session::delete_all_for_user(work.db(), user).await?;
    work.audit(
        Change::new(
            "user.second_factor_reset",
            "user",
            user,
            serde_json::Value::Null,
            serde_json::json!({ "sessions_ended": sessions_ended }),
        )
        .in_branch(member.branch_id),
    )
    .await
    .map_err(Into::into)
}

/// Deactivates (sign-in refused, sessions ended, tokens revoked) or reactivates a member.
pub async fn set_active(work: &mut Work, user: UserId, active: bool) -> Result<User> {
    let member = subordinate(work, user).await?;
    if work.actor().user() == Some(user) && !active {
        // Locking yourself out is never what was meant.
        return Err(Error::field("user", "users.not_yourself"));
    }
    let (action, after) = if active {
        store::set_deactivated(work.db(), user, None).await?;
        ("user.reactivate", serde_json::json!({ "active": true }))
    } else {
        store::set_deactivated(work.db(), user, Some(crate::kernel::db::now_ms())).await?;
        let sessions_ended = session::delete_all_for_user(work.db(), user).await?;
        let tokens_revoked = store::revoke_all_tokens(work.db(), user).await?;
        (
            "user.deactivate",
            serde_json::json!({ "active": false, "sessions_ended": sessions_ended, "tokens_revoked": tokens_revoked }),
        )
    };
    work.audit(
        Change::new(
            action,
            "user",
            user,
            serde_json::json!({ "active": member.user.deactivated_at.is_none() }),
            after,
        )
        .in_branch(member.branch_id),
    )
    .await?;
    Ok(store::user(work.db(), user).await?)
}

/// A role as the roles page and the API change it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// Only when creating; a role keeps its name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, alias = "permission", deserialize_with = "loose::list")]
    pub permissions: Vec<String>,
}

/// Permission names checked: known, for companies, and held by the actor.
fn grantable(work: &Work, names: &[String]) -> Result<Vec<&'static str>> {
    let mut granted = Vec::new();
    for name in names {
        let permission = Permission::from_name(name)
            .filter(|p| !p.is_platform_only())
            .ok_or_else(|| Error::field("permissions", "roles.unknown_permission"))?;
        if !work.can(permission) {
            return Err(Error::field("permissions", "roles.above_yours"));
        }
        if !granted.contains(&permission.name()) {
            granted.push(permission.name());
        }
    }
    Ok(granted)
}

pub async fn create_role(work: &mut Work, input: &RoleInput) -> Result<Role> {
    let name = text("name", input.name.as_deref().unwrap_or_default(), 40)?;
    let granted = grantable(work, &input.permissions)?;
    let scope = work.scope();
    let role = match store::create_role(work.db(), scope, &name, &granted).await {
        Err(StoreError::Conflict) => return Err(Error::taken("name")),
        other => other?,
    };
    work.audit(Change::new(
        "role.create",
        "role",
        role.id,
        serde_json::Value::Null,
        &role,
    ))
    .await?;
    Ok(role)
}

/// A role of the company other than the owner's, which never changes.
async fn editable(work: &mut Work, id: RoleId) -> Result<Role> {
    let role = store::role(work, id).await?;
    if role.name == OWNER {
        return Err(Error::field("name", "roles.owner_fixed"));
    }
    Ok(role)
}

pub async fn update_role(work: &mut Work, id: RoleId, input: &RoleInput) -> Result<Role> {
    let before = editable(work, id).await?;
    let granted = grantable(work, &input.permissions)?;
    let after = store::update_role(work, id, &granted).await?;
    work.audit(Change::new("role.update", "role", id, &before, &after))
        .await?;
    Ok(after)
}

pub async fn delete_role(work: &mut Work, id: RoleId) -> Result<()> {
    editable(work, id).await?;
    let members = store::role_members(work, id).await?;
    if members > 0 {
        return Err(Error::InUse(vec![("staff", members)]));
    }
    let before = store::delete_role(work, id).await?;
    work.audit(Change::new(
        "role.delete",
        "role",
        id,
        &before,
        serde_json::Value::Null,
    ))
    .await?;
    Ok(())
}

/// Lifetimes a token may have, in days.
pub const TOKEN_LIFETIMES: [i64; 4] = [7, 30, 90, 365];

/// A new API token for the signed-in user.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    pub name: String,
    /// 7, 30, 90 or 365.
    #[serde(default, deserialize_with = "loose::opt")]
    pub days: Option<i64>,
    #[serde(default, alias = "permission", deserialize_with = "loose::list")]
    pub permissions: Vec<String>,
}

/// Makes a token for `user` (the actor themselves): shown once, only its SHA-256 kept. Returns
/// the token row and the secret.
pub async fn create_token(
    work: &mut Work,
    user: UserId,
    input: &TokenInput,
) -> Result<(ApiToken, String)> {
    let mut checks = Checks::new();
    let name = checks.text("name", &input.name, 100);
    let days = input.days.filter(|d| TOKEN_LIFETIMES.contains(d));
    if days.is_none() {
        checks.fail("days", "tokens.bad_days");
    }
    let mut permissions: Vec<&'static str> = Vec::new();
    for name in &input.permissions {
        match Permission::from_name(name).filter(|p| work.can(*p) && !p.is_platform_only()) {
            Some(p) if !permissions.contains(&p.name()) => permissions.push(p.name()),
            Some(_) => {}
            None => checks.fail("permissions", "roles.above_yours"),
        }
    }
    if permissions.is_empty() {
        checks.fail("permissions", "tokens.no_permissions");
    }
    checks.finish()?;
    let secret = format!("{TOKEN_PREFIX}{}", random::token());
    let expires_at = crate::kernel::db::now_ms() + days.expect("checked") * 86_400_000;
    let token = store::create_token(
        work,
        user,
        &name,
        &random::sha256_hex(&secret),
        &permissions,
        expires_at,
    )
    .await?;
    work.audit(Change::new(
        "api_token.create",
        "api_token",
        token.id,
        serde_json::Value::Null,
        &token,
    ))
    .await?;
    Ok((token, secret))
}

/// Revokes `user`'s token `id`: the actor's own, or (with `users.manage`, checked by the
/// route) a member's the actor may act on.
pub async fn revoke_token(work: &mut Work, user: UserId, id: ApiTokenId) -> Result<ApiToken> {
    if work.actor().user() != Some(user) {
        subordinate(work, user).await?;
    }
    let token = store::revoke_token(work, user, id).await?;
    work.audit(Change::new(
        "api_token.revoke",
        "api_token",
        id,
        serde_json::Value::Null,
        &token,
    ))
    .await?;
    Ok(token)
}

/// A member's tokens, for an administrator (only of members the actor may act on).
pub async fn tokens_of_member(work: &mut Work, user: UserId) -> Result<Vec<ApiToken>> {
    if work.actor().user() != Some(user) {
        subordinate(work, user).await?;
    }
    Ok(store::tokens_of(work, user).await?)
}
