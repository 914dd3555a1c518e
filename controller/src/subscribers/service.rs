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
    /// When creating: the first day of their subscription (`YYYY-MM-DD`, Dhaka; today when
    /// empty; may be in the past or the future). Ignored when updating: change the
    /// subscription instead.
    #[serde(default)]
    pub starts_on: String,
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
    crate::subscriptions::service::create_primary(work, &subscriber, &input.starts_on).await?;
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
    if before.fields.plan_id != after.fields.plan_id {
        crate::subscriptions::service::plan_changed(work, &after).await?;
    }
    if before.fields.status != after.fields.status {
        crate::subscriptions::service::status_changed(work, &before, &after).await?;
    }
    Ok(after)
}

/// Suspends, reconnects or terminates: the page's buttons, and jobs and payment callbacks. A
/// termination ends the primary subscription today (crediting unused days); reconnecting a
/// terminated subscriber starts a new one.
pub async fn change_status(
    work: &mut Work,
    id: SubscriberId,
    status: Status,
) -> Result<Subscriber> {
    let before = store::get(work, id).await?;
    let after = apply_status(work, id, status).await?;
    crate::subscriptions::service::status_changed(work, &before, &after).await?;
    Ok(after)
}

/// The status on the router, and nothing else (a subscription that ended on its day).
pub async fn apply_status(work: &mut Work, id: SubscriberId, status: Status) -> Result<Subscriber> {
    let before = store::get(work, id).await?;
    let fields = SubscriberFields {
        status,
        ..before.fields.clone()
    };
    let after = store::update(work, id, before.branch_id, &fields).await?;
    record(work, &before, &after).await?;
    Ok(after)
}

/// The plan on the router, and nothing else (a plan change of the primary subscription in
/// effect); nothing when it is that plan already.
pub async fn apply_plan(work: &mut Work, id: SubscriberId, plan: PlanId) -> Result<Subscriber> {
    let before = store::get(work, id).await?;
    if before.fields.plan_id == plan {
        return Ok(before);
    }
    let fields = SubscriberFields {
        plan_id: plan,
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

/// Deletes a subscriber nothing was billed to (with their subscriptions); one with documents is
/// `in_use` (terminate them instead: the books keep them).
pub async fn delete(work: &mut Work, id: SubscriberId) -> Result<()> {
    store::get(work, id).await?;
    let company = work.scope().company();
    let documents = crate::billing::store::count_of_subscriber(work.db(), company, id).await?;
    if documents > 0 {
        return Err(Error::InUse(vec![("invoices", documents)]));
    }
    crate::subscriptions::store::delete_of_subscriber(work, id).await?;
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
