//! The Setu controller: web UI and JSON API for the office.
//!
//! Layout: [`kernel`] is what every domain stands on (database, unit of work, scope and actor,
//! audit, ids, money, dates, validation, messages, permissions, HTTP plumbing). Each domain is
//! one folder with the same few files (`mod.rs`, `store.rs`, `service.rs`, `api.rs`,
//! `pages.rs`) and one line in [`DOMAINS`]: [`tenancy`], [`staff`], [`audit`], [`jobs`],
//! [`fleet`], [`plans`], [`subscribers`]. [`bootstrap`] makes the first admin, companies and demo data;
//! [`config`] reads the configuration.
//!
//! [`run`] serves until `shutdown` completes; `main.rs` only parses the command line.

pub mod audit;
pub mod billing;
pub mod bootstrap;
pub mod config;
pub mod fleet;
pub mod jobs;
pub mod kernel;
pub mod ledger;
pub mod plans;
pub mod staff;
pub mod subscribers;
pub mod subscriptions;
pub mod tenancy;

use config::Config;
use kernel::db::Store;
use kernel::metrics::Metrics;
use kernel::Domain;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Every domain of the application, in the order their routes and messages are joined. A new
/// domain is a new folder and one line here.
pub const DOMAINS: &[Domain] = &[
    kernel::DOMAIN,
    tenancy::DOMAIN,
    staff::DOMAIN,
    audit::DOMAIN,
    jobs::DOMAIN,
    fleet::DOMAIN,
    plans::DOMAIN,
    subscribers::DOMAIN,
    subscriptions::DOMAIN,
    billing::DOMAIN,
    ledger::DOMAIN,
];

/// What every request, job and task of the running controller shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub fleet: fleet::Runtime,
    pub jobs: jobs::worker::Runtime,
    /// The business clock ("today" for billing and subscriptions).
    pub clock: kernel::date::Clock,
    /// Binds the sign-in form's CSRF token to this installation (see `staff::pages`).
    pub login_key: Arc<Vec<u8>>,
}

impl AppState {
    /// An MQTT login was added or revoked: an external Mosquitto's password file follows.
    pub async fn mqtt_logins_changed(&self) {
        if let Err(e) = fleet::broker::sync_mosquitto(&self.config.mqtt, &self.store).await {
            tracing::error!(error = %e, "Mosquitto password file not updated");
        }
    }
}

/// Opens the store (creating the data directory for SQLite) and applies migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database.url.is_empty() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let store = Store::connect(&config.database_url()).await?;
    store.migrate().await?;
    Ok(store)
}

/// The state the application runs with: the broker started (when configured), the fleet's keys
/// and the installation's secrets loaded.
pub async fn state(config: Config, store: Store) -> anyhow::Result<AppState> {
    let mqtt = fleet::broker::start(&config.mqtt, store.clone()).await?;
    Ok(AppState {
        fleet: fleet::Runtime::new(&store, mqtt).await?,
        jobs: jobs::worker::Runtime::default(),
        clock: kernel::date::Clock::default(),
        login_key: Arc::new(kernel::db::app_secret(&store, "login_csrf").await?),
        store,
        config: Arc::new(config),
        metrics: Arc::default(),
    })
}

/// Starts the embedded MQTT broker (when configured), then serves the application on `listener`
/// until `shutdown` completes, and drains requests.
pub async fn run(
    config: Config,
    store: Store,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = state(config, store).await.map_err(std::io::Error::other)?;
    serve(state, listener, shutdown).await
}

/// Serves `state` (made by [`state`]) on `listener` until `shutdown` completes: the HTTP app,
/// the fleet link's tasks, the job scheduler and workers, and the metrics listener.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let mut tasks = Vec::new();
    if let Some(link) = state.fleet.mqtt.clone() {
        tasks.extend(fleet::link::start(&state, link));
    }
    tasks.extend(jobs::worker::start(&state));
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    if !state.config.http.metrics_listen.is_empty() {
        let addr = &state.config.http.metrics_listen;
        let metrics_listener = TcpListener::bind(addr).await?;
        tracing::info!(addr = %metrics_listener.local_addr()?, "metrics listener");
        let app = kernel::http::health::metrics_app(state.clone());
        let timeout = Duration::from_secs(state.config.http.header_read_timeout_secs);
        tasks.push(tokio::spawn(async move {
            let _ = kernel::http::server::serve(metrics_listener, app, timeout, async {
                let _ = metrics_stopped.await;
            })
            .await;
        }));
    }
    let timeout = Duration::from_secs(state.config.http.header_read_timeout_secs);
    let app = kernel::http::app(state);
    let result = kernel::http::server::serve(listener, app, timeout, shutdown).await;
    let _ = stop_metrics.send(());
    for task in tasks {
        task.abort();
    }
    store.close().await;
    result
}

/// Runs `task` for as long as the application runs: when it panics or returns, the restart is
/// counted (`setu_task_restarts_total`), logged, and the task started again after a short,
/// growing pause. Aborting the returned handle stops the task too.
pub fn supervise<F, Fut>(
    metrics: Arc<Metrics>,
    name: &'static str,
    mut task: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    struct AbortOnDrop(tokio::task::JoinHandle<()>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    tokio::spawn(async move {
        let mut pause = Duration::from_millis(100);
        loop {
            let started = Instant::now();
            let mut running = AbortOnDrop(tokio::spawn(task()));
            match (&mut running.0).await {
                Ok(()) => tracing::warn!(task = name, "task stopped; restarting it"),
                Err(e) if e.is_panic() => {
                    tracing::error!(task = name, "task panicked; restarting it")
                }
                Err(_) => return,
            }
            metrics.task_restarted(name);
            if started.elapsed() > Duration::from_secs(60) {
                pause = Duration::from_millis(100);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(10));
        }
    })
}

/// The hourly `housekeeping` job: [`clean_up`].
fn housekeeping(
    state: AppState,
    _job: kernel::jobs::Job,
) -> futures_util::future::BoxFuture<'static, anyhow::Result<()>> {
    Box::pin(async move { clean_up(&state).await.map(|_| ()) })
}

/// One round of clean-up; returns (idempotency keys, sessions, agent message records, finished
/// jobs) removed.
pub async fn clean_up(state: &AppState) -> anyhow::Result<(u64, u64, u64, u64)> {
    let now = kernel::db::now_ms();
    let keys = kernel::http::idempotency::purge_expired(&state.store).await?;
    let mut db = state.store.conn().await?;
    let sessions_cutoff = now - state.config.fleet.session_retention_days * 86_400_000;
    let sessions = fleet::uplinks::purge_sessions(&mut db, sessions_cutoff).await?;
    let messages_cutoff = now - state.config.fleet.agent_message_retention_hours * 3_600_000;
    let messages = fleet::uplinks::purge_acknowledged(&mut db, messages_cutoff).await?;
    let jobs_cutoff = now - state.config.jobs.retention_days * 86_400_000;
    let jobs = jobs::store::purge_finished(&mut db, jobs_cutoff).await?;
    if keys + sessions + messages + jobs > 0 {
        tracing::info!(keys, sessions, messages, jobs, "clean-up removed rows");
    }
    Ok((keys, sessions, messages, jobs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A supervised task that panics is started again, and every restart is counted.
    #[tokio::test]
    async fn a_panicking_task_is_restarted_and_counted() {
        let metrics = Arc::new(Metrics::default());
        let runs = Arc::new(AtomicU32::new(0));
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        let done = Arc::new(std::sync::Mutex::new(Some(done)));
        let task = {
            let (runs, done) = (runs.clone(), done.clone());
            move || {
                let (runs, done) = (runs.clone(), done.clone());
                async move {
                    if runs.fetch_add(1, Ordering::SeqCst) < 2 {
                        panic!("a bug in the task");
                    }
                    if let Some(done) = done.lock().unwrap().take() {
                        let _ = done.send(());
                    }
                    std::future::pending::<()>().await;
                }
            }
        };
        let handle = supervise(metrics.clone(), "test_task", task);
        tokio::time::timeout(Duration::from_secs(10), finished)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert_eq!(metrics.restarts("test_task"), 2);
        assert!(metrics
            .render(&[])
            .contains("setu_task_restarts_total{task=\"test_task\"} 2"));
        handle.abort();
    }
}
