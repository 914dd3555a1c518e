//! The desired state in RouterOS terms: for each desired entry, the menu, the properties to
//! write and how its row is found; and the matching facts read from observed rows.

use std::collections::BTreeMap;

use crate::desired::{
    AddressListEntry, Desired, HotspotProfile, HotspotUser, PppProfile, PppSecret, SimpleQueue,
};
use crate::marker::{subscriber_comment, subscriber_of, PROFILE_MARKER};
use crate::policy::{Policy, Suspension};
use crate::rate::RateLimit;
use crate::router::{Menu, Row};
use crate::value::{equivalent, normalize_address, parse_bool, write_bool, ValueKind};

/// How a desired entry finds its managed row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    /// Logins and queues: by the subscriber id in the marker, so a rename is a `set`.
    Subscriber(u64),
    /// Profiles and address-list entries: by their identity.
    Identity(String),
}

/// One property to write.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: &'static str,
    pub value: String,
    pub kind: ValueKind,
    /// What the router holds when the property is not set; writing it clears the property.
    /// (Real RouterOS clears some properties only with `unset`; writing the default keeps the
    /// plan a list of plain `set`s.)
    pub router_default: &'static str,
}

impl Field {
    fn new(
        name: &'static str,
        kind: ValueKind,
        router_default: &'static str,
        value: Option<String>,
    ) -> Field {
        Field {
            name,
            value: value.unwrap_or_default(),
            kind,
            router_default,
        }
    }

    fn text(name: &'static str, value: &str) -> Field {
        Field::new(name, ValueKind::Text, "", Some(value.to_owned()))
    }

    pub fn matches(&self, row: &Row) -> bool {
        equivalent(
            self.kind,
            &self.value,
            row.get(self.name),
            self.router_default,
        )
    }

    /// Whether writing this property on a new entry would change nothing.
    pub fn is_router_default(&self) -> bool {
        equivalent(self.kind, &self.value, Some(""), self.router_default)
    }
}

/// A desired entry rendered for the router.
#[derive(Debug, Clone)]
pub(crate) struct Wanted {
    pub key: Key,
    /// The name the router keeps unique in the menu (for address-list entries, list and
    /// address), used to spot entries that are in the way.
    pub identity: String,
    /// In writing order: the name first, the marker comment last.
    pub fields: Vec<Field>,
    /// The login ends up disabled.
    pub disabled: bool,
    pub suspended: bool,
}

impl Wanted {
    /// Disabled or suspended, which is destructive when the router's row is not already so.
    pub fn restricted(&self) -> bool {
        self.disabled || self.suspended
    }

    pub fn value(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name == field)
            .map(|f| f.value.as_str())
    }
}

/// The desired entries of every configuration menu, in RouterOS terms.
pub(crate) fn wanted_entries(desired: &Desired, policy: &Policy) -> BTreeMap<Menu, Vec<Wanted>> {
    let (walled_ppp, walled_hotspot) = match &policy.suspension {
        Suspension::Disable => (None, None),
        Suspension::WalledGarden {
            ppp_profile,
            hotspot_profile,
        } => (Some(ppp_profile.as_str()), hotspot_profile.as_deref()),
    };
    BTreeMap::from([
        (
            Menu::PppProfile,
            desired.ppp_profiles.iter().map(ppp_profile).collect(),
        ),
        (
            Menu::PppSecret,
            desired
                .secrets
                .iter()
                .map(|s| secret(s, walled_ppp))
                .collect(),
        ),
        (
            Menu::HotspotUserProfile,
            desired
                .hotspot_profiles
                .iter()
                .map(hotspot_profile)
                .collect(),
        ),
        (
            Menu::HotspotUser,
            desired
                .hotspot_users
                .iter()
                .map(|u| hotspot_user(u, walled_hotspot))
                .collect(),
        ),
        (
            Menu::SimpleQueue,
            desired.queues.iter().map(queue).collect(),
        ),
        (
            Menu::AddressList,
            desired
                .address_lists
                .iter()
                .map(address_list_entry)
                .collect(),
        ),
    ])
}

fn rate_limit(limit: Option<RateLimit>) -> Field {
    Field::new(
        "rate-limit",
        ValueKind::RateLimit,
        "",
        limit.map(|l| l.to_routeros()),
    )
}

fn profile(name: &str, mut fields: Vec<Field>) -> Wanted {
    fields.insert(0, Field::text("name", name));
    fields.push(Field::text("comment", PROFILE_MARKER));
    Wanted {
        key: Key::Identity(name.to_owned()),
        identity: name.to_owned(),
        fields,
        disabled: false,
        suspended: false,
    }
}

fn ppp_profile(p: &PppProfile) -> Wanted {
    use ValueKind::{Bool, Text};
    profile(
        &p.name,
        vec![
            rate_limit(p.rate_limit),
            Field::new("local-address", Text, "", p.local_address.clone()),
            Field::new("remote-address", Text, "", p.remote_address.clone()),
            Field::new("dns-server", Text, "", p.dns_server.clone()),
            Field::new(
                "only-one",
                Bool,
                "default",
                p.only_one.map(|b| write_bool(b).to_owned()),
            ),
            Field::new("address-list", Text, "", p.address_list.clone()),
        ],
    )
}

fn hotspot_profile(p: &HotspotProfile) -> Wanted {
    use ValueKind::{Duration, Number, Text};
    profile(
        &p.name,
        vec![
            rate_limit(p.rate_limit),
            Field::new(
                "shared-users",
                Number,
                "1",
                p.shared_users.map(|n| n.to_string()),
            ),
            Field::new("session-timeout", Duration, "0s", p.session_timeout.clone()),
            Field::new("address-pool", Text, "none", p.address_pool.clone()),
        ],
    )
}

/// A login's profile and disabled flag once the suspension policy is applied.
fn effective_login(
    profile: &str,
    disabled: bool,
    suspended: bool,
    walled_profile: Option<&str>,
) -> (String, bool) {
    match (suspended, walled_profile) {
        (false, _) => (profile.to_owned(), disabled),
        (true, Some(walled)) => (walled.to_owned(), disabled),
        (true, None) => (profile.to_owned(), true),
    }
}

fn subscriber_entry(subscriber_id: u64, name: &str, mut fields: Vec<Field>) -> Wanted {
    fields.insert(0, Field::text("name", name));
    fields.push(Field::text("comment", &subscriber_comment(subscriber_id)));
    Wanted {
        key: Key::Subscriber(subscriber_id),
        identity: name.to_owned(),
        fields,
        disabled: false,
        suspended: false,
    }
}

fn disabled_field(disabled: bool) -> Field {
    Field::new(
        "disabled",
        ValueKind::Bool,
        "no",
        Some(write_bool(disabled).to_owned()),
    )
}

fn secret(s: &PppSecret, walled_profile: Option<&str>) -> Wanted {
    use ValueKind::{Addresses, Sensitive, Text};
    let (profile, disabled) = effective_login(&s.profile, s.disabled, s.suspended, walled_profile);
    let fields = vec![
        Field::new("password", Sensitive, "", Some(s.password.clone())),
        Field::new("profile", Text, "default", Some(profile)),
        Field::new("service", Text, "any", Some(s.service.clone())),
        Field::new(
            "remote-address",
            Addresses,
            "",
            s.remote_address.map(|a| a.to_string()),
        ),
        disabled_field(disabled),
    ];
    Wanted {
        disabled,
        suspended: s.suspended,
        ..subscriber_entry(s.subscriber_id, &s.name, fields)
    }
}

fn hotspot_user(u: &HotspotUser, walled_profile: Option<&str>) -> Wanted {
    use ValueKind::{Duration, Mac, Number, Sensitive, Text};
    let (profile, disabled) = effective_login(&u.profile, u.disabled, u.suspended, walled_profile);
    let fields = vec![
        Field::new("password", Sensitive, "", Some(u.password.clone())),
        Field::new("profile", Text, "default", Some(profile)),
        Field::new("limit-uptime", Duration, "0s", u.limit_uptime.clone()),
        Field::new(
            "limit-bytes-total",
            Number,
            "0",
            u.limit_bytes_total.map(|n| n.to_string()),
        ),
        Field::new(
            "mac-address",
            Mac,
            "00:00:00:00:00:00",
            u.mac_address.clone(),
        ),
        disabled_field(disabled),
    ];
    Wanted {
        disabled,
        suspended: u.suspended,
        ..subscriber_entry(u.subscriber_id, &u.name, fields)
    }
}

fn queue(q: &SimpleQueue) -> Wanted {
    let max_limit = format!("{}/{}", q.max_upload, q.max_download);
    let fields = vec![
        Field::new("target", ValueKind::Addresses, "", Some(q.target.clone())),
        Field::new("max-limit", ValueKind::RatePair, "0/0", Some(max_limit)),
        disabled_field(q.disabled),
    ];
    Wanted {
        disabled: q.disabled,
        ..subscriber_entry(q.subscriber_id, &q.name, fields)
    }
}

fn address_list_entry(e: &AddressListEntry) -> Wanted {
    let identity = list_identity(&e.list, &e.address);
    Wanted {
        key: Key::Identity(identity.clone()),
        identity,
        fields: vec![
            Field::text("list", &e.list),
            Field::new("address", ValueKind::Addresses, "", Some(e.address.clone())),
            disabled_field(false),
            Field::text("comment", &subscriber_comment(e.subscriber_id)),
        ],
        disabled: false,
        suspended: false,
    }
}

fn list_identity(list: &str, address: &str) -> String {
    format!("{list}:{}", normalize_address(address))
}

/// The name the router keeps unique within the menu.
pub(crate) fn identity_of(menu: Menu, row: &Row) -> String {
    let prop = |name| row.get(name).unwrap_or_default();
    match menu {
        Menu::AddressList => list_identity(prop("list"), prop("address")),
        Menu::HotspotActive => prop("user").to_owned(),
        _ => prop("name").to_owned(),
    }
}

/// How a managed row is matched to a desired entry; `None` when its marker names no subscriber.
pub(crate) fn key_of(menu: Menu, row: &Row) -> Option<Key> {
    match menu {
        Menu::PppSecret | Menu::HotspotUser | Menu::SimpleQueue => {
            subscriber_of(row.get("comment")).map(Key::Subscriber)
        }
        _ => Some(Key::Identity(identity_of(menu, row))),
    }
}

/// The session menu of a login menu, and the session property holding the login's name.
pub(crate) fn sessions_of(menu: Menu) -> Option<(Menu, &'static str)> {
    match menu {
        Menu::PppSecret => Some((Menu::PppActive, "name")),
        Menu::HotspotUser => Some((Menu::HotspotActive, "user")),
        _ => None,
    }
}

/// Whether the router's row is already disabled or, for a login, in the walled garden.
pub(crate) fn observed_restricted(menu: Menu, row: &Row, policy: &Policy) -> bool {
    let disabled = row.get("disabled").and_then(parse_bool) == Some(true);
    let walled_profile = match (&policy.suspension, menu) {
        (Suspension::WalledGarden { ppp_profile, .. }, Menu::PppSecret) => {
            Some(ppp_profile.as_str())
        }
        (
            Suspension::WalledGarden {
                hotspot_profile, ..
            },
            Menu::HotspotUser,
        ) => hotspot_profile.as_deref(),
        _ => None,
    };
    disabled || walled_profile.is_some_and(|walled| row.get("profile") == Some(walled))
}
