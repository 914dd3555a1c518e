//! Jobs: work the controller does by itself — billing runs, housekeeping, and (later) reminders
//! and dunning — durable across crashes and replicas.
//!
//! A job is a row (`store`): a kind, a dedupe key unique per kind, a payload, when it may run,
//! a lease, attempts and the last error. A worker (`worker`) claims a due job by taking its
//! lease; while the handler runs the lease is renewed, and when a process dies its lease expires
//! and another worker takes the job again, so every handler must be idempotent. The scheduler
//! enqueues each domain's recurring [`Schedule`]s in Dhaka time; the dedupe key makes a second
//! replica's tick (or a restart) a no-op.
//!
//! A domain adds a kind of job with a [`JobKind`] in its `Domain` value, and recurring work with a
//! [`Schedule`] (both in `kernel::jobs`, beside `Domain`); nothing else changes.

pub mod api;
pub mod pages;
pub mod service;
pub mod store;
pub mod worker;

use crate::kernel::http::page::NavItem;
use crate::kernel::http::Routes;
use crate::kernel::i18n::Message;
use crate::kernel::rbac::{Grant, Permission};
use crate::kernel::Domain;
use serde::{Deserialize, Serialize};

pub use crate::kernel::jobs::{Every, Job, JobKind, NewJob, Schedule};

pub const VIEW: Permission = Permission::new("jobs.view");
pub const MANAGE: Permission = Permission::new("jobs.manage");

pub const DOMAIN: Domain = Domain {
    name: "jobs",
    routes,
    grants: &[
        Grant {
            permission: VIEW,
            en: "See background jobs",
            bn: "পটভূমির কাজ দেখা",
            roles: &["manager"],
            platform_only: false,
        },
        Grant {
            permission: MANAGE,
            en: "Retry failed jobs",
            bn: "ব্যর্থ কাজ আবার চালানো",
            roles: &["manager"],
            platform_only: false,
        },
    ],
    nav: &[NavItem {
        href: "/jobs",
        label: "nav.jobs",
        needs: Some(VIEW),
        position: 90,
    }],
    catalogue: CATALOGUE,
    jobs: &[],
    schedules: &[],
};

fn routes(r: Routes) -> Routes {
    pages::routes(api::routes(r))
}

/// `[jobs]` in the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Jobs this replica runs at once (0: it runs none, e.g. a web-only replica).
    pub workers: usize,
    /// Whether this replica enqueues the recurring schedules (any number may; the dedupe key
    /// keeps one job per slot).
    pub scheduler: bool,
    /// How often the scheduler looks at the clock.
    pub tick_secs: u64,
    /// How often an idle worker looks for due jobs (it is also woken when this replica enqueues).
    pub poll_ms: u64,
    /// How long a claimed job is leased; renewed every third of it while the handler runs.
    pub lease_secs: i64,
    /// How long finished jobs stay in the history.
    pub retention_days: i64,
    /// A due job waiting longer than this makes `/readyz` report the queue as stalled.
    pub stall_secs: i64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            workers: 2,
            scheduler: true,
            tick_secs: 30,
            poll_ms: 1000,
            lease_secs: 60,
            retention_days: 30,
            stall_secs: 600,
        }
    }
}

pub const CATALOGUE: &[Message] = &[
    ("nav.jobs", "Jobs", "কাজের সারি"),
    ("jobs.title", "Background jobs", "পটভূমির কাজ"),
    ("jobs.kind", "Kind", "ধরন"),
    ("jobs.key", "Key", "চাবি"),
    ("jobs.state", "State", "অবস্থা"),
    ("jobs.attempts", "Attempts", "চেষ্টা"),
    ("jobs.run_after", "Due", "নির্ধারিত সময়"),
    ("jobs.finished", "Finished", "শেষ"),
    ("jobs.progress", "Progress", "অগ্রগতি"),
    ("jobs.error", "Last error", "শেষ ত্রুটি"),
    ("jobs.retry", "Retry", "আবার চালান"),
    ("jobs.queued", "Queued", "অপেক্ষমাণ"),
    ("jobs.running", "Running", "চলছে"),
    ("jobs.failed", "Failed", "ব্যর্থ"),
    ("jobs.done", "History", "ইতিহাস"),
    ("jobs.none", "Nothing here.", "এখানে কিছু নেই।"),
    (
        "jobs.bad_state",
        "State is queued, running, done or failed.",
        "অবস্থা: অপেক্ষমাণ, চলছে, শেষ বা ব্যর্থ।",
    ),
    (
        "jobs.not_failed",
        "Only a failed job can be retried.",
        "শুধু ব্যর্থ কাজই আবার চালানো যায়।",
    ),
];
