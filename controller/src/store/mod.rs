//! The only module that knows SQL.
//!
//! One source of queries for both databases: every query is written once, in portable SQL, and
//! runs through sqlx's `Any` driver on SQLite or PostgreSQL, chosen by the database URL.
//! Portability rules: `$1`-style placeholders (SQLite numbers them by first appearance), integers
//! for ids, times (UTC milliseconds) and booleans, `RETURNING` and `ON CONFLICT` (both engines
//! have them). Only the DDL differs, in `migrations/{sqlite,postgres}` with the same file names.
//!
//! Tenant scoping lives here: every query on tenant-owned rows takes a [`Tenant`] and filters by
//! its company (and branch, when the user is limited to one), so a handler cannot read or change
//! another company's rows by forgetting a `WHERE`.

pub mod api_tokens;
pub mod audit;
pub mod branches;
pub mod companies;
pub mod fleet;
pub mod idempotency;
mod migrations;
pub mod mqtt;
pub mod plans;
pub mod pops;
pub mod routers;
pub mod sessions;
pub mod subscribers;
pub mod throttle;
pub mod users;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::AnyPool;
use std::time::Duration;

pub use migrations::MIGRATIONS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the change (e.g. a duplicate name).
    #[error("already exists")]
    Conflict,
    #[error("unsupported database URL {0:?}: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Db(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    CompanyId,
    BranchId,
    UserId,
    RoleId,
    ApiTokenId,
    PopId,
    RouterId,
    PlanId,
    SubscriberId
);

/// Whose rows a request may touch. Made from an authenticated session (or by the platform
/// admin choosing a company); every tenant-owned query requires one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant {
    pub company: CompanyId,
    /// Set when the user's role is limited to one branch.
    pub branch: Option<BranchId>,
}

impl Tenant {
    pub fn company(company: CompanyId) -> Self {
        Tenant {
            company,
            branch: None,
        }
    }
}

/// Current time as stored: UTC milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        // SQLite serialises writers anyway; a few connections serve concurrent readers (WAL).
        let max = match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(5))
            // Replaces connections that died with a database restart.
            .test_before_acquire(true)
            .connect(url)
            .await?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        migrations::run(self).await
    }

    /// True when the database answers and every migration is applied.
    pub async fn ready(&self) -> bool {
        migrations::pending(self).await.is_ok_and(|n| n == 0)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The URL with any password replaced, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub(crate) fn get_i64(row: &AnyRow, column: &str) -> Result<i64> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(column)?)
}

pub(crate) fn get_string(row: &AnyRow, column: &str) -> Result<String> {
    use sqlx::Row;
    Ok(row.try_get::<String, _>(column)?)
}

pub(crate) fn get_opt_string(row: &AnyRow, column: &str) -> Result<Option<String>> {
    use sqlx::Row;
    Ok(row.try_get::<Option<String>, _>(column)?)
}

pub(crate) fn get_opt_i64(row: &AnyRow, column: &str) -> Result<Option<i64>> {
    use sqlx::Row;
    Ok(row.try_get::<Option<i64>, _>(column)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://setu:s3cret@db:5432/setu"),
            "postgres://setu:***@db:5432/setu"
        );
        assert_eq!(
            redact_url("sqlite://data/setu.db?mode=rwc"),
            "sqlite://data/setu.db?mode=rwc"
        );
    }
}
