//! Subscriptions and their dated events. Scoped by the work's company and, for branch-limited
//! staff, the subscriber's branch.

use crate::kernel::db::{batch_rows, get, get_flag, in_list, now_ms, Backend, Db, Result};
use crate::kernel::ids::{CompanyId, PlanId, SubscriberId, SubscriptionEventId, SubscriptionId};
use crate::kernel::work::Work;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub company_id: CompanyId,
    pub subscriber_id: SubscriberId,
    /// The plan it started on (later plans are `plan_change` events).
    pub plan_id: PlanId,
    /// `YYYY-MM-DD`, Dhaka.
    #[schema(value_type = String)]
    pub starts_on: Date,
    #[schema(value_type = Option<String>)]
    pub ends_on: Option<Date>,
    /// Its plan is the one the router enforces.
    pub is_primary: bool,
    pub price_override_poisha: Option<i64>,
    pub discount_poisha: i64,
    #[schema(value_type = Option<String>)]
    pub discount_until: Option<Date>,
    pub created_at: i64,
}

/// The columns, qualified (`s.`) for queries that join the subscriber.
macro_rules! columns {
    () => {
        "s.id, s.company_id, s.subscriber_id, s.plan_id, s.starts_on, s.ends_on, s.is_primary,
         s.price_override_poisha, s.discount_poisha, s.discount_until, s.created_at"
    };
}

/// The same, unqualified, for `RETURNING`.
macro_rules! returning {
    () => {
        "id, company_id, subscriber_id, plan_id, starts_on, ends_on, is_primary,
         price_override_poisha, discount_poisha, discount_until, created_at"
    };
}

fn date(row: &AnyRow, column: &'static str) -> Result<Date> {
    let text: String = get(row, column)?;
    text.parse()
        .map_err(|_| crate::kernel::db::StoreError::Corrupt {
            column,
            value: text,
        })
}

fn opt_date(row: &AnyRow, column: &'static str) -> Result<Option<Date>> {
    let text: Option<String> = get(row, column)?;
    text.map(|text| {
        text.parse()
            .map_err(|_| crate::kernel::db::StoreError::Corrupt {
                column,
                value: text,
            })
    })
    .transpose()
}

pub fn subscription_from(row: &AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        id: get(row, "id")?,
        company_id: get(row, "company_id")?,
        subscriber_id: get(row, "subscriber_id")?,
        plan_id: get(row, "plan_id")?,
        starts_on: date(row, "starts_on")?,
        ends_on: opt_date(row, "ends_on")?,
        is_primary: get_flag(row, "is_primary")?,
        price_override_poisha: get(row, "price_override_poisha")?,
        discount_poisha: get(row, "discount_poisha")?,
        discount_until: opt_date(row, "discount_until")?,
        created_at: get(row, "created_at")?,
    })
}

/// What a new subscription is.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub subscriber_id: SubscriberId,
    pub plan_id: PlanId,
    pub starts_on: Date,
    pub is_primary: bool,
    pub price_override_poisha: Option<i64>,
    pub discount_poisha: i64,
    pub discount_until: Option<Date>,
}

pub async fn create(work: &mut Work, new: &NewSubscription) -> Result<Subscription> {
    let company = work.scope().company();
    let row = sqlx::query(concat!(
        "INSERT INTO subscriptions (company_id, subscriber_id, plan_id, starts_on, is_primary,
             price_override_poisha, discount_poisha, discount_until, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
        returning!()
    ))
    .bind(company)
    .bind(new.subscriber_id)
    .bind(new.plan_id)
    .bind(new.starts_on.to_string())
    .bind(i64::from(new.is_primary))
    .bind(new.price_override_poisha)
    .bind(new.discount_poisha)
    .bind(new.discount_until.map(|d| d.to_string()))
    .bind(now_ms())
    .fetch_one(work.db())
    .await?;
    subscription_from(&row)
}

/// One subscription of the scope (a branch-limited member: of their branch's subscribers).
pub async fn get_one(work: &mut Work, id: SubscriptionId) -> Result<Subscription> {
    let scope = work.scope();
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM subscriptions s JOIN subscribers b ON b.id = s.subscriber_id
          WHERE s.id = $1 AND s.company_id = $2 AND ($3 = -1 OR b.branch_id = $3)"
    ))
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?;
    subscription_from(&row)
}

/// The same, taking the row's lock on PostgreSQL (SQLite's write transaction is exclusive), so
/// two changes to one subscription's billing take turns.
pub async fn lock(work: &mut Work, id: SubscriptionId) -> Result<Subscription> {
    let lock = match work.state().store.backend() {
        crate::kernel::db::Backend::Postgres => " FOR UPDATE OF s",
        crate::kernel::db::Backend::Sqlite => "",
    };
    let scope = work.scope();
    let sql = format!(
        "SELECT {} FROM subscriptions s JOIN subscribers b ON b.id = s.subscriber_id
         WHERE s.id = $1 AND s.company_id = $2 AND ($3 = -1 OR b.branch_id = $3){lock}",
        columns!()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(scope.company())
        .bind(scope.branch_filter())
        .fetch_one(work.db())
        .await?;
    subscription_from(&row)
}

/// A subscriber's subscriptions, oldest first.
pub async fn of_subscriber(work: &mut Work, subscriber: SubscriberId) -> Result<Vec<Subscription>> {
    let company = work.scope().company();
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM subscriptions s WHERE s.company_id = $1 AND s.subscriber_id = $2 ORDER BY s.id"
    ))
    .bind(company)
    .bind(subscriber)
    .fetch_all(work.db())
    .await?;
    rows.iter().map(subscription_from).collect()
}

/// A page of the company's subscriptions in id order from `after`, for a billing run, that may
/// bill anything between `from` and `until` (they started by `until` and did not end before
/// `from`). Takes the rows' locks on PostgreSQL.
pub async fn batch(
    db: &mut Db,
    backend: crate::kernel::db::Backend,
    company: CompanyId,
    after: i64,
    limit: i64,
    from: Date,
    until: Date,
) -> Result<Vec<Subscription>> {
    let lock = match backend {
        crate::kernel::db::Backend::Postgres => " FOR UPDATE",
        crate::kernel::db::Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT {} FROM subscriptions s
         WHERE s.company_id = $1 AND s.id > $2 AND s.starts_on <= $3
           AND (s.ends_on IS NULL OR s.ends_on >= $4)
         ORDER BY s.id LIMIT $5{lock}",
        columns!()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(company)
        .bind(after)
        .bind(until.to_string())
        .bind(from.to_string())
        .bind(limit)
        .fetch_all(&mut *db)
        .await?;
    rows.iter().map(subscription_from).collect()
}

pub async fn set_end(
    work: &mut Work,
    id: SubscriptionId,
    ends_on: Option<Date>,
) -> Result<Subscription> {
    let company = work.scope().company();
    let row = sqlx::query(concat!(
        "UPDATE subscriptions SET ends_on = $1 WHERE id = $2 AND company_id = $3 RETURNING ",
        returning!()
    ))
    .bind(ends_on.map(|d| d.to_string()))
    .bind(id)
    .bind(company)
    .fetch_one(work.db())
    .await?;
    subscription_from(&row)
}

/// Removes a subscriber's subscriptions and their events (a subscriber deleted before anything
/// was billed); the invoices' foreign keys refuse it once something was.
pub async fn delete_of_subscriber(work: &mut Work, subscriber: SubscriberId) -> Result<u64> {
    let company = work.scope().company();
    sqlx::query(
        "DELETE FROM subscription_events WHERE company_id = $1 AND subscription_id IN
             (SELECT id FROM subscriptions WHERE company_id = $1 AND subscriber_id = $2)",
    )
    .bind(company)
    .bind(subscriber)
    .execute(work.db())
    .await?;
    let done =
        sqlx::query("DELETE FROM subscriptions WHERE company_id = $1 AND subscriber_id = $2")
            .bind(company)
            .bind(subscriber)
            .execute(work.db())
            .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: SubscriptionEventId,
    pub subscription_id: SubscriptionId,
    /// `plan_change`, `pause` or `termination`.
    pub kind: String,
    #[schema(value_type = String)]
    pub effective_on: Date,
    /// A pause's last day.
    #[schema(value_type = Option<String>)]
    pub until_on: Option<Date>,
    /// A plan change's new plan.
    pub plan_id: Option<PlanId>,
    pub note: String,
    pub actor: String,
    pub created_at: i64,
}

fn event_from(row: &AnyRow) -> Result<Event> {
    Ok(Event {
        id: get(row, "id")?,
        subscription_id: get(row, "subscription_id")?,
        kind: get(row, "kind")?,
        effective_on: date(row, "effective_on")?,
        until_on: opt_date(row, "until_on")?,
        plan_id: get(row, "plan_id")?,
        note: get(row, "note")?,
        actor: get(row, "actor")?,
        created_at: get(row, "created_at")?,
    })
}

macro_rules! event_columns {
    () => {
        "id, subscription_id, kind, effective_on, until_on, plan_id, note, actor, created_at"
    };
}

pub struct NewEvent<'a> {
    pub kind: &'static str,
    pub effective_on: Date,
    pub until_on: Option<Date>,
    pub plan_id: Option<PlanId>,
    pub note: &'a str,
}

pub async fn add_event(
    work: &mut Work,
    subscription: SubscriptionId,
    e: &NewEvent<'_>,
) -> Result<Event> {
    let company = work.scope().company();
    let actor = work.actor().label();
    let row = sqlx::query(concat!(
        "INSERT INTO subscription_events (company_id, subscription_id, kind, effective_on, until_on,
             plan_id, note, actor, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
        event_columns!()
    ))
    .bind(company)
    .bind(subscription)
    .bind(e.kind)
    .bind(e.effective_on.to_string())
    .bind(e.until_on.map(|d| d.to_string()))
    .bind(e.plan_id)
    .bind(e.note)
    .bind(actor)
    .bind(now_ms())
    .fetch_one(work.db())
    .await?;
    event_from(&row)
}

/// The events of `subscriptions`, by subscription, each in date order.
pub async fn events_of(
    db: &mut Db,
    company: CompanyId,
    subscriptions: &[SubscriptionId],
) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    for chunk in subscriptions.chunks(batch_rows(Backend::of(db), 1) - 1) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT {} FROM subscription_events WHERE company_id = $1 AND subscription_id IN ({})
             ORDER BY subscription_id, effective_on, id",
            event_columns!(),
            in_list(Backend::of(db), 2, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(company);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *db).await? {
            out.push(event_from(&row)?);
        }
    }
    Ok(out)
}

/// Events of the company due on `day` whose effect on the network has to be applied then (plan
/// changes and terminations in the future when they were recorded).
pub async fn due_on(db: &mut Db, company: CompanyId, day: Date) -> Result<Vec<Event>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        event_columns!(),
        " FROM subscription_events WHERE company_id = $1 AND effective_on = $2 ORDER BY id"
    ))
    .bind(company)
    .bind(day.to_string())
    .fetch_all(&mut *db)
    .await?;
    rows.iter().map(event_from).collect()
}
