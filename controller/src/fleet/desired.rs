//! A router's desired state, derived from the database: one PPP profile per plan of the company
//! (named `setu-plan-<id>`, so renaming a plan never renames the profile and kicks its
//! subscribers) and one PPP secret per subscriber on the router that is not terminated.
//!
//! Documents are cached per (router, version): the notice (its size and SHA-256) and every
//! fetch of that version reuse one serialisation, built from one database snapshot so the same
//! version always has the same bytes, in any replica.

use super::store::Router;
use crate::kernel::db::{get, Db, Result, Store};
use crate::kernel::ids::{PlanId, RouterId};
use crate::subscribers::store::Status;
use protocol::desired::{Burst, DesiredState, PppProfile, PppSecret, Rates};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The profile a plan's subscribers get.
pub fn profile_name(plan: PlanId) -> String {
    format!("setu-plan-{plan}")
}

/// The desired state of `router`, read on `db` (a snapshot, for a consistent document).
pub async fn build(db: &mut Db, router: &Router) -> Result<DesiredState> {
    let plans = crate::plans::store::all(db, router.company_id).await?;
    let subscribers = crate::subscribers::store::on_router(db, router.id).await?;
    let ppp_profiles = plans
        .iter()
        .map(|plan| {
            let f = &plan.fields;
            let burst =
                (!f.burst_download.is_empty() && !f.burst_upload.is_empty()).then(|| Burst {
                    download: f.burst_download.clone(),
                    upload: f.burst_upload.clone(),
                    // Burst while the 16-second average stays under three quarters of the plan.
                    threshold_download: three_quarters(&f.download),
                    threshold_upload: three_quarters(&f.upload),
                    time_secs: 16,
                });
            PppProfile {
                name: profile_name(plan.id),
                rates: Some(Rates {
                    download: f.download.clone(),
                    upload: f.upload.clone(),
                    burst,
                    ..Rates::default()
                }),
                only_one: Some(true),
                ..PppProfile::default()
            }
        })
        .collect();
    let secrets = subscribers
        .iter()
        .map(|s| PppSecret {
            subscriber_id: s.id.0 as u64,
            name: s.fields.pppoe_username.clone(),
            password: s.fields.pppoe_password.clone(),
            profile: profile_name(s.fields.plan_id),
            service: "pppoe".into(),
            remote_address: None,
            disabled: false,
            suspended: s.fields.status == Status::Suspended,
        })
        .collect();
    Ok(DesiredState {
        version: router.desired_version.max(0) as u64,
        ppp_profiles,
        secrets,
        ..DesiredState::default()
    })
}

/// Three quarters of a RouterOS rate, as bits per second (`10M` → `7500000`).
fn three_quarters(rate: &str) -> String {
    rate.parse::<provisioning::Rate>()
        .map(|r| (r.0 / 4 * 3).to_string())
        .unwrap_or_else(|_| rate.to_owned())
}

/// One version of a router's desired state, serialised.
#[derive(Debug)]
pub struct Document {
    pub version: i64,
    /// The JSON (cheap to clone: shared).
    pub bytes: axum::body::Bytes,
    pub sha256: String,
}

/// The latest document of each router this replica has built.
#[derive(Debug, Default)]
pub struct Documents {
    latest: Mutex<HashMap<RouterId, Arc<Document>>>,
    builds: AtomicU64,
}

impl Documents {
    /// The current document of `router` (enrolled or not), built only when its version moved.
    pub async fn current(&self, store: &Store, router: RouterId) -> Result<Arc<Document>> {
        let mut snapshot = store.snapshot().await?;
        let row = sqlx::query("SELECT desired_version FROM routers WHERE id = $1")
            .bind(router)
            .fetch_one(&mut *snapshot)
            .await?;
        let version: i64 = get(&row, "desired_version")?;
        if let Some(cached) = self.cached(router).filter(|d| d.version == version) {
            return Ok(cached);
        }
        let record = super::store::router_by_id(&mut snapshot, router)
            .await?
            .ok_or(crate::kernel::db::StoreError::NotFound)?;
        let state = build(&mut snapshot, &record).await?;
        snapshot.commit().await?;
        let bytes = axum::body::Bytes::from(
            serde_json::to_vec(&state).expect("a desired state serialises"),
        );
        let sha256 =
            protocol::encoding::hex(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref());
        let document = Arc::new(Document {
            version: record.desired_version,
            bytes,
            sha256,
        });
        self.builds.fetch_add(1, Ordering::Relaxed);
        let mut latest = self.latest.lock().expect("documents lock");
        match latest.get(&router) {
            // Another task built a newer one meanwhile: keep it.
            Some(newer) if newer.version > document.version => Ok(newer.clone()),
            _ => {
                latest.insert(router, document.clone());
                Ok(document)
            }
        }
    }

    fn cached(&self, router: RouterId) -> Option<Arc<Document>> {
        self.latest
            .lock()
            .expect("documents lock")
            .get(&router)
            .cloned()
    }

    /// How many documents this replica has built (for tests and benchmarks).
    pub fn builds(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn burst_thresholds_are_three_quarters() {
        assert_eq!(super::three_quarters("10M"), "7500000");
        assert_eq!(super::three_quarters("512k"), "384000");
    }
}
