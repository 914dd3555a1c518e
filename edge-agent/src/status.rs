//! What the agent knows about itself and its router, for the technicians' status page.
//!
//! The page and `/status.json` show versions, reachability, the last reconcile and recent events.
//! They never show a password: plan lines are rendered with secrets masked by `provisioning`,
//! and nothing else here carries one.

use crate::reconcile::Outcome;
use crate::routeros::Capabilities;
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// How many recent events are kept; older ones are overwritten.
pub const EVENT_CAPACITY: usize = 64;
/// Most drift lines kept for display.
const DRIFT_LINES: usize = 50;

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at_unix: u64,
    pub level: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReconcileSummary {
    pub at_unix: u64,
    /// `converged`, `applied-with-failures`, `dry-run`, `refused` or `failed`.
    pub result: &'static str,
    pub duration_ms: u64,
    pub desired_version: u64,
    pub adds: usize,
    pub sets: usize,
    pub removes: usize,
    pub kicks: usize,
    pub applied: usize,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusSnapshot {
    pub agent_version: &'static str,
    pub uptime_secs: u64,
    pub router_address: String,
    pub router_reachable: bool,
    pub router: Option<Capabilities>,
    pub last_router_error: Option<String>,
    pub last_reconcile: Option<ReconcileSummary>,
    pub managed_entries: usize,
    /// What still differs from the desired state (plan lines, passwords masked).
    pub drift: Vec<String>,
    pub events: Vec<Event>,
    /// The link to the controller, when managed by one.
    pub controller: Option<LinkSnapshot>,
}

/// The controller link as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkSnapshot {
    pub connected: bool,
    pub outbox_depth: u64,
    pub outbox_bytes: u64,
    /// Seconds since the controller last acknowledged an uplink.
    pub last_ack_secs_ago: Option<u64>,
    pub refused_downlinks: u64,
}

struct Inner {
    router_reachable: bool,
    router: Option<Capabilities>,
    last_router_error: Option<String>,
    last_reconcile: Option<ReconcileSummary>,
    managed_entries: usize,
    drift: Vec<String>,
    events: heapless::HistoryBuffer<Event, EVENT_CAPACITY>,
}

/// Shared between the reconcile loop (writer) and the HTTP handlers (readers).
#[derive(Clone)]
pub struct StatusBoard {
    started: Instant,
    router_address: Arc<str>,
    inner: Arc<Mutex<Inner>>,
    link: Arc<Mutex<Option<Arc<crate::link::LinkStatus>>>>,
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl StatusBoard {
    pub fn new(router_address: &str) -> Self {
        StatusBoard {
            started: Instant::now(),
            router_address: router_address.into(),
            inner: Arc::new(Mutex::new(Inner {
                router_reachable: false,
                router: None,
                last_router_error: None,
                last_reconcile: None,
                managed_entries: 0,
                drift: Vec::new(),
                events: heapless::HistoryBuffer::new(),
            })),
            link: Arc::default(),
        }
    }

    /// Shows the controller link on the page.
    pub fn link(&self, status: Arc<crate::link::LinkStatus>) {
        *self.link.lock().expect("status lock") = Some(status);
    }

    fn link_snapshot(&self) -> Option<LinkSnapshot> {
        use std::sync::atomic::Ordering::Relaxed;
        let link = self.link.lock().expect("status lock").clone()?;
        let last_ack = link.last_ack_ms.load(Relaxed);
        Some(LinkSnapshot {
            connected: link.connected.load(Relaxed),
            outbox_depth: link.outbox_depth.load(Relaxed),
            outbox_bytes: link.outbox_bytes.load(Relaxed),
            last_ack_secs_ago: (last_ack > 0)
                .then(|| (now_unix() * 1000).saturating_sub(last_ack) / 1000),
            refused_downlinks: link.refused_downlinks.load(Relaxed),
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().expect("status lock"))
    }

    pub fn event(&self, level: &'static str, message: impl Into<String>) {
        let event = Event {
            at_unix: now_unix(),
            level,
            message: message.into(),
        };
        self.with(|s| s.events.write(event));
    }

    pub fn router_connected(&self, capabilities: &Capabilities) {
        self.with(|s| {
            s.router_reachable = true;
            s.router = Some(capabilities.clone());
            s.last_router_error = None;
        });
        self.event(
            "info",
            format!(
                "connected to {} (RouterOS {}, {})",
                capabilities.identity, capabilities.version, capabilities.board
            ),
        );
    }

    pub fn router_unreachable(&self, error: &str) {
        let changed = self.with(|s| {
            let changed = s.router_reachable || s.last_router_error.as_deref() != Some(error);
            s.router_reachable = false;
            s.last_router_error = Some(error.to_owned());
            changed
        });
        if changed {
            self.event("error", format!("router unreachable: {error}"));
        }
    }

    pub fn reconciled(&self, desired_version: u64, outcome: &Outcome) {
        let counts = outcome.counts();
        let result = if outcome.dry_run {
            "dry-run"
        } else if outcome.converged() {
            "converged"
        } else {
            "applied-with-failures"
        };
        let summary = ReconcileSummary {
            at_unix: now_unix(),
            result,
            duration_ms: outcome.duration.as_millis() as u64,
            desired_version,
            adds: counts.adds,
            sets: counts.sets,
            removes: counts.removes,
            kicks: counts.kicks,
            applied: outcome.applied,
            errors: outcome.failures.clone(),
        };
        let drift = if outcome.converged() && !outcome.dry_run {
            Vec::new()
        } else {
            outcome
                .plan
                .to_string()
                .lines()
                .take(DRIFT_LINES)
                .map(str::to_owned)
                .collect()
        };
        self.with(|s| {
            s.last_reconcile = Some(summary);
            s.managed_entries = outcome.managed_entries;
            s.drift = drift;
        });
        if !outcome.plan.is_empty() {
            self.event(
                if outcome.failures.is_empty() {
                    "info"
                } else {
                    "error"
                },
                format!(
                    "{result}: {} adds, {} sets, {} removes, {} kicks, {} applied in {} ms",
                    counts.adds,
                    counts.sets,
                    counts.removes,
                    counts.kicks,
                    outcome.applied,
                    outcome.duration.as_millis()
                ),
            );
        }
    }

    pub fn reconcile_failed(&self, desired_version: u64, result: &'static str, error: &str) {
        self.with(|s| {
            s.last_reconcile = Some(ReconcileSummary {
                at_unix: now_unix(),
                result,
                duration_ms: 0,
                desired_version,
                adds: 0,
                sets: 0,
                removes: 0,
                kicks: 0,
                applied: 0,
                errors: vec![error.to_owned()],
            });
        });
        self.event("error", format!("{result}: {error}"));
    }

    pub fn snapshot(&self) -> StatusSnapshot {
        let uptime_secs = self.started.elapsed().as_secs();
        let controller = self.link_snapshot();
        self.with(|s| {
            let mut events: Vec<Event> = s.events.oldest_ordered().cloned().collect();
            events.reverse();
            StatusSnapshot {
                agent_version: env!("CARGO_PKG_VERSION"),
                uptime_secs,
                router_address: self.router_address.to_string(),
                router_reachable: s.router_reachable,
                router: s.router.clone(),
                last_router_error: s.last_router_error.clone(),
                last_reconcile: s.last_reconcile.clone(),
                managed_entries: s.managed_entries,
                drift: s.drift.clone(),
                events,
                controller,
            }
        })
    }
}

/// `/` (HTML for a phone) and `/status.json`.
pub fn router(board: StatusBoard) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/status.json", get(json))
        .with_state(board)
}

async fn json(State(board): State<StatusBoard>) -> Json<StatusSnapshot> {
    Json(board.snapshot())
}

async fn page(State(board): State<StatusBoard>) -> impl IntoResponse {
    Html(render_page(&board.snapshot()))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn ago(at_unix: u64) -> String {
    let secs = now_unix().saturating_sub(at_unix);
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        _ => format!("{} h ago", secs / 3600),
    }
}

fn render_page(s: &StatusSnapshot) -> String {
    let mut rows = String::new();
    let mut row = |k: &str, v: String| {
        rows.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), v))
    };
    row(
        "Agent",
        format!("{} · up {} min", s.agent_version, s.uptime_secs / 60),
    );
    let reach = if s.router_reachable {
        "<b class=ok>reachable</b>"
    } else {
        "<b class=bad>unreachable</b>"
    };
    row("Router", format!("{} · {reach}", escape(&s.router_address)));
    if let Some(r) = &s.router {
        row("Identity", escape(&r.identity));
        row(
            "RouterOS",
            format!(
                "{} · {}{}",
                escape(&r.version),
                escape(&r.board),
                if r.tls { " · API-SSL" } else { "" }
            ),
        );
    }
    if let Some(link) = &s.controller {
        let state = if link.connected {
            "<b class=ok>connected</b>"
        } else {
            "<b class=bad>disconnected</b>"
        };
        let ack = link.last_ack_secs_ago.map_or_else(
            || "no ack yet".to_owned(),
            |s| format!("last ack {s} s ago"),
        );
        row(
            "Controller",
            format!(
                "{state} · outbox {} ({} KiB) · {ack}",
                link.outbox_depth,
                link.outbox_bytes / 1024
            ),
        );
    }
    if let Some(e) = &s.last_router_error {
        row(
            "Last error",
            format!("<span class=bad>{}</span>", escape(e)),
        );
    }
    match &s.last_reconcile {
        Some(r) => {
            let class = if r.result == "converged" { "ok" } else { "bad" };
            row(
                "Last reconcile",
                format!(
                    "<b class={class}>{}</b> · {} · {} ms · version {}",
                    r.result,
                    ago(r.at_unix),
                    r.duration_ms,
                    r.desired_version
                ),
            );
            row(
                "Changes",
                format!(
                    "{} add · {} set · {} remove · {} kick · {} applied",
                    r.adds, r.sets, r.removes, r.kicks, r.applied
                ),
            );
            for e in &r.errors {
                row("Error", format!("<span class=bad>{}</span>", escape(e)));
            }
        }
        None => row("Last reconcile", "not yet".into()),
    }
    row("Managed entries", s.managed_entries.to_string());
    let drift = if s.drift.is_empty() {
        "<p>None: the router matches the desired state.</p>".to_owned()
    } else {
        format!("<pre>{}</pre>", escape(&s.drift.join("\n")))
    };
    let events: String = s
        .events
        .iter()
        .map(|e| {
            format!(
                "<li class={}><small>{}</small> {}</li>",
                e.level,
                ago(e.at_unix),
                escape(&e.message)
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content='width=device-width,initial-scale=1'>\
         <meta http-equiv=refresh content=10><title>Setu agent</title><style>\
         body{{font:16px system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem}}\
         table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}}\
         th{{width:35%;color:#555;font-weight:500}}.ok{{color:#087f23}}.bad,.error{{color:#b00020}}\
         pre{{overflow-x:auto;background:#f4f4f4;padding:.5rem;font-size:13px}}ul{{padding-left:1.2rem}}\
         </style></head><body><h1>Setu agent</h1><table>{rows}</table>\
         <h2>Drift</h2>{drift}<h2>Recent events</h2><ul>{events}</ul>\
         <p><a href=status.json>status.json</a></p></body></html>"
    )
}
