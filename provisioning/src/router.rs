//! The router's side of the comparison: its menus and rows as the RouterOS API prints them.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A RouterOS menu the planner reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Menu {
    PppProfile,
    PppSecret,
    PppActive,
    HotspotUserProfile,
    HotspotUser,
    HotspotActive,
    SimpleQueue,
    AddressList,
}

impl Menu {
    pub const ALL: [Menu; 8] = [
        Menu::PppProfile,
        Menu::PppSecret,
        Menu::PppActive,
        Menu::HotspotUserProfile,
        Menu::HotspotUser,
        Menu::HotspotActive,
        Menu::SimpleQueue,
        Menu::AddressList,
    ];

    /// The API path of the menu, e.g. `/ppp/secret`.
    pub fn path(self) -> &'static str {
        match self {
            Menu::PppProfile => "/ppp/profile",
            Menu::PppSecret => "/ppp/secret",
            Menu::PppActive => "/ppp/active",
            Menu::HotspotUserProfile => "/ip/hotspot/user/profile",
            Menu::HotspotUser => "/ip/hotspot/user",
            Menu::HotspotActive => "/ip/hotspot/active",
            Menu::SimpleQueue => "/queue/simple",
            Menu::AddressList => "/ip/firewall/address-list",
        }
    }

    /// The properties the agent must print (`=.proplist=`) for the planner, `.id` first.
    pub fn proplist(self) -> &'static [&'static str] {
        match self {
            Menu::PppProfile => &[
                ".id",
                "name",
                "rate-limit",
                "local-address",
                "remote-address",
                "dns-server",
                "only-one",
                "address-list",
                "comment",
            ],
            Menu::PppSecret => &[
                ".id",
                "name",
                "password",
                "profile",
                "service",
                "remote-address",
                "disabled",
                "comment",
            ],
            Menu::PppActive => &[".id", "name", "address", "caller-id"],
            Menu::HotspotUserProfile => &[
                ".id",
                "name",
                "rate-limit",
                "shared-users",
                "session-timeout",
                "address-pool",
                "comment",
            ],
            Menu::HotspotUser => &[
                ".id",
                "name",
                "password",
                "profile",
                "limit-uptime",
                "limit-bytes-total",
                "mac-address",
                "disabled",
                "comment",
            ],
            Menu::HotspotActive => &[".id", "user", "address", "mac-address"],
            Menu::SimpleQueue => &[".id", "name", "target", "max-limit", "disabled", "comment"],
            Menu::AddressList => &[".id", "list", "address", "disabled", "comment"],
        }
    }

    /// Live sessions rather than configuration: the planner only ever removes (kicks) their rows.
    pub fn is_session_menu(self) -> bool {
        matches!(self, Menu::PppActive | Menu::HotspotActive)
    }
}

impl fmt::Display for Menu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// One row as printed by the router: its `.id` (`*1A`) and its properties (RouterOS names,
/// values as text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub props: BTreeMap<String, String>,
}

impl Row {
    pub fn new<K, V>(id: impl Into<String>, props: impl IntoIterator<Item = (K, V)>) -> Row
    where
        K: Into<String>,
        V: Into<String>,
    {
        Row {
            id: id.into(),
            props: props
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.props.get(key).map(String::as_str)
    }
}

/// What the router holds, per menu. A menu that is absent was not read and counts as empty.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct Observed {
    pub rows: BTreeMap<Menu, Vec<Row>>,
}

impl Observed {
    /// The rows of one menu (none when the menu was not read).
    pub fn rows(&self, menu: Menu) -> &[Row] {
        self.rows.get(&menu).map_or(&[], Vec::as_slice)
    }
}

/// Orders RouterOS ids by their hexadecimal number (`*9` before `*1A`), as the router allocates
/// them; ids that are not `*HEX` sort after, by text.
pub(crate) fn compare_ids(a: &str, b: &str) -> Ordering {
    fn number(id: &str) -> Option<u64> {
        u64::from_str_radix(id.strip_prefix('*')?, 16).ok()
    }
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}
