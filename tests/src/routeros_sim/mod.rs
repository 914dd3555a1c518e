//! A RouterOS API simulator: a stand-in for MikroTik routers in tests, faithful to what real
//! routers put on the wire (reference `routeros-api.md` §1, §2, §5).
//!
//! [`start`] binds and serves; the returned [`SimHandle`] simulates subscribers dialling in,
//! injects faults, and reads the router's tables for assertions.
//!
//! Layout: `server` (listener, max-sessions), `connection` (one client: tags, listen, cancel),
//! `login` (per-version login), `commands` (menu commands), `query` (print queries), `state`
//! (tables and side effects), `schema` (menus and properties), `faults`, `tls`, `persist`
//! (state file), `control` (line-based control port), `format` (dates, durations).
//!
//! Behaviours chosen where RouterOS is undocumented are described where they are implemented
//! and marked "(unverified)" or "Choice".

mod commands;
mod connection;
pub mod control;
mod demo;
mod faults;
mod format;
mod login;
mod persist;
mod query;
mod schema;
mod server;
mod state;
pub mod tls;
mod version;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch, Notify};
use tokio::task::JoinHandle;

pub use faults::{parse_trickle, Faults, FAULT_FATAL_REASON, GARBAGE};
pub use tls::{self_signed, SelfSigned, HANDSHAKE_FAILURE_ALERT};
pub use version::{BadVersion, RosVersion};

use server::{Settings, Shared};
use state::Router;

/// How long after a change the state file is written; changes in between are saved together.
const SAVE_DEBOUNCE: Duration = Duration::from_millis(20);

/// Where `.tag` goes in reply sentences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TagPosition {
    /// Right after the reply word, as real routers send it.
    #[default]
    Second,
    /// Last, as MikroTik's manual shows it.
    Last,
}

/// api-ssl modes.
#[derive(Debug, Clone)]
pub enum TlsMode {
    /// A certificate is set: TLS 1.2/1.3 with it.
    Certificate { cert_pem: Vec<u8>, key_pem: Vec<u8> },
    /// No certificate: the router offers only anonymous DH; see [`tls`] for what we emulate.
    AnonymousDhOnly,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port 0 picks a free port; see [`SimHandle::addr`].
    pub listen: SocketAddr,
    /// API users as (name, password); at least one.
    pub users: Vec<(String, String)>,
    /// Drives the login methods, `!empty` and date formats.
    pub ros_version: RosVersion,
    pub tls: Option<TlsMode>,
    /// The api service's `max-sessions` (RouterOS default 20). Connections beyond it (logged
    /// in or not) are accepted and closed at once without a word (choice; undocumented).
    pub max_sessions: usize,
    pub tag_position: TagPosition,
    /// Loaded at start when it exists; written (atomically, debounced) after changes.
    pub state_file: Option<PathBuf>,
    pub faults: Faults,
    /// `/system/identity` name.
    pub identity: String,
    /// `board-name` of `/system/resource`.
    pub board: String,
}

impl Default for SimConfig {
    /// `127.0.0.1:0`, user `admin` with an empty password, RouterOS 7.18.2, plain TCP.
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            users: vec![("admin".to_owned(), String::new())],
            ros_version: RosVersion::default(),
            tls: None,
            max_sessions: 20,
            tag_position: TagPosition::Second,
            state_file: None,
            faults: Faults::default(),
            identity: "MikroTik".to_owned(),
            board: "CHR".to_owned(),
        }
    }
}

/// Why a simulated dial-in was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("no such user: {0}")]
    UnknownUser(String),
    #[error("user {0} is disabled")]
    Disabled(String),
    #[error("wrong password for {0}")]
    WrongPassword(String),
    #[error("user {0} may not use this service")]
    WrongService(String),
    #[error("user {0} may not connect from this caller id / MAC address")]
    CallerIdMismatch(String),
    #[error("user {0} is already logged in and may have only one session")]
    AlreadyActive(String),
}

/// A running simulator. Cloning gives another handle to the same one.
#[derive(Clone)]
pub struct SimHandle {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    state_file: Option<PathBuf>,
}

/// Binds the listening socket, loads the state file, and starts serving. Returns once
/// connections are accepted.
pub async fn start(config: SimConfig) -> anyhow::Result<SimHandle> {
    if config.users.is_empty() {
        bail!("the simulator needs at least one API user");
    }
    if config.max_sessions == 0 {
        bail!("max-sessions must be at least 1");
    }
    let (changes, _) = broadcast::channel(4096);
    let save_needed = Arc::new(Notify::new());
    let mut router = Router::new(
        config.ros_version,
        &config.identity,
        &config.board,
        changes.clone(),
        save_needed.clone(),
    );
    if let Some(path) = config.state_file.as_ref().filter(|p| p.exists()) {
        persist::load(&mut router, path)?;
    }
    let tls = match &config.tls {
        None => None,
        Some(TlsMode::Certificate { cert_pem, key_pem }) => Some(tls::TlsSetup::Certificate(
            tls::acceptor(cert_pem, key_pem)?,
        )),
        Some(TlsMode::AnonymousDhOnly) => Some(tls::TlsSetup::AnonymousDhOnly),
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let settings = Settings {
        version: config.ros_version,
        users: config.users.clone(),
        tag_second: config.tag_position == TagPosition::Second,
        max_sessions: config.max_sessions,
    };
    let shared = Arc::new(Shared::new(settings, router, changes));
    shared.set_faults(config.faults.clone());
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(server::accept_loop(
        listener,
        shared.clone(),
        tls,
        shutdown_rx.clone(),
    ))];
    if let Some(path) = &config.state_file {
        // Write the file once at start, so it exists (and is valid) from now on.
        save_now(&shared, path)?;
        tasks.push(tokio::spawn(save_on_change(
            shared.clone(),
            path.clone(),
            save_needed,
            shutdown_rx,
        )));
    }
    Ok(SimHandle {
        inner: Arc::new(Inner {
            shared,
            addr,
            shutdown,
            tasks: Mutex::new(tasks),
            state_file: config.state_file,
        }),
    })
}

fn save_now(shared: &Shared, path: &std::path::Path) -> anyhow::Result<()> {
    let snapshot = persist::snapshot(&shared.router())?;
    persist::save(&snapshot, path)
}

async fn save_on_change(
    shared: Arc<Shared>,
    path: PathBuf,
    save_needed: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = save_needed.notified() => {}
            _ = shutdown.changed() => return,
        }
        tokio::time::sleep(SAVE_DEBOUNCE).await;
        if let Err(e) = save_now(&shared, &path) {
            tracing::warn!("saving the state file: {e:#}");
        }
    }
}

impl SimHandle {
    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// Replaces the injected faults; open connections see them from their next sentence.
    pub fn set_faults(&self, faults: Faults) {
        self.inner.shared.set_faults(faults);
    }

    /// Simulated PPPoE dial-in. Needs an enabled `/ppp/secret` with this name, service `any` or
    /// `pppoe`, this password and (when the secret sets one) this caller id. Creates the
    /// `/ppp/active` row, the dynamic interface `<pppoe-NAME>` (type `pppoe-in`), a dynamic
    /// simple queue `<pppoe-NAME>` when the profile has a `rate-limit`, a dynamic address-list
    /// entry when the profile has an `address-list`, and a log line. Returns the active `.id`.
    /// A second session is refused only when the profile says `only-one=yes`.
    pub fn ppp_connect(
        &self,
        name: &str,
        password: &str,
        address: Ipv4Addr,
        caller_id: &str,
    ) -> Result<String, SimError> {
        self.inner
            .shared
            .router()
            .ppp_connect(name, password, address, caller_id)
    }

    /// The subscriber hung up: ends every session of `name` with its dynamic items, records
    /// `last-logged-out`/`last-disconnect-reason=hung-up` on the secret, logs. False when there
    /// was none.
    pub fn ppp_disconnect(&self, name: &str) -> bool {
        self.inner.shared.router().ppp_disconnect(name)
    }

    /// Simulated hotspot login: needs an enabled `/ip/hotspot/user` with this password (and
    /// MAC, when bound); the profile's `shared-users` caps sessions. Returns the active `.id`.
    pub fn hotspot_login(
        &self,
        user: &str,
        password: &str,
        address: Ipv4Addr,
        mac: &str,
    ) -> Result<String, SimError> {
        self.inner
            .shared
            .router()
            .hotspot_login(user, password, address, mac)
    }

    /// Ends every hotspot session of `user`. False when there was none.
    pub fn hotspot_logout(&self, user: &str) -> bool {
        self.inner.shared.router().hotspot_logout(user)
    }

    /// Rows of a menu as the router would print them (all properties, `.id` included), values
    /// decoded lossily. Unknown menus give no rows.
    pub fn rows(&self, menu: &str) -> Vec<BTreeMap<String, String>> {
        self.inner
            .shared
            .router()
            .print(menu)
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                    .collect()
            })
            .collect()
    }

    /// State-changing commands (add, set, remove, enable, disable, unset) received per command
    /// path, e.g. `/ppp/secret/add` → 3. Commands that ended in a trap count too: they reached
    /// the router, and a client that retries a failing add should be seen doing so.
    pub fn command_counts(&self) -> BTreeMap<String, u64> {
        self.inner.shared.router().command_counts.clone()
    }

    /// API connections open now (TLS ones included).
    pub fn open_connections(&self) -> usize {
        self.inner.shared.open_connections()
    }

    /// Adds demo data: plan profiles, subscribers' secrets, and entries a Setu agent must not
    /// touch (no `setu` comment).
    pub fn seed_demo(&self) -> anyhow::Result<()> {
        self.inner.shared.router().seed_demo()
    }

    /// Stops accepting, closes every connection, and writes the state file a last time.
    pub async fn shutdown(self) {
        // Receivers may all be gone already; that is a stop too.
        let _ = self.inner.shutdown.send(true);
        let tasks: Vec<JoinHandle<()>> = std::mem::take(
            &mut *self
                .inner
                .tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for task in tasks {
            let _ = task.await;
        }
        for _ in 0..200 {
            if self.open_connections() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if let Some(path) = &self.inner.state_file {
            if let Err(e) = save_now(&self.inner.shared, path) {
                tracing::warn!("saving the state file at shutdown: {e:#}");
            }
        }
    }
}
