//! The desired-state document: what one router should hold, as the controller (or an operator's
//! file) states it. Field names are the document's, not RouterOS's; rates are from the
//! subscriber's point of view (`download`, `upload`) so nobody has to remember that RouterOS
//! writes `rx/tx` from the router's side. Unknown fields are errors, so a typo cannot silently
//! drop a setting. The format is documented in `edge-agent/desired-state.md`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredState {
    /// Increases with every change; the agent reports the version it applied.
    #[serde(default)]
    pub version: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ppp_profiles: Vec<PppProfile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<PppSecret>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hotspot_profiles: Vec<HotspotProfile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hotspot_users: Vec<HotspotUser>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<SimpleQueue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address_lists: Vec<AddressListEntry>,
}

/// A rate limit in the subscriber's terms. Rates are RouterOS numbers: `64000`, `512k`, `10M`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    pub download: String,
    pub upload: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<Burst>,
    /// 1 (highest) to 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// Guaranteed rates (RouterOS `limit-at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_download: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_upload: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    pub download: String,
    pub upload: String,
    pub threshold_download: String,
    pub threshold_upload: String,
    /// Seconds over which the average is measured.
    pub time_secs: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PppProfile {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates: Option<Rates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_address: Option<String>,
    /// An address or the name of an IP pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_one: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_list: Option<String>,
}

fn pppoe() -> String {
    "pppoe".to_owned()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PppSecret {
    pub subscriber_id: u64,
    pub name: String,
    pub password: String,
    pub profile: String,
    #[serde(default = "pppoe")]
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_address: Option<std::net::Ipv4Addr>,
    #[serde(default)]
    pub disabled: bool,
    /// Unpaid: handled by the agent's suspension policy (disable, or walled garden).
    #[serde(default)]
    pub suspended: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotProfile {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates: Option<Rates>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_users: Option<u32>,
    /// RouterOS duration, e.g. `1h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_pool: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotUser {
    pub subscriber_id: u64,
    pub name: String,
    pub password: String,
    pub profile: String,
    /// RouterOS duration, e.g. `30d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_uptime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_bytes_total: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub suspended: bool,
}

/// A simple queue for a static-IP subscriber.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimpleQueue {
    pub subscriber_id: u64,
    pub name: String,
    /// Address or prefix, e.g. `10.20.0.11/32`; never empty, never `0.0.0.0/0`.
    pub target: String,
    pub download: String,
    pub upload: String,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub suspended: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressListEntry {
    pub subscriber_id: u64,
    pub list: String,
    pub address: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_rejected_and_defaults_apply() {
        let doc: DesiredState = serde_json::from_str(
            r#"{"version":3,"secrets":[{"subscriber_id":1,"name":"a","password":"p","profile":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(doc.secrets[0].service, "pppoe");
        assert!(!doc.secrets[0].suspended);
        let err = serde_json::from_str::<DesiredState>(r#"{"secrets":[{"subscriber_id":1,"name":"a","password":"p","profile":"x","disabeld":true}]}"#)
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `disabeld`"),
            "{err}"
        );
    }
}
