//! Fleet-link figures (`scripts/bench-fleet.sh`; prints, asserts nothing):
//! - latency from a subscriber's status change in the controller (API) to the change on the
//!   simulated router, p50/p99 over many changes;
//! - time to converge a fresh router with 20,000 subscribers (enrollment to applied version),
//!   and the agent's RSS idle and during that convergence when `SETU_AGENT_BIN` names the
//!   `setu-agent` binary (then the agent runs as its own process);
//! - event ingest into the database, messages/s (SQLite, or PostgreSQL with
//!   `SETU_TEST_POSTGRES_URL`).

use protocol::fleet::{
    self as wire, topics, AgentId, Envelope, Service, SessionChange, SessionEvent, UpBody,
};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use tests::fleet::*;

const CHANGES: usize = 200;
const BIG: i64 = 20_000;
const EVENTS: u64 = 5_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let engine = if std::env::var("SETU_TEST_POSTGRES_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("fleet link on {engine}");
    latency().await;
    convergence().await;
    ingest().await;
}

async fn latency() {
    let f = fleet().await;
    let (router, token) = f.router_with_token("latency").await;
    let plan = f.plan("Home 10M", "10M").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(subscriber_on(&f, router, plan, &format!("lat{i:02}")).await);
    }
    let agent = f.start_agent(&token).await;
    eventually(30, "convergence", || secret(&f.sim, "lat19").is_some()).await;
    let mut took = Vec::with_capacity(CHANGES);
    for n in 0..CHANGES {
        let i = n % ids.len();
        let suspend = (n / ids.len()) % 2 == 0;
        let name = format!("lat{i:02}");
        let started = Instant::now();
        let (status, _) = f
            .api(
                "POST",
                &format!("/api/v1/subscribers/{}/status", ids[i]),
                &format!(
                    r#"{{"status":"{}"}}"#,
                    if suspend { "suspended" } else { "active" }
                ),
            )
            .await;
        assert_eq!(status, 200);
        let want = if suspend { "true" } else { "false" };
        // Polled every 2 ms: the figure is the link's, not the poll interval's.
        while secret(&f.sim, &name).is_none_or(|s| s["disabled"] != want) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no change on the router"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        took.push(started.elapsed());
    }
    took.sort();
    println!(
        "office → router (API status change until the router shows it), {CHANGES} changes: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&took, 0.5).as_secs_f64() * 1e3,
        percentile(&took, 0.99).as_secs_f64() * 1e3,
        took.last().unwrap().as_secs_f64() * 1e3,
    );
    agent.stop().await;
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

async fn convergence() {
    let f = fleet().await;
    let (router, token) = f.router_with_token("big").await;
    let plan = f.plan("Home 10M", "10M").await;
    let mut tx = f.store.pool().begin().await.unwrap();
    for i in 0..BIG {
        sqlx::query(
            "INSERT INTO subscribers (company_id, router_id, plan_id, name, phone, pppoe_username, pppoe_password,
                 status, created_at, updated_at) VALUES ($1, $2, $3, $4, '01712345678', $4, 'pw-12345', 'active', 0, 0)",
        )
        .bind(f.scope.company().0)
        .bind(router)
        .bind(plan)
        .bind(format!("big{i:05}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let state_dir = f.dir.join("big-agent");
    let started = Instant::now();
    let mut in_process = None;
    let (pid, child) = match std::env::var("SETU_AGENT_BIN") {
        Ok(bin) => {
            let status = std::process::Command::new(&bin)
                .args([
                    "enroll",
                    "--controller",
                    &f.base,
                    "--token",
                    &token,
                    "--state-dir",
                ])
                .arg(&state_dir)
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            let config_file = agent_config_file(&f.dir, f.sim.addr(), &state_dir, None);
            let child = std::process::Command::new(&bin)
                .args(["run", "--config"])
                .arg(&config_file)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            (Some(child.id()), Some(child))
        }
        Err(_) => {
            in_process = Some(f.start_agent(&token).await);
            (None, None)
        }
    };
    let mut peak = 0;
    loop {
        if let Some(pid) = pid {
            peak = peak.max(rss_kib(pid, "VmRSS:"));
        }
        let r = f
            .api("GET", &format!("/api/v1/routers/{router}"), "")
            .await
            .1;
        if r["applied_version"] == r["desired_version"] && r["online"] == true {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no convergence: {r}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let on_router = f.sim.rows("/ppp/secret").len();
    print!("fresh router with {BIG} subscribers: enrolled, fetched, applied and reported in {secs:.2} s ({on_router} secrets on the router)");
    match (pid, child) {
        (Some(pid), Some(mut child)) => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            println!(
                "; setu-agent RSS peak {} MiB during convergence (VmHWM {} MiB), {} MiB idle after",
                peak / 1024,
                rss_kib(pid, "VmHWM:") / 1024,
                rss_kib(pid, "VmRSS:") / 1024
            );
            let _ = child.kill();
            let _ = child.wait();
        }
        _ => println!(" (agent in-process; set SETU_AGENT_BIN for its RSS)"),
    }
    if let Some(agent) = in_process {
        agent.stop().await;
    }
}

async fn ingest() {
    let f = fleet().await;
    let (_, token) = f.router_with_token("ingest").await;
    let state_dir = f.dir.join("ingest-agent");
    edge_agent::link::identity::enroll(&f.base, &token, &state_dir, None)
        .await
        .unwrap();
    let identity = edge_agent::link::identity::load(&state_dir).unwrap();
    let agent: AgentId = identity.agent_id.clone();
    let mut options =
        rumqttc::MqttOptions::new(agent.as_str(), f.broker.ip().to_string(), f.broker.port());
    options.set_credentials(
        &identity.enrollment.mqtt_username,
        &identity.enrollment.mqtt_password,
    );
    options.set_inflight(100);
    let (client, mut events) = rumqttc::AsyncClient::new(options, 1000);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let boot = wire::new_boot_id();
    let messages: Vec<Vec<u8>> = (1..=EVENTS)
        .map(|seq| {
            let envelope = Envelope {
                v: wire::PROTOCOL_VERSION,
                agent_id: agent.clone(),
                boot_id: boot.clone(),
                seq,
                sent_at_ms: controller::kernel::db::now_ms(),
                mono_ms: seq,
                clock_synced: true,
                historical: false,
                body: UpBody::Event(SessionEvent {
                    change: SessionChange::Up,
                    service: Service::Pppoe,
                    user: format!("user{seq}"),
                    address: Ipv4Addr::from(0x0a14_0000 + seq as u32).to_string(),
                    caller_id: "AA:BB:CC:00:00:01".into(),
                    router_session_id: format!("*{seq:x}"),
                    at_ms: controller::kernel::db::now_ms(),
                    uptime_secs: None,
                    bytes_in: None,
                    bytes_out: None,
                }),
            };
            wire::seal_up(&envelope, &identity.key)
        })
        .collect();
    let topic = topics::up(&agent, topics::UpKind::Event);
    let started = Instant::now();
    for message in messages {
        client
            .publish(topic.clone(), rumqttc::QoS::AtLeastOnce, false, message)
            .await
            .unwrap();
    }
    loop {
        let stored = count(&f, "SELECT COUNT(*) AS n FROM session_log").await;
        if stored as u64 == EVENTS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "stored {stored}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "event ingest: {EVENTS} signed session events verified, stored once and acknowledged in {secs:.2} s = {:.0} messages/s",
        EVENTS as f64 / secs
    );
}
