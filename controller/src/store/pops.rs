//! POPs: the points of presence where a company's routers stand. Tenant-scoped.

use super::{
    get_i64, get_opt_i64, get_string, now_ms, BranchId, CompanyId, PopId, Result, Store, Tenant,
};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pop {
    pub id: PopId,
    pub company_id: CompanyId,
    pub branch_id: Option<BranchId>,
    pub name: String,
    pub created_at: i64,
}

macro_rules! columns {
    () => {
        "id, company_id, branch_id, name, created_at"
    };
}

fn from_row(row: &AnyRow) -> Result<Pop> {
    Ok(Pop {
        id: PopId(get_i64(row, "id")?),
        company_id: CompanyId(get_i64(row, "company_id")?),
        branch_id: get_opt_i64(row, "branch_id")?.map(BranchId),
        name: get_string(row, "name")?,
        created_at: get_i64(row, "created_at")?,
    })
}

pub async fn create(
    store: &Store,
    tenant: &Tenant,
    name: &str,
    branch: Option<BranchId>,
) -> Result<Pop> {
    // A branch-limited user's POPs belong to their branch.
    let branch = tenant.branch.or(branch);
    let row = sqlx::query(concat!(
        "INSERT INTO pops (company_id, branch_id, name, created_at)
         SELECT $1, $2, $3, $4 WHERE $2 IS NULL OR EXISTS (SELECT 1 FROM branches WHERE id = $2 AND company_id = $1)
         RETURNING ",
        columns!()
    ))
    .bind(tenant.company.0)
    .bind(branch.map(|b| b.0))
    .bind(name)
    .bind(now_ms())
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<Pop>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM pops WHERE company_id = $1 AND ($2 = -1 OR branch_id = $2) ORDER BY name"
    ))
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, tenant: &Tenant, id: PopId) -> Result<Pop> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM pops WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR branch_id = $3)"
    ))
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(tenant.branch.map_or(-1, |b| b.0))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}
