//! The database: one pool, one set of queries for SQLite and PostgreSQL.
//!
//! Every query is written once, in portable SQL, and runs through sqlx's `Any` driver, chosen by
//! the database URL. Portability rules: `$1`-style placeholders (SQLite numbers them by first
//! appearance), integers for ids, times (UTC milliseconds) and booleans (0/1), `RETURNING` and
//! `ON CONFLICT` (both engines have them). Only the DDL differs, in
//! `migrations/{sqlite,postgres}` with the same file names.
//!
//! SQL lives in the domains' `store.rs` files and in the kernel (this module, `audit`,
//! `http::session`, `http::idempotency`); nowhere else.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::AnyPool;
use std::time::Duration;

/// A connection: a pooled one, or the inside of a transaction.
pub type Db = sqlx::AnyConnection;

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
    /// A foreign key refused the change: the row is still referenced (or references nothing).
    #[error("still in use")]
    InUse,
    #[error("unsupported database URL {0:?}: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
    /// A stored value this code cannot read (a corrupt or unknown enum value).
    #[error("corrupt value in {column}: {value:?}")]
    Corrupt { column: &'static str, value: String },
    /// A read-only unit of work was asked to write.
    #[error("this work is read-only")]
    ReadOnly,
    /// A ledger entry whose postings do not sum to zero was about to be written: a bug, refused
    /// before anything is stored.
    #[error("the {0} entry of document {1} does not balance")]
    Unbalanced(&'static str, i64),
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::InUse,
            _ => StoreError::Db(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

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

/// Every SQLite connection: write-ahead logging, so readers never wait for the writer and a
/// commit appends to the log instead of rewriting pages (the mode is kept in the file; sqlx
/// leaves the rollback journal otherwise); every commit synced to disk (`FULL`, for the
/// ledger: `NORMAL` may lose the last commits on a power cut); a 32 MiB page cache instead
/// of 2 MiB, so a billing run does not re-read its indexes from the OS for every batch.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA cache_size = -32768",
];

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
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in SQLITE_PRAGMAS {
                            sqlx::query(*pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
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

    /// A connection from the pool, for reads and for work that manages its own transaction.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred transaction that read first and then writes fails with `SQLITE_BUSY` when
    /// another writer committed in between, instead of waiting its turn.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A read-only transaction that sees one snapshot of the database for all its statements
    /// (`REPEATABLE READ` on PostgreSQL; a deferred transaction on SQLite, whose snapshot is
    /// taken at its first read), so what it derives matches one moment.
    pub async fn snapshot(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?
            }
        })
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        super::migrations::run(self, i64::MAX).await
    }

    /// Applies pending migrations up to `version` only: how a test puts rows into an older
    /// schema to see what a later migration makes of them.
    pub async fn migrate_through(&self, version: i64) -> Result<usize> {
        super::migrations::run(self, version).await
    }

    /// True when the database answers and every migration is applied.
    pub async fn ready(&self) -> bool {
        super::migrations::pending(self).await.is_ok_and(|n| n == 0)
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

/// How many rows of `cols` values one batch statement takes on `backend`.
pub fn batch_rows(backend: Backend, cols: usize) -> usize {
    (backend.max_binds() / cols.max(1)).max(1)
}

impl Backend {
    /// Most values one batch statement binds. PostgreSQL allows 65,535 and takes 30,000 in its
    /// stride. SQLite allows 32,766, but the time to prepare and bind a statement grows faster
    /// than its parameters (measured: 1,000 invoices of 30 columns took 2.4 s to insert in
    /// 30,000-value statements, 0.1 s in 999-value ones), so it gets 999, its old default limit.
    pub fn max_binds(self) -> usize {
        match self {
            Backend::Postgres => 30_000,
            Backend::Sqlite => 999,
        }
    }

    /// The backend a connection talks to.
    pub fn of(db: &Db) -> Backend {
        if db.backend_name() == "PostgreSQL" {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// Parameter `n` as this backend reads it fastest. SQLite takes `$N` as a *named*
    /// parameter and looks each new name up in a list, so a statement with thousands of them
    /// costs quadratic time to prepare (6 s for a 1,000-row insert of 30 columns); `?N` is a
    /// numbered parameter it binds directly. PostgreSQL knows only `$N`.
    fn push_placeholder(self, sql: &mut String, n: usize) {
        sql.push(if self == Backend::Postgres { '$' } else { '?' });
        sql.push_str(&n.to_string());
    }
}

/// The `VALUES` list of a batch insert: `rows` groups of `cols` numbered placeholders,
/// `($1, $2), ($3, $4)` (`?1`… on SQLite). Batch statements are the one place SQL is built at
/// run time; the text holds placeholders only, never a value.
pub fn values_list(backend: Backend, cols: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 7);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for col in 0..cols {
            if col > 0 {
                sql.push_str(", ");
            }
            backend.push_placeholder(&mut sql, row * cols + col + 1);
        }
        sql.push(')');
    }
    sql
}

/// `count` placeholders from number `first`, for an `IN (…)` list after the statement's own
/// `$1`…`$first-1`.
pub fn in_list(backend: Backend, first: usize, count: usize) -> String {
    let mut sql = String::with_capacity(count * 7);
    for n in first..first + count {
        if n > first {
            sql.push_str(", ");
        }
        backend.push_placeholder(&mut sql, n);
    }
    sql
}

/// Reads a column; for the few row types `sqlx::FromRow` cannot derive on the `Any` driver
/// (booleans are integers here, and `Any` decodes `bool` only from a boolean).
pub fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    Ok(row.try_get::<T, _>(column)?)
}

/// A 0/1 integer column as a boolean.
pub fn get_flag(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(get::<i64>(row, column)? != 0)
}

/// The installation's secret `name` (32 random bytes), made on first use and shared by every
/// replica through the database: two replicas starting at once both end up with the first one
/// written.
pub async fn app_secret(store: &Store, name: &str) -> Result<Vec<u8>> {
    let read = |row: Option<AnyRow>| -> Result<Option<Vec<u8>>> {
        match row {
            Some(row) => {
                let hex: String = get(&row, "value_hex")?;
                protocol::encoding::unhex(&hex)
                    .map(Some)
                    .ok_or(StoreError::Corrupt {
                        column: "app_secrets.value_hex",
                        value: "not hex".into(),
                    })
            }
            None => Ok(None),
        }
    };
    let select = "SELECT value_hex FROM app_secrets WHERE name = $1";
    if let Some(secret) = read(
        sqlx::query(select)
            .bind(name)
            .fetch_optional(store.pool())
            .await?,
    )? {
        return Ok(secret);
    }
    let mut fresh = [0u8; 32];
    super::random::fill(&mut fresh);
    sqlx::query(
        "INSERT INTO app_secrets (name, value_hex, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(protocol::encoding::hex(&fresh))
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    read(
        sqlx::query(select)
            .bind(name)
            .fetch_optional(store.pool())
            .await?,
    )?
    .ok_or(StoreError::NotFound)
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

    #[test]
    fn batch_values_number_every_placeholder_once() {
        assert_eq!(
            values_list(Backend::Postgres, 2, 3),
            "($1, $2), ($3, $4), ($5, $6)"
        );
        assert_eq!(values_list(Backend::Sqlite, 1, 2), "(?1), (?2)");
        assert_eq!(in_list(Backend::Postgres, 2, 3), "$2, $3, $4");
        assert_eq!(in_list(Backend::Sqlite, 1, 1), "?1");
        assert_eq!(batch_rows(Backend::Postgres, 25), 1200);
        assert_eq!(batch_rows(Backend::Sqlite, 25), 39);
        assert_eq!(batch_rows(Backend::Sqlite, 2000), 1);
    }
}
