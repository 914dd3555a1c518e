//! Companies and branches. Branch queries are scoped by the work's [`Scope`]; companies are the
//! platform admin's and are looked up by id.

use crate::kernel::db::{get, now_ms, Db, Result};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::ids::{BranchId, CompanyId};
use crate::kernel::work::Work;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub created_at: i64,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub profile: Profile,
}

/// What a company says about itself, printed on invoices, receipts and SMS.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub legal_name: String,
    pub phone: String,
    pub address: String,
    /// The BTRC ISP licence number printed on invoices.
    pub licence_no: String,
    /// The VAT registration (Business Identification Number) printed on tax invoices.
    #[serde(default)]
    pub bin: String,
}

macro_rules! company_columns {
    () => {
        "id, name, created_at, legal_name, phone, address, licence_no, bin"
    };
}

pub async fn create_company(db: &mut Db, name: &str) -> Result<Company> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO companies (name, created_at) VALUES ($1, $2) RETURNING ",
        company_columns!()
    ))
    .bind(name)
    .bind(now_ms())
    .fetch_one(&mut *db)
    .await?)
}

pub async fn company(db: &mut Db, id: CompanyId) -> Result<Company> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        company_columns!(),
        " FROM companies WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *db)
    .await?)
}

/// Every company, a page at a time (the platform admin's list; the route checks who asks).
pub async fn companies(db: &mut Db, page: &PageQuery) -> Result<Paged<Company>> {
    let rows = sqlx::query_as(concat!(
        "SELECT ",
        company_columns!(),
        " FROM companies WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(page.after())
    .bind(page.limit() + 1)
    .fetch_all(&mut *db)
    .await?;
    Ok(Paged::from_rows(rows, page, |c: &Company| c.id.0))
}

/// The company a company name belongs to, if any.
pub async fn company_named(db: &mut Db, name: &str) -> Result<Option<Company>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        company_columns!(),
        " FROM companies WHERE name = $1"
    ))
    .bind(name)
    .fetch_optional(&mut *db)
    .await?)
}

/// The work's own company.
pub async fn own(work: &mut Work) -> Result<Company> {
    let company_id = work.scope().company();
    company(work.db(), company_id).await
}

pub async fn set_profile(work: &mut Work, profile: &Profile) -> Result<Company> {
    let company = work.scope().company();
    Ok(sqlx::query_as(concat!(
        "UPDATE companies SET legal_name = $1, phone = $2, address = $3, licence_no = $4, bin = $5
         WHERE id = $6 RETURNING ",
        company_columns!()
    ))
    .bind(&profile.legal_name)
    .bind(&profile.phone)
    .bind(&profile.address)
    .bind(&profile.licence_no)
    .bind(&profile.bin)
    .bind(company)
    .fetch_one(work.db())
    .await?)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Branch {
    pub id: BranchId,
    pub company_id: CompanyId,
    pub name: String,
    pub created_at: i64,
}

macro_rules! branch_columns {
    () => {
        "id, company_id, name, created_at"
    };
}

/// A page of branches in id order: all of the company's, or the member's own branch. One
/// literal query per shape, each a plain range on an index (no `OR` of parameters).
pub async fn branches(work: &mut Work, page: &PageQuery) -> Result<Paged<Branch>> {
    let scope = work.scope();
    let rows = match scope.branch() {
        None => {
            sqlx::query_as(concat!(
                "SELECT ",
                branch_columns!(),
                " FROM branches WHERE company_id = $1 AND id > $2 ORDER BY id LIMIT $3"
            ))
            .bind(scope.company())
            .bind(page.after())
            .bind(page.limit() + 1)
            .fetch_all(work.db())
            .await?
        }
        Some(only) => {
            sqlx::query_as(concat!(
                "SELECT ",
                branch_columns!(),
                " FROM branches WHERE company_id = $1 AND id = $2 AND id > $3"
            ))
            .bind(scope.company())
            .bind(only)
            .bind(page.after())
            .fetch_all(work.db())
            .await?
        }
    };
    Ok(Paged::from_rows(rows, page, |b: &Branch| b.id.0))
}

pub async fn branch(work: &mut Work, id: BranchId) -> Result<Branch> {
    let scope = work.scope();
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        branch_columns!(),
        " FROM branches WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR id = $3)"
    ))
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?)
}

pub async fn create_branch(work: &mut Work, name: &str) -> Result<Branch> {
    let company = work.scope().company();
    Ok(sqlx::query_as(concat!(
        "INSERT INTO branches (company_id, name, created_at) VALUES ($1, $2, $3) RETURNING ",
        branch_columns!()
    ))
    .bind(company)
    .bind(name)
    .bind(now_ms())
    .fetch_one(work.db())
    .await?)
}

pub async fn rename_branch(work: &mut Work, id: BranchId, name: &str) -> Result<Branch> {
    let scope = work.scope();
    Ok(sqlx::query_as(concat!(
        "UPDATE branches SET name = $1 WHERE id = $2 AND company_id = $3 AND ($4 = -1 OR id = $4) RETURNING ",
        branch_columns!()
    ))
    .bind(name)
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?)
}

pub async fn delete_branch(work: &mut Work, id: BranchId) -> Result<Branch> {
    let scope = work.scope();
    Ok(sqlx::query_as(concat!(
        "DELETE FROM branches WHERE id = $1 AND company_id = $2 AND ($3 = -1 OR id = $3) RETURNING ",
        branch_columns!()
    ))
    .bind(id)
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?)
}

/// What still refers to a branch: (what, how many), only the non-zero ones.
pub async fn branch_usage(work: &mut Work, id: BranchId) -> Result<Vec<(&'static str, i64)>> {
    let company = work.scope().company();
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM subscribers WHERE company_id = $1 AND branch_id = $2) AS subscribers,
                (SELECT COUNT(*) FROM pops WHERE company_id = $1 AND branch_id = $2) AS pops,
                (SELECT COUNT(*) FROM memberships WHERE company_id = $1 AND branch_id = $2) AS staff",
    )
    .bind(company)
    .bind(id)
    .fetch_one(work.db())
    .await?;
    let mut used = Vec::new();
    for what in ["subscribers", "pops", "staff"] {
        let n: i64 = get(&row, what)?;
        if n > 0 {
            used.push((what, n));
        }
    }
    Ok(used)
}

pub async fn count_branches(work: &mut Work) -> Result<i64> {
    let scope = work.scope();
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM branches WHERE company_id = $1 AND ($2 = -1 OR id = $2)",
    )
    .bind(scope.company())
    .bind(scope.branch_filter())
    .fetch_one(work.db())
    .await?;
    get(&row, "n")
}
