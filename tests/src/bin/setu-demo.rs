//! `setu-demo`: the README's run command. The controller on its embedded defaults (SQLite, the
//! embedded MQTT broker) with a demo ISP, and a simulated POP — the RouterOS simulator seeded
//! like a small ISP's router, with the real edge agent enrolled with the controller. A billing
//! storyline suspends, reconnects and re-plans subscribers through the controller's API while
//! you watch the router follow, on the console, in the controller's UI (POPs and routers, live)
//! and on the agent's status page.

use anyhow::Context;
use clap::Parser;
use controller::kernel::http::list::PageQuery;
use controller::kernel::ids::SubscriberId;
use controller::kernel::scope::Scope;
use controller::kernel::work::Work;
use controller::subscribers::store as subscribers;
use edge_agent::config::AgentConfig;
use edge_agent::link::http;
use edge_agent::routeros::{Client, ConnectOptions};
use protocol::routeros::Command;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tests::routeros_sim::{self, SimConfig, SimHandle};

#[derive(Parser)]
#[command(
    about = "Setu demo: controller + a simulated POP (RouterOS simulator + enrolled edge agent)"
)]
struct Args {
    /// Where the agent's status page listens (a free port is used if this one is taken).
    #[arg(long, default_value = "127.0.0.1:8088")]
    status: SocketAddr,
    /// Where the controller's web UI listens (a free port is used if this one is taken).
    #[arg(long, default_value = "127.0.0.1:8080")]
    controller: SocketAddr,
    /// Seconds between storyline steps.
    #[arg(long, default_value_t = 6)]
    step_secs: u64,
    /// Stop after this many storyline steps (default: run until Ctrl-C).
    #[arg(long)]
    steps: Option<u64>,
}

const ROUTER_USER: &str = "setu";
const ROUTER_PASSWORD: &str = "demo-router-password";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // rumqttd logs every client disconnect as an error.
                .unwrap_or_else(|_| "warn,rumqttd=off".into()),
        )
        .init();
    let dir = std::env::temp_dir().join(format!("setu-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    let sim = routeros_sim::start(SimConfig {
        users: vec![(ROUTER_USER.into(), ROUTER_PASSWORD.into())],
        identity: "pop-mirpur-1".into(),
        board: "CCR2004-16G-2S+".into(),
        ..SimConfig::default()
    })
    .await?;
    seed_hand_made_entries(sim.addr()).await?;

    let demo = Demo::start(&dir, args.controller).await?;
    // Enrollment, as a technician would do it with the token from the router's page.
    let mut work = Work::system(&demo.state, demo.scope, "demo").await?;
    let router = controller::fleet::store::routers(&mut work, &PageQuery::default())
        .await?
        .items
        .into_iter()
        .next()
        .context("the demo has a router")?;
    let enrollment = controller::fleet::service::issue_enrollment(&mut work, router.id).await?;
    work.commit().await?;
    let enrollment_token = enrollment.token;
    let state_dir = dir.join("agent");
    let started = Instant::now();
    edge_agent::link::identity::enroll(&demo.base, &enrollment_token, &state_dir, None).await?;
    let config = write_agent_config(&dir, sim.addr(), &state_dir)?;
    let listener = match tokio::net::TcpListener::bind(args.status).await {
        Ok(l) => l,
        Err(_) => tokio::net::TcpListener::bind((args.status.ip(), 0)).await?,
    };
    let status_url = format!("http://{}/", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(edge_agent::run(config, listener, async {
        let _ = stop_rx.await;
    }));

    println!("Setu demo");
    println!(
        "  controller web UI (demo company, one user per role): {}/",
        demo.base
    );
    for login in &demo.logins {
        println!(
            "      {:<14} {:<22} password {}",
            login.role, login.username, login.password
        );
    }
    println!("      live POP and router status: {}/fleet", demo.base);
    println!("  a simulated POP, enrolled with the controller over its embedded MQTT broker:");
    println!(
        "  router (RouterOS API simulator, 7.18.2): {}  user {ROUTER_USER}",
        sim.addr()
    );
    println!(
        "  agent status page:                       {status_url}  (JSON: {status_url}status.json)"
    );
    println!("  Ctrl-C to stop.\n");

    let n = controller::bootstrap::DEMO_SUBSCRIBERS as usize;
    wait_for(&sim, Duration::from_secs(60), |s| {
        managed_secrets(s).len() == n
    })
    .await?;
    println!(
        "[agent] enrolled and converged a fresh router in {} ms: {} PPPoE secrets from the controller; hand-made entries left alone",
        started.elapsed().as_millis(),
        n
    );
    let subscribers =
        subscribers::on_router(&mut *demo.state.store.conn().await?, router.id).await?;
    let up = subscribers
        .iter()
        .enumerate()
        .filter(|(i, s)| dial_in(&sim, *i, s))
        .count();
    println!("[router] {up} subscribers dialled in over PPPoE (their sessions reach the controller's session log)");

    let story = Story::run(&demo, &sim, &subscribers, args.step_secs, args.steps);
    tokio::select! {
        result = story => result?,
        _ = tokio::signal::ctrl_c() => println!("\nstopping"),
    }
    // The agent says goodbye (its offline status) before the controller stops.
    let _ = stop_tx.send(());
    agent.await??;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = demo.stop.send(());
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The controller with its demo data, and an API token of the demo owner for the storyline.
struct Demo {
    base: String,
    state: controller::AppState,
    scope: Scope,
    token: String,
    logins: Vec<controller::bootstrap::DemoLogin>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Demo {
    async fn start(dir: &Path, listen: SocketAddr) -> anyhow::Result<Demo> {
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(_) => tokio::net::TcpListener::bind((listen.ip(), 0)).await?,
        };
        let base = format!("http://{}", listener.local_addr()?);
        let mut config = controller::config::Config {
            data_dir: dir.join("controller"),
            ..Default::default()
        };
        // The default 1883 may be taken on a developer's machine.
        let mqtt_port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        config.mqtt.listen = SocketAddr::from((Ipv4Addr::LOCALHOST, mqtt_port));
        config.fleet.public_url = base.clone();
        let store = controller::open_store(&config).await?;
        let state = controller::state(config, store).await?;
        let logins = controller::bootstrap::seed_demo(&state).await?;
        let mut db = state.store.conn().await?;
        let company =
            controller::tenancy::store::company_named(&mut db, controller::bootstrap::DEMO_COMPANY)
                .await?
                .context("demo company")?;
        let scope = Scope::system(company.id);
        let owner = controller::staff::store::credentials(&mut db, "demo-owner")
            .await?
            .context("demo owner")?;
        drop(db);
        let token = format!("setu_{}", controller::kernel::random::token());
        let mut work = Work::system(&state, scope, "demo").await?;
        controller::staff::store::create_token(
            &mut work,
            owner.id,
            "demo storyline",
            &controller::kernel::random::sha256_hex(&token),
            &["subscribers.view", "subscribers.manage"],
            controller::kernel::db::now_ms() + 86_400_000,
        )
        .await?;
        work.commit().await?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(controller::serve(state.clone(), listener, async {
            let _ = stopped.await;
        }));
        Ok(Demo {
            base,
            state,
            scope,
            token,
            logins,
            stop,
        })
    }

    async fn set_status(&self, id: SubscriberId, status: &str) -> anyhow::Result<()> {
        self.api(
            "POST",
            &format!("/api/v1/subscribers/{id}/status"),
            &format!(r#"{{"status":"{status}"}}"#),
        )
        .await
    }

    async fn api(&self, method: &str, path: &str, body: &str) -> anyhow::Result<()> {
        let auth = format!("Bearer {}", self.token);
        let r = http::request(
            method,
            &format!("{}{path}", self.base),
            &[("Authorization", &auth)],
            Some(("application/json", body.as_bytes())),
            None,
        )
        .await?;
        anyhow::ensure!(
            r.status < 300,
            "{method} {path}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        Ok(())
    }
}

/// Entries an operator made by hand before Setu arrived; the agent must never touch them.
async fn seed_hand_made_entries(addr: SocketAddr) -> anyhow::Result<()> {
    let client = Client::connect(ConnectOptions::new(
        addr.to_string(),
        ROUTER_USER,
        ROUTER_PASSWORD,
    ))
    .await?;
    let commands = [
        Command::new("/ppp/profile/add")
            .attr("name", "office")
            .attr("rate-limit", "50M/50M"),
        Command::new("/ppp/secret/add")
            .attr("name", "office-uplink")
            .attr("password", "hand-made")
            .attr("profile", "office")
            .attr("comment", "made by hand in Winbox"),
        Command::new("/queue/simple/add")
            .attr("name", "cctv")
            .attr("target", "10.99.0.0/24")
            .attr("max-limit", "20M/20M"),
    ];
    for command in &commands {
        client.run(command).await?;
    }
    client.quit().await;
    Ok(())
}

fn write_agent_config(
    dir: &Path,
    router: SocketAddr,
    state_dir: &Path,
) -> anyhow::Result<AgentConfig> {
    std::fs::write(dir.join("router-password"), ROUTER_PASSWORD)?;
    let config = format!(
        "[router]\naddress = \"{router}\"\nuser = \"{ROUTER_USER}\"\npassword_file = \"router-password\"\n\n\
         [controller]\nstate_dir = \"{}\"\nevents_interval_secs = 1\ntelemetry_interval_secs = 5\n\n\
         [status]\nlisten = \"127.0.0.1:0\"\n",
        state_dir.display()
    );
    let path: PathBuf = dir.join("agent.toml");
    std::fs::write(&path, config)?;
    AgentConfig::load(&path).context("demo agent config")
}

fn managed_secrets(sim: &SimHandle) -> Vec<BTreeMap<String, String>> {
    sim.rows("/ppp/secret")
        .into_iter()
        .filter(|r| r.get("comment").is_some_and(|c| c.starts_with("setu:")))
        .collect()
}

fn secret(sim: &SimHandle, name: &str) -> Option<BTreeMap<String, String>> {
    sim.rows("/ppp/secret")
        .into_iter()
        .find(|r| r.get("name").map(String::as_str) == Some(name))
}

fn is_active(sim: &SimHandle, name: &str) -> bool {
    sim.rows("/ppp/active")
        .iter()
        .any(|r| r.get("name").map(String::as_str) == Some(name))
}

fn dial_in(sim: &SimHandle, index: usize, s: &subscribers::Subscriber) -> bool {
    let address = Ipv4Addr::new(10, 20, (index / 250) as u8, (index % 250) as u8 + 2);
    let mac = format!("C4:6E:1F:00:{:02X}:{:02X}", index / 256 % 256, index % 256);
    sim.ppp_connect(
        &s.fields.pppoe_username,
        &s.fields.pppoe_password,
        address,
        &mac,
    )
    .is_ok()
}

async fn wait_for(
    sim: &SimHandle,
    limit: Duration,
    done: impl Fn(&SimHandle) -> bool,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while !done(sim) {
        if started.elapsed() > limit {
            anyhow::bail!("the router did not follow within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(started.elapsed())
}

struct Story;

impl Story {
    /// Alternates suspensions and reconnections through the controller's API, timing how long
    /// the router takes to follow each billing change.
    async fn run(
        demo: &Demo,
        sim: &SimHandle,
        subscribers: &[subscribers::Subscriber],
        step_secs: u64,
        steps: Option<u64>,
    ) -> anyhow::Result<()> {
        let mut suspended: Vec<bool> = subscribers
            .iter()
            .map(|s| s.fields.status == subscribers::Status::Suspended)
            .collect();
        let mut step = 0u64;
        while steps.is_none_or(|n| step < n) {
            tokio::time::sleep(Duration::from_secs(step_secs)).await;
            let index = ((step * 7) % subscribers.len() as u64) as usize;
            let s = &subscribers[index];
            let suspend = !suspended[index];
            let (status, action) = if suspend {
                ("suspended", "is unpaid: suspended")
            } else {
                ("active", "paid by bKash: reconnected")
            };
            println!(
                "[billing] {} {action} in the controller",
                s.fields.pppoe_username
            );
            let changed = Instant::now();
            demo.set_status(s.id, status).await?;
            let name = s.fields.pppoe_username.clone();
            let want_disabled = if suspend { "true" } else { "false" };
            wait_for(sim, Duration::from_secs(30), |sim| {
                secret(sim, &name)
                    .is_some_and(|r| r.get("disabled").map(String::as_str) == Some(want_disabled))
                    && (!suspend || !is_active(sim, &name))
            })
            .await?;
            println!(
                "[router]  {name}: {} — {} ms after the change in the office",
                if suspend {
                    "disabled, session ended"
                } else {
                    "enabled again"
                },
                changed.elapsed().as_millis()
            );
            if !suspend && dial_in(sim, index, s) {
                println!("[router]  {name} dialled back in");
            }
            suspended[index] = suspend;
            step += 1;
        }
        Ok(())
    }
}
