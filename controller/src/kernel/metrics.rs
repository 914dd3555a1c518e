//! Prometheus metrics: request counts and latency by route template (never the raw path, so the
//! number of series stays bounded), plus gauges filled at scrape time.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    total: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → count
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (method, route) → latency
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    /// Agent messages by outcome (`accepted`, `duplicate`, `bad_signature`, …).
    fleet: Mutex<BTreeMap<&'static str, u64>>,
    /// Restarts of supervised long-running tasks, by task.
    restarts: Mutex<BTreeMap<&'static str, u64>>,
    /// Job runs by (kind, outcome).
    jobs: Mutex<BTreeMap<(String, &'static str), JobRuns>>,
}

#[derive(Default)]
struct JobRuns {
    count: u64,
    seconds: f64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((method.into(), route.into(), status))
            .or_default() += 1;
        let mut latency = self.latency.lock().expect("metrics lock");
        let h = latency.entry((method.into(), route.into())).or_default();
        for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        h.total += 1;
        h.sum += seconds;
    }

    /// Counts one agent message by what became of it.
    pub fn fleet_message(&self, outcome: &'static str) {
        *self
            .fleet
            .lock()
            .expect("metrics lock")
            .entry(outcome)
            .or_default() += 1;
    }

    /// Counts one restart of a supervised task (it panicked or returned).
    pub fn task_restarted(&self, task: &'static str) {
        *self
            .restarts
            .lock()
            .expect("metrics lock")
            .entry(task)
            .or_default() += 1;
    }

    /// How often `task` was restarted.
    /// Counts one job run of `kind` that ended `outcome` (`done`, `retried`, `failed`).
    pub fn job_finished(&self, kind: &str, outcome: &'static str, seconds: f64) {
        let mut jobs = self.jobs.lock().expect("metrics lock");
        let runs = jobs.entry((kind.to_owned(), outcome)).or_default();
        runs.count += 1;
        runs.seconds += seconds;
    }

    pub fn restarts(&self, task: &str) -> u64 {
        self.restarts
            .lock()
            .expect("metrics lock")
            .get(task)
            .copied()
            .unwrap_or(0)
    }

    /// The text exposition, with `extra` gauges appended.
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP setu_http_requests_total HTTP requests by route template and status.\n",
        );
        out.push_str("# TYPE setu_http_requests_total counter\n");
        for ((method, route, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "setu_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
        }
        out.push_str(
            "# HELP setu_http_request_duration_seconds HTTP request latency by route template.\n",
        );
        out.push_str("# TYPE setu_http_request_duration_seconds histogram\n");
        for ((method, route), h) in self.latency.lock().expect("metrics lock").iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (count, bound) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "setu_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "setu_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.total
            );
            let _ = writeln!(
                out,
                "setu_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "setu_http_request_duration_seconds_count{{{labels}}} {}",
                h.total
            );
        }
        out.push_str("# HELP setu_fleet_messages_total Agent messages by outcome.\n");
        out.push_str("# TYPE setu_fleet_messages_total counter\n");
        for (outcome, n) in self.fleet.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "setu_fleet_messages_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP setu_task_restarts_total Restarts of long-running tasks after a panic or exit.\n");
        out.push_str("# TYPE setu_task_restarts_total counter\n");
        for (task, n) in self.restarts.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "setu_task_restarts_total{{task=\"{task}\"}} {n}");
        }
        out.push_str("# HELP setu_job_runs_total Job runs by kind and outcome.\n");
        out.push_str("# TYPE setu_job_runs_total counter\n");
        out.push_str(
            "# HELP setu_job_run_seconds_total Time spent in job handlers, by kind and outcome.\n",
        );
        out.push_str("# TYPE setu_job_run_seconds_total counter\n");
        for ((kind, outcome), runs) in self.jobs.lock().expect("metrics lock").iter() {
            let labels = format!("kind=\"{kind}\",outcome=\"{outcome}\"");
            let _ = writeln!(out, "setu_job_runs_total{{{labels}}} {}", runs.count);
            let _ = writeln!(
                out,
                "setu_job_run_seconds_total{{{labels}}} {}",
                runs.seconds
            );
        }
        for (name, help, value) in extra {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

pub async fn layer(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
