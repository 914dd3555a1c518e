//! Pure provisioning logic for Setu: from what a MikroTik router should hold ([`Desired`]) and
//! what it does hold ([`Observed`]), compute an ordered [`Plan`] of RouterOS operations, or a
//! [`Refusal`] when a guard rail trips. No I/O, no async, no serialization: the edge agent reads
//! the router, calls [`plan`] and runs the operations.
//!
//! Setu owns only entries whose `comment` carries its marker (`setu` on profiles,
//! `setu:sub=<subscriber id>` on per-subscriber entries); everything else is left alone.
//!
//! Layout:
//! - `router.rs`: the menus, rows and observed state.
//! - `desired.rs`: the desired state and its validation; `rate.rs`: rates and `rate-limit` text.
//! - `policy.rs`: suspension and guard-rail settings.
//! - `marker.rs`: the ownership marker; `value.rs`: comparing values as the router means them.
//! - `wanted.rs`: desired entries rendered as RouterOS properties, and how rows are matched.
//! - `reconcile.rs`: one menu's matching and operations; `plan.rs`: the whole plan, its
//!   ordering, guard rails and display.
//! - `apply.rs`: a model of the router running a plan; `adopt.rs`: the shadow-mode report.

mod adopt;
mod apply;
mod desired;
mod marker;
mod plan;
mod policy;
mod rate;
mod reconcile;
mod router;
mod value;
mod wanted;

pub use adopt::{adopt, AdoptionReport};
pub use apply::apply;
pub use desired::{
    AddressListEntry, Desired, HotspotProfile, HotspotUser, PppProfile, PppSecret, SimpleQueue,
    ValidationError, BUILTIN_HOTSPOT_PROFILES, BUILTIN_PPP_PROFILES, PPP_SERVICES,
};
pub use marker::{is_managed, MARKER_PREFIX, PROFILE_MARKER};
pub use plan::{plan, Action, Op, Plan, PlanCounts, Refusal};
pub use policy::{Policy, Suspension};
pub use rate::{Burst, Rate, RateLimit, RateParseError};
pub use router::{Menu, Observed, Row};
