//! Reading a desired-state document and turning it into the planner's model.
//!
//! Every error names where it is: a line and column for syntax, a field path such as
//! `secrets[3].profile` for content. Nothing is applied unless the whole document is valid.

use protocol::desired as doc;
use provisioning::{Burst, Desired, Rate, RateLimit};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DesiredError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}: invalid desired state:\n  {}", .errors.join("\n  "))]
    Invalid { path: String, errors: Vec<String> },
}

/// Loads a `.toml` or `.json` desired-state file.
pub fn load_file(path: &Path) -> Result<(u64, Desired), DesiredError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| DesiredError::Read {
        path: shown.clone(),
        source,
    })?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let document = if is_json {
        parse_json(&text)
    } else {
        parse_toml(&text)
    }
    .map_err(|message| DesiredError::Syntax {
        path: shown.clone(),
        message,
    })?;
    let version = document.version;
    let desired = to_model(&document).map_err(|errors| DesiredError::Invalid {
        path: shown,
        errors,
    })?;
    Ok((version, desired))
}

pub fn parse_json(text: &str) -> Result<doc::DesiredState, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

pub fn parse_toml(text: &str) -> Result<doc::DesiredState, String> {
    toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
}

/// Converts and validates a document. Errors are `path: message` lines.
pub fn to_model(document: &doc::DesiredState) -> Result<Desired, Vec<String>> {
    let mut errors = Vec::new();
    let mut rate = |path: String, text: &str| -> Rate {
        text.parse::<Rate>().unwrap_or_else(|e| {
            errors.push(format!("{path}: {e}"));
            Rate(0)
        })
    };
    let mut rates = |path: String, r: &doc::Rates| -> RateLimit {
        RateLimit {
            upload: rate(format!("{path}.upload"), &r.upload),
            download: rate(format!("{path}.download"), &r.download),
            burst: r.burst.as_ref().map(|b| Burst {
                upload_rate: rate(format!("{path}.burst.upload"), &b.upload),
                download_rate: rate(format!("{path}.burst.download"), &b.download),
                upload_threshold: rate(
                    format!("{path}.burst.threshold_upload"),
                    &b.threshold_upload,
                ),
                download_threshold: rate(
                    format!("{path}.burst.threshold_download"),
                    &b.threshold_download,
                ),
                upload_time_secs: b.time_secs,
                download_time_secs: b.time_secs,
            }),
            priority: r.priority,
            min: match (&r.min_upload, &r.min_download) {
                (None, None) => None,
                (up, down) => Some((
                    rate(format!("{path}.min_upload"), up.as_deref().unwrap_or("0")),
                    rate(
                        format!("{path}.min_download"),
                        down.as_deref().unwrap_or("0"),
                    ),
                )),
            },
        }
    };
    let ppp_profiles = document
        .ppp_profiles
        .iter()
        .enumerate()
        .map(|(i, p)| provisioning::PppProfile {
            name: p.name.clone(),
            rate_limit: p
                .rates
                .as_ref()
                .map(|r| rates(format!("ppp_profiles[{i}].rates"), r)),
            local_address: p.local_address.clone(),
            remote_address: p.remote_address.clone(),
            dns_server: p.dns_server.clone(),
            only_one: p.only_one,
            address_list: p.address_list.clone(),
        })
        .collect();
    let hotspot_profiles = document
        .hotspot_profiles
        .iter()
        .enumerate()
        .map(|(i, p)| provisioning::HotspotProfile {
            name: p.name.clone(),
            rate_limit: p
                .rates
                .as_ref()
                .map(|r| rates(format!("hotspot_profiles[{i}].rates"), r)),
            shared_users: p.shared_users,
            session_timeout: p.session_timeout.clone(),
            address_pool: p.address_pool.clone(),
        })
        .collect();
    let queues = document
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| provisioning::SimpleQueue {
            subscriber_id: q.subscriber_id,
            name: q.name.clone(),
            target: q.target.clone(),
            max_upload: rate(format!("queues[{i}].upload"), &q.upload),
            max_download: rate(format!("queues[{i}].download"), &q.download),
            disabled: q.disabled,
            suspended: q.suspended,
        })
        .collect();
    let secrets = document
        .secrets
        .iter()
        .map(|s| provisioning::PppSecret {
            subscriber_id: s.subscriber_id,
            name: s.name.clone(),
            password: s.password.clone(),
            profile: s.profile.clone(),
            service: s.service.clone(),
            remote_address: s.remote_address,
            disabled: s.disabled,
            suspended: s.suspended,
        })
        .collect();
    let hotspot_users = document
        .hotspot_users
        .iter()
        .map(|u| provisioning::HotspotUser {
            subscriber_id: u.subscriber_id,
            name: u.name.clone(),
            password: u.password.clone(),
            profile: u.profile.clone(),
            limit_uptime: u.limit_uptime.clone(),
            limit_bytes_total: u.limit_bytes_total,
            mac_address: u.mac_address.clone(),
            disabled: u.disabled,
            suspended: u.suspended,
        })
        .collect();
    let address_lists = document
        .address_lists
        .iter()
        .map(|a| provisioning::AddressListEntry {
            subscriber_id: a.subscriber_id,
            list: a.list.clone(),
            address: a.address.clone(),
        })
        .collect();
    let desired = Desired {
        ppp_profiles,
        secrets,
        hotspot_profiles,
        hotspot_users,
        queues,
        address_lists,
    };
    if let Err(invalid) = desired.validate() {
        errors.extend(invalid.iter().map(ToString::to_string));
    }
    if errors.is_empty() {
        Ok(desired)
    } else {
        Err(errors)
    }
}
