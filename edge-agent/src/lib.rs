//! Setu edge agent: talks the RouterOS API to one router and converges it to a desired state.
//!
//! Layout:
//! - [`routeros`]: the RouterOS API client (the only module that speaks to the router).
//! - [`desired`]: reads a desired-state document into the planner's model.
//! - [`reconcile`]: one pass of read → plan (`provisioning`) → apply.
//! - [`status`]: the technicians' status page and `/status.json`.
//! - [`config`]: the agent's configuration file.
//! - [`backoff`]: jittered reconnect delays.
//! - [`outbox`]: the durable on-disk outbox holding uplinks until the controller acks them.
//! - [`link`]: enrollment and the MQTT link to the controller (uplinks, acks, desired, commands).
//!
//! [`run`] is the long-running agent; `main.rs` only parses the command line.

pub mod backoff;
pub mod config;
pub mod desired;
pub mod link;
pub mod managed;
pub mod outbox;
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
/// How soon a desired state the controller could not deliver is fetched again.
const FETCH_RETRY: Duration = Duration::from_secs(5);

/// Runs the agent until `shutdown` completes: serves the status page on `status_listener` and
/// reconciles the router every `reconcile.interval_secs`, whenever the desired file changes or
/// (managed by a controller) whenever a new desired state or a command arrives.
pub async fn run(
    config: AgentConfig,
    status_listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let board = StatusBoard::new(&config.router.address);
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let managed = match &config.controller {
        Some(controller) => {
            let managed = managed::Managed::start(controller, stop_rx.clone())
                .map_err(std::io::Error::other)?;
            board.link(managed.uplinks.status());
            Some(managed)
        }
        None => None,
    };
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

    let mut agent = Agent::new(config, board, managed);
    let mut next_pass = Instant::now();
    let mut next_events = Instant::now();
    let mut next_telemetry = Instant::now();
    let mut file_stamp = None;
    loop {
        if let Some(file) = agent.config.desired.as_ref().map(|d| d.file.clone()) {
            let changed = stamp(&file);
            if changed != file_stamp {
                file_stamp = changed;
                next_pass = Instant::now();
            }
        }
        if agent.managed.is_some() {
            if agent.retry_fetch().await {
                next_pass = Instant::now();
            }
            if Instant::now() >= next_events {
                next_events = Instant::now() + agent.watch_sessions().await;
            }
            if Instant::now() >= next_telemetry {
                next_telemetry = Instant::now() + agent.telemetry().await;
            }
        }
        if Instant::now() >= next_pass {
            next_pass = Instant::now() + agent.pass().await;
        }
        let mut wake = next_pass.min(Instant::now() + FILE_POLL);
        if agent.managed.is_some() {
            wake = wake.min(next_events).min(next_telemetry);
        }
        let down = async {
            match agent.managed.as_mut() {
                Some(m) => m.downs.recv().await,
                None => std::future::pending().await,
            }
        };
        // The guard `wait_for` returns is not `Send`: drop it inside, before another branch awaits.
        let stopping = async {
            let _ = stop_rx.wait_for(|s| *s).await;
        };
        tokio::select! {
            _ = stopping => break,
            _ = tokio::time::sleep_until(wake) => {}
            Some(down) = down => {
                if agent.handle_down(down).await {
                    next_pass = Instant::now();
                }
            }
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
    managed: Option<managed::Managed>,
    fetch_backoff: Option<Instant>,
}

impl Agent {
    fn new(config: AgentConfig, board: StatusBoard, managed: Option<managed::Managed>) -> Self {
        Agent {
            config,
            board,
            client: None,
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
            managed,
            fetch_backoff: None,
        }
    }

    /// The desired state to converge to, from the file or the controller.
    fn desired(&self) -> Result<(u64, provisioning::Desired), String> {
        if let Some(managed) = &self.managed {
            return managed
                .current
                .clone()
                .ok_or_else(|| "no desired state from the controller yet".to_owned());
        }
        let file = &self
            .config
            .desired
            .as_ref()
            .expect("validated: file or controller")
            .file;
        desired::load_file(file).map_err(|e| e.to_string())
    }

    /// One pass; returns the delay until the next one.
    async fn pass(&mut self) -> Duration {
        let interval = Duration::from_secs(self.config.reconcile.interval_secs.max(1));
        let (version, desired) = match self.desired() {
            Ok(loaded) => loaded,
            Err(e) => {
                // Nothing to converge to: the router is left as it is.
                self.board.reconcile_failed(0, "failed", &e);
                if self.managed.is_some() {
                    tracing::info!(error = %e, "waiting for the controller's desired state");
                } else {
                    tracing::warn!(error = %e, "desired state not available");
                }
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
                let drift = self.board.snapshot().drift;
                if let Some(managed) = &mut self.managed {
                    managed.report(version, Ok(&outcome), &drift);
                }
                interval
            }
            Err(ReconcileError::Refused(refusal)) => {
                tracing::error!(%refusal, "plan refused by a guard rail");
                self.board
                    .reconcile_failed(version, "refused", &refusal.to_string());
                if let Some(managed) = &mut self.managed {
                    managed.report(version, Err(refusal.to_string()), &[]);
                }
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
        if let Some(managed) = &self.managed {
            managed.router_known(client.capabilities());
        }
        self.client = Some(client.clone());
        Ok(client)
    }

    /// Fetches a desired state announced earlier that could not be fetched; true when a new one
    /// is in hand.
    async fn retry_fetch(&mut self) -> bool {
        let due = self.fetch_backoff.is_none_or(|at| Instant::now() >= at);
        let Some(managed) = self.managed.as_mut() else {
            return false;
        };
        let Some(notice) = managed.pending.clone().filter(|_| due) else {
            return false;
        };
        match managed.fetch(&notice).await {
            Ok(()) => {
                managed.pending = None;
                self.fetch_backoff = None;
                self.board.event(
                    "info",
                    format!("desired state version {} received", notice.version),
                );
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, version = notice.version, "desired state not fetched");
                self.board.event(
                    "warn",
                    format!("desired state version {}: {e}", notice.version),
                );
                self.fetch_backoff = Some(Instant::now() + FETCH_RETRY);
                false
            }
        }
    }

    /// A message from the controller; true when a pass should run now.
    async fn handle_down(&mut self, down: link::Down) -> bool {
        use protocol::fleet::{CommandAction, CommandState};
        match down {
            link::Down::Desired(notice) => {
                let Some(managed) = self.managed.as_mut() else {
                    return false;
                };
                if notice.version <= managed.current_version() && managed.current_version() > 0 {
                    return false;
                }
                managed.pending = Some(notice);
                self.fetch_backoff = None;
                self.retry_fetch().await
            }
            link::Down::Command(command) => {
                let id = command.id.clone();
                let result = match &command.action {
                    CommandAction::Resync => {
                        self.pass().await;
                        Ok("reconciled".to_owned())
                    }
                    CommandAction::Rebirth => {
                        if let Some(managed) = &self.managed {
                            managed.push(managed.birth_message());
                        }
                        Ok("birth sent; unacknowledged uplinks resent".to_owned())
                    }
                    CommandAction::Kick { service, user } => match self.connected_client().await {
                        Ok(client) => match self.managed.as_ref() {
                            Some(managed) => managed
                                .kick(&client, *service, user)
                                .await
                                .map(|n| format!("{n} session(s) ended"))
                                .map_err(|e| e.to_string()),
                            None => Err("not managed".into()),
                        },
                        Err(e) => Err(e),
                    },
                    CommandAction::Diagnostics => {
                        let snapshot = self.board.snapshot();
                        let outbox = self.managed.as_ref().map(|m| m.uplinks.outbox_stats());
                        Ok(serde_json::json!({
                            "router_reachable": snapshot.router_reachable,
                            "router": snapshot.router,
                            "last_router_error": snapshot.last_router_error,
                            "managed_entries": snapshot.managed_entries,
                            "outbox": outbox,
                        })
                        .to_string())
                    }
                    CommandAction::Unsupported => Err("rejected".to_owned()),
                };
                if let Some(managed) = &self.managed {
                    match (&command.action, result) {
                        (CommandAction::Unsupported, _) => managed.command_result(
                            &id,
                            CommandState::Rejected,
                            "this agent does not know that action",
                        ),
                        (_, Ok(detail)) => {
                            managed.command_result(&id, CommandState::Succeeded, detail)
                        }
                        (action, Err(e)) => managed.command_result(
                            &id,
                            CommandState::Failed,
                            format!("{}: {e}", managed::describe(action)),
                        ),
                    }
                }
                false
            }
        }
    }

    /// Checks logins and logouts; returns the delay until the next look.
    async fn watch_sessions(&mut self) -> Duration {
        let interval = Duration::from_secs(
            self.config
                .controller
                .as_ref()
                .map_or(2, |c| c.events_interval_secs.max(1)),
        );
        let Ok(client) = self.connected_client().await else {
            return interval;
        };
        if let Some(managed) = self.managed.as_mut() {
            if let Err(e) = managed.watch_sessions(&client).await {
                tracing::warn!(error = %e, "active sessions not read");
                if e.is_connection_lost() {
                    self.client = None;
                }
            }
        }
        interval
    }

    async fn telemetry(&mut self) -> Duration {
        let interval = Duration::from_secs(
            self.config
                .controller
                .as_ref()
                .map_or(60, |c| c.telemetry_interval_secs.max(1)),
        );
        let Ok(client) = self.connected_client().await else {
            return interval;
        };
        if let Some(managed) = &self.managed {
            if let Err(e) = managed.telemetry(&client).await {
                tracing::warn!(error = %e, "telemetry not read");
            }
        }
        interval
    }
}
