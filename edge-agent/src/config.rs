//! The agent's configuration file (`setu-agent run --config FILE`).
//!
//! TOML; unknown keys are errors. The router password lives in its own file so the config can be
//! shown to anyone. `edge-agent/agent.example.toml` documents every key.

use crate::routeros::tls::parse_fingerprint;
use crate::routeros::{ConnectOptions, Trust};
use provisioning::{Policy, Suspension};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const EXAMPLE: &str = include_str!("../agent.example.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub router: RouterConfig,
    /// A desired-state file (standalone agent); exclusive with `controller`.
    #[serde(default)]
    pub desired: Option<DesiredConfig>,
    /// Managed by a controller (after `setu-agent enroll`); exclusive with `desired`.
    #[serde(default)]
    pub controller: Option<ControllerConfig>,
    #[serde(default)]
    pub reconcile: ReconcileConfig,
    #[serde(default)]
    pub status: StatusConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterConfig {
    /// `host:port`: 8728 plain, 8729 API-SSL.
    pub address: String,
    pub user: String,
    pub password_file: PathBuf,
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    #[serde(default = "default_command_timeout")]
    pub command_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// SHA-256 of the router's certificate, hex (colons allowed).
    #[serde(default)]
    pub fingerprint_sha256: Option<String>,
    /// PEM file with the CA that signed the router's certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredConfig {
    /// `.toml` or `.json` desired-state file, re-read when it changes.
    pub file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerConfig {
    /// Where `setu-agent enroll` left the key and credentials; also holds the outbox.
    pub state_dir: PathBuf,
    /// PEM CA of the controller's HTTPS certificate (for an `https://` controller).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// How often active sessions are checked for logins and logouts.
    #[serde(default = "default_events_interval")]
    pub events_interval_secs: u64,
    #[serde(default = "default_telemetry_interval")]
    pub telemetry_interval_secs: u64,
    /// Outbox bound; the oldest telemetry goes first when full.
    #[serde(default = "default_outbox_mb")]
    pub outbox_max_mb: u64,
}

fn default_events_interval() -> u64 {
    2
}

fn default_telemetry_interval() -> u64 {
    60
}

fn default_outbox_mb() -> u64 {
    64
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileConfig {
    pub interval_secs: u64,
    pub dry_run: bool,
    /// `disable`, or `walled-garden` with `suspended_profile`.
    pub suspension: String,
    pub suspended_profile: Option<String>,
    pub suspended_hotspot_profile: Option<String>,
    pub max_destructive_share: f64,
    pub destructive_floor: usize,
    pub allow_empty_desired: bool,
    pub adopt_matching_names: bool,
    pub window: usize,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        let policy = Policy::default();
        ReconcileConfig {
            interval_secs: 60,
            dry_run: false,
            suspension: "disable".into(),
            suspended_profile: None,
            suspended_hotspot_profile: None,
            max_destructive_share: policy.max_destructive_share,
            destructive_floor: policy.destructive_floor,
            allow_empty_desired: policy.allow_empty_desired,
            adopt_matching_names: policy.adopt_matching_names,
            window: 64,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusConfig {
    /// Where the technicians' status page listens.
    pub listen: SocketAddr,
}

impl Default for StatusConfig {
    fn default() -> Self {
        StatusConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 8088)),
        }
    }
}

fn default_command_timeout() -> u64 {
    30
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl AgentConfig {
    pub fn load(path: &Path) -> Result<AgentConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut config: AgentConfig = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: shown.clone(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        // Relative paths are relative to the config file, not to wherever the agent was started.
        let base = path.parent().unwrap_or(Path::new("."));
        config.router.password_file = base.join(&config.router.password_file);
        if let Some(desired) = &mut config.desired {
            desired.file = base.join(&desired.file);
        }
        if let Some(controller) = &mut config.controller {
            controller.state_dir = base.join(&controller.state_dir);
            controller.ca_file = controller.ca_file.as_ref().map(|f| base.join(f));
        }
        if config.desired.is_some() == config.controller.is_some() {
            return Err(ConfigError::Invalid {
                path: shown,
                message: "set exactly one of [desired] (a file) and [controller] (after `setu-agent enroll`)".into(),
            });
        }
        if let Some(tls) = &mut config.router.tls {
            tls.ca_file = tls.ca_file.as_ref().map(|f| base.join(f));
        }
        config.policy().map_err(|message| ConfigError::Invalid {
            path: shown.clone(),
            message,
        })?;
        Ok(config)
    }

    pub fn policy(&self) -> Result<Policy, String> {
        let r = &self.reconcile;
        let suspension =
            match (r.suspension.as_str(), &r.suspended_profile) {
                ("disable", _) => Suspension::Disable,
                ("walled-garden", Some(profile)) => Suspension::WalledGarden {
                    ppp_profile: profile.clone(),
                    hotspot_profile: r.suspended_hotspot_profile.clone(),
                },
                ("walled-garden", None) => return Err(
                    "reconcile.suspension = \"walled-garden\" needs reconcile.suspended_profile"
                        .into(),
                ),
                (other, _) => {
                    return Err(format!(
                "reconcile.suspension: expected \"disable\" or \"walled-garden\", got {other:?}"
            ))
                }
            };
        if !(0.0..=1.0).contains(&r.max_destructive_share) {
            return Err("reconcile.max_destructive_share must be between 0 and 1".into());
        }
        Ok(Policy {
            suspension,
            max_destructive_share: r.max_destructive_share,
            destructive_floor: r.destructive_floor,
            allow_empty_desired: r.allow_empty_desired,
            allow_mass_changes: false,
            adopt_matching_names: r.adopt_matching_names,
        })
    }

    /// Connection settings, reading the password and CA files.
    pub fn connect_options(&self) -> Result<ConnectOptions, ConfigError> {
        let router = &self.router;
        let password = read_password(&router.password_file)?;
        let mut options = ConnectOptions::new(&router.address, &router.user, password);
        options.command_timeout = Duration::from_secs(router.command_timeout_secs.max(1));
        options.tls = router.tls.as_ref().map(tls_trust).transpose()?;
        Ok(options)
    }
}

/// Reads a password file; one trailing newline is not part of the password.
pub fn read_password(path: &Path) -> Result<String, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown,
        source,
    })?;
    Ok(text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text)
        .to_owned())
}

fn tls_trust(tls: &TlsConfig) -> Result<Trust, ConfigError> {
    match (&tls.fingerprint_sha256, &tls.ca_file) {
        (Some(fp), None) => parse_fingerprint(fp)
            .map(Trust::PinnedSha256)
            .map_err(|message| ConfigError::Invalid {
                path: "router.tls.fingerprint_sha256".into(),
                message,
            }),
        (None, Some(file)) => {
            let shown = file.display().to_string();
            let pem = std::fs::read(file).map_err(|source| ConfigError::Read {
                path: shown.clone(),
                source,
            })?;
            let certs = rustls_pemfile::certs(&mut pem.as_slice())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ConfigError::Invalid {
                    path: shown.clone(),
                    message: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(ConfigError::Invalid {
                    path: shown,
                    message: "no certificate in file".into(),
                });
            }
            Ok(Trust::Ca(certs))
        }
        _ => Err(ConfigError::Invalid {
            path: "router.tls".into(),
            message: "set exactly one of fingerprint_sha256 and ca_file".into(),
        }),
    }
}
