//! What a router should hold: only the entries Setu manages, in Setu's terms.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;

use crate::rate::{Rate, RateLimit};
use crate::value::{matches_every_address, parse_duration_secs};

/// PPP profiles every router has; secrets may use them without Setu managing them.
pub const BUILTIN_PPP_PROFILES: [&str; 2] = ["default", "default-encryption"];
/// Hotspot user profiles every router has.
pub const BUILTIN_HOTSPOT_PROFILES: [&str; 1] = ["default"];
/// The values RouterOS accepts for a PPP secret's `service`.
pub const PPP_SERVICES: [&str; 8] = [
    "any", "async", "isdn", "l2tp", "pppoe", "pptp", "ovpn", "sstp",
];

/// What the router should hold (only Setu-managed entries).
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct Desired {
    pub ppp_profiles: Vec<PppProfile>,
    pub secrets: Vec<PppSecret>,
    pub hotspot_profiles: Vec<HotspotProfile>,
    pub hotspot_users: Vec<HotspotUser>,
    pub queues: Vec<SimpleQueue>,
    pub address_lists: Vec<AddressListEntry>,
}

/// A PPP plan (`/ppp/profile`).
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct PppProfile {
    pub name: String,
    pub rate_limit: Option<RateLimit>,
    pub local_address: Option<String>,
    /// An address or the name of an IP pool.
    pub remote_address: Option<String>,
    pub dns_server: Option<String>,
    /// `None` leaves the router's `default`.
    pub only_one: Option<bool>,
    pub address_list: Option<String>,
}

/// A PPPoE login (`/ppp/secret`).
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct PppSecret {
    pub subscriber_id: u64,
    pub name: String,
    pub password: String,
    pub profile: String,
    /// One of [`PPP_SERVICES`].
    pub service: String,
    pub remote_address: Option<Ipv4Addr>,
    pub disabled: bool,
    /// Unpaid: applied through the [`Suspension`](crate::Suspension) policy.
    pub suspended: bool,
}

/// A hotspot plan (`/ip/hotspot/user/profile`).
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct HotspotProfile {
    pub name: String,
    pub rate_limit: Option<RateLimit>,
    pub shared_users: Option<u32>,
    /// RouterOS duration, e.g. `1h`.
    pub session_timeout: Option<String>,
    pub address_pool: Option<String>,
}

/// A hotspot login (`/ip/hotspot/user`). The password may be empty: MAC-address logins have
/// none.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct HotspotUser {
    pub subscriber_id: u64,
    pub name: String,
    pub password: String,
    pub profile: String,
    /// RouterOS duration, e.g. `1d`.
    pub limit_uptime: Option<String>,
    pub limit_bytes_total: Option<u64>,
    pub mac_address: Option<String>,
    pub disabled: bool,
    /// Unpaid: applied through the [`Suspension`](crate::Suspension) policy.
    pub suspended: bool,
}

/// A simple queue shaping a static-IP subscriber (`/queue/simple`).
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct SimpleQueue {
    pub subscriber_id: u64,
    pub name: String,
    /// An address or prefix, or a comma-separated list of them: `10.20.0.11/32`.
    pub target: String,
    pub max_upload: Rate,
    pub max_download: Rate,
    pub disabled: bool,
    /// Ignored by the planner. A static-IP subscriber is suspended by an address-list entry
    /// (the controller puts it in [`Desired::address_lists`]) that the firewall redirects to the
    /// payment page; disabling the queue would only lift the subscriber's rate limit.
    pub suspended: bool,
}

/// An address-list entry (`/ip/firewall/address-list`), e.g. a static-IP subscriber in the
/// `suspended` list. The entry is identified by its list and address; the subscriber id only
/// marks whose it is.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct AddressListEntry {
    pub subscriber_id: u64,
    pub list: String,
    pub address: String,
}

/// One problem in a desired state: where (`secrets[3].profile`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ValidationError {}

impl Desired {
    /// Checks the desired state on its own: empty or duplicate names, duplicate subscriber ids,
    /// logins naming a profile that is neither desired nor built in, malformed values, and queue
    /// or address-list targets that are empty or cover every address.
    pub fn validate(&self) -> Result<(), Vec<ValidationError>> {
        let mut check = Checker::default();
        let ppp_profile_names = check.profiles(
            "ppp_profiles",
            self.ppp_profiles
                .iter()
                .map(|p| (p.name.as_str(), p.rate_limit.as_ref())),
        );
        let hotspot_profile_names = check.profiles(
            "hotspot_profiles",
            self.hotspot_profiles
                .iter()
                .map(|p| (p.name.as_str(), p.rate_limit.as_ref())),
        );
        for (index, profile) in self.hotspot_profiles.iter().enumerate() {
            if let Some(timeout) = &profile.session_timeout {
                check.duration(
                    &format!("hotspot_profiles[{index}]"),
                    "session_timeout",
                    timeout,
                );
            }
        }

        let mut secret_names = Unique::default();
        let mut secret_ids = Unique::default();
        let mut secret_addresses = Unique::default();
        for (index, secret) in self.secrets.iter().enumerate() {
            let at = format!("secrets[{index}]");
            check.name(&at, "name", &secret.name, &mut secret_names);
            check.subscriber(&at, secret.subscriber_id, &mut secret_ids);
            check.not_empty(&at, "password", &secret.password);
            check.profile(
                &at,
                &secret.profile,
                &ppp_profile_names,
                &BUILTIN_PPP_PROFILES,
            );
            if !PPP_SERVICES.contains(&secret.service.as_str()) {
                let message = format!(
                    "unknown service {:?} (expected one of {})",
                    secret.service,
                    PPP_SERVICES.join(", ")
                );
                check.error(&at, "service", message);
            }
            if let Some(address) = secret.remote_address {
                if let Some(first) = secret_addresses.first_or_insert(address.to_string(), &at) {
                    check.error(
                        &at,
                        "remote_address",
                        format!("{address} is also given to {first}"),
                    );
                }
            }
        }

        let mut user_names = Unique::default();
        let mut user_ids = Unique::default();
        for (index, user) in self.hotspot_users.iter().enumerate() {
            let at = format!("hotspot_users[{index}]");
            check.name(&at, "name", &user.name, &mut user_names);
            check.subscriber(&at, user.subscriber_id, &mut user_ids);
            check.profile(
                &at,
                &user.profile,
                &hotspot_profile_names,
                &BUILTIN_HOTSPOT_PROFILES,
            );
            if let Some(uptime) = &user.limit_uptime {
                check.duration(&at, "limit_uptime", uptime);
            }
            if let Some(mac) = &user.mac_address {
                if !is_mac_address(mac) {
                    check.error(&at, "mac_address", format!("{mac:?} is not a MAC address"));
                }
            }
        }

        let mut queue_names = Unique::default();
        let mut queue_ids = Unique::default();
        for (index, queue) in self.queues.iter().enumerate() {
            let at = format!("queues[{index}]");
            check.name(&at, "name", &queue.name, &mut queue_names);
            check.subscriber(&at, queue.subscriber_id, &mut queue_ids);
            check.target(&at, "target", &queue.target);
        }

        let mut list_entries = Unique::default();
        for (index, entry) in self.address_lists.iter().enumerate() {
            let at = format!("address_lists[{index}]");
            check.not_empty(&at, "list", &entry.list);
            if check.target(&at, "address", &entry.address) && !entry.list.trim().is_empty() {
                let key = format!(
                    "{}:{}",
                    entry.list,
                    crate::value::normalize_address(&entry.address)
                );
                if let Some(first) = list_entries.first_or_insert(key, &at) {
                    let message = format!(
                        "{} is already in list {:?} ({first})",
                        entry.address, entry.list
                    );
                    check.error(&at, "address", message);
                }
            }
        }

        if check.errors.is_empty() {
            Ok(())
        } else {
            Err(check.errors)
        }
    }
}

/// Collects errors while walking the desired state.
#[derive(Default)]
struct Checker {
    errors: Vec<ValidationError>,
}

/// Remembers where each value was first seen, to report duplicates against it.
#[derive(Default)]
struct Unique {
    first_seen: BTreeMap<String, String>,
}

impl Unique {
    /// The path where `value` was first seen, or `None` (and remember `at`) if this is the first.
    fn first_or_insert(&mut self, value: String, at: &str) -> Option<String> {
        match self.first_seen.get(&value) {
            Some(first) => Some(first.clone()),
            None => {
                self.first_seen.insert(value, at.to_owned());
                None
            }
        }
    }
}

impl Checker {
    fn error(&mut self, at: &str, field: &str, message: String) {
        self.errors.push(ValidationError {
            path: format!("{at}.{field}"),
            message,
        });
    }

    fn not_empty(&mut self, at: &str, field: &str, value: &str) -> bool {
        let present = !value.trim().is_empty();
        if !present {
            self.error(at, field, "must not be empty".to_owned());
        }
        present
    }

    fn name(&mut self, at: &str, field: &str, name: &str, seen: &mut Unique) {
        if self.not_empty(at, field, name) {
            if let Some(first) = seen.first_or_insert(name.to_owned(), at) {
                self.error(at, field, format!("duplicate name {name:?} (also {first})"));
            }
        }
    }

    fn subscriber(&mut self, at: &str, subscriber_id: u64, seen: &mut Unique) {
        if let Some(first) = seen.first_or_insert(subscriber_id.to_string(), at) {
            let message = format!("duplicate subscriber id {subscriber_id} (also {first})");
            self.error(at, "subscriber_id", message);
        }
    }

    /// Checks a list of profiles and returns their names.
    fn profiles<'a>(
        &mut self,
        list: &str,
        profiles: impl Iterator<Item = (&'a str, Option<&'a RateLimit>)>,
    ) -> Vec<&'a str> {
        let mut names = Unique::default();
        let mut valid_names = Vec::new();
        for (index, (name, rate_limit)) in profiles.enumerate() {
            let at = format!("{list}[{index}]");
            self.name(&at, "name", name, &mut names);
            valid_names.push(name);
            if let Some(priority) = rate_limit.and_then(|limit| limit.priority) {
                if !(1..=8).contains(&priority) {
                    let message = format!("priority must be 1 to 8, not {priority}");
                    self.error(&at, "rate_limit", message);
                }
            }
        }
        valid_names
    }

    fn profile(&mut self, at: &str, profile: &str, desired: &[&str], builtin: &[&str]) {
        if self.not_empty(at, "profile", profile)
            && !desired.contains(&profile)
            && !builtin.contains(&profile)
        {
            self.error(at, "profile", format!("unknown profile {profile:?}"));
        }
    }

    fn duration(&mut self, at: &str, field: &str, text: &str) {
        if parse_duration_secs(text).is_none() {
            self.error(
                at,
                field,
                format!("{text:?} is not a RouterOS duration (e.g. 1d, 12h, 30m)"),
            );
        }
    }

    /// Checks a queue target or list address; returns whether it is usable.
    fn target(&mut self, at: &str, field: &str, target: &str) -> bool {
        if !self.not_empty(at, field, target) {
            return false;
        }
        let mut usable = true;
        for item in target.split(',') {
            if item.trim().is_empty() {
                self.error(at, field, format!("empty item in {target:?}"));
                usable = false;
            } else if matches_every_address(item) {
                let message = format!(
                    "{} matches every address; an entry must name the subscriber's own addresses",
                    item.trim()
                );
                self.error(at, field, message);
                usable = false;
            }
        }
        usable
    }
}

fn is_mac_address(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}
