//! `setu-demo`: the README's run command. A simulated POP — the RouterOS simulator seeded like a
//! small ISP's router, and the real edge agent converging it — with a billing storyline that
//! suspends, reconnects and upgrades subscribers while you watch the console or the status page.
//!
//! The controller runs beside it with a demo company (sign in with the printed credentials);
//! until the fleet link exists, the demo plays the controller's part for the router by
//! rewriting the agent's desired-state file.

use anyhow::Context;
use clap::Parser;
use edge_agent::config::AgentConfig;
use edge_agent::routeros::{Client, ConnectOptions};
use protocol::desired::{DesiredState, PppProfile, PppSecret, Rates};
use protocol::routeros::Command;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tests::routeros_sim::{self, SimConfig, SimHandle};

#[derive(Parser)]
#[command(about = "A simulated POP: RouterOS simulator + Setu edge agent + a billing storyline")]
struct Args {
    /// Where the agent's status page listens (a free port is used if this one is taken).
    #[arg(long, default_value = "127.0.0.1:8088")]
    status: SocketAddr,
    /// Where the controller's web UI listens (a free port is used if this one is taken).
    #[arg(long, default_value = "127.0.0.1:8080")]
    controller: SocketAddr,
    /// Subscribers on the simulated router.
    #[arg(long, default_value_t = 60)]
    subscribers: u64,
    /// Seconds between storyline steps.
    #[arg(long, default_value_t = 6)]
    step_secs: u64,
    /// Stop after this many storyline steps (default: run until Ctrl-C).
    #[arg(long)]
    steps: Option<u64>,
}

const ROUTER_USER: &str = "setu";
const ROUTER_PASSWORD: &str = "demo-router-password";
const PLANS: [(&str, &str, &str); 3] = [
    ("setu-5M", "5M", "2M"),
    ("setu-10M", "10M", "5M"),
    ("setu-20M", "20M", "10M"),
];
const WALLED_GARDEN: &str = "setu-suspended";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
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

    let mut desired = initial_desired(args.subscribers);
    let desired_file = dir.join("desired.toml");
    write_desired(&desired_file, &desired)?;
    let config = write_agent_config(&dir, sim.addr(), &desired_file)?;
    let listener = match tokio::net::TcpListener::bind(args.status).await {
        Ok(l) => l,
        Err(_) => tokio::net::TcpListener::bind((args.status.ip(), 0)).await?,
    };
    let status_url = format!("http://{}/", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let agent = tokio::spawn(edge_agent::run(config, listener, async {
        let _ = stop_rx.await;
    }));

    let (controller_url, logins, stop_controller) = start_controller(&dir, args.controller).await?;

    println!("Setu demo");
    println!("  controller web UI (demo company, one user per role): {controller_url}");
    for login in &logins {
        println!(
            "      {:<14} {:<22} password {}",
            login.role, login.username, login.password
        );
    }
    println!("  a simulated POP:");
    println!(
        "  router (RouterOS API simulator, 7.18.2): {}  user {ROUTER_USER}",
        sim.addr()
    );
    println!(
        "  agent status page:                       {status_url}  (JSON: {status_url}status.json)"
    );
    println!(
        "  desired state the agent converges to:    {}",
        desired_file.display()
    );
    println!("  Ctrl-C to stop.\n");

    wait_for(&sim, Duration::from_secs(60), |s| {
        managed_secrets(s).len() as u64 == args.subscribers
    })
    .await?;
    println!(
        "[agent] converged a fresh router in {} ms: {} profiles, {} PPPoE secrets; hand-made entries left alone",
        started.elapsed().as_millis(),
        PLANS.len() + 1,
        args.subscribers
    );
    let up = dial_in(&sim, &desired);
    println!("[router] {up} subscribers dialled in over PPPoE");

    let story = Story::run(
        &sim,
        &mut desired,
        &desired_file,
        args.step_secs,
        args.steps,
    );
    tokio::select! {
        result = story => result?,
        _ = tokio::signal::ctrl_c() => println!("\nstopping"),
    }
    let _ = stop_tx.send(());
    let _ = stop_controller.send(());
    agent.await??;
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The controller on its embedded defaults (SQLite in the demo's directory) with demo data.
async fn start_controller(
    dir: &Path,
    listen: SocketAddr,
) -> anyhow::Result<(
    String,
    Vec<controller::bootstrap::DemoLogin>,
    tokio::sync::oneshot::Sender<()>,
)> {
    let config = controller::config::Config {
        data_dir: dir.join("controller"),
        ..Default::default()
    };
    let store = controller::open_store(&config).await?;
    let logins = controller::bootstrap::seed_demo(&store).await?;
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(_) => tokio::net::TcpListener::bind((listen.ip(), 0)).await?,
    };
    let url = format!("http://{}/", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(controller::run(config, store, listener, async {
        let _ = stopped.await;
    }));
    Ok((url, logins, stop))
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

fn initial_desired(subscribers: u64) -> DesiredState {
    let mut ppp_profiles: Vec<PppProfile> = PLANS
        .iter()
        .map(|(name, down, up)| PppProfile {
            name: (*name).into(),
            rates: Some(Rates {
                download: (*down).into(),
                upload: (*up).into(),
                ..Rates::default()
            }),
            remote_address: Some("pool-home".into()),
            only_one: Some(true),
            ..PppProfile::default()
        })
        .collect();
    ppp_profiles.push(PppProfile {
        name: WALLED_GARDEN.into(),
        rates: Some(Rates {
            download: "256k".into(),
            upload: "256k".into(),
            ..Rates::default()
        }),
        remote_address: Some("pool-suspended".into()),
        address_list: Some("setu-suspended".into()),
        ..PppProfile::default()
    });
    let areas = [
        "mirpur",
        "uttara",
        "dhanmondi",
        "gulshan",
        "mohammadpur",
        "badda",
    ];
    let secrets = (1..=subscribers)
        .map(|i| PppSecret {
            subscriber_id: 1000 + i,
            name: format!("{}-{i:04}", areas[(i % areas.len() as u64) as usize]),
            password: format!("pw{:06x}", i * 7919),
            profile: PLANS[(i % 3) as usize].0.into(),
            service: "pppoe".into(),
            suspended: i % 13 == 0,
            ..PppSecret::default()
        })
        .collect();
    DesiredState {
        version: 1,
        ppp_profiles,
        secrets,
        ..DesiredState::default()
    }
}

fn write_desired(path: &Path, desired: &DesiredState) -> anyhow::Result<()> {
    // Write then rename, so the agent never reads half a file.
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, toml::to_string(desired)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn write_agent_config(
    dir: &Path,
    router: SocketAddr,
    desired: &Path,
) -> anyhow::Result<AgentConfig> {
    std::fs::write(dir.join("router-password"), ROUTER_PASSWORD)?;
    let config = format!(
        "[router]\naddress = \"{router}\"\nuser = \"{ROUTER_USER}\"\npassword_file = \"router-password\"\n\n\
         [desired]\nfile = \"{}\"\n\n\
         [reconcile]\ninterval_secs = 30\ndry_run = false\nsuspension = \"walled-garden\"\n\
         suspended_profile = \"{WALLED_GARDEN}\"\nmax_destructive_share = 0.1\ndestructive_floor = 10\n\
         allow_empty_desired = false\nadopt_matching_names = false\nwindow = 64\n\n\
         [status]\nlisten = \"127.0.0.1:0\"\n",
        desired.display()
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

fn secret<'a>(
    rows: &'a [BTreeMap<String, String>],
    name: &str,
) -> Option<&'a BTreeMap<String, String>> {
    rows.iter()
        .find(|r| r.get("name").map(String::as_str) == Some(name))
}

fn is_active(sim: &SimHandle, name: &str) -> bool {
    sim.rows("/ppp/active")
        .iter()
        .any(|r| r.get("name").map(String::as_str) == Some(name))
}

fn dial_in_one(sim: &SimHandle, index: usize, s: &PppSecret) -> bool {
    let address = Ipv4Addr::new(10, 20, (index / 250) as u8, (index % 250) as u8 + 2);
    let mac = format!(
        "C4:6E:1F:{:02X}:{:02X}:{:02X}",
        index / 65536 % 256,
        index / 256 % 256,
        index % 256
    );
    sim.ppp_connect(&s.name, &s.password, address, &mac).is_ok()
}

fn dial_in(sim: &SimHandle, desired: &DesiredState) -> usize {
    desired
        .secrets
        .iter()
        .enumerate()
        .filter(|(i, s)| dial_in_one(sim, *i, s))
        .count()
}

async fn wait_for(
    sim: &SimHandle,
    limit: Duration,
    done: impl Fn(&SimHandle) -> bool,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while !done(sim) {
        if started.elapsed() > limit {
            anyhow::bail!("the router did not converge within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(started.elapsed())
}

struct Story;

impl Story {
    /// Cycles through suspensions, reconnections and upgrades, timing how long the router takes
    /// to follow each billing change.
    async fn run(
        sim: &SimHandle,
        desired: &mut DesiredState,
        file: &Path,
        step_secs: u64,
        steps: Option<u64>,
    ) -> anyhow::Result<()> {
        let mut step = 0u64;
        while steps.is_none_or(|n| step < n) {
            tokio::time::sleep(Duration::from_secs(step_secs)).await;
            let index = ((step * 7) % desired.secrets.len() as u64) as usize;
            desired.version += 1;
            let (name, action) = {
                let s = &mut desired.secrets[index];
                let action = match step % 3 {
                    0 if !s.suspended => {
                        s.suspended = true;
                        "is unpaid: suspend into the walled garden"
                    }
                    0 | 1 if s.suspended => {
                        s.suspended = false;
                        "paid by bKash: reconnect"
                    }
                    _ => {
                        let next = PLANS
                            .iter()
                            .position(|p| p.0 == s.profile)
                            .map_or(0, |i| (i + 1) % PLANS.len());
                        s.profile = PLANS[next].0.into();
                        "changes plan"
                    }
                };
                (s.name.clone(), action)
            };
            let target = desired.secrets[index].clone();
            let want_profile = if target.suspended {
                WALLED_GARDEN.to_owned()
            } else {
                target.profile.clone()
            };
            println!(
                "[billing] {name} {action} → desired version {}",
                desired.version
            );
            write_desired(file, desired)?;
            let took = wait_for(sim, Duration::from_secs(30), |sim| {
                let rows = sim.rows("/ppp/secret");
                secret(&rows, &name)
                    .and_then(|r| r.get("profile"))
                    .map(String::as_str)
                    == Some(want_profile.as_str())
                    && !is_active(sim, &name)
            })
            .await?;
            println!(
                "[router]  {name}: profile {want_profile}, session ended — {} ms after the change",
                took.as_millis()
            );
            if dial_in_one(sim, index, &target) {
                println!("[router]  {name} dialled back in ({want_profile})");
            }
            step += 1;
        }
        Ok(())
    }
}
