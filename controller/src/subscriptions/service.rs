//! Subscription operations. Every change is a dated event kept as history; what it does to money
//! (the first invoice, a late start's catch-up, an upgrade's credit and charge, a termination's
//! or pause's credit) is billed at once through `billing::compose`, in the same unit of work as
//! the event and its audit entry; what it does to the network (the router's plan, the
//! subscriber's status) happens on its day, at once or from the daily job.
//!
//! A company without billing settings still records subscriptions and events; nothing is billed
//! until billing is switched on.

use super::store::{self, Event, NewEvent, NewSubscription, Subscription};
use crate::billing::compose::{self, Context};
use crate::kernel::date::parse_date;
use crate::kernel::http::extract::loose;
use crate::kernel::ids::{InvoiceId, PlanId, SubscriberId, SubscriptionId};
use crate::kernel::scope::Scope;
use crate::kernel::validate::Checks;
use crate::kernel::work::{Change, Work};
use crate::kernel::{Error, Result};
use crate::subscribers::store::{Status, Subscriber};
use crate::AppState;
use billing_core::period::{self, PeriodKey};
use jiff::civil::Date;
use jiff::ToSpan;
use serde::Deserialize;

/// A subscription as staff add one (an add-on beside the subscriber's own, or a new one after a
/// termination).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub subscriber_id: Option<SubscriberId>,
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub plan_id: Option<PlanId>,
    /// `YYYY-MM-DD` (Dhaka); today when absent. May be in the past (entered late) or the future.
    #[serde(default)]
    pub starts_on: String,
    /// Instead of the plan's price while on this plan.
    #[serde(default, deserialize_with = "loose::opt")]
    pub price_override_poisha: Option<i64>,
    /// A monthly amount off…
    #[serde(default, deserialize_with = "loose::opt")]
    pub discount_poisha: Option<i64>,
    /// …until this day (`YYYY-MM-DD`), or for good when empty.
    #[serde(default)]
    pub discount_until: String,
}

fn date_field(checks: &mut Checks, field: &'static str, text: &str) -> Option<Date> {
    match text.trim() {
        "" => None,
        t => parse_date(t).or_else(|| {
            checks.fail(field, "billing.bad_date");
            None
        }),
    }
}

/// The plan `sub` is on on `day` (the latest change in effect, else the one it started on).
pub fn plan_on(sub: &Subscription, events: &[Event], day: Date) -> PlanId {
    events
        .iter()
        .filter(|e| e.subscription_id == sub.id && e.kind == "plan_change" && e.effective_on <= day)
        .filter_map(|e| e.plan_id.map(|p| (e.effective_on, e.id, p)))
        .max()
        .map_or(sub.plan_id, |(_, _, p)| p)
}

/// Whether two date ranges (`None`: open-ended) share a day.
fn overlap(a: (Date, Option<Date>), b: (Date, Option<Date>)) -> bool {
    a.0 <= b.1.unwrap_or(Date::MAX) && b.0 <= a.1.unwrap_or(Date::MAX)
}

/// Adds a subscription: validated (a subscriber of the scope, a plan of the company, sane dates,
/// no overlap with another subscription to the same plan, or with another primary one), audited,
/// and billed for what it already owes.
pub async fn create(
    work: &mut Work,
    input: &SubscriptionInput,
    is_primary: bool,
) -> Result<Subscription> {
    let mut checks = Checks::new();
    let today = work.state().clock.today();
    let starts_on = date_field(&mut checks, "starts_on", &input.starts_on).unwrap_or(today);
    let discount_until = date_field(&mut checks, "discount_until", &input.discount_until);
    if discount_until.is_some_and(|d| d < starts_on) {
        checks.fail("discount_until", "subscriptions.ends_before_start");
    }
    let price_override = input.price_override_poisha;
    if price_override.is_some_and(|p| !(0..=billing_core::money::MAX_POISHA / 1000).contains(&p)) {
        checks.fail("price_override_poisha", "plans.bad_price");
    }
    let discount = input.discount_poisha.unwrap_or(0);
    if !(0..=billing_core::money::MAX_POISHA / 1000).contains(&discount) {
        checks.fail("discount_poisha", "plans.bad_price");
    }
    let subscriber = match input.subscriber_id {
        Some(id) => crate::subscribers::store::get(work, id).await.ok(),
        None => None,
    };
    if subscriber.is_none() {
        checks.fail("subscriber_id", "field.required");
    }
    let plan = match input.plan_id {
        Some(id) if crate::plans::store::get(work, id).await.is_ok() => Some(id),
        _ => {
            checks.fail("plan_id", "subscribers.unknown_plan");
            None
        }
    };
    checks.finish()?;
    let (subscriber, plan) = (subscriber.expect("checked"), plan.expect("checked"));
    let existing = store::of_subscriber(work, subscriber.id).await?;
    let company = work.scope().company();
    let events = store::events_of(
        work.db(),
        company,
        &existing.iter().map(|s| s.id).collect::<Vec<_>>(),
    )
    .await?;
    for other in &existing {
        let same_plan = plan_on(other, &events, starts_on.max(other.starts_on)) == plan;
        if (same_plan || (is_primary && other.is_primary))
            && overlap((starts_on, None), (other.starts_on, other.ends_on))
        {
            return Err(Error::field("starts_on", "subscriptions.overlap"));
        }
    }
    let sub = store::create(
        work,
        &NewSubscription {
            subscriber_id: subscriber.id,
            plan_id: plan,
            starts_on,
            is_primary,
            price_override_poisha: price_override,
            discount_poisha: discount,
            discount_until,
        },
    )
    .await?;
    let invoices = bill_start(work, &sub).await?;
    work.audit(
        Change::new(
            "subscription.create",
            "subscription",
            sub.id,
            serde_json::Value::Null,
            serde_json::json!({ "subscription": &sub, "invoices": invoices }),
        )
        .in_branch(subscriber.branch_id),
    )
    .await?;
    Ok(sub)
}

/// The subscription a new subscriber starts with: on their plan, from `starts_on` (today when
/// empty); its plan is the one their router enforces.
pub async fn create_primary(
    work: &mut Work,
    subscriber: &Subscriber,
    starts_on: &str,
) -> Result<Subscription> {
    create(
        work,
        &SubscriptionInput {
            subscriber_id: Some(subscriber.id),
            plan_id: Some(subscriber.fields.plan_id),
            starts_on: starts_on.to_owned(),
            ..SubscriptionInput::default()
        },
        true,
    )
    .await
}

/// The company's billing context, or `None` while billing is off.
async fn context(work: &mut Work) -> Result<Option<Context>> {
    match Context::load(work).await {
        Ok(ctx) => Ok(Some(ctx)),
        Err(Error::Refused("billing_not_configured")) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The periods a subscription owes for now: prepaid, the period it starts in (once it has
/// started) and every later period already run; postpaid, the periods already run since it
/// started.
fn owed(ctx: &Context, sub: &Subscription, last_run: Option<PeriodKey>) -> Result<Vec<PeriodKey>> {
    if sub.starts_on > ctx.today {
        return Ok(Vec::new());
    }
    let cycle = ctx.settings.cycle_for(sub.starts_on);
    let start = period::key_containing(cycle, sub.starts_on)
        .map_err(|_| Error::field("starts_on", "billing.bad_date"))?;
    let until = match ctx.settings.timing() {
        period::Timing::Prepaid => last_run.map_or(start, |r| r.max(start)),
        period::Timing::Postpaid => match last_run {
            Some(r) if r >= start => r,
            _ => return Ok(Vec::new()),
        },
    };
    Ok(period::keys_between(cycle, sub.starts_on, until)
        .into_iter()
        .filter(|k| compose::overlaps(ctx, sub, *k))
        .collect())
}

/// Bills what a subscription owes at its start (see [`owed`]); the documents' ids.
async fn bill_start(work: &mut Work, sub: &Subscription) -> Result<Vec<InvoiceId>> {
    let Some(mut ctx) = context(work).await? else {
        return Ok(Vec::new());
    };
    let last_run = crate::billing::store::last_run_period(work.db(), ctx.company)
        .await?
        .and_then(|p| PeriodKey::parse(&p).ok());
    let keys = owed(&ctx, sub, last_run)?;
    let starts_on = sub.starts_on;
    compose::bill_now(work, &mut ctx, sub, &keys, |p| {
        if p.contains(starts_on) {
            "start"
        } else {
            "periodic"
        }
        .to_owned()
    })
    .await
}

/// Re-bills the periods of `sub` already billed that end on or after `from`, for an event: the
/// difference (credits, charges) as one document per period.
async fn rebill(
    work: &mut Work,
    sub: &Subscription,
    from: Date,
    event: &Event,
) -> Result<Vec<InvoiceId>> {
    let Some(mut ctx) = context(work).await? else {
        return Ok(Vec::new());
    };
    let keys: Vec<PeriodKey> =
        crate::billing::store::billed_periods(work.db(), ctx.company, sub.id)
            .await?
            .iter()
            .filter_map(|p| PeriodKey::parse(p).ok())
            .filter(|k| ctx.period_of(sub, *k).end >= from)
            .collect();
    let reason = format!("event-{}", event.id);
    compose::bill_now(work, &mut ctx, sub, &keys, |_| reason.clone()).await
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanChangeInput {
    #[serde(default, deserialize_with = "loose::opt")]
    #[schema(value_type = Option<i64>)]
    pub plan_id: Option<PlanId>,
    /// `YYYY-MM-DD`. When absent: today for an upgrade, the next period's first day for a
    /// downgrade.
    #[serde(default)]
    pub effective_on: String,
    #[serde(default)]
    pub note: String,
}

/// Moves a subscription to another plan from a day on (an upgrade today, a downgrade at the next
/// period, unless a day is given): the event, the router's plan when it is in effect and the
/// subscription is primary, and the difference billed for periods already billed.
pub async fn change_plan(
    work: &mut Work,
    id: SubscriptionId,
    input: &PlanChangeInput,
) -> Result<Event> {
    let sub = store::lock(work, id).await?;
    let mut checks = Checks::new();
    let given = date_field(&mut checks, "effective_on", &input.effective_on);
    let note = checks.optional_text("note", &input.note, 200);
    let plan = match input.plan_id {
        Some(p) => crate::plans::store::get(work, p).await.ok(),
        None => None,
    };
    if plan.is_none() {
        checks.fail("plan_id", "subscribers.unknown_plan");
    }
    checks.finish()?;
    let plan = plan.expect("checked");
    let company = work.scope().company();
    let events = store::events_of(work.db(), company, &[sub.id]).await?;
    let today = work.state().clock.today();
    let current = plan_on(&sub, &events, today.max(sub.starts_on));
    if current == plan.id {
        return Err(Error::field("plan_id", "subscriptions.same_plan"));
    }
    let effective_on = match given {
        Some(day) => day,
        None => {
            let ctx = context(work).await?;
            let old = crate::plans::store::get(work, current)
                .await?
                .fields
                .price_poisha
                .0;
            match ctx {
                Some(ctx) if !billing_core::charge::is_upgrade(old, plan.fields.price_poisha.0) => {
                    billing_core::charge::downgrade_effective_on(
                        ctx.settings.cycle_for(sub.starts_on),
                        today.max(sub.starts_on),
                    )
                    .map_err(|_| Error::field("effective_on", "billing.bad_date"))?
                }
                _ => today.max(sub.starts_on),
            }
        }
    };
    if effective_on < sub.starts_on || sub.ends_on.is_some_and(|end| effective_on > end) {
        return Err(Error::field("effective_on", "subscriptions.outside"));
    }
    if events
        .iter()
        .any(|e| e.kind == "plan_change" && e.effective_on == effective_on)
    {
        return Err(Error::field("effective_on", "subscriptions.same_day"));
    }
    let event = store::add_event(
        work,
        sub.id,
        &NewEvent {
            kind: "plan_change",
            effective_on,
            until_on: None,
            plan_id: Some(plan.id),
            note: &note,
        },
    )
    .await?;
    if sub.is_primary && effective_on <= today {
        crate::subscribers::service::apply_plan(work, sub.subscriber_id, plan.id).await?;
    }
    let invoices = rebill(work, &sub, effective_on, &event).await?;
    audit_event(work, &sub, "subscription.plan_change", &event, &invoices).await?;
    Ok(event)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseInput {
    /// `YYYY-MM-DD`, the first day off.
    pub from: String,
    /// `YYYY-MM-DD`, the last day off.
    pub to: String,
    #[serde(default)]
    pub note: String,
}

/// A staff-approved pause: its days are not billed (those already billed are credited).
pub async fn pause(work: &mut Work, id: SubscriptionId, input: &PauseInput) -> Result<Event> {
    let sub = store::lock(work, id).await?;
    let mut checks = Checks::new();
    let from = date_field(&mut checks, "from", &input.from);
    let to = date_field(&mut checks, "to", &input.to);
    let note = checks.optional_text("note", &input.note, 200);
    if from.is_none() && input.from.trim().is_empty() {
        checks.fail("from", "field.required");
    }
    if to.is_none() && input.to.trim().is_empty() {
        checks.fail("to", "field.required");
    }
    checks.finish()?;
    let (from, to) = (from.expect("checked"), to.expect("checked"));
    if to < from {
        return Err(Error::field("to", "subscriptions.ends_before_start"));
    }
    if from < sub.starts_on || sub.ends_on.is_some_and(|end| to > end) {
        return Err(Error::field("from", "subscriptions.outside"));
    }
    let company = work.scope().company();
    let events = store::events_of(work.db(), company, &[sub.id]).await?;
    if events
        .iter()
        .any(|e| e.kind == "pause" && overlap((from, Some(to)), (e.effective_on, e.until_on)))
    {
        return Err(Error::field("from", "subscriptions.overlap"));
    }
    let event = store::add_event(
        work,
        sub.id,
        &NewEvent {
            kind: "pause",
            effective_on: from,
            until_on: Some(to),
            plan_id: None,
            note: &note,
        },
    )
    .await?;
    let invoices = rebill(work, &sub, from, &event).await?;
    audit_event(work, &sub, "subscription.pause", &event, &invoices).await?;
    Ok(event)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminateInput {
    /// `YYYY-MM-DD`, the last day of service; today when absent.
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub note: String,
}

/// Ends a subscription on a day (its last day of service): the unused days after it already
/// billed are credited; a primary subscription's subscriber is terminated on the router once the
/// day has passed (at once when it is today or earlier).
pub async fn terminate(
    work: &mut Work,
    id: SubscriptionId,
    input: &TerminateInput,
) -> Result<Event> {
    let sub = store::lock(work, id).await?;
    let mut checks = Checks::new();
    let ends_on =
        date_field(&mut checks, "ends_on", &input.ends_on).unwrap_or(work.state().clock.today());
    let note = checks.optional_text("note", &input.note, 200);
    checks.finish()?;
    end(work, &sub, ends_on, &note).await
}

async fn end(work: &mut Work, sub: &Subscription, ends_on: Date, note: &str) -> Result<Event> {
    if sub.ends_on.is_some() {
        return Err(Error::field("ends_on", "subscriptions.already_ended"));
    }
    if ends_on < sub.starts_on {
        return Err(Error::field("ends_on", "subscriptions.ends_before_start"));
    }
    let ended = store::set_end(work, sub.id, Some(ends_on)).await?;
    let event = store::add_event(
        work,
        sub.id,
        &NewEvent {
            kind: "termination",
            effective_on: ends_on,
            until_on: None,
            plan_id: None,
            note,
        },
    )
    .await?;
    if sub.is_primary && ends_on < work.state().clock.today() {
        terminate_network(work, sub.subscriber_id).await?;
    }
    let invoices = rebill(work, &ended, ends_on.tomorrow().unwrap_or(ends_on), &event).await?;
    audit_event(work, &ended, "subscription.terminate", &event, &invoices).await?;
    Ok(event)
}

async fn terminate_network(work: &mut Work, subscriber: SubscriberId) -> Result<()> {
    let current = crate::subscribers::store::get(work, subscriber).await?;
    if current.fields.status != Status::Terminated {
        crate::subscribers::service::apply_status(work, subscriber, Status::Terminated).await?;
    }
    Ok(())
}

async fn audit_event(
    work: &mut Work,
    sub: &Subscription,
    action: &'static str,
    event: &Event,
    invoices: &[InvoiceId],
) -> Result<()> {
    let branch = crate::subscribers::store::get(work, sub.subscriber_id)
        .await?
        .branch_id;
    work.audit(
        Change::new(
            action,
            "subscription",
            sub.id,
            serde_json::Value::Null,
            serde_json::json!({ "event": event, "invoices": invoices }),
        )
        .in_branch(branch),
    )
    .await?;
    Ok(())
}

/// The subscriber's status changed from the page's buttons or the API: a termination ends their
/// open primary subscription today (crediting unused days); reconnecting a terminated subscriber
/// starts a new primary subscription today.
pub async fn status_changed(
    work: &mut Work,
    before: &Subscriber,
    after: &Subscriber,
) -> Result<()> {
    let subs = store::of_subscriber(work, after.id).await?;
    let open = subs.iter().find(|s| s.is_primary && s.ends_on.is_none());
    match (before.fields.status, after.fields.status, open) {
        (_, Status::Terminated, Some(sub)) => {
            let ends = work.state().clock.today().max(sub.starts_on);
            end(work, sub, ends, "terminated").await?;
        }
        (Status::Terminated, Status::Active | Status::Suspended, None) => {
            // The day after the last one billed, if that was today.
            let today = work.state().clock.today();
            let after_last = subs
                .iter()
                .filter(|s| s.is_primary)
                .filter_map(|s| s.ends_on?.tomorrow().ok())
                .max();
            let starts = after_last.map_or(today, |d| d.max(today));
            create_primary(work, after, &starts.to_string()).await?;
        }
        _ => {}
    }
    Ok(())
}

/// The subscriber's network plan was changed (their form): the primary subscription follows from
/// today.
pub async fn plan_changed(work: &mut Work, subscriber: &Subscriber) -> Result<()> {
    let subs = store::of_subscriber(work, subscriber.id).await?;
    let Some(sub) = subs.iter().find(|s| s.is_primary && s.ends_on.is_none()) else {
        return Ok(());
    };
    let company = work.scope().company();
    let events = store::events_of(work.db(), company, &[sub.id]).await?;
    let day = work.state().clock.today().max(sub.starts_on);
    if plan_on(sub, &events, day) == subscriber.fields.plan_id {
        return Ok(());
    }
    change_plan(
        work,
        sub.id,
        &PlanChangeInput {
            plan_id: Some(subscriber.fields.plan_id),
            effective_on: day.to_string(),
            note: "changed on the subscriber".into(),
        },
    )
    .await
    .map(|_| ())
}

/// The daily job's part: what became due in the last week (missed days are caught up; each
/// step is idempotent): subscriptions that started bill their start, primary plan changes reach
/// the router, primary terminations past their last day terminate the subscriber.
pub async fn apply_due(state: &AppState, today: Date) -> anyhow::Result<()> {
    let since = today.checked_sub(7.days()).unwrap_or(today);
    let mut db = state.store.conn().await?;
    let companies: Vec<(crate::kernel::ids::CompanyId,)> = sqlx::query_as(
        "SELECT DISTINCT company_id FROM subscriptions WHERE (starts_on BETWEEN $1 AND $2) OR (ends_on BETWEEN $1 AND $2)
         UNION SELECT DISTINCT company_id FROM subscription_events WHERE effective_on BETWEEN $1 AND $2",
    )
    .bind(since.to_string())
    .bind(today.to_string())
    .fetch_all(&mut *db)
    .await?;
    drop(db);
    for (company,) in companies {
        let mut work = Work::system(state, Scope::system(company), "subscriptions.due").await?;
        let due: Vec<(SubscriptionId,)> = sqlx::query_as(
            "SELECT id FROM subscriptions WHERE company_id = $1
               AND ((starts_on BETWEEN $2 AND $3) OR (ends_on BETWEEN $2 AND $3)
                    OR id IN (SELECT subscription_id FROM subscription_events
                              WHERE company_id = $1 AND effective_on BETWEEN $2 AND $3))
             ORDER BY id",
        )
        .bind(company)
        .bind(since.to_string())
        .bind(today.to_string())
        .fetch_all(work.db())
        .await?;
        for (id,) in due {
            let sub = store::lock(&mut work, id).await?;
            if sub.starts_on <= today {
                bill_start(&mut work, &sub).await?;
            }
            if sub.is_primary {
                let events = store::events_of(work.db(), company, &[sub.id]).await?;
                let plan = plan_on(&sub, &events, today.max(sub.starts_on));
                let subscriber =
                    crate::subscribers::store::get(&mut work, sub.subscriber_id).await?;
                let ended = sub.ends_on.is_some_and(|end| end < today);
                if ended && subscriber.fields.status != Status::Terminated {
                    terminate_network(&mut work, sub.subscriber_id).await?;
                } else if !ended && subscriber.fields.plan_id != plan {
                    crate::subscribers::service::apply_plan(&mut work, sub.subscriber_id, plan)
                        .await?;
                }
            }
        }
        work.commit().await?;
    }
    Ok(())
}
