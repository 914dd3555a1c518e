//! Applying 20,000 PPPoE secrets to the RouterOS simulator: our pipelined client against strictly
//! one command at a time (how librouteros and the PHP clients work), with the simulator's link
//! delay at 0 ms and 2 ms. `cargo bench -p tests --bench apply`. Prints figures; asserts nothing.

use edge_agent::reconcile::apply_plan;
use edge_agent::routeros::{Client, ConnectOptions};
use provisioning::{plan, Desired, Observed, Policy, PppProfile, PppSecret};
use std::time::{Duration, Instant};
use tests::routeros_sim::{self, Faults, SimConfig};

const SECRETS: u64 = 20_000;

fn desired() -> Desired {
    Desired {
        ppp_profiles: vec![PppProfile {
            name: "setu-10M".into(),
            ..PppProfile::default()
        }],
        secrets: (0..SECRETS)
            .map(|i| PppSecret {
                subscriber_id: i + 1,
                name: format!("sub{i:05}"),
                password: format!("pw{i:08x}"),
                profile: "setu-10M".into(),
                service: "pppoe".into(),
                ..PppSecret::default()
            })
            .collect(),
        ..Desired::default()
    }
}

async fn apply_once(latency: Duration, window: usize) -> anyhow::Result<Duration> {
    let sim = routeros_sim::start(SimConfig {
        users: vec![("setu".into(), "pw".into())],
        faults: Faults {
            reply_latency: latency,
            ..Faults::default()
        },
        ..SimConfig::default()
    })
    .await?;
    let mut options = ConnectOptions::new(sim.addr().to_string(), "setu", "pw");
    options.command_timeout = Duration::from_secs(120);
    let client = Client::connect(options).await?;
    let plan = plan(&desired(), &Observed::default(), &Policy::default())?;
    let started = Instant::now();
    let (applied, failures) = apply_plan(&client, &plan, window).await?;
    let took = started.elapsed();
    anyhow::ensure!(
        failures.is_empty() && applied == plan.ops.len(),
        "apply failed: {failures:?}"
    );
    anyhow::ensure!(
        sim.rows("/ppp/secret").len() as u64 == SECRETS,
        "router does not hold every secret"
    );
    client.quit().await;
    sim.shutdown().await;
    Ok(took)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("apply {SECRETS} PPPoE secrets to routeros-sim");
    for latency_ms in [0u64, 2] {
        let latency = Duration::from_millis(latency_ms);
        let pipelined = apply_once(latency, 64).await?;
        let serial = apply_once(latency, 1).await?;
        println!(
            "link delay {latency_ms} ms: pipelined (64 in flight) {:.2} s = {:.0} cmd/s; one at a time {:.2} s = {:.0} cmd/s; ratio {:.1}x",
            pipelined.as_secs_f64(),
            SECRETS as f64 / pipelined.as_secs_f64(),
            serial.as_secs_f64(),
            SECRETS as f64 / serial.as_secs_f64(),
            serial.as_secs_f64() / pipelined.as_secs_f64()
        );
    }
    Ok(())
}
