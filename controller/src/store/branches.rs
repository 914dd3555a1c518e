//! Branches of a company. Every query is scoped by the caller's [`Tenant`].

use super::{get_i64, get_string, now_ms, BranchId, CompanyId, Result, Store, StoreError, Tenant};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Branch {
    pub id: BranchId,
    pub company_id: CompanyId,
    pub name: String,
    pub created_at: i64,
}

/// Columns of a branch row; a macro so queries stay string literals (sqlx refuses built strings).
macro_rules! columns {
    () => {
        "id, company_id, name, created_at"
    };
}

fn from_row(row: &AnyRow) -> Result<Branch> {
    Ok(Branch {
        id: BranchId(get_i64(row, "id")?),
        company_id: CompanyId(get_i64(row, "company_id")?),
        name: get_string(row, "name")?,
        created_at: get_i64(row, "created_at")?,
    })
}

/// A user limited to one branch sees only that branch.
fn branch_filter(tenant: &Tenant) -> i64 {
    tenant.branch.map_or(-1, |b| b.0)
}

/// A page of branches in id order after `after`. Bounds instead of an `OR` keep the query a
/// plain range on the `(company_id, id)` index for every caller.
pub async fn list(
    store: &Store,
    tenant: &Tenant,
    after: Option<BranchId>,
    limit: i64,
) -> Result<Vec<Branch>> {
    let mut lower = after.map_or(0, |a| a.0);
    let mut upper = i64::MAX;
    if let Some(only) = tenant.branch {
        lower = lower.max(only.0 - 1);
        upper = only.0;
    }
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM branches WHERE company_id = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4"
    ))
    .bind(tenant.company.0)
    .bind(lower)
    .bind(upper)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, tenant: &Tenant, id: BranchId) -> Result<Branch> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM branches WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR id = $3)"
    ))
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(branch_filter(tenant))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn create(store: &Store, tenant: &Tenant, name: &str) -> Result<Branch> {
    if tenant.branch.is_some() {
        // A branch-limited user cannot create siblings.
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(concat!(
        "INSERT INTO branches (company_id, name, created_at) VALUES ($1, $2, $3) RETURNING ",
        columns!(),
        ""
    ))
    .bind(tenant.company.0)
    .bind(name)
    .bind(now_ms())
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn rename(store: &Store, tenant: &Tenant, id: BranchId, name: &str) -> Result<Branch> {
    let row = sqlx::query(concat!("UPDATE branches SET name = $1 WHERE id = $2 AND company_id = $3 AND ($4 = -1 OR id = $4) RETURNING ", columns!(), ""))
    .bind(name)
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(branch_filter(tenant))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn delete(store: &Store, tenant: &Tenant, id: BranchId) -> Result<Branch> {
    let row = sqlx::query(concat!("DELETE FROM branches WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR id = $3) RETURNING ", columns!(), ""))
    .bind(id.0)
    .bind(tenant.company.0)
    .bind(branch_filter(tenant))
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn count(store: &Store, tenant: &Tenant) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM branches WHERE company_id = $1 AND ($2 = -1 OR id = $2)",
    )
    .bind(tenant.company.0)
    .bind(branch_filter(tenant))
    .fetch_one(store.pool())
    .await?;
    get_i64(&row, "n")
}
