//! The scheduler and the workers of this replica.
//!
//! The scheduler looks at the clock every `jobs.tick_secs` and enqueues each [`Schedule`]'s
//! current slot (the dedupe key makes the second replica's tick a no-op). Each worker claims the
//! oldest due job, runs its handler while renewing the lease, and records the outcome: done, or
//! queued again after a growing pause, or failed once `max_attempts` are spent. A handler that
//! panics counts as failed. A replica that dies mid-job leaves a lease that expires; another
//! worker then runs the job again, so handlers are idempotent.
//!
//! [`Schedule`]: super::Schedule

use super::store;
use crate::kernel::db::now_ms;
use crate::kernel::jobs::{Job, JobKind, NewJob};
use crate::AppState;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What this replica's scheduler and workers share with the rest of the application.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// Woken when this replica enqueues a job, so an idle worker need not wait for its poll.
    pub wake: Arc<Notify>,
    /// This replica's name; its workers lease jobs as `<owner>/<n>`.
    pub owner: Arc<str>,
    /// When the scheduler last ticked (UTC ms; 0 before the first tick or when it is off).
    pub last_tick_ms: Arc<AtomicI64>,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            wake: Arc::default(),
            owner: format!(
                "{}-{}",
                std::process::id(),
                &crate::kernel::random::token()[..8]
            )
            .into(),
            last_tick_ms: Arc::default(),
        }
    }
}

/// Starts the scheduler (when `jobs.scheduler`) and `jobs.workers` workers, each supervised.
pub fn start(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if state.config.jobs.scheduler {
        tasks.push(crate::supervise(state.metrics.clone(), "jobs.scheduler", {
            let state = state.clone();
            move || scheduler(state.clone())
        }));
    }
    for n in 0..state.config.jobs.workers {
        let owner: Arc<str> = format!("{}/{n}", state.jobs.owner).into();
        tasks.push(crate::supervise(state.metrics.clone(), "jobs.worker", {
            let state = state.clone();
            move || worker(state.clone(), owner.clone())
        }));
    }
    tasks
}

async fn scheduler(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(state.config.jobs.tick_secs.max(1)));
    loop {
        tick.tick().await;
        let now = now_ms();
        match enqueue_due(&state, now).await {
            Ok(_) => state.jobs.last_tick_ms.store(now, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "scheduler tick failed"),
        }
    }
}

/// Enqueues the current slot of every schedule as it stands at `now` (a Dhaka wall-clock
/// instant in UTC ms); returns how many jobs were new.
pub async fn enqueue_due(state: &AppState, now: i64) -> anyhow::Result<usize> {
    let mut db = state.store.conn().await?;
    let mut added = 0;
    for domain in crate::DOMAINS {
        for schedule in domain.schedules {
            let Some(slot) = schedule.every.slot(now) else {
                continue;
            };
            let job = NewJob {
                kind: schedule.kind,
                company: None,
                dedupe_key: slot,
                payload: serde_json::json!({}),
                run_after: now,
            };
            if super::service::enqueue_in(&mut db, &job).await?.is_some() {
                added += 1;
            }
        }
    }
    if added > 0 {
        state.jobs.wake.notify_waiters();
    }
    Ok(added)
}

async fn worker(state: AppState, owner: Arc<str>) {
    let poll = Duration::from_millis(state.config.jobs.poll_ms.max(10));
    loop {
        // Register for a wake-up before looking, so an enqueue in between is not missed.
        let woken = state.jobs.wake.notified();
        match run_one(&state, &owner).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "job queue unreachable"),
        }
        let _ = tokio::time::timeout(poll, woken).await;
    }
}

/// Claims and runs one due job as `owner` (a worker's name in leases); `false` when none was due.
pub async fn run_one(state: &AppState, owner: &str) -> anyhow::Result<bool> {
    let lease_ms = state.config.jobs.lease_secs.max(1) * 1000;
    let Some(job) = store::claim(&state.store, owner, lease_ms, now_ms()).await? else {
        return Ok(false);
    };
    let started = Instant::now();
    let kind = job.kind.clone();
    let outcome = if job.attempts > job.max_attempts {
        // Claimed again after its lease expired too often: a handler that kills the process.
        Err(format!("gave up after {} attempts", job.max_attempts))
    } else {
        match crate::kernel::jobs::kind(&kind) {
            None => Err(format!("no handler for job kind {kind}")),
            Some(handler) => run_leased(state, &job, owner, handler, lease_ms).await,
        }
    };
    let now = now_ms();
    let mut db = state.store.conn().await?;
    let (kept, label) = match &outcome {
        Ok(()) => (store::finish(&mut db, job.id, owner, now).await?, "done"),
        Err(error) => {
            let retry_at =
                (job.attempts < job.max_attempts).then(|| now + backoff_ms(job.attempts));
            tracing::warn!(job = %job.id, kind, attempts = job.attempts, error, "job failed");
            let label = if retry_at.is_some() {
                "retried"
            } else {
                "failed"
            };
            (
                store::fail(&mut db, job.id, owner, error, retry_at, now).await?,
                label,
            )
        }
    };
    if !kept {
        tracing::warn!(job = %job.id, kind, "the job's lease was lost while it ran");
    }
    state
        .metrics
        .job_finished(&kind, label, started.elapsed().as_secs_f64());
    Ok(true)
}

/// Runs the handler in its own task (a panic is an error, not a dead worker) and renews the
/// lease every third of its length until the handler ends.
async fn run_leased(
    state: &AppState,
    job: &Job,
    owner: &str,
    handler: &JobKind,
    lease_ms: i64,
) -> Result<(), String> {
    let mut task = tokio::spawn((handler.run)(state.clone(), job.clone()));
    let mut renew = tokio::time::interval(Duration::from_millis((lease_ms / 3).max(1) as u64));
    renew.tick().await;
    loop {
        tokio::select! {
            result = &mut task => {
                return match result {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(format!("{e:#}")),
                    Err(e) if e.is_panic() => Err("the handler panicked".to_owned()),
                    Err(e) => Err(e.to_string()),
                };
            }
            _ = renew.tick() => {
                let renewed = match state.store.conn().await {
                    Ok(mut db) => store::renew(&mut db, job.id, owner, now_ms() + lease_ms).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = renewed {
                    tracing::warn!(job = %job.id, error = %e, "lease not renewed");
                }
            }
        }
    }
}

/// 30 s after the first failure, doubling, at most an hour.
fn backoff_ms(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    (30_000 * 2i64.pow(exponent)).min(3_600_000)
}

/// Records the handler's progress for the jobs page (`"4,000 of 20,000 subscriptions"`).
pub async fn progress(state: &AppState, job: &Job, text: &str) {
    let owner = job.lease_owner.as_deref().unwrap_or_default();
    let result = match state.store.conn().await {
        Ok(mut db) => store::set_progress(&mut db, job.id, owner, text).await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::debug!(job = %job.id, error = %e, "progress not recorded");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        let waits: Vec<i64> = (1..=10).map(super::backoff_ms).collect();
        assert_eq!(&waits[..4], &[30_000, 60_000, 120_000, 240_000]);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), 3_600_000);
    }
}
