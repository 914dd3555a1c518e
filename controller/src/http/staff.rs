//! Creating staff and resetting their passwords, shared by the users page and the JSON API.

use super::error::FieldError;
use super::session::Origin;
use super::{audit_change, required_text, ApiError, ApiResult, AppState, Auth, Change};
use crate::rbac::Permission;
use crate::store::{self, users, BranchId, UserId};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: String,
    #[serde(default)]
    pub branch_id: Option<i64>,
}

/// Validates, creates the user and the membership, audits. Field errors come back together.
pub async fn create(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    new: &NewStaff,
) -> ApiResult<users::User> {
    let tenant = auth.tenant()?;
    let mut errors = Vec::new();
    let username = new.username.trim().to_lowercase();
    let username_ok = (3..=32).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if !username_ok {
        errors.push(FieldError {
            field: "username",
            code: "users.bad_username",
        });
    }
    let display_name = required_text("display_name", &new.display_name, 100)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(code) = crate::password::check_strength(&new.password) {
        errors.push(FieldError {
            field: "password",
            code,
        });
    }
    let role = users::roles(&state.store, &tenant)
        .await?
        .into_iter()
        .find(|r| r.name == new.role);
    match &role {
        None => errors.push(FieldError {
            field: "role",
            code: "users.unknown_role",
        }),
        // Nobody can hand out more than they hold.
        Some(role)
            if !role
                .permissions
                .iter()
                .filter_map(|p| Permission::from_name(p))
                .all(|p| auth.can(p)) =>
        {
            errors.push(FieldError {
                field: "role",
                code: "users.role_above_yours",
            })
        }
        Some(_) => {}
    }
    let branch = match (new.branch_id, tenant.branch) {
        (Some(id), _) => Some(BranchId(id)),
        // A branch-limited manager can only add staff to their own branch.
        (None, limited) => limited,
    };
    if let Some(branch) = branch {
        if store::branches::get(&state.store, &tenant, branch)
            .await
            .is_err()
        {
            errors.push(FieldError {
                field: "branch_id",
                code: "users.unknown_branch",
            });
        }
    }
    let (Some(display_name), Some(role), true) = (display_name, role, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let user = match users::create(
        &state.store,
        &username,
        &display_name,
        &crate::password::hash(&new.password),
        false,
    )
    .await
    {
        Err(store::StoreError::Conflict) => {
            return Err(ApiError::Validation(vec![FieldError {
                field: "username",
                code: "field.taken",
            }]))
        }
        other => other?,
    };
    users::add_membership(&state.store, &tenant, user.id, role.id, branch).await?;
    let after = serde_json::json!({ "username": user.username, "display_name": user.display_name, "role": role.name, "branch_id": branch });
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "user.create",
            "user",
            user.id,
            serde_json::Value::Null,
            after,
        ),
    )
    .await?;
    Ok(user)
}

/// An administrator sets a new password for staff of their company; the user's sessions end.
pub async fn reset_password(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    user: UserId,
    password: &str,
) -> ApiResult<()> {
    let tenant = auth.tenant()?;
    if !users::in_tenant(&state.store, &tenant, user).await? {
        return Err(ApiError::NotFound);
    }
    crate::password::check_strength(password).map_err(|code| {
        ApiError::Validation(vec![FieldError {
            field: "password",
            code,
        }])
    })?;
    users::set_password(&state.store, user, &crate::password::hash(password)).await?;
    let ended = store::sessions::delete_all_for_user(&state.store, user).await?;
    let after = serde_json::json!({ "sessions_ended": ended });
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "user.password_reset",
            "user",
            user,
            serde_json::Value::Null,
            after,
        ),
    )
    .await?;
    Ok(())
}

/// An administrator removes the second factor of staff who lost their phone; they sign in with
/// the password alone until they set up a new one. Their sessions end.
pub async fn reset_second_factor(
    state: &AppState,
    auth: &Auth,
    origin: &Origin,
    user: UserId,
) -> ApiResult<()> {
    let tenant = auth.tenant()?;
    if !users::in_tenant(&state.store, &tenant, user).await? {
        return Err(ApiError::NotFound);
    }
    users::clear_second_factor(&state.store, user).await?;
    let ended = store::sessions::delete_all_for_user(&state.store, user).await?;
    audit_change(
        state,
        auth,
        origin,
        Change::new(
            "user.second_factor_reset",
            "user",
            user,
            serde_json::Value::Null,
            serde_json::json!({ "sessions_ended": ended }),
        ),
    )
    .await?;
    Ok(())
}
