//! Planner speed for a 20,000-subscriber router: `cargo bench -p provisioning --bench plan`.
//! Prints figures; asserts nothing.

use provisioning::{
    apply, plan, Desired, Observed, Policy, PppProfile, PppSecret, Rate, RateLimit,
};
use std::hint::black_box;
use std::time::Instant;

const SUBSCRIBERS: u64 = 20_000;

fn desired() -> Desired {
    let ppp_profiles = [5u64, 10, 20, 50]
        .iter()
        .map(|mbit| PppProfile {
            name: format!("setu-{mbit}M"),
            rate_limit: Some(RateLimit {
                upload: Rate(mbit * 500_000),
                download: Rate(mbit * 1_000_000),
                burst: None,
                priority: None,
                min: None,
            }),
            remote_address: Some("pool-home".into()),
            ..PppProfile::default()
        })
        .collect();
    let secrets = (0..SUBSCRIBERS)
        .map(|i| PppSecret {
            subscriber_id: i + 1,
            name: format!("sub{i:05}"),
            password: format!("pw{i:08x}"),
            profile: format!("setu-{}M", [5, 10, 20, 50][(i % 4) as usize]),
            service: "pppoe".into(),
            suspended: i % 17 == 0,
            ..PppSecret::default()
        })
        .collect();
    Desired {
        ppp_profiles,
        secrets,
        ..Desired::default()
    }
}

fn time<T>(label: &str, rounds: u32, mut f: impl FnMut() -> T) {
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(f());
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    println!("{label}: {ms:.1} ms");
}

fn main() {
    let desired = desired();
    let policy = Policy {
        allow_mass_changes: true,
        ..Policy::default()
    };
    let empty = Observed::default();
    let full = plan(&desired, &empty, &policy).expect("plan");
    let converged = apply(&full, &empty);
    println!(
        "{} secrets, {} operations on a fresh router",
        SUBSCRIBERS,
        full.ops.len()
    );
    time("plan, fresh router (full)", 5, || {
        plan(&desired, &empty, &policy)
    });
    time("plan, converged router (no-op)", 5, || {
        plan(&desired, &converged, &policy)
    });
    let mut changed = desired.clone();
    for s in changed.secrets.iter_mut().step_by(100) {
        s.suspended = !s.suspended;
    }
    let delta = plan(&changed, &converged, &policy).expect("plan");
    println!(
        "1% of subscribers change status: {} operations",
        delta.ops.len()
    );
    time("plan, 1% changed", 5, || {
        plan(&changed, &converged, &policy)
    });
}
