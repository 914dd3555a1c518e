//! Companies: the top of the tenancy tree, managed by the platform admin.

use super::{get_i64, get_string, now_ms, CompanyId, Result, Store};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub created_at: i64,
}

fn from_row(row: &AnyRow) -> Result<Company> {
    Ok(Company {
        id: CompanyId(get_i64(row, "id")?),
        name: get_string(row, "name")?,
        created_at: get_i64(row, "created_at")?,
    })
}

pub async fn create(store: &Store, name: &str) -> Result<Company> {
    let row = sqlx::query(
        "INSERT INTO companies (name, created_at) VALUES ($1, $2) RETURNING id, name, created_at",
    )
    .bind(name)
    .bind(now_ms())
    .fetch_one(store.pool())
    .await?;
    from_row(&row)
}

pub async fn get(store: &Store, id: CompanyId) -> Result<Company> {
    let row = sqlx::query("SELECT id, name, created_at FROM companies WHERE id = $1")
        .bind(id.0)
        .fetch_one(store.pool())
        .await?;
    from_row(&row)
}

pub async fn list(store: &Store) -> Result<Vec<Company>> {
    let rows = sqlx::query("SELECT id, name, created_at FROM companies ORDER BY name")
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}
