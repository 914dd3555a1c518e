//! Subscriber operations. Each change bumps the desired-state version of the routers involved
//! in the same unit of work as the change and its audit entry, so a crash leaves either all of
//! it or none; the fleet link is woken once the work commits. A dunning job or a payment
//! callback suspends and reconnects through [`change_status`] with a system unit of work,
//! exactly as the page's buttons do.

use super::store::{self, Status, Subscriber, SubscriberFields};
use crate::kernel::db::StoreError;
use crate::kernel::http::extract::loose;
use crate::kernel::ids::{BranchId, PlanId, RouterId, SubscriberId};
use crate::kernel::validate::{normalise_phone, Checks};
use crate::kernel::work::{Change, Work};
use crate::kernel::{Error, Result};
use serde::Deserialize;

/// A subscriber as the API and the page send it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriberInput {
    pub name: String,
    pub phone: String,
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub router_id: Option<RouterId>,
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub plan_id: Option<PlanId>,
    pub pppoe_username: String,
    /// Required when creating; when updating, empty keeps the current password.
    #[serde(default)]
    pub pppoe_password: String,
    /// `active` (the default), `suspended` or `terminated`.
    #[serde(default)]
    pub status: Option<String>,
    /// The branch the subscriber belongs to; a branch-limited member's own when they add one.
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub branch_id: Option<BranchId>,
}

/// Checks every field (all errors at once); the router, plan and branch must be the scope's.
async fn validated(
    work: &mut Work,
    input: &SubscriberInput,
) -> Result<(Option<BranchId>, SubscriberFields)> {
    let mut checks = Checks::new();
    let name = checks.text("name", &input.name, 100);
    let phone = normalise_phone(&input.phone).unwrap_or_else(|| {
        checks.fail("phone", "settings.bad_phone");
        String::new()
    });
    let username = input.pppoe_username.trim().to_owned();
    // What RouterOS and every PPPoE client accept without quoting.
    if !(1..=64).contains(&username.len())
        || !username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'))
    {
        checks.fail("pppoe_username", "subscribers.bad_username");
    }
    let password = &input.pppoe_password;
    if !(4..=64).contains(&password.len()) || !password.bytes().all(|b| b.is_ascii_graphic()) {
        checks.fail("pppoe_password", "subscribers.bad_password");
    }
    let status = match input.status.as_deref().map(str::trim) {
        None | Some("") => Status::Active,
        Some(text) => Status::parse(text).unwrap_or_else(|| {
            checks.fail("status", "subscribers.bad_status");
            Status::Active
        }),
    };
    let router = match input.router_id {
        Some(id) if crate::fleet::store::router(work, id).await.is_ok() => Some(id),
        _ => {
            checks.fail("router_id", "subscribers.unknown_router");
            None
        }
    };
    let plan = match input.plan_id {
        Some(id) if crate::plans::store::get(work, id).await.is_ok() => Some(id),
        _ => {
            checks.fail("plan_id", "subscribers.unknown_plan");
            None
        }
    };
    let branch = match (work.scope().branch(), input.branch_id) {
        // A branch-limited member's subscribers are in their branch.
        (Some(own), None) => Some(own),
        (Some(own), Some(asked)) if asked == own => Some(own),
        (Some(_), Some(_)) => {
            checks.fail("branch_id", "users.unknown_branch");
            None
        }
        (None, None) => None,
        (None, Some(asked)) => {
            if crate::tenancy::store::branch(work, asked).await.is_err() {
                checks.fail("branch_id", "users.unknown_branch");
            }
            Some(asked)
        }
    };
    checks.finish()?;
    let (Some(router_id), Some(plan_id)) = (router, plan) else {
        unreachable!("missing router or plan is a field error above");
    };
    Ok((
        branch,
        SubscriberFields {
            router_id,
            plan_id,
            name,
            phone,
            pppoe_username: username,
            pppoe_password: password.clone(),
            status,
        },
    ))
}

fn taken(e: StoreError) -> Error {
    match e {
        StoreError::Conflict => Error::taken("pppoe_username"),
        other => other.into(),
    }
}

pub async fn create(work: &mut Work, input: &SubscriberInput) -> Result<Subscriber> {
    let (branch, fields) = validated(work, input).await?;
    let subscriber = store::create(work, branch, &fields).await.map_err(taken)?;
    crate::fleet::service::desired_changed(work, &[subscriber.fields.router_id]).await?;
    work.audit(
        Change::new(
            "subscriber.create",
            "subscriber",
            subscriber.id,
            serde_json::Value::Null,
            &subscriber,
        )
        .in_branch(subscriber.branch_id),
    )
    .await?;
    Ok(subscriber)
}

/// Replaces a subscriber's fields (an empty password keeps the current one).
pub async fn update(
    work: &mut Work,
    id: SubscriberId,
    input: &SubscriberInput,
) -> Result<Subscriber> {
    let before = store::get(work, id).await?;
    let mut input = input.clone();
    if input.pppoe_password.is_empty() {
        input.pppoe_password = before.fields.pppoe_password.clone();
    }
    let (branch, fields) = validated(work, &input).await?;
    let after = store::update(work, id, branch, &fields)
        .await
        .map_err(taken)?;
    record(work, &before, &after).await?;
    Ok(after)
}

/// Suspends, reconnects or terminates: the page's buttons, and jobs and payment callbacks.
pub async fn change_status(
    work: &mut Work,
    id: SubscriberId,
    status: Status,
) -> Result<Subscriber> {
    let before = store::get(work, id).await?;
    let fields = SubscriberFields {
        status,
        ..before.fields.clone()
    };
    let after = store::update(work, id, before.branch_id, &fields).await?;
    record(work, &before, &after).await?;
    Ok(after)
}

/// The routers' new desired versions and the audit entry of a change from `before` to `after`.
async fn record(work: &mut Work, before: &Subscriber, after: &Subscriber) -> Result<()> {
    crate::fleet::service::desired_changed(
        work,
        &[before.fields.router_id, after.fields.router_id],
    )
    .await?;
    let action = match (before.fields.status, after.fields.status) {
        (a, b) if a == b => "subscriber.update",
        (_, Status::Suspended) => "subscriber.suspend",
        (_, Status::Active) => "subscriber.reconnect",
        (_, Status::Terminated) => "subscriber.terminate",
    };
    work.audit(
        Change::new(action, "subscriber", after.id, before, after).in_branch(after.branch_id),
    )
    .await?;
    Ok(())
}

pub async fn delete(work: &mut Work, id: SubscriberId) -> Result<()> {
    let before = store::delete(work, id).await?;
    crate::fleet::service::desired_changed(work, &[before.fields.router_id]).await?;
    work.audit(
        Change::new(
            "subscriber.delete",
            "subscriber",
            id,
            &before,
            serde_json::Value::Null,
        )
        .in_branch(before.branch_id),
    )
    .await?;
    Ok(())
}
