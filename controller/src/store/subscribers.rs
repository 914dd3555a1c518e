//! Subscribers: who gets service on which router under which plan. Tenant-scoped (and
//! branch-scoped for branch-limited staff).
//!
//! The PPPoE password is needed to build the router's desired state, so it is stored as given;
//! it is never serialised (not into API answers, not into the audit log).

use super::{
    get_i64, get_opt_i64, get_string, now_ms, BranchId, CompanyId, PlanId, Result, RouterId, Store,
    SubscriberId, Tenant,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    /// Unpaid: the router disables the login (or walls it in) and kicks the session.
    Suspended,
    /// Gone: removed from the router.
    Terminated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Terminated => "terminated",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [Status::Active, Status::Suspended, Status::Terminated]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    pub id: SubscriberId,
    pub company_id: CompanyId,
    pub branch_id: Option<BranchId>,
    pub router_id: RouterId,
    pub plan_id: PlanId,
    pub name: String,
    pub phone: String,
    pub pppoe_username: String,
    #[serde(skip_serializing)]
    pub pppoe_password: String,
    pub status: Status,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What staff set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub name: String,
    pub phone: String,
    pub router_id: RouterId,
    pub plan_id: PlanId,
    pub pppoe_username: String,
    pub pppoe_password: String,
    pub status: Status,
    pub branch_id: Option<BranchId>,
}

macro_rules! columns {
    () => {
        "id, company_id, branch_id, router_id, plan_id, name, phone, pppoe_username, pppoe_password, status,
         created_at, updated_at"
    };
}

fn from_row(row: &AnyRow) -> Result<Subscriber> {
    Ok(Subscriber {
        id: SubscriberId(get_i64(row, "id")?),
        company_id: CompanyId(get_i64(row, "company_id")?),
        branch_id: get_opt_i64(row, "branch_id")?.map(BranchId),
        router_id: RouterId(get_i64(row, "router_id")?),
        plan_id: PlanId(get_i64(row, "plan_id")?),
        name: get_string(row, "name")?,
        phone: get_string(row, "phone")?,
        pppoe_username: get_string(row, "pppoe_username")?,
        pppoe_password: get_string(row, "pppoe_password")?,
        status: Status::parse(&get_string(row, "status")?).unwrap_or(Status::Suspended),
        created_at: get_i64(row, "created_at")?,
        updated_at: get_i64(row, "updated_at")?,
    })
}

/// Creates a subscriber; the router and plan must be the tenant's (else `NotFound`).
pub async fn create(store: &Store, tenant: &Tenant, f: &Fields) -> Result<Subscriber> {
    let now = now_ms();
    let row = sqlx::query(concat!(
        "INSERT INTO subscribers (company_id, branch_id, router_id, plan_id, name, phone, pppoe_username,
             pppoe_password, status, created_at, updated_at)
         SELECT $1, $2, r.id, p.id, $5, $6, $7, $8, $9, $10, $10 FROM routers r, plans p
         WHERE r.id = $3 AND r.company_id = $1 AND p.id = $4 AND p.company_id = $1
         RETURNING ",
        columns!()
    ))
    .bind(tenant.company.0)
    .bind(tenant.branch.or(f.branch_id).map(|b| b.0))
    .bind(f.router_id.0)
    .bind(f.plan_id.0)
    .bind(&f.name)
    .bind(&f.phone)
    .bind(&f.pppoe_username)
    .bind(&f.pppoe_password)
    .bind(f.status.as_str())
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn get(store: &Store, tenant: &Tenant, id: SubscriberId) -> Result<Subscriber> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM subscribers WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR branch_id = $3)"
    ))
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

/// Replaces the subscriber's fields; the router and plan must be the tenant's.
pub async fn update(
    store: &Store,
    tenant: &Tenant,
    id: SubscriberId,
    f: &Fields,
) -> Result<Subscriber> {
    let row = sqlx::query(concat!(
        "UPDATE subscribers SET router_id = $1, plan_id = $2, name = $3, phone = $4, pppoe_username = $5,
             pppoe_password = $6, status = $7, updated_at = $8
         WHERE id = $9 AND company_id = $10 AND ($11 = -1 OR branch_id = $11)
           AND EXISTS (SELECT 1 FROM routers WHERE id = $1 AND company_id = $10)
           AND EXISTS (SELECT 1 FROM plans WHERE id = $2 AND company_id = $10)
         RETURNING ",
        columns!()
    ))
    .bind(f.router_id.0)
    .bind(f.plan_id.0)
    .bind(&f.name)
    .bind(&f.phone)
    .bind(&f.pppoe_username)
    .bind(&f.pppoe_password)
    .bind(f.status.as_str())
    .bind(now_ms())
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn delete(store: &Store, tenant: &Tenant, id: SubscriberId) -> Result<Subscriber> {
    let row = sqlx::query(concat!(
        "DELETE FROM subscribers WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR branch_id = $3) RETURNING ",
        columns!()
    ))
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

/// A page of the tenant's subscribers in id order after `after`, optionally on one router.
pub async fn list(
    store: &Store,
    tenant: &Tenant,
    router: Option<RouterId>,
    after: Option<SubscriberId>,
    limit: i64,
) -> Result<Vec<Subscriber>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM subscribers WHERE company_id = $1 AND id > $2 AND ($3 = -1 OR router_id = $3)
           AND ($4 = -1 OR branch_id = $4) ORDER BY id LIMIT $5"
    ))
    .bind(tenant.company.0)
    .bind(after.map_or(0, |a| a.0))
    .bind(router.map_or(-1, |r| r.0))
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Every subscriber a router serves, for its desired state (not tenant-filtered beyond the
/// router: the fleet link has already matched agent to router).
pub async fn on_router(store: &Store, router: RouterId) -> Result<Vec<Subscriber>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM subscribers WHERE router_id = $1 AND status <> 'terminated' ORDER BY id"
    ))
    .bind(router.0)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The subscriber with this PPPoE username, for the session log.
pub async fn by_username(
    store: &Store,
    company: CompanyId,
    username: &str,
) -> Result<Option<SubscriberId>> {
    let row =
        sqlx::query("SELECT id FROM subscribers WHERE company_id = $1 AND pppoe_username = $2")
            .bind(company.0)
            .bind(username)
            .fetch_optional(store.pool())
            .await?;
    row.map(|r| Ok(SubscriberId(get_i64(&r, "id")?)))
        .transpose()
}
