//! Plans: a speed and a price. Tenant-scoped. Every change bumps the desired-state version of
//! the routers that serve a subscriber on the plan (the caller does it, in `http::api::plans`).

use super::{get_i64, get_string, now_ms, CompanyId, PlanId, Result, Store, Tenant};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub id: PlanId,
    pub company_id: CompanyId,
    #[serde(flatten)]
    pub fields: PlanFields,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFields {
    pub name: String,
    /// RouterOS rate numbers from the subscriber's side, e.g. `10M`, `512k`.
    pub download: String,
    pub upload: String,
    /// Empty for no burst.
    #[serde(default)]
    pub burst_download: String,
    #[serde(default)]
    pub burst_upload: String,
    /// Monthly price in poisha (1/100 taka).
    pub price_poisha: i64,
}

macro_rules! columns {
    () => {
        "id, company_id, name, download, upload, burst_download, burst_upload, price_poisha, created_at"
    };
}

fn from_row(row: &AnyRow) -> Result<Plan> {
    Ok(Plan {
        id: PlanId(get_i64(row, "id")?),
        company_id: CompanyId(get_i64(row, "company_id")?),
        fields: PlanFields {
            name: get_string(row, "name")?,
            download: get_string(row, "download")?,
            upload: get_string(row, "upload")?,
            burst_download: get_string(row, "burst_download")?,
            burst_upload: get_string(row, "burst_upload")?,
            price_poisha: get_i64(row, "price_poisha")?,
        },
        created_at: get_i64(row, "created_at")?,
    })
}

pub async fn create(store: &Store, tenant: &Tenant, f: &PlanFields) -> Result<Plan> {
    let row = sqlx::query(concat!(
        "INSERT INTO plans (company_id, name, download, upload, burst_download, burst_upload, price_poisha, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
        columns!()
    ))
    .bind(tenant.company.0)
    .bind(&f.name)
    .bind(&f.download)
    .bind(&f.upload)
    .bind(&f.burst_download)
    .bind(&f.burst_upload)
    .bind(f.price_poisha)
    .bind(now_ms())
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<Plan>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM plans WHERE company_id = $1 ORDER BY price_poisha, name"
    ))
    .bind(tenant.company.0)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, tenant: &Tenant, id: PlanId) -> Result<Plan> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM plans WHERE id = $1 AND company_id = $2"
    ))
    .bind(id.0)
    .bind(tenant.company.0)
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn update(store: &Store, tenant: &Tenant, id: PlanId, f: &PlanFields) -> Result<Plan> {
    let row = sqlx::query(concat!(
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
    .bind(id.0)
    .bind(tenant.company.0)
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}
