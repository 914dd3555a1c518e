//! What a domain declares to have work done in the background: a [`JobKind`] (what runs a job)
//! and a [`Schedule`] (when one is enqueued by itself). The queue, the scheduler and the workers
//! are the `jobs` domain.

use super::ids::{CompanyId, JobId};
use crate::AppState;
use futures_util::future::BoxFuture;
use serde::Serialize;

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Job {
    pub id: JobId,
    pub company_id: Option<CompanyId>,
    pub kind: String,
    pub dedupe_key: String,
    /// JSON, as the handler wants it.
    pub payload: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub run_after: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    #[serde(skip)]
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub last_error: String,
    pub progress: String,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

/// A job to add.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub company: Option<CompanyId>,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub run_after: i64,
}

/// What runs a job of one kind. It returns an error to have the job tried again later (with
/// backoff) until `max_attempts`, then it is marked failed for staff to see and retry.
pub type Handler = fn(AppState, Job) -> BoxFuture<'static, anyhow::Result<()>>;

/// A kind of job a domain runs.
#[derive(Debug)]
pub struct JobKind {
    pub kind: &'static str,
    pub run: Handler,
    pub max_attempts: i64,
}

/// Recurring work: the scheduler enqueues a job of `kind` once per slot.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub kind: &'static str,
    pub every: Every,
}

/// How often a [`Schedule`] fires, in Dhaka time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// Every `n` minutes, on multiples of `n` since midnight.
    Minutes(u32),
    /// Once a day, at this Dhaka wall-clock time (the job of a day missed while the controller
    /// was down runs when it comes back that day).
    DailyAt { hour: i8, minute: i8 },
}

impl Every {
    /// The slot `now_ms` falls in, as the job's dedupe key (`2026-12-01T09:00` or `2026-12-01`),
    /// or `None` before today's time of a daily schedule.
    pub fn slot(self, now_ms: i64) -> Option<String> {
        let now = crate::kernel::date::dhaka_datetime(now_ms);
        let date = now.date();
        match self {
            Every::Minutes(n) => {
                let n = i32::try_from(n.max(1)).unwrap_or(i32::MAX);
                let minute_of_day = i32::from(now.hour()) * 60 + i32::from(now.minute());
                let start = minute_of_day - minute_of_day % n;
                Some(format!("{date}T{:02}:{:02}", start / 60, start % 60))
            }
            Every::DailyAt { hour, minute } => {
                ((now.hour(), now.minute()) >= (hour, minute)).then(|| date.to_string())
            }
        }
    }
}

/// Every job kind the application's domains declare.
pub fn kinds() -> impl Iterator<Item = &'static JobKind> {
    crate::DOMAINS.iter().flat_map(|d| d.jobs.iter())
}

pub fn kind(name: &str) -> Option<&'static JobKind> {
    kinds().find(|k| k.kind == name)
}

#[cfg(test)]
mod tests {
    use super::Every;
    use crate::kernel::date::dhaka_ms;

    fn at(text: &str) -> i64 {
        dhaka_ms(text.parse().unwrap())
    }

    #[test]
    fn slots_follow_dhaka_time() {
        let hourly = Every::Minutes(60);
        assert_eq!(
            hourly.slot(at("2026-12-01T09:59:59")).as_deref(),
            Some("2026-12-01T09:00")
        );
        assert_eq!(
            hourly.slot(at("2026-12-01T10:00")).as_deref(),
            Some("2026-12-01T10:00")
        );
        // 23:30 UTC on 30 November is already 1 December in Dhaka.
        let utc = jiff::Timestamp::from_second(1_796_081_400).unwrap(); // 2026-11-30T23:30Z
        assert_eq!(
            Every::Minutes(15).slot(utc.as_millisecond()).as_deref(),
            Some("2026-12-01T05:30")
        );
        let daily = Every::DailyAt { hour: 0, minute: 5 };
        assert_eq!(daily.slot(at("2026-12-01T00:04")), None);
        assert_eq!(
            daily.slot(at("2026-12-01T00:05")).as_deref(),
            Some("2026-12-01")
        );
        assert_eq!(
            daily.slot(at("2026-12-01T23:59")).as_deref(),
            Some("2026-12-01")
        );
    }
}
