//! The `jobs` table. Claiming is one statement in a write transaction: on PostgreSQL the
//! candidate row is locked with `FOR UPDATE SKIP LOCKED`, so two replicas never take the same
//! job; on SQLite the write transaction itself is exclusive.

use crate::kernel::db::{Backend, Db, Result, Store, StoreError};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::ids::{CompanyId, JobId};
use crate::kernel::jobs::{Job, NewJob};

macro_rules! columns {
    () => {
        "id, company_id, kind, dedupe_key, payload, state, run_after, attempts, max_attempts,
         lease_owner, lease_until, last_error, progress, created_at, started_at, finished_at"
    };
}

/// Adds `job` unless one of its kind with its dedupe key exists (then `None`).
pub async fn insert(
    db: &mut Db,
    job: &NewJob,
    max_attempts: i64,
    now: i64,
) -> Result<Option<JobId>> {
    let id: Option<(JobId,)> = sqlx::query_as(
        "INSERT INTO jobs (company_id, kind, dedupe_key, payload, run_after, max_attempts, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (kind, dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(job.company)
    .bind(job.kind)
    .bind(&job.dedupe_key)
    .bind(job.payload.to_string())
    .bind(job.run_after)
    .bind(max_attempts)
    .bind(now)
    .fetch_optional(&mut *db)
    .await?;
    Ok(id.map(|(id,)| id))
}

/// Takes the lease of the job that has waited longest among those due (queued and past their
/// time, or running under a lease that has expired), in its own transaction.
pub async fn claim(store: &Store, owner: &str, lease_ms: i64, now: i64) -> Result<Option<Job>> {
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2,
             attempts = attempts + 1, started_at = $3
         WHERE id = (SELECT id FROM jobs
                     WHERE (state = 'queued' AND run_after <= $3)
                        OR (state = 'running' AND lease_until < $3)
                     ORDER BY run_after, id LIMIT 1{lock})
         RETURNING {}",
        columns!()
    );
    let mut tx = store.begin().await?;
    let job: Option<Job> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(job)
}

/// Extends a lease this owner still holds; `false` when it has lost it.
pub async fn renew(db: &mut Db, id: JobId, owner: &str, until: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
    )
    .bind(until)
    .bind(id)
    .bind(owner)
    .execute(&mut *db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the handler says about its progress, shown on the jobs page.
pub async fn set_progress(db: &mut Db, id: JobId, owner: &str, progress: &str) -> Result<()> {
    sqlx::query("UPDATE jobs SET progress = $1 WHERE id = $2 AND lease_owner = $3")
        .bind(progress)
        .bind(id)
        .bind(owner)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// The handler finished: done. `false` when the lease was lost meanwhile (another worker has
/// the job now, and its run will find the work already done).
pub async fn finish(db: &mut Db, id: JobId, owner: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, finished_at = $1,
             last_error = ''
         WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
    )
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(&mut *db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The handler failed: queued again at `retry_at`, or failed for good when `retry_at` is `None`.
pub async fn fail(
    db: &mut Db,
    id: JobId,
    owner: &str,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, run_after = COALESCE($2, run_after), last_error = $3,
             lease_owner = NULL, lease_until = NULL, finished_at = $4
         WHERE id = $5 AND lease_owner = $6 AND state = 'running'",
    )
    .bind(if retry_at.is_some() {
        "queued"
    } else {
        "failed"
    })
    .bind(retry_at)
    .bind(error)
    .bind(retry_at.map_or(Some(now), |_| None))
    .bind(id)
    .bind(owner)
    .execute(&mut *db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Which jobs a list shows: one company's, and the installation's own when `installation`.
#[derive(Debug, Clone, Copy)]
pub struct Visible {
    pub company: CompanyId,
    pub installation: bool,
}

/// A page of jobs in `state`, newest first.
pub async fn list(
    db: &mut Db,
    visible: Visible,
    state: &str,
    page: &PageQuery,
) -> Result<Paged<Job>> {
    let before = page.before();
    let rows: Vec<Job> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM jobs WHERE state = $1 AND id < $2 AND (company_id = $3 OR ($4 = 1 AND company_id IS NULL))
          ORDER BY id DESC LIMIT $5"
    ))
    .bind(state)
    .bind(before)
    .bind(visible.company)
    .bind(i64::from(visible.installation))
    .bind(page.limit() + 1)
    .fetch_all(&mut *db)
    .await?;
    Ok(Paged::older(rows, page, |j: &Job| j.id.0))
}

pub async fn get(db: &mut Db, visible: Visible, id: JobId) -> Result<Job> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM jobs WHERE id = $1 AND (company_id = $2 OR ($3 = 1 AND company_id IS NULL))"
    ))
    .bind(id)
    .bind(visible.company)
    .bind(i64::from(visible.installation))
    .fetch_one(&mut *db)
    .await?)
}

/// A failed job, queued again now with fresh attempts.
pub async fn requeue(db: &mut Db, visible: Visible, id: JobId, now: i64) -> Result<Job> {
    let job = get(db, visible, id).await?;
    if job.state != "failed" {
        return Err(StoreError::Conflict);
    }
    Ok(sqlx::query_as(concat!(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $1, finished_at = NULL
         WHERE id = $2 AND state = 'failed' RETURNING ",
        columns!()
    ))
    .bind(now)
    .bind(id)
    .fetch_one(&mut *db)
    .await?)
}

/// How many jobs are in each state, and how long the oldest due queued job has waited (ms).
pub async fn queue_figures(db: &mut Db, now: i64) -> Result<(Vec<(String, i64)>, i64)> {
    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
            .fetch_all(&mut *db)
            .await?;
    let oldest: Option<(i64,)> = sqlx::query_as(
        "SELECT run_after FROM jobs WHERE state = 'queued' AND run_after <= $1 ORDER BY run_after LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&mut *db)
    .await?;
    Ok((counts, oldest.map_or(0, |(at,)| now - at)))
}

/// Removes finished jobs (done or failed) that ended before `cutoff`; returns how many.
pub async fn purge_finished(db: &mut Db, cutoff: i64) -> Result<u64> {
    let done =
        sqlx::query("DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < $1")
            .bind(cutoff)
            .execute(&mut *db)
            .await?;
    Ok(done.rows_affected())
}
