//! Setu edge agent: talks the RouterOS API to one router and converges it to a desired state.
//!
//! Layout:
//! - [`routeros`]: the RouterOS API client (the only module that speaks to the router).
//! - [`desired`]: reads a desired-state document into the planner's model.
//! - [`reconcile`]: one pass of read → plan (`provisioning`) → apply.
//! - [`status`]: the technicians' status page and `/status.json`.
//! - [`config`]: the agent's configuration file.
//! - [`backoff`]: jittered reconnect delays.
//!
//! [`run`] is the long-running agent; `main.rs` only parses the command line.

pub mod backoff;
pub mod config;
pub mod desired;
pub mod reconcile;
pub mod routeros;
pub mod status;

use backoff::Backoff;
use config::AgentConfig;
use reconcile::{ReconcileError, ReconcileOptions};
use routeros::Client;
use status::StatusBoard;
use std::future::Future;
use std::path::Path;
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::time::Instant;

/// How often the desired-state file is checked for changes.
const FILE_POLL: Duration = Duration::from_millis(250);

/// Runs the agent until `shutdown` completes: serves the status page on `status_listener` and
/// reconciles the router every `reconcile.interval_secs` and whenever the desired file changes.
pub async fn run(
    config: AgentConfig,
    status_listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let board = StatusBoard::new(&config.router.address);
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let http = {
        let mut stop = stop_rx.clone();
        let app = status::router(board.clone());
        tokio::spawn(async move {
            axum::serve(status_listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        })
    };
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    let mut agent = Agent::new(config, board);
    let mut next_pass = Instant::now();
    let mut file_stamp = None;
    loop {
        let changed = stamp(&agent.config.desired.file);
        if changed != file_stamp {
            file_stamp = changed;
            next_pass = Instant::now();
        }
        if Instant::now() >= next_pass {
            next_pass = Instant::now() + agent.pass().await;
        }
        let wake = next_pass.min(Instant::now() + FILE_POLL);
        tokio::select! {
            _ = stop_rx.wait_for(|s| *s) => break,
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
    if let Some(client) = agent.client.take() {
        client.quit().await;
    }
    http.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

/// Modification time and size: cheap change detection without a file-watch dependency.
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

struct Agent {
    config: AgentConfig,
    board: StatusBoard,
    client: Option<Client>,
    backoff: Backoff,
}

impl Agent {
    fn new(config: AgentConfig, board: StatusBoard) -> Self {
        Agent {
            config,
            board,
            client: None,
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
        }
    }

    /// One pass; returns the delay until the next one.
    async fn pass(&mut self) -> Duration {
        let interval = Duration::from_secs(self.config.reconcile.interval_secs.max(1));
        let (version, desired) = match desired::load_file(&self.config.desired.file) {
            Ok(loaded) => loaded,
            Err(e) => {
                // A broken file changes nothing on the router; the next edit triggers a pass.
                self.board.reconcile_failed(0, "failed", &e.to_string());
                tracing::error!(error = %e, "desired state not loaded");
                return interval;
            }
        };
        let client = match self.connected_client().await {
            Ok(client) => client,
            Err(e) => {
                self.board.router_unreachable(&e);
                tracing::warn!(error = %e, "router unreachable");
                return self.backoff.next_delay();
            }
        };
        let options = ReconcileOptions {
            policy: self.config.policy().expect("validated when loaded"),
            dry_run: self.config.reconcile.dry_run,
            window: self.config.reconcile.window,
        };
        match reconcile::reconcile(&client, &desired, &options).await {
            Ok(outcome) => {
                tracing::info!(
                    ops = outcome.plan.ops.len(),
                    applied = outcome.applied,
                    failures = outcome.failures.len(),
                    ms = outcome.duration.as_millis() as u64,
                    "reconciled"
                );
                self.board.reconciled(version, &outcome);
                interval
            }
            Err(ReconcileError::Refused(refusal)) => {
                tracing::error!(%refusal, "plan refused by a guard rail");
                self.board
                    .reconcile_failed(version, "refused", &refusal.to_string());
                interval
            }
            Err(e) => {
                tracing::warn!(error = %e, "reconcile failed");
                if let ReconcileError::Router(router_error) = &e {
                    if router_error.is_connection_lost() {
                        self.client = None;
                        self.board.router_unreachable(&router_error.to_string());
                        return self.backoff.next_delay();
                    }
                }
                self.board
                    .reconcile_failed(version, "failed", &e.to_string());
                interval
            }
        }
    }

    async fn connected_client(&mut self) -> Result<Client, String> {
        if let Some(client) = self.client.as_ref().filter(|c| !c.is_closed()) {
            return Ok(client.clone());
        }
        let options = self.config.connect_options().map_err(|e| e.to_string())?;
        let client = Client::connect(options).await.map_err(|e| e.to_string())?;
        self.backoff.reset();
        self.board.router_connected(client.capabilities());
        self.client = Some(client.clone());
        Ok(client)
    }
}
