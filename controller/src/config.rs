//! Configuration: defaults < TOML file < environment (`SETU_…`) < command-line flags.
//!
//! Environment variables name a key path with `__` between levels, e.g. `SETU_HTTP__LISTEN`,
//! `SETU_DATABASE__URL`. Values are read as TOML when they parse (`8080`, `true`) and as strings
//! otherwise. Unknown keys are errors in every layer, so a typo cannot silently fall back to a
//! default. `controller.example.toml` documents every key (`setu-controller default-config`).

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const EXAMPLE: &str = include_str!("../controller.example.toml");

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite database (and later other state) lives; created if missing.
    pub data_dir: PathBuf,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub login: LoginConfig,
    pub mqtt: crate::fleet::broker::MqttConfig,
    pub fleet: FleetConfig,
    pub jobs: crate::jobs::JobsConfig,
    pub billing: crate::billing::BillingConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// The MQTT URL agents dial (`mqtt://`, `mqtts://`, `ws://`, `wss://`); empty = the embedded
    /// broker's listen address.
    pub agent_mqtt_url: String,
    /// The controller's URL as agents reach it (enrollment, desired-state fetch); empty = the
    /// HTTP listen address.
    pub public_url: String,
    /// How long an enrollment token works.
    pub enrollment_minutes: i64,
    /// How long the session log keeps ended sessions (BTRC asks for at least 3 months).
    pub session_retention_days: i64,
    /// How often a router still behind its desired state is told again.
    pub resend_secs: u64,
    /// How long the record of each agent message is kept once acknowledged past.
    pub agent_message_retention_hours: i64,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            agent_mqtt_url: String::new(),
            public_url: String::new(),
            enrollment_minutes: 60,
            session_retention_days: 365,
            resend_secs: 15,
            agent_message_retention_hours: 24,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// `Secure` on cookies. Browsers accept secure cookies on http://localhost; turn off only
    /// for plain-HTTP access from another machine in a lab.
    pub secure_cookies: bool,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub max_body_bytes: usize,
    /// A client must send a request's head within this many seconds, or the connection closes.
    pub header_read_timeout_secs: u64,
    /// `/metrics` on the main listener wants `Authorization: Bearer <this>`; empty: not served
    /// there.
    pub metrics_token: String,
    /// A separate address serving `/metrics` without a token (reachable by Prometheus only);
    /// empty: none.
    pub metrics_listen: String,
    /// How often a long-lived answer (the live fleet page) checks that its session is still
    /// signed in, and ends if not.
    pub stream_session_check_secs: u64,
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; empty = SQLite file in `data_dir`.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// JSON lines instead of human-readable text.
    pub json: bool,
    /// `tracing` filter, e.g. `info,setu=debug`.
    pub filter: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Failed logins in a row before the account is locked.
    pub max_failures: i64,
    pub lockout_minutes: i64,
    /// Failed logins from one address, within `lockout_minutes`, before it must wait.
    pub max_failures_per_ip: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from(".data"),
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            login: LoginConfig::default(),
            mqtt: crate::fleet::broker::MqttConfig::default(),
            fleet: FleetConfig::default(),
            jobs: crate::jobs::JobsConfig::default(),
            billing: crate::billing::BillingConfig::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: true,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            max_body_bytes: 64 * 1024,
            header_read_timeout_secs: 10,
            metrics_token: String::new(),
            metrics_listen: String::new(),
            stream_session_check_secs: 15,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            json: false,
            filter: "info".into(),
        }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            max_failures: 5,
            lockout_minutes: 15,
            max_failures_per_ip: 30,
        }
    }
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("listen", &self.listen)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_hours", &self.session_absolute_hours)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_read_timeout_secs", &self.header_read_timeout_secs)
            .field(
                "metrics_token",
                &if self.metrics_token.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .field("metrics_listen", &self.metrics_listen)
            .field("stream_session_check_secs", &self.stream_session_check_secs)
            .finish()
    }
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &crate::kernel::db::redact_url(&self.url))
            .finish()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("http", &self.http)
            .field("database", &self.database)
            .field("log", &self.log)
            .field("login", &self.login)
            .field("mqtt", &self.mqtt)
            .field("fleet", &self.fleet)
            .finish()
    }
}

impl Config {
    /// The MQTT URL handed to agents at enrollment.
    pub fn agent_mqtt_url(&self) -> String {
        if self.fleet.agent_mqtt_url.is_empty() {
            format!("mqtt://{}", self.mqtt.listen)
        } else {
            self.fleet.agent_mqtt_url.clone()
        }
    }

    /// The controller's base URL as agents reach it.
    pub fn public_url(&self) -> String {
        if self.fleet.public_url.is_empty() {
            format!("http://{}", self.http.listen)
        } else {
            self.fleet.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// The database URL, defaulting to a SQLite file in `data_dir`.
    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("setu.db").display()
            )
        } else {
            self.database.url.clone()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// Builds the configuration from its layers. `env` is the process environment (passed in so
/// tests need not touch it); `overrides` are `(key.path, value)` pairs from flags.
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    overrides: &[(&str, toml::Value)],
) -> Result<Config, ConfigError> {
    let invalid = |origin: &str, message: String| ConfigError::Invalid {
        origin: origin.to_owned(),
        message,
    };
    let mut table =
        toml::Table::try_from(Config::default()).map_err(|e| invalid("defaults", e.to_string()))?;
    if let Some(path) = file {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let from_file: toml::Table = toml::from_str(&text)
            .map_err(|e| invalid(&shown, e.to_string().trim_end().to_owned()))?;
        // Validate the file on its own first, so its errors name the file.
        Config::deserialize(toml::Value::Table(merged(table.clone(), from_file.clone())))
            .map_err(|e| invalid(&shown, e.to_string().trim_end().to_owned()))?;
        table = merged(table, from_file);
    }
    let sections: Vec<String> = table.keys().cloned().collect();
    for (key, value) in env {
        let Some(path) = key.strip_prefix("SETU_") else {
            continue;
        };
        let path: Vec<String> = path.split("__").map(str::to_lowercase).collect();
        // Other tools' SETU_ variables (test switches) are not ours to reject.
        if !sections.contains(&path[0]) {
            continue;
        }
        let value = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        set(&mut table, &path, value);
        Config::deserialize(toml::Value::Table(table.clone()))
            .map_err(|e| invalid(&key, e.to_string().trim_end().to_owned()))?;
    }
    for (key, value) in overrides {
        let path: Vec<String> = key.split('.').map(str::to_owned).collect();
        set(&mut table, &path, value.clone());
    }
    Config::deserialize(toml::Value::Table(table))
        .map_err(|e| invalid("flags", e.to_string().trim_end().to_owned()))
}

fn merged(mut base: toml::Table, over: toml::Table) -> toml::Table {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => {
                *b = merged(std::mem::take(b), o)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
    base
}

fn set(table: &mut toml::Table, path: &[String], value: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(inner) = entry {
                set(inner, rest, value);
            } else {
                // `first` is a value, not a section: make the path an error at deserialization.
                let mut inner = toml::Table::new();
                set(&mut inner, rest, value);
                *entry = toml::Value::Table(inner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_documented_example_is_a_valid_configuration() {
        let example: Config = toml::from_str(EXAMPLE).expect("controller.example.toml parses");
        let defaults = Config::default();
        assert_eq!(example.http.listen, defaults.http.listen);
        assert_eq!(
            example.fleet.session_retention_days,
            defaults.fleet.session_retention_days
        );
        assert_eq!(
            example.login.max_failures_per_ip,
            defaults.login.max_failures_per_ip
        );
    }

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = std::env::temp_dir().join(format!("setu-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "[http]\nlisten = \"0.0.0.0:9000\"\nsession_idle_minutes = 5\n[login]\nmax_failures = 3\n").unwrap();
        let c = load(
            Some(&file),
            env(&[
                ("SETU_HTTP__SESSION_IDLE_MINUTES", "7"),
                ("SETU_LOGIN__MAX_FAILURES", "4"),
                ("SETU_CROSSCHECK_PYTHON", "x"),
            ]),
            &[("login.max_failures", toml::Value::Integer(9))],
        )
        .unwrap();
        assert_eq!(
            c.http.listen,
            "0.0.0.0:9000".parse().unwrap(),
            "file over default"
        );
        assert_eq!(c.http.session_idle_minutes, 7, "env over file");
        assert_eq!(c.login.max_failures, 9, "flag over env");
        assert_eq!(c.log.filter, "info", "default kept");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_naming_their_origin() {
        let dir = std::env::temp_dir().join(format!("setu-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.toml");
        std::fs::write(&file, "[http]\nlistn = \"x\"\n").unwrap();
        let err = load(Some(&file), env(&[]), &[]).unwrap_err().to_string();
        assert!(err.contains("bad.toml") && err.contains("listn"), "{err}");
        std::fs::write(&file, "[http\n").unwrap();
        let err = load(Some(&file), env(&[]), &[]).unwrap_err().to_string();
        assert!(err.contains("bad.toml"), "{err}");
        let err = load(None, env(&[("SETU_HTTP__LISTN", "x")]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SETU_HTTP__LISTN"), "{err}");
        let err = load(None, env(&[("SETU_HTTP__LISTEN", "not an address")]), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SETU_HTTP__LISTEN"), "{err}");
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let c = load(
            None,
            env(&[("SETU_DATABASE__URL", "postgres://setu:hunter2@db/setu")]),
            &[],
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("***"),
            "{shown}"
        );
    }
}
