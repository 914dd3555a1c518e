//! Subscribers: who gets service on which router under which plan. Scoped by the work's company
//! and, for branch-limited staff, branch.
//!
//! The PPPoE password is needed to build the router's desired state, so it is stored as given;
//! it is never serialised (not into API answers, not into the audit log).

use crate::kernel::db::{now_ms, Db, Result};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::ids::{BranchId, CompanyId, PlanId, RouterId, SubscriberId};
use crate::kernel::work::Work;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    /// Unpaid: the router disables the login (or walls it in) and kicks the session.
    Suspended,
    /// Gone: removed from the router.
    Terminated,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Active, Status::Suspended, Status::Terminated];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Terminated => "terminated",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A stored status this code does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown subscriber status {0:?}")]
pub struct UnknownStatus(String);

impl TryFrom<String> for Status {
    type Error = UnknownStatus;

    fn try_from(text: String) -> std::result::Result<Status, UnknownStatus> {
        Status::parse(&text).ok_or(UnknownStatus(text))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Subscriber {
    pub id: SubscriberId,
    pub company_id: CompanyId,
    pub branch_id: Option<BranchId>,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub fields: SubscriberFields,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What staff set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SubscriberFields {
    pub router_id: RouterId,
    pub plan_id: PlanId,
    pub name: String,
    pub phone: String,
    pub pppoe_username: String,
    #[serde(skip_serializing)]
    #[schema(ignore)]
    pub pppoe_password: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
}

macro_rules! columns {
    () => {
        "id, company_id, branch_id, router_id, plan_id, name, phone, pppoe_username, pppoe_password, status,
         created_at, updated_at"
    };
}

/// Creates a subscriber in `branch`; the composite keys refuse a router, plan or branch of
/// another company.
pub async fn create(
    work: &mut Work,
    branch: Option<BranchId>,
    f: &SubscriberFields,
) -> Result<Subscriber> {
    let company = work.scope().company();
    let now = now_ms();
    Ok(sqlx::query_as(concat!(
        "INSERT INTO subscribers (company_id, branch_id, router_id, plan_id, name, phone, pppoe_username,
             pppoe_password, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING ",
        columns!()
    ))
    .bind(company)
    .bind(branch)
    .bind(f.router_id)
    .bind(f.plan_id)
    .bind(&f.name)
    .bind(&f.phone)
    .bind(&f.pppoe_username)
    .bind(&f.pppoe_password)
    .bind(f.status.as_str())
    .bind(now)
    .fetch_one(work.db())
    .await?)
}

pub async fn get(work: &mut Work, id: SubscriberId) -> Result<Subscriber> {
    let scope = work.scope();
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM subscribers WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR branch_id = $3)"
    ))
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?)
}

/// Replaces the subscriber's fields and branch.
pub async fn update(
    work: &mut Work,
    id: SubscriberId,
    branch: Option<BranchId>,
    f: &SubscriberFields,
) -> Result<Subscriber> {
    let scope = work.scope();
    Ok(sqlx::query_as(concat!(
        "UPDATE subscribers SET branch_id = $1, router_id = $2, plan_id = $3, name = $4, phone = $5,
             pppoe_username = $6, pppoe_password = $7, status = $8, updated_at = $9
         WHERE id = $10 AND company_id = $11 AND ($12 = -1 OR branch_id = $12) RETURNING ",
        columns!()
    ))
    .bind(branch)
    .bind(f.router_id)
    .bind(f.plan_id)
    .bind(&f.name)
    .bind(&f.phone)
    .bind(&f.pppoe_username)
    .bind(&f.pppoe_password)
    .bind(f.status.as_str())
    .bind(now_ms())
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?)
}

pub async fn delete(work: &mut Work, id: SubscriberId) -> Result<Subscriber> {
    let scope = work.scope();
    Ok(sqlx::query_as(concat!(
        "DELETE FROM subscribers WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR branch_id = $3) RETURNING ",
        columns!()
    ))
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?)
}

/// A page of the scope's subscribers in id order, optionally on one router. One literal query
/// per filter shape, each a plain range on its index.
pub async fn list(
    work: &mut Work,
    router: Option<RouterId>,
    page: &PageQuery,
) -> Result<Paged<Subscriber>> {
    let scope = work.scope();
    let (after, limit) = (page.after(), page.limit() + 1);
    let rows = match (router, scope.branch()) {
        (None, None) => sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM subscribers WHERE company_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(scope.company())
        .bind(after)
        .bind(limit)
        .fetch_all(work.db())
        .await?,
        (None, Some(branch)) => sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM subscribers WHERE company_id = $1 AND branch_id = $2 AND id > $3 ORDER BY id LIMIT $4"
        ))
        .bind(scope.company())
        .bind(branch)
        .bind(after)
        .bind(limit)
        .fetch_all(work.db())
        .await?,
        (Some(router), None) => sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM subscribers WHERE router_id = $1 AND company_id = $2 AND id > $3 ORDER BY id LIMIT $4"
        ))
        .bind(router)
        .bind(scope.company())
        .bind(after)
        .bind(limit)
        .fetch_all(work.db())
        .await?,
        (Some(router), Some(branch)) => sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM subscribers WHERE router_id = $1 AND company_id = $2 AND branch_id = $3 AND id > $4
             ORDER BY id LIMIT $5"
        ))
        .bind(router)
        .bind(scope.company())
        .bind(branch)
        .bind(after)
        .bind(limit)
        .fetch_all(work.db())
        .await?,
    };
    Ok(Paged::from_rows(rows, page, |s: &Subscriber| s.id.0))
}

/// Every subscriber a router serves that is not terminated, for its desired state (not
/// scoped beyond the router: the caller has matched the agent to the router).
pub async fn on_router(db: &mut Db, router: RouterId) -> Result<Vec<Subscriber>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM subscribers WHERE router_id = $1 AND status <> 'terminated' ORDER BY id"
    ))
    .bind(router)
    .fetch_all(&mut *db)
    .await?)
}

/// The subscriber with this PPPoE username and their branch, for the session log.
pub async fn by_username(
    db: &mut Db,
    company: CompanyId,
    username: &str,
) -> Result<Option<(SubscriberId, Option<BranchId>)>> {
    let row: Option<(SubscriberId, Option<BranchId>)> = sqlx::query_as(
        "SELECT id, branch_id FROM subscribers WHERE company_id = $1 AND pppoe_username = $2",
    )
    .bind(company)
    .bind(username)
    .fetch_optional(&mut *db)
    .await?;
    Ok(row)
}
