//! The job queue: one run per job across replicas, leases that outlive a crash, failures with
//! backoff and a retry button, schedules enqueued once per slot, and what `/metrics` and
//! `/readyz` say about it.

use crate::helpers::{company, spawn_with, test_config, Client, TestApp};
use controller::jobs::{service, store, worker, NewJob};
use controller::kernel::db::now_ms;
use std::sync::atomic::Ordering;

/// An app whose own scheduler and workers are off, so the test drives the queue.
async fn quiet_app() -> TestApp {
    let mut config = test_config();
    config.jobs.workers = 0;
    config.jobs.scheduler = false;
    config.http.metrics_token = METRICS_TOKEN.into();
    spawn_with(config).await
}

const METRICS_TOKEN: &str = "jobs-test-metrics-token";

fn housekeeping(key: &str) -> NewJob {
    NewJob {
        kind: "housekeeping",
        company: None,
        dedupe_key: key.to_owned(),
        payload: serde_json::json!({}),
        run_after: now_ms(),
    }
}

async fn job(app: &TestApp, id: controller::kernel::ids::JobId) -> controller::jobs::Job {
    let mut db = app.store.conn().await.unwrap();
    let rows: Vec<controller::jobs::Job> = sqlx::query_as(
        "SELECT id, company_id, kind, dedupe_key, payload, state, run_after, attempts, max_attempts,
                lease_owner, lease_until, last_error, progress, created_at, started_at, finished_at
         FROM jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_all(&mut *db)
    .await
    .unwrap();
    rows.into_iter().next().expect("the job exists")
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let mut db = app.store.conn().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut *db)
        .await
        .unwrap();
    n
}

/// Two replicas drain one queue at the same time: every job ends done, each claimed exactly
/// once. A second enqueue of a key is a no-op.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_run_each_job_once() {
    let app = quiet_app().await;
    let mut db = app.store.conn().await.unwrap();
    for n in 0..40 {
        let key = format!("drain-{n}");
        assert!(service::enqueue_in(&mut db, &housekeeping(&key))
            .await
            .unwrap()
            .is_some());
        assert!(
            service::enqueue_in(&mut db, &housekeeping(&key))
                .await
                .unwrap()
                .is_none(),
            "the same key again is no second job"
        );
    }
    drop(db);
    let replica = controller::state(app.state.config.as_ref().clone(), app.store.clone())
        .await
        .unwrap();
    let drain = |state: controller::AppState, owner: &'static str| async move {
        let mut ran = 0;
        while worker::run_one(&state, owner).await.unwrap() {
            ran += 1;
        }
        ran
    };
    let (a, b) = tokio::join!(
        tokio::spawn(drain(app.state.clone(), "replica-a/0")),
        tokio::spawn(drain(replica, "replica-b/0"))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 40, "every job ran once: {a} + {b}");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 1"
        )
        .await,
        40
    );
}

/// A replica that dies holding a job leaves a lease that expires; another worker then runs the
/// job, and the dead one's late answer changes nothing.
#[tokio::test]
async fn a_crashed_replicas_job_is_taken_over_once_its_lease_expires() {
    let app = quiet_app().await;
    let mut db = app.store.conn().await.unwrap();
    let id = service::enqueue_in(&mut db, &housekeeping("crash"))
        .await
        .unwrap()
        .unwrap();
    // The replica that "dies" holding the job.
    let claimed = store::claim(&app.store, "dead/0", 60_000, now_ms())
        .await
        .unwrap();
    assert_eq!(claimed.map(|j| j.id), Some(id));
    assert!(
        !worker::run_one(&app.state, "alive/0").await.unwrap(),
        "a live lease is not taken"
    );
    // Its lease runs out.
    sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2")
        .bind(now_ms() - 1)
        .bind(id)
        .execute(&mut *db)
        .await
        .unwrap();
    assert!(worker::run_one(&app.state, "alive/0").await.unwrap());
    let done = job(&app, id).await;
    assert_eq!(done.state, "done");
    assert_eq!(
        done.attempts, 2,
        "claimed twice: by the dead replica and the live one"
    );
    assert!(
        !store::finish(&mut db, id, "dead/0", now_ms())
            .await
            .unwrap(),
        "the dead replica's late finish is refused"
    );
}

/// A job whose handler fails is queued again with backoff and its error; once its attempts are
/// spent it fails for good, `/metrics` counts it, the jobs page shows it with the error, and a
/// manager's retry (audited) queues it again with fresh attempts.
#[tokio::test]
async fn failures_back_off_then_fail_and_staff_retry_them() {
    let app = quiet_app().await;
    let c = company(
        &app,
        "Padma",
        &[("owner1", "owner"), ("support1", "support")],
    )
    .await;
    // A kind this build has no handler for (as a newer replica might enqueue).
    let mut db = app.store.conn().await.unwrap();
    sqlx::query(
        "INSERT INTO jobs (company_id, kind, dedupe_key, payload, run_after, max_attempts, created_at)
         VALUES ($1, 'from.the.future', 'k1', '{}', $2, 2, $2)",
    )
    .bind(c.scope.company())
    .bind(now_ms())
    .execute(&mut *db)
    .await
    .unwrap();
    let (id,): (controller::kernel::ids::JobId,) =
        sqlx::query_as("SELECT id FROM jobs WHERE kind = 'from.the.future'")
            .fetch_one(&mut *db)
            .await
            .unwrap();
    let before = now_ms();
    assert!(worker::run_one(&app.state, "w/0").await.unwrap());
    let first = job(&app, id).await;
    assert_eq!(first.state, "queued");
    assert_eq!(first.attempts, 1);
    assert!(
        first.last_error.contains("no handler"),
        "{}",
        first.last_error
    );
    assert!(
        first.run_after >= before + 30_000,
        "backs off at least 30 s: {}",
        first.run_after - before
    );
    assert!(
        !worker::run_one(&app.state, "w/0").await.unwrap(),
        "not due again yet"
    );
    sqlx::query("UPDATE jobs SET run_after = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *db)
        .await
        .unwrap();
    assert!(worker::run_one(&app.state, "w/0").await.unwrap());
    let failed = job(&app, id).await;
    assert_eq!(failed.state, "failed", "two attempts spent");
    assert_eq!(failed.attempts, 2);

    let metrics = Client::new(&app)
        .bearer("GET", "/metrics", METRICS_TOKEN, "")
        .await;
    assert_eq!(metrics.status, 200);
    for line in [
        "setu_jobs_failed 1",
        "setu_job_runs_total{kind=\"from.the.future\",outcome=\"retried\"} 1",
        "setu_job_runs_total{kind=\"from.the.future\",outcome=\"failed\"} 1",
    ] {
        assert!(metrics.body.contains(line), "{line} in {}", metrics.body);
    }

    // Support staff do not see jobs; the owner sees the failure and retries it.
    let mut support = Client::login_as(&app, "support1").await;
    assert_eq!(support.get("/jobs").await.status, 403);
    let mut owner = Client::login_as(&app, "owner1").await;
    let page = owner.get("/jobs").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("from.the.future"), "{}", page.body);
    assert!(page.body.contains("no handler for job kind"));
    let r = owner
        .json("POST", &format!("/api/v1/jobs/{id}/retry"), "")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "queued");
    assert_eq!(r.json()["attempts"], 0);
    let again = owner
        .json("POST", &format!("/api/v1/jobs/{id}/retry"), "")
        .await;
    assert_eq!(again.status, 422, "only a failed job: {}", again.body);
    let audit = owner.get("/api/v1/audit?action=job.retry").await;
    assert_eq!(audit.json()["items"].as_array().unwrap().len(), 1);
    assert!(app.audit_intact().await);
}

/// The scheduler enqueues each slot once, however many replicas tick; the housekeeping job it
/// enqueues runs and clears what is due.
#[tokio::test]
async fn schedules_enqueue_one_job_per_slot_across_replicas() {
    let app = quiet_app().await;
    let replica = controller::state(app.state.config.as_ref().clone(), app.store.clone())
        .await
        .unwrap();
    let now = now_ms();
    let first = worker::enqueue_due(&app.state, now).await.unwrap();
    assert!(first >= 1, "housekeeping's slot is enqueued");
    assert_eq!(worker::enqueue_due(&replica, now).await.unwrap(), 0);
    assert_eq!(
        worker::enqueue_due(&app.state, now + 1000).await.unwrap(),
        0
    );
    assert_eq!(
        worker::enqueue_due(&app.state, now + 3_600_000)
            .await
            .unwrap(),
        1,
        "the next hour is a new slot"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'housekeeping'"
        )
        .await,
        2
    );
    while worker::run_one(&app.state, "w/0").await.unwrap() {}
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'housekeeping' AND state = 'done'"
        )
        .await,
        1,
        "the current slot ran; the next hour's is not due yet"
    );
}

/// `/readyz` says so when a due job waits too long (no worker anywhere takes it) or this
/// replica's scheduler stops ticking.
#[tokio::test]
async fn readiness_reports_a_stalled_queue_or_scheduler() {
    let app = quiet_app().await;
    let mut c = Client::new(&app);
    assert_eq!(c.get("/readyz").await.status, 200);
    let mut db = app.store.conn().await.unwrap();
    let mut stale = housekeeping("long-ago");
    stale.run_after = now_ms() - 2 * 3_600_000;
    service::enqueue_in(&mut db, &stale).await.unwrap();
    let r = c.get("/readyz").await;
    assert_eq!(r.status, 503);
    assert!(r.body.contains("job queue stalled"), "{}", r.body);
    while worker::run_one(&app.state, "w/0").await.unwrap() {}
    assert_eq!(c.get("/readyz").await.status, 200);

    // A scheduler that ticks once at start and then (as far as this test lasts) never again.
    let mut config = test_config();
    config.jobs.workers = 0;
    config.jobs.tick_secs = 3600;
    config.jobs.scheduler = true;
    let ticking = spawn_with(config).await;
    let mut c = Client::new(&ticking);
    let last_tick = &ticking.state.jobs.last_tick_ms;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while last_tick.load(Ordering::Relaxed) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the scheduler never ticked"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(c.get("/readyz").await.status, 200);
    // As if its last tick were three intervals ago: it has hung.
    last_tick.store(now_ms() - 3 * 3_600_000 - 1000, Ordering::Relaxed);
    let r = c.get("/readyz").await;
    assert_eq!(r.status, 503);
    assert!(r.body.contains("scheduler stalled"), "{}", r.body);
}
