//! Job operations: what domains call to enqueue work, and what staff may do with jobs.

use super::store::{self, Visible};
use crate::kernel::db::{now_ms, Db, StoreError};
use crate::kernel::http::list::{PageQuery, Paged};
use crate::kernel::ids::JobId;
use crate::kernel::jobs::{Job, NewJob};
use crate::kernel::work::{Change, Work};
use crate::kernel::{Error, Result};
use crate::AppState;
use std::sync::atomic::Ordering;

/// Enqueues `job` in this unit of work (it exists once the work commits, and this replica's
/// workers are woken then); `None` when a job of its kind with its dedupe key already exists.
pub async fn enqueue(work: &mut Work, job: &NewJob) -> Result<Option<JobId>> {
    let id = enqueue_in(work.db(), job).await?;
    if id.is_some() {
        work.after_commit(|state| async move { state.jobs.wake.notify_waiters() });
    }
    Ok(id)
}

/// [`enqueue`] on a bare connection, for the scheduler (the caller wakes the workers).
pub async fn enqueue_in(db: &mut Db, job: &NewJob) -> Result<Option<JobId>> {
    let kind = crate::kernel::jobs::kind(job.kind)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("no handler for job kind {}", job.kind)))?;
    Ok(store::insert(db, job, kind.max_attempts, now_ms()).await?)
}

/// The jobs a member sees: their company's, and the installation's own for a platform admin.
pub fn visible(work: &Work, platform_admin: bool) -> Visible {
    Visible {
        company: work.scope().company(),
        installation: platform_admin,
    }
}

pub async fn list(
    work: &mut Work,
    visible: Visible,
    state: &str,
    page: &PageQuery,
) -> Result<Paged<Job>> {
    if !matches!(state, "queued" | "running" | "done" | "failed") {
        return Err(Error::field("state", "jobs.bad_state"));
    }
    Ok(store::list(work.db(), visible, state, page).await?)
}

/// Queues a failed job again with fresh attempts; audited.
pub async fn retry(work: &mut Work, visible: Visible, id: JobId) -> Result<Job> {
    let before = store::get(work.db(), visible, id).await?;
    let after = match store::requeue(work.db(), visible, id, now_ms()).await {
        Err(StoreError::Conflict) => return Err(Error::field("state", "jobs.not_failed")),
        other => other?,
    };
    work.audit(Change::new("job.retry", "job", id, &before, &after))
        .await?;
    work.after_commit(|state| async move { state.jobs.wake.notify_waiters() });
    Ok(after)
}

/// Why the job queue is not healthy, if it is not: this replica's scheduler has not ticked for
/// three of its intervals, or a due job has waited longer than `jobs.stall_secs`.
pub async fn stalled(state: &AppState) -> Option<&'static str> {
    let config = &state.config.jobs;
    let now = now_ms();
    if config.scheduler {
        let last = state.jobs.last_tick_ms.load(Ordering::Relaxed);
        let limit = i64::try_from(config.tick_secs.max(1) * 3 * 1000).unwrap_or(i64::MAX);
        if last > 0 && now - last > limit {
            return Some("job scheduler stalled: no tick for three intervals");
        }
    }
    let mut db = state.store.conn().await.ok()?;
    let (_, oldest_ms) = store::queue_figures(&mut db, now).await.ok()?;
    (oldest_ms > config.stall_secs * 1000)
        .then_some("job queue stalled: a due job is waiting too long")
}

/// Gauges for `/metrics`: jobs per state, the oldest due job's wait, the scheduler's last tick.
pub async fn figures(state: &AppState) -> Result<Vec<(&'static str, &'static str, f64)>> {
    let now = now_ms();
    let mut db = state.store.conn().await?;
    let (counts, oldest_ms) = store::queue_figures(&mut db, now).await?;
    let count = |s: &str| {
        counts
            .iter()
            .find(|(state, _)| state == s)
            .map_or(0, |(_, n)| *n) as f64
    };
    let last_tick = state.jobs.last_tick_ms.load(Ordering::Relaxed);
    Ok(vec![
        (
            "setu_jobs_queued",
            "Jobs waiting to run (due or not).",
            count("queued"),
        ),
        ("setu_jobs_running", "Jobs under a lease.", count("running")),
        (
            "setu_jobs_failed",
            "Jobs that spent their attempts and wait for staff.",
            count("failed"),
        ),
        (
            "setu_jobs_oldest_due_seconds",
            "How long the oldest due job has waited.",
            oldest_ms as f64 / 1000.0,
        ),
        (
            "setu_jobs_scheduler_tick_age_seconds",
            "Seconds since this replica's scheduler last ticked (0: not running here).",
            if last_tick > 0 {
                (now - last_tick) as f64 / 1000.0
            } else {
                0.0
            },
        ),
    ])
}
