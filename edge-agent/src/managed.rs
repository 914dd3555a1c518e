//! The agent managed by a controller: the desired state arrives as a signed notice and is
//! fetched over HTTP(S); the agent reports what it applied and what still differs, the
//! PPPoE/hotspot logins and logouts it sees, telemetry, and the results of commands.

use crate::desired;
use crate::link::{self, http, identity, Down, Uplinks};
use crate::reconcile::Outcome;
use crate::routeros::{Capabilities, Client, RouterError};
use protocol::desired::DesiredState;
use protocol::fleet::{
    Birth, CommandAction, CommandResult, CommandState, DesiredNotice, Drift, InterfaceCounters,
    Reported, RouterIdentity, Service, SessionChange, SessionEvent, Telemetry, UpBody,
};
use protocol::routeros::Command;
use provisioning::Desired;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const DESIRED_FILE: &str = "desired.json";
const ACTIVE_FILE: &str = "active.json";
/// Drift notes sent to the controller (the status page keeps its own).
const DRIFT_NOTES: usize = 50;
/// Interfaces whose counters go into telemetry.
const MAX_INTERFACES: usize = 64;

/// What the birth message says; updated as the agent learns.
#[derive(Debug, Clone, Default)]
pub struct BirthInfo {
    pub applied_desired_version: u64,
    pub routeros: Option<RouterIdentity>,
}

/// One active session as the router prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActiveSession {
    pub service: Service,
    pub user: String,
    pub address: String,
    pub caller_id: String,
    pub uptime_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Http(#[from] http::HttpError),
    #[error("the controller answered {0}")]
    Status(u16),
    #[error("the document does not match the signed notice ({0})")]
    Mismatch(&'static str),
    #[error("invalid desired state: {0}")]
    Invalid(String),
}

pub struct Managed {
    pub uplinks: Uplinks,
    pub downs: tokio::sync::mpsc::UnboundedReceiver<Down>,
    pub birth: Arc<Mutex<BirthInfo>>,
    state_dir: PathBuf,
    desired_url: String,
    username: String,
    password: String,
    ca: Option<Vec<rustls::pki_types::CertificateDer<'static>>>,
    /// The latest desired state (version, model), kept on disk so a restart converges offline.
    pub current: Option<(u64, Desired)>,
    /// A notice not fetched yet (the controller was unreachable); retried.
    pub pending: Option<DesiredNotice>,
    active: BTreeMap<String, ActiveSession>,
    last_reported: Option<(u64, bool, usize)>,
}

impl Managed {
    /// Loads the identity, starts the link, and reads the last desired state from disk.
    pub fn start(
        config: &crate::config::ControllerConfig,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Managed, link::LinkError> {
        let identity = identity::load(&config.state_dir)?;
        let ca = match &config.ca_file {
            Some(file) => {
                Some(
                    read_ca(file).map_err(|message| identity::IdentityError::Invalid {
                        path: file.display().to_string(),
                        message,
                    })?,
                )
            }
            None => None,
        };
        let enrollment = identity.enrollment.clone();
        let birth = Arc::new(Mutex::new(BirthInfo::default()));
        let limits = crate::outbox::Limits {
            max_bytes: config.outbox_max_mb.max(1) * 1024 * 1024,
            ..crate::outbox::Limits::default()
        };
        let birth_for_link = birth.clone();
        let (uplinks, downs) = link::start(
            identity,
            limits,
            ca.clone(),
            move || birth_body(&birth_for_link.lock().expect("birth lock")),
            shutdown,
        )?;
        let mut managed = Managed {
            uplinks,
            downs,
            birth,
            state_dir: config.state_dir.clone(),
            desired_url: enrollment.desired_url,
            username: enrollment.mqtt_username,
            password: enrollment.mqtt_password,
            ca,
            current: None,
            pending: None,
            active: BTreeMap::new(),
            last_reported: None,
        };
        managed.current = managed.load_saved();
        managed.active = std::fs::read(managed.state_dir.join(ACTIVE_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Ok(managed)
    }

    fn load_saved(&self) -> Option<(u64, Desired)> {
        let text = std::fs::read_to_string(self.state_dir.join(DESIRED_FILE)).ok()?;
        let document = desired::parse_json(&text).ok()?;
        let model = desired::to_model(&document).ok()?;
        Some((document.version, model))
    }

    pub fn current_version(&self) -> u64 {
        self.current.as_ref().map_or(0, |(v, _)| *v)
    }

    /// Fetches the document the notice announces, checks it against the notice's size and
    /// SHA-256 (the notice is signed, the HTTP answer is not), and keeps it. Nothing reaches the
    /// router from a document that fails any check.
    pub async fn fetch(&mut self, notice: &DesiredNotice) -> Result<(), FetchError> {
        let auth = http::basic_auth(&self.username, &self.password);
        let response = http::request(
            "GET",
            &self.desired_url,
            &[("Authorization", &auth)],
            None,
            self.ca.as_deref(),
        )
        .await?;
        if response.status != 200 {
            return Err(FetchError::Status(response.status));
        }
        let body = response.body;
        if body.len() as u64 != notice.bytes {
            return Err(FetchError::Mismatch("size"));
        }
        let sha =
            protocol::encoding::hex(ring::digest::digest(&ring::digest::SHA256, &body).as_ref());
        if sha != notice.sha256 {
            return Err(FetchError::Mismatch("sha256"));
        }
        let document: DesiredState =
            serde_json::from_slice(&body).map_err(|e| FetchError::Invalid(e.to_string()))?;
        if document.version != notice.version {
            return Err(FetchError::Mismatch("version"));
        }
        let model = desired::to_model(&document)
            .map_err(|errors| FetchError::Invalid(errors.join("; ")))?;
        if let Err(e) = identity::write_private(&self.state_dir.join(DESIRED_FILE), &body) {
            tracing::warn!(error = %e, "desired state not saved; it will be fetched again after a restart");
        }
        self.current = Some((document.version, model));
        Ok(())
    }

    /// Reports the pass, when something changed since the last report.
    pub fn report(
        &mut self,
        version: u64,
        outcome: Result<&Outcome, String>,
        drift_lines: &[String],
    ) {
        let (converged, pending, refused) = match outcome {
            Ok(outcome) => (
                outcome.converged(),
                outcome.failures.len() + outcome.plan.ops.len().saturating_sub(outcome.applied),
                None,
            ),
            Err(refusal) => (false, 0, Some(refusal)),
        };
        let applied = {
            let mut birth = self.birth.lock().expect("birth lock");
            if converged {
                birth.applied_desired_version = version;
            }
            birth.applied_desired_version
        };
        let key = (applied, converged, pending);
        if self.last_reported == Some(key) && refused.is_none() {
            return;
        }
        self.last_reported = Some(key);
        let drift = Drift {
            in_sync: converged,
            pending_operations: pending as u32,
            refused,
            notes: drift_lines.iter().take(DRIFT_NOTES).cloned().collect(),
        };
        self.push(UpBody::Reported(Reported {
            applied_desired_version: applied,
            drift,
        }));
    }

    /// Records the router's identity; when it is new (first contact, or the router was
    /// upgraded), a fresh birth tells the controller.
    pub fn router_known(&self, capabilities: &Capabilities) {
        let identity = RouterIdentity {
            identity: capabilities.identity.clone(),
            version: capabilities.version.clone(),
            board: capabilities.board.clone(),
        };
        let changed = {
            let mut birth = self.birth.lock().expect("birth lock");
            let changed = birth.routeros.as_ref() != Some(&identity);
            birth.routeros = Some(identity);
            changed
        };
        if changed {
            self.push(self.birth_message());
        }
    }

    /// The birth message as of now.
    pub fn birth_message(&self) -> UpBody {
        birth_body(&self.birth.lock().expect("birth lock"))
    }

    pub fn push(&self, body: UpBody) {
        if let Err(e) = self.uplinks.push(body) {
            tracing::warn!(error = %e, "uplink not queued");
        }
    }

    /// Compares the router's active sessions with the last look; pushes logins and logouts.
    pub async fn watch_sessions(&mut self, client: &Client) -> Result<(), RouterError> {
        let mut now = BTreeMap::new();
        for (service, menu, user_key, caller_key) in [
            (Service::Pppoe, "/ppp/active", "name", "caller-id"),
            (
                Service::Hotspot,
                "/ip/hotspot/active",
                "user",
                "mac-address",
            ),
        ] {
            let response = match client.run(&Command::new(format!("{menu}/print"))).await {
                Ok(response) => response,
                // No hotspot package: nothing to watch there.
                Err(RouterError::Trap { .. }) => continue,
                Err(e) => return Err(e),
            };
            for item in response.items {
                let Some(id) = item.get_text(".id") else {
                    continue;
                };
                now.insert(
                    format!("{menu}{id}"),
                    ActiveSession {
                        service,
                        user: item.get_text(user_key).unwrap_or_default(),
                        address: item.get_text("address").unwrap_or_default(),
                        caller_id: item.get_text(caller_key).unwrap_or_default(),
                        uptime_secs: item
                            .get_text("uptime")
                            .and_then(|u| parse_duration(&u))
                            .unwrap_or(0),
                    },
                );
            }
        }
        let at_ms = link_now_ms();
        let mut changed = false;
        for (key, session) in &now {
            if !self.active.contains_key(key) {
                changed = true;
                self.push(session_event(key, session, SessionChange::Up, at_ms));
            }
        }
        for (key, session) in &self.active {
            if !now.contains_key(key) {
                changed = true;
                self.push(session_event(key, session, SessionChange::Down, at_ms));
            }
        }
        if changed {
            self.active = now;
            if let Err(e) = identity::write_private(
                &self.state_dir.join(ACTIVE_FILE),
                &serde_json::to_vec(&self.active).expect("serialisable"),
            ) {
                tracing::warn!(error = %e, "active sessions not saved");
            }
        }
        Ok(())
    }

    pub async fn telemetry(&self, client: &Client) -> Result<(), RouterError> {
        let resource = client.run(&Command::new("/system/resource/print")).await?;
        let item = resource.items.first().cloned().unwrap_or_default();
        let number = |key: &str| item.get_text(key).and_then(|v| v.parse::<u64>().ok());
        let count = |service: Service| {
            self.active
                .values()
                .filter(|s| s.service == service)
                .count() as u32
        };
        self.push(UpBody::Telemetry(Telemetry {
            cpu_load_pct: number("cpu-load").unwrap_or(0).min(100) as u8,
            free_memory_bytes: number("free-memory").unwrap_or(0),
            total_memory_bytes: number("total-memory").unwrap_or(0),
            uptime_secs: item
                .get_text("uptime")
                .and_then(|u| parse_duration(&u))
                .unwrap_or(0),
            pppoe_active: count(Service::Pppoe),
            hotspot_active: count(Service::Hotspot),
            interfaces: self.interfaces(client).await?,
        }));
        Ok(())
    }

    /// Counters of the router's own interfaces (not the per-session dynamic ones: a POP with
    /// 20,000 PPPoE sessions has 20,000 of those), at most [`MAX_INTERFACES`].
    async fn interfaces(&self, client: &Client) -> Result<Vec<InterfaceCounters>, RouterError> {
        let response = client
            .run(
                &Command::new("/interface/print")
                    .proplist(&["name", "rx-byte", "tx-byte", "running"])
                    .where_eq("dynamic", "false"),
            )
            .await?;
        Ok(response
            .items
            .iter()
            .take(MAX_INTERFACES)
            .map(|item| InterfaceCounters {
                name: item.get_text("name").unwrap_or_default(),
                rx_bytes: item
                    .get_text("rx-byte")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                tx_bytes: item
                    .get_text("tx-byte")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                running: item.get_text("running").as_deref() == Some("true"),
            })
            .collect())
    }

    /// Ends every session of `user`; returns how many.
    pub async fn kick(
        &self,
        client: &Client,
        service: Service,
        user: &str,
    ) -> Result<usize, RouterError> {
        let (menu, key) = match service {
            Service::Pppoe => ("/ppp/active", "name"),
            Service::Hotspot => ("/ip/hotspot/active", "user"),
        };
        let found = client
            .run(&Command::new(format!("{menu}/print")).where_eq(key, user))
            .await?;
        let mut kicked = 0;
        for item in found.items {
            if let Some(id) = item.get_text(".id") {
                client
                    .run(&Command::new(format!("{menu}/remove")).attr(".id", id))
                    .await?;
                kicked += 1;
            }
        }
        Ok(kicked)
    }

    pub fn command_result(&self, id: &str, state: CommandState, detail: impl Into<String>) {
        self.push(UpBody::CommandResult(CommandResult {
            id: id.to_owned(),
            state,
            detail: detail.into(),
        }));
    }
}

fn birth_body(info: &BirthInfo) -> UpBody {
    UpBody::Birth(Birth {
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
        boot_seq: 0,
        capabilities: ["resync", "kick", "diagnostics", "rebirth"]
            .map(str::to_owned)
            .to_vec(),
        routeros: info.routeros.clone(),
        applied_desired_version: info.applied_desired_version,
    })
}

fn session_event(key: &str, s: &ActiveSession, change: SessionChange, at_ms: i64) -> UpBody {
    UpBody::Event(SessionEvent {
        change,
        service: s.service,
        user: s.user.clone(),
        address: s.address.clone(),
        caller_id: s.caller_id.clone(),
        router_session_id: key
            .rsplit_once('*')
            .map_or(key.to_owned(), |(_, id)| format!("*{id}")),
        at_ms,
        uptime_secs: (change == SessionChange::Down).then_some(s.uptime_secs),
        bytes_in: None,
        bytes_out: None,
    })
}

fn link_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// RouterOS durations: `1w2d3h4m5s` (v7) or `3d04:05:06` (v6).
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some((days, clock)) = text.split_once('d').filter(|(_, c)| c.contains(':')) {
        let days: u64 = days.parse().ok()?;
        return Some(days * 86_400 + parse_clock(clock)?);
    }
    if text.contains(':') {
        return parse_clock(text);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        total += n * match c {
            'w' => 604_800,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
    }
    number.is_empty().then_some(total)
}

fn parse_clock(text: &str) -> Option<u64> {
    let parts: Vec<u64> = text
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [h, m, s] => Some(h * 3600 + m * 60 + s),
        _ => None,
    }
}

fn read_ca(
    file: &std::path::Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    let pem = std::fs::read(file).map_err(|e| e.to_string())?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate in file".into());
    }
    Ok(certs)
}

/// What a command does, for its result.
pub fn describe(action: &CommandAction) -> &'static str {
    match action {
        CommandAction::Resync => "resync",
        CommandAction::Kick { .. } => "kick",
        CommandAction::Diagnostics => "diagnostics",
        CommandAction::Rebirth => "rebirth",
        CommandAction::Unsupported => "unsupported",
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn routeros_durations_parse() {
        assert_eq!(
            parse_duration("1w2d3h4m5s"),
            Some(604_800 + 2 * 86_400 + 3 * 3600 + 245)
        );
        assert_eq!(parse_duration("45s"), Some(45));
        assert_eq!(
            parse_duration("3d04:05:06"),
            Some(3 * 86_400 + 4 * 3600 + 5 * 60 + 6)
        );
        assert_eq!(parse_duration("00:00:10"), Some(10));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("12"), None);
    }
}
