//! Plans, scoped by the work's company.

use crate::kernel::db::{now_ms, Db, Result};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::ids::{CompanyId, PlanId};
use crate::kernel::money::Poisha;
use crate::kernel::work::Work;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Plan {
    pub id: PlanId,
    pub company_id: CompanyId,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub fields: PlanFields,
    pub created_at: i64,
}

/// What staff set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanFields {
    pub name: String,
    /// RouterOS rate numbers from the subscriber's side, e.g. `10M`, `512k`.
    pub download: String,
    pub upload: String,
    /// Empty for no burst.
    pub burst_download: String,
    pub burst_upload: String,
    /// Monthly price.
    pub price_poisha: Poisha,
}

macro_rules! columns {
    () => {
        "id, company_id, name, download, upload, burst_download, burst_upload, price_poisha, created_at"
    };
}

pub async fn create(work: &mut Work, f: &PlanFields) -> Result<Plan> {
    let company = work.scope().company();
    Ok(sqlx::query_as(concat!(
        "INSERT INTO plans (company_id, name, download, upload, burst_download, burst_upload, price_poisha, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
        columns!()
    ))
    .bind(company)
    .bind(&f.name)
    .bind(&f.download)
    .bind(&f.upload)
    .bind(&f.burst_download)
    .bind(&f.burst_upload)
    .bind(f.price_poisha)
    .bind(now_ms())
    .fetch_one(work.db())
    .await?)
}

/// A page of the company's plans in id order.
pub async fn list(work: &mut Work, page: &PageQuery) -> Result<Paged<Plan>> {
    let company = work.scope().company();
    let rows = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM plans WHERE company_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(company)
    .bind(page.after())
    .bind(page.limit() + 1)
    .fetch_all(work.db())
    .await?;
    Ok(Paged::from_rows(rows, page, |p: &Plan| p.id.0))
}

/// Every plan of a company, cheapest first (pages' pickers, the desired state).
pub async fn all(db: &mut Db, company: CompanyId) -> Result<Vec<Plan>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM plans WHERE company_id = $1 ORDER BY price_poisha, name"
    ))
    .bind(company)
    .fetch_all(&mut *db)
    .await?)
}

pub async fn get(work: &mut Work, id: PlanId) -> Result<Plan> {
    let company = work.scope().company();
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM plans WHERE id = $1 AND company_id = $2"
    ))
    .bind(id)
    .bind(company)
    .fetch_one(work.db())
    .await?)
}

pub async fn update(work: &mut Work, id: PlanId, f: &PlanFields) -> Result<Plan> {
    let company = work.scope().company();
    Ok(sqlx::query_as(concat!(
        "UPDATE plans SET name = $1, download = $2, upload = $3, burst_download = $4, burst_upload = $5,
             price_poisha = $6 WHERE id = $7 AND company_id = $8 RETURNING ",
        columns!()
    ))
    .bind(&f.name)
    .bind(&f.download)
    .bind(&f.upload)
    .bind(&f.burst_download)
    .bind(&f.burst_upload)
    .bind(f.price_poisha)
    .bind(id)
    .bind(company)
    .fetch_one(work.db())
    .await?)
}
