//! A whole fleet in one process for tests, benchmarks and the demo: the controller with its
//! embedded broker (or an external one), an owner's API token, a RouterOS simulator, and
//! enrolled edge agents.

use crate::routeros_sim::{self, SimConfig, SimHandle};
use controller::kernel::scope::Scope;
use controller::kernel::work::Work;
use edge_agent::config::AgentConfig;
use edge_agent::link::http;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const ROUTER_USER: &str = "setu";
pub const ROUTER_PASSWORD: &str = "router-pw";
/// What `/metrics` wants from the fleet's controllers.
pub const METRICS_TOKEN: &str = "fleet-metrics";

pub struct Fleet {
    pub base: String,
    pub broker: std::net::SocketAddr,
    pub config: controller::config::Config,
    pub token: String,
    pub store: controller::kernel::db::Store,
    /// The running controller's own state: work done through it wakes its fleet link.
    pub state: controller::AppState,
    pub scope: Scope,
    pub sim: SimHandle,
    pub dir: PathBuf,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "setu-fleet-{tag}-{}",
        &controller::kernel::random::token()[..10]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Controller with the embedded broker, an owner's API token, and a simulated router.
pub async fn fleet() -> Fleet {
    fleet_with(|_| {}).await
}

/// `TEST_LOG=1` shows the controller's and agents' logs on the test's output (`TEST_LOG` may
/// also be a filter, e.g. `controller=debug`).
pub fn init_test_log() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let filter = if filter == "1" {
                "info,rumqttd=off".to_owned()
            } else {
                filter
            };
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

/// Like [`fleet`], with the controller's configuration adjusted first.
pub async fn fleet_with(adjust: impl FnOnce(&mut controller::config::Config)) -> Fleet {
    init_test_log();
    let dir = temp_dir("controller");
    let mut config = controller::config::Config {
        data_dir: dir.clone(),
        ..controller::config::Config::default()
    };
    config.mqtt.listen = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    config.fleet.public_url = base.clone();
    if let Some(url) = postgres_database().await {
        config.database.url = url;
    }
    config.http.metrics_token = METRICS_TOKEN.into();
    adjust(&mut config);
    let broker = config.mqtt.listen;
    let store = controller::open_store(&config).await.unwrap();
    let state = controller::state(config.clone(), store.clone())
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(controller::serve(state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let company = controller::bootstrap::create_company(&state, "Padma Net")
        .await
        .unwrap();
    let scope = Scope::system(company.id);
    let owner = controller::bootstrap::create_staff(
        &state,
        scope,
        "owner1",
        "Owner",
        "owner1-password",
        "owner",
    )
    .await
    .unwrap();
    let token = format!("setu_{}", controller::kernel::random::token());
    let all: Vec<&str> = controller::kernel::rbac::Permission::all()
        .filter(|p| !p.is_platform_only())
        .map(|p| p.name())
        .collect();
    let mut work = Work::system(&state, scope, "test").await.unwrap();
    controller::staff::store::create_token(
        &mut work,
        owner.id,
        "fleet test",
        &controller::kernel::random::sha256_hex(&token),
        &all,
        controller::kernel::db::now_ms() + 86_400_000,
    )
    .await
    .unwrap();
    work.commit().await.unwrap();
    let sim = routeros_sim::start(SimConfig {
        users: vec![(ROUTER_USER.into(), ROUTER_PASSWORD.into())],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    Fleet {
        base,
        broker,
        config,
        token,
        store,
        state,
        scope,
        sim,
        dir,
        _stop: stop,
    }
}

/// A fresh PostgreSQL database when `SETU_TEST_POSTGRES_URL` names a server (as `.ci/run`
/// does), so the fleet link's storage is tested on both engines.
pub async fn postgres_database() -> Option<String> {
    let admin_url = std::env::var("SETU_TEST_POSTGRES_URL").ok()?;
    sqlx::any::install_default_drivers();
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
        .await
        .expect("connect to SETU_TEST_POSTGRES_URL");
    let name = format!("setu_fleet_{}", &controller::kernel::random::token()[..12]);
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

impl Fleet {
    /// A second controller on the same database and broker (another replica).
    pub async fn start_replica(&self) -> (String, tokio::sync::oneshot::Sender<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let store = controller::open_store(&self.config).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(controller::run(
            self.config.clone(),
            store,
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        (base, stop)
    }

    pub async fn api(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let auth = format!("Bearer {}", self.token);
        let body = (!body.is_empty()).then_some(("application/json", body.as_bytes()));
        let r = http::request(
            method,
            &format!("{}{path}", self.base),
            &[("Authorization", &auth)],
            body,
            None,
        )
        .await
        .unwrap();
        let json = serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
        (r.status, json)
    }

    /// A POP and a router record; returns the router's id and a fresh enrollment token.
    pub async fn router_with_token(&self, name: &str) -> (i64, String) {
        let (status, pop) = self
            .api(
                "POST",
                "/api/v1/pops",
                &format!(r#"{{"name":"{name} POP"}}"#),
            )
            .await;
        assert_eq!(status, 201, "{pop}");
        let (status, router) = self
            .api(
                "POST",
                "/api/v1/routers",
                &format!(r#"{{"pop_id":{},"name":"{name}"}}"#, pop["id"]),
            )
            .await;
        assert_eq!(status, 201, "{router}");
        let id = router["id"].as_i64().unwrap();
        let (status, enrollment) = self
            .api("POST", &format!("/api/v1/routers/{id}/enrollment"), "")
            .await;
        assert_eq!(status, 201, "{enrollment}");
        assert!(enrollment["command"]
            .as_str()
            .unwrap()
            .starts_with("setu-agent enroll --controller http://"));
        (id, enrollment["token"].as_str().unwrap().to_owned())
    }

    /// Enrolls an agent with `token` and runs it against the simulator.
    pub async fn start_agent(&self, token: &str) -> Agent {
        let state_dir = self.dir.join(format!(
            "agent-{}",
            &controller::kernel::random::token()[..6]
        ));
        edge_agent::link::identity::enroll(&self.base, token, &state_dir, None)
            .await
            .expect("enrollment");
        self.run_agent(&state_dir).await
    }

    /// Runs an already enrolled agent from `state_dir`.
    pub async fn run_agent(&self, state_dir: &Path) -> Agent {
        run_agent_on(&self.dir, self.sim.addr(), state_dir, None).await
    }

    pub async fn plan(&self, name: &str, down: &str) -> i64 {
        let (status, plan) = self
            .api(
                "POST",
                "/api/v1/plans",
                &format!(r#"{{"name":"{name}","download":"{down}","upload":"{down}","price_poisha":50000}}"#),
            )
            .await;
        assert_eq!(status, 201, "{plan}");
        plan["id"].as_i64().unwrap()
    }
}

/// Runs an enrolled agent for the router at `router`, trusting `ca_file` for TLS.
pub async fn run_agent_on(
    dir: &Path,
    router: std::net::SocketAddr,
    state_dir: &Path,
    ca_file: Option<&Path>,
) -> Agent {
    let config = agent_config(dir, router, state_dir, ca_file);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(edge_agent::run(config, listener, async {
        let _ = stopped.await;
    }));
    Agent {
        state_dir: state_dir.to_owned(),
        stop: Some(stop),
        task,
    }
}

pub struct Agent {
    pub state_dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Agent {
    /// Stops it gracefully (it says goodbye to the broker).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
    }

    /// Like `kill -9`: the task is dropped mid-whatever, nothing is flushed or closed.
    pub fn kill(self) {
        self.task.abort();
    }
}

/// Writes an agent configuration file for a controller-managed agent; returns its path.
pub fn agent_config_file(
    dir: &Path,
    router: std::net::SocketAddr,
    state_dir: &Path,
    ca_file: Option<&Path>,
) -> PathBuf {
    std::fs::write(dir.join("router-password"), ROUTER_PASSWORD).unwrap();
    let ca = ca_file.map_or(String::new(), |f| {
        format!("ca_file = \"{}\"\n", f.display())
    });
    let text = format!(
        "[router]\naddress = \"{router}\"\nuser = \"{ROUTER_USER}\"\npassword_file = \"router-password\"\n\n\
         [controller]\nstate_dir = \"{}\"\n{ca}events_interval_secs = 1\ntelemetry_interval_secs = 2\n\n\
         [status]\nlisten = \"127.0.0.1:0\"\n",
        state_dir.display()
    );
    let path = dir.join(format!(
        "agent-{}.toml",
        &controller::kernel::random::token()[..6]
    ));
    std::fs::write(&path, text).unwrap();
    path
}

pub fn agent_config(
    dir: &Path,
    router: std::net::SocketAddr,
    state_dir: &Path,
    ca_file: Option<&Path>,
) -> AgentConfig {
    AgentConfig::load(&agent_config_file(dir, router, state_dir, ca_file)).unwrap()
}

/// Waits up to `secs` for `check` to hold.
pub async fn eventually<F: FnMut() -> bool>(secs: u64, what: &str, mut check: F) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn secret(sim: &SimHandle, name: &str) -> Option<BTreeMap<String, String>> {
    sim.rows("/ppp/secret")
        .into_iter()
        .find(|r| r.get("name").map(String::as_str) == Some(name))
}

pub fn active(sim: &SimHandle, name: &str) -> bool {
    sim.rows("/ppp/active")
        .iter()
        .any(|r| r.get("name").map(String::as_str) == Some(name))
}

pub async fn router_json(f: &Fleet, id: i64) -> serde_json::Value {
    f.api("GET", &format!("/api/v1/routers/{id}"), "").await.1
}

/// A TCP relay between agents and the broker that can be cut, like a POP's uplink going down.
pub struct Outage {
    pub addr: std::net::SocketAddr,
    down: tokio::sync::watch::Sender<bool>,
}

impl Outage {
    pub async fn start(target: std::net::SocketAddr) -> Outage {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (down, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if *watch.borrow() {
                    continue; // dropped: the link is down
                }
                let mut cut = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.wait_for(|d| *d) => {}
                    }
                });
            }
        });
        Outage { addr, down }
    }

    pub fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }
}

pub async fn count(f: &Fleet, sql: &str) -> i64 {
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(f.store.pool())
        .await
        .unwrap();
    sqlx::Row::get(&row, "n")
}

/// A controller's count of agent messages with this outcome.
pub async fn metric(base: &str, outcome: &str) -> u64 {
    let auth = format!("Bearer {METRICS_TOKEN}");
    let r = http::request(
        "GET",
        &format!("{base}/metrics"),
        &[("Authorization", &auth)],
        None,
        None,
    )
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&r.body).into_owned();
    let prefix = format!("setu_fleet_messages_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

pub async fn subscriber_on(f: &Fleet, router: i64, plan: i64, user: &str) -> i64 {
    let (status, sub) = f
        .api(
            "POST",
            "/api/v1/subscribers",
            &format!(
                r#"{{"name":"{user}","phone":"01712345678","router_id":{router},"plan_id":{plan},"pppoe_username":"{user}","pppoe_password":"pw-{user}"}}"#
            ),
        )
        .await;
    assert_eq!(status, 201, "{sub}");
    sub["id"].as_i64().unwrap()
}

/// An HTTP relay in front of the controller that misbehaves for its first connections: first a
/// 500, then a 200 whose body was altered in transit (same length), then it relays faithfully.
/// Returns its address and how many requests it has answered.
pub async fn flaky_http(
    target: std::net::SocketAddr,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = served.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let turn = counter.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::spawn(async move {
                if turn == 1 {
                    let _ = inbound
                        .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .await;
                    return;
                }
                let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                // One request per connection (`Connection: close`): relay it, then the answer.
                let mut request = vec![0u8; 64 * 1024];
                let n = inbound.read(&mut request).await.unwrap_or(0);
                let _ = outbound.write_all(&request[..n]).await;
                let mut answer = Vec::new();
                let _ = outbound.read_to_end(&mut answer).await;
                if turn == 2 {
                    if let Some(at) = answer.windows(3).position(|w| w == b"pw-") {
                        answer[at] = b'P';
                    }
                }
                let _ = inbound.write_all(&answer).await;
            });
        }
    });
    (addr, served)
}
