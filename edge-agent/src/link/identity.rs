//! The agent's identity on disk: its Ed25519 key (`agent.key`, PKCS#8, mode 0600), what the
//! controller said at enrollment (`enrollment.json`, 0600: it holds the MQTT password), and the
//! connection counter `boot_seq`. All written to a temporary file, fsynced and renamed, so a
//! power cut leaves the old file or the new one, never half of one.

use super::http::{self, HttpError};
use protocol::fleet::{self as wire, AgentId};
use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

const KEY_FILE: &str = "agent.key";
const ENROLLMENT_FILE: &str = "enrollment.json";
const BOOT_SEQ_FILE: &str = "boot_seq";

/// What the controller answered at enrollment (field names as its JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enrollment {
    pub agent_id: String,
    pub mqtt_url: String,
    pub mqtt_username: String,
    pub mqtt_password: String,
    pub controller_public_key: String,
    pub desired_url: String,
}

/// Everything the link needs, loaded and checked.
pub struct Identity {
    pub agent_id: AgentId,
    pub key: Ed25519KeyPair,
    pub controller_key: Vec<u8>,
    pub enrollment: Enrollment,
    pub state_dir: PathBuf,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("agent_id", &self.agent_id)
            .field("state_dir", &self.state_dir)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error("the controller refused the enrollment ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("not enrolled: {0} has no enrollment; run `setu-agent enroll` first")]
    NotEnrolled(String),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> IdentityError + '_ {
    move |source| IdentityError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `bytes` to `path` readable by the owner only, atomically.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), IdentityError> {
    use std::os::unix::fs::OpenOptionsExt;
    let temp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)
        .map_err(io_error(&temp))?;
    file.write_all(bytes).map_err(io_error(&temp))?;
    file.sync_all().map_err(io_error(&temp))?;
    std::fs::rename(&temp, path).map_err(io_error(path))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error(dir))?;
    }
    Ok(())
}

/// Makes a key pair, enrolls with the one-time `token`, and stores the result in `state_dir`.
/// A refused token changes nothing on disk.
pub async fn enroll(
    controller_url: &str,
    token: &str,
    state_dir: &Path,
    ca: Option<&[rustls::pki_types::CertificateDer<'static>]>,
) -> Result<Enrollment, IdentityError> {
    std::fs::create_dir_all(state_dir).map_err(io_error(state_dir))?;
    let pkcs8 = wire::generate_keypair_pkcs8();
    let key = wire::keypair_from_pkcs8(&pkcs8).map_err(|e| IdentityError::Invalid {
        path: "generated key".into(),
        message: e.to_string(),
    })?;
    let request = serde_json::json!({
        "token": token.trim(),
        "public_key": wire::public_key_hex(&key),
        "agent_version": env!("CARGO_PKG_VERSION"),
    });
    let url = format!("{}/fleet/v1/enroll", controller_url.trim_end_matches('/'));
    let body = request.to_string();
    let response = http::request(
        "POST",
        &url,
        &[],
        Some(("application/json", body.as_bytes())),
        ca,
    )
    .await?;
    if response.status != 201 {
        let message = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned());
        return Err(IdentityError::Refused {
            status: response.status,
            message,
        });
    }
    let enrollment: Enrollment =
        serde_json::from_slice(&response.body).map_err(|e| IdentityError::Invalid {
            path: url.clone(),
            message: e.to_string(),
        })?;
    check(&enrollment, &url)?;
    write_private(&state_dir.join(KEY_FILE), &pkcs8)?;
    write_private(
        &state_dir.join(ENROLLMENT_FILE),
        &serde_json::to_vec_pretty(&enrollment).expect("serialisable"),
    )?;
    Ok(enrollment)
}

fn check(enrollment: &Enrollment, origin: &str) -> Result<(AgentId, Vec<u8>), IdentityError> {
    let invalid = |message: String| IdentityError::Invalid {
        path: origin.to_owned(),
        message,
    };
    let agent_id = AgentId::parse(&enrollment.agent_id).map_err(|e| invalid(e.to_string()))?;
    let controller_key = wire::parse_public_key_hex(&enrollment.controller_public_key)
        .map_err(|e| invalid(e.to_string()))?;
    Ok((agent_id, controller_key))
}

/// Loads the identity written by [`enroll`].
pub fn load(state_dir: &Path) -> Result<Identity, IdentityError> {
    let enrollment_path = state_dir.join(ENROLLMENT_FILE);
    if !enrollment_path.exists() {
        return Err(IdentityError::NotEnrolled(state_dir.display().to_string()));
    }
    let text = std::fs::read(&enrollment_path).map_err(io_error(&enrollment_path))?;
    let shown = enrollment_path.display().to_string();
    let enrollment: Enrollment =
        serde_json::from_slice(&text).map_err(|e| IdentityError::Invalid {
            path: shown.clone(),
            message: e.to_string(),
        })?;
    let (agent_id, controller_key) = check(&enrollment, &shown)?;
    let key_path = state_dir.join(KEY_FILE);
    let pkcs8 = std::fs::read(&key_path).map_err(io_error(&key_path))?;
    let key = wire::keypair_from_pkcs8(&pkcs8).map_err(|e| IdentityError::Invalid {
        path: key_path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(Identity {
        agent_id,
        key,
        controller_key,
        enrollment,
        state_dir: state_dir.to_owned(),
    })
}

/// Bumps and persists the connection counter; returns the new value.
pub fn next_boot_seq(state_dir: &Path) -> Result<u64, IdentityError> {
    let path = state_dir.join(BOOT_SEQ_FILE);
    let current = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let next = current + 1;
    write_private(&path, next.to_string().as_bytes())?;
    Ok(next)
}
