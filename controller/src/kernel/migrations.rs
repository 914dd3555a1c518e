//! Embedded migrations, applied in order at start. Each entry pairs the SQLite and PostgreSQL
//! DDL of one logical change, so the two folders cannot drift apart in names or count.

use super::db::{get, now_ms, Backend, Result, Store, StoreError};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../../migrations/postgres/", $name, ".sql")),
        }
    };
}

pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_mqtt_credentials"),
    migration!(3, "0003_branch_listing_index"),
    migration!(4, "0004_accounts_and_api"),
    migration!(5, "0005_fleet"),
    migration!(6, "0006_mosquitto"),
    migration!(7, "0007_tenancy_by_construction"),
    migration!(8, "0008_jobs"),
    migration!(9, "0009_billing"),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS setu_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

async fn applied(store: &Store) -> Result<Vec<i64>> {
    sqlx::query(CREATE_TABLE).execute(store.pool()).await?;
    let rows = sqlx::query("SELECT version FROM setu_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(|r| get(r, "version")).collect()
}

pub(super) async fn pending(store: &Store) -> Result<usize> {
    let done = applied(store).await?;
    Ok(MIGRATIONS
        .iter()
        .filter(|m| !done.contains(&m.version))
        .count())
}

/// Applies the pending migrations up to and including `through`.
pub(super) async fn run(store: &Store, through: i64) -> Result<usize> {
    let done = applied(store).await?;
    let mut ran = 0;
    for migration in MIGRATIONS
        .iter()
        .filter(|m| !done.contains(&m.version) && m.version <= through)
    {
        let sql = match store.backend() {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        let mut conn = store.conn().await?;
        // SQLite cannot add a constraint to a table: a migration that needs one rebuilds the
        // table, which is only possible with foreign keys off (and they can be switched only
        // outside a transaction). `foreign_key_check` below proves nothing was broken.
        if store.backend() == Backend::Sqlite {
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
        }
        match apply(&mut conn, store.backend(), migration, sql).await {
            Ok(()) => {
                if store.backend() == Backend::Sqlite {
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Err(e) => {
                // Never hand a connection with foreign keys off back to the pool.
                drop(conn.detach());
                return Err(e);
            }
        }
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "migration applied"
        );
        ran += 1;
    }
    Ok(ran)
}

/// One migration in one transaction: a failure leaves the database as it was.
async fn apply(
    conn: &mut super::db::Db,
    backend: Backend,
    migration: &Migration,
    sql: &'static str,
) -> Result<()> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for statement in statements(sql) {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    if backend == Backend::Sqlite {
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut *tx)
            .await?;
        if !broken.is_empty() {
            return Err(StoreError::Corrupt {
                column: "foreign keys",
                value: format!(
                    "{} rows break a foreign key after {}",
                    broken.len(),
                    migration.name
                ),
            });
        }
    }
    sqlx::query("INSERT INTO setu_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(migration.version)
        .bind(migration.name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Splits a migration into statements (on `;` at line ends; comments dropped). Our migrations
/// hold no semicolons inside strings or bodies.
fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n")
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.lines().all(|l| l.trim_start().starts_with("--")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_both_engines_have_each_migration() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
            assert!(m.name.starts_with(&format!("{:04}_", m.version)));
            // SQLite may need more statements for the same change (table rebuilds), never none.
            assert!(
                statements(m.sqlite).count() >= statements(m.postgres).count(),
                "{}",
                m.name
            );
            assert!(statements(m.postgres).count() > 0, "{}", m.name);
        }
    }
}
