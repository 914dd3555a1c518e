//! Companies: the top of the tenancy tree, created by the platform admin; each company keeps
//! its own profile (the settings page) for invoices, receipts and SMS later on.

use super::{get_i64, get_string, now_ms, CompanyId, Result, Store, Tenant};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub created_at: i64,
    #[serde(flatten)]
    pub profile: Profile,
}

/// What a company says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub legal_name: String,
    pub phone: String,
    pub address: String,
    /// The BTRC ISP licence number printed on invoices.
    pub licence_no: String,
}

macro_rules! columns {
    () => {
        "id, name, created_at, legal_name, phone, address, licence_no"
    };
}

fn from_row(row: &AnyRow) -> Result<Company> {
    Ok(Company {
        id: CompanyId(get_i64(row, "id")?),
        name: get_string(row, "name")?,
        created_at: get_i64(row, "created_at")?,
        profile: Profile {
            legal_name: get_string(row, "legal_name")?,
            phone: get_string(row, "phone")?,
            address: get_string(row, "address")?,
            licence_no: get_string(row, "licence_no")?,
        },
    })
}

pub async fn create(store: &Store, name: &str) -> Result<Company> {
    let row = sqlx::query(concat!(
        "INSERT INTO companies (name, created_at) VALUES ($1, $2) RETURNING ",
        columns!()
    ))
    .bind(name)
    .bind(now_ms())
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn get(store: &Store, id: CompanyId) -> Result<Company> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM companies WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

/// Every company (platform admin only; the caller checks).
pub async fn list(store: &Store) -> Result<Vec<Company>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM companies ORDER BY name"
    ))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The tenant's own company.
pub async fn own(store: &Store, tenant: &Tenant) -> Result<Company> {
    get(store, tenant.company).await
}

pub async fn set_profile(store: &Store, tenant: &Tenant, profile: &Profile) -> Result<Company> {
    let row = sqlx::query(concat!(
        "UPDATE companies SET legal_name = $1, phone = $2, address = $3, licence_no = $4 WHERE id = $5 RETURNING ",
        columns!()
    ))
    .bind(&profile.legal_name)
    .bind(&profile.phone)
    .bind(&profile.address)
    .bind(&profile.licence_no)
    .bind(tenant.company.0)
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}
