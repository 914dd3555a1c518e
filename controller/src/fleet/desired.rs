//! A router's desired state, derived from the database: one PPP profile per plan of the
//! company (named `setu-plan-<id>`, so renaming a plan never renames the profile and kicks its
//! subscribers) and one PPP secret per subscriber on the router that is not terminated.

use crate::store::{self, plans, routers::Router, subscribers, Store, Tenant};
use protocol::desired::{Burst, DesiredState, PppProfile, PppSecret, Rates};

/// The profile a plan's subscribers get.
pub fn profile_name(plan: store::PlanId) -> String {
    format!("setu-plan-{plan}")
}

pub async fn for_router(store: &Store, router: &Router) -> store::Result<DesiredState> {
    let tenant = Tenant::company(router.company_id);
    let plans = plans::list(store, &tenant).await?;
    let subscribers = subscribers::on_router(store, router.id).await?;
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
            name: s.pppoe_username.clone(),
            password: s.pppoe_password.clone(),
            profile: profile_name(s.plan_id),
            service: "pppoe".into(),
            remote_address: None,
            disabled: false,
            suspended: s.status == subscribers::Status::Suspended,
        })
        .collect();
    Ok(DesiredState {
        version: router.desired_version as u64,
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

#[cfg(test)]
mod tests {
    #[test]
    fn burst_thresholds_are_three_quarters() {
        assert_eq!(super::three_quarters("10M"), "7500000");
        assert_eq!(super::three_quarters("512k"), "384000");
    }
}
