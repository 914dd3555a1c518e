//! The router's data: one table per menu, item ids, validation, uniqueness, the side effects of
//! sessions coming and going, and how items print.
//!
//! Everything here is synchronous and runs under one lock; connections call in, apply a change
//! and get the rows or trap back. Every change is announced on a broadcast channel (for
//! `listen`) and marks the state for saving.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, Notify};

use super::format::{date_time, duration, unix_now};
use super::schema::{self, Kind, MenuSpec, Uniqueness};
use super::version::RosVersion;
use super::SimError;

/// One printed item: properties in print order, values as bytes.
pub(crate) type Row = Vec<(String, Vec<u8>)>;

/// `=name=value` words of a command, names decoded.
pub(crate) type Attributes = Vec<(String, Vec<u8>)>;

/// Log lines kept, like RouterOS' default memory log (`/system/logging/action` lines=1000).
const LOG_LINES: usize = 1000;

/// Where the PPP server puts sessions that have no hotspot server of their own.
const HOTSPOT_SERVER: &str = "hotspot1";

/// (unverified) Text for changing or removing an item the router created itself.
pub(crate) const DYNAMIC_ITEM: &str = "failure: can not change dynamic item";
/// (unverified) Text for removing a built-in profile (`default`, `default-encryption`).
pub(crate) const BUILT_IN_PROFILE: &str = "failure: default profile can not be removed";

/// A `!trap`: message and, where RouterOS gives one, a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trap {
    pub message: Vec<u8>,
    pub category: Option<u8>,
}

impl Trap {
    pub(crate) fn new(message: impl Into<Vec<u8>>) -> Self {
        Trap {
            message: message.into(),
            category: None,
        }
    }

    pub(crate) fn no_such_item() -> Self {
        Trap::new("no such item")
    }

    /// Category 1 ("argument value failure"), as the manual's
    /// `input does not match any value of interface` example shows.
    fn bad_value(prop: &str) -> Self {
        Trap {
            message: format!("input does not match any value of {prop}").into_bytes(),
            category: Some(1),
        }
    }
}

/// A change announced to `listen`ers: the item's new row, or `None` when it was removed.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub menu: &'static str,
    pub id: u64,
    pub row: Option<Row>,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub id: u64,
    pub props: BTreeMap<String, Vec<u8>>,
    /// Created by the router (sessions' interfaces and queues), not by configuration.
    pub dynamic: bool,
    /// When the session or link came up; drives `uptime` and traffic counters.
    pub since: Option<Instant>,
    /// Dynamic items that live and die with this one (a session's interface and queue).
    pub companions: Vec<(&'static str, u64)>,
}

impl Item {
    fn new(id: u64) -> Self {
        Item {
            id,
            props: BTreeMap::new(),
            dynamic: false,
            since: None,
            companions: Vec::new(),
        }
    }

    pub(crate) fn get(&self, prop: &str) -> Option<&[u8]> {
        self.props.get(prop).map(Vec::as_slice)
    }

    fn set(&mut self, prop: &str, value: impl Into<Vec<u8>>) {
        self.props.insert(prop.to_owned(), value.into());
    }

    fn is_true(&self, prop: &str) -> bool {
        self.get(prop) == Some(b"true")
    }
}

pub(crate) struct Table {
    pub spec: &'static MenuSpec,
    pub next_id: u64,
    /// Sorted by id (built-ins like `*FFFFFFFE` sort last, as RouterOS prints them).
    pub items: Vec<Item>,
    /// Uniqueness key -> id, so 20,000 secrets do not make every add linear.
    keys: HashMap<Vec<u8>, u64>,
}

impl Table {
    fn new(spec: &'static MenuSpec) -> Self {
        Table {
            spec,
            next_id: spec.first_id,
            items: Vec::new(),
            keys: HashMap::new(),
        }
    }

    fn position(&self, id: u64) -> Option<usize> {
        self.items.binary_search_by_key(&id, |i| i.id).ok()
    }

    pub(crate) fn get(&self, id: u64) -> Option<&Item> {
        self.position(id).map(|p| &self.items[p])
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut Item> {
        self.position(id).map(|p| &mut self.items[p])
    }

    pub(crate) fn by_name(&self, name: &[u8]) -> Option<&Item> {
        self.items.iter().find(|i| i.get("name") == Some(name))
    }

    fn unique_key(&self, item: &Item) -> Option<Vec<u8>> {
        let joined = |a: &[u8], b: &[u8]| [a, b"\0", b].concat();
        match self.spec.unique {
            Uniqueness::None => None,
            Uniqueness::Name(_) => item.get("name").map(<[u8]>::to_vec),
            Uniqueness::NameAndServer(_) => Some(joined(
                item.get("name").unwrap_or_default(),
                item.get("server").unwrap_or(b"all"),
            )),
            Uniqueness::ListAndAddress(_) => Some(joined(
                item.get("list").unwrap_or_default(),
                item.get("address").unwrap_or_default(),
            )),
        }
    }

    /// The trap when `item` would clash with another item (not itself).
    fn clash(&self, item: &Item) -> Option<Trap> {
        let key = self.unique_key(item)?;
        let other = *self.keys.get(&key)?;
        let text = match self.spec.unique {
            Uniqueness::None => return None,
            Uniqueness::Name(t) | Uniqueness::NameAndServer(t) | Uniqueness::ListAndAddress(t) => t,
        };
        (other != item.id).then(|| Trap::new(text))
    }

    fn insert(&mut self, item: Item) {
        if let Some(key) = self.unique_key(&item) {
            self.keys.insert(key, item.id);
        }
        self.next_id = self.next_id.max(item.id + 1);
        match self.items.last() {
            Some(last) if last.id > item.id => {
                let at = self.items.partition_point(|i| i.id < item.id);
                self.items.insert(at, item);
            }
            _ => self.items.push(item),
        }
    }

    fn replace(&mut self, item: Item) {
        if let Some(old) = self.get(item.id) {
            if let Some(key) = self.unique_key(old) {
                self.keys.remove(&key);
            }
        }
        if let Some(key) = self.unique_key(&item) {
            self.keys.insert(key, item.id);
        }
        if let Some(p) = self.position(item.id) {
            self.items[p] = item;
        }
    }

    fn take(&mut self, id: u64) -> Option<Item> {
        let item = self.items.remove(self.position(id)?);
        if let Some(key) = self.unique_key(&item) {
            self.keys.remove(&key);
        }
        Some(item)
    }

    fn allocate_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

/// `*` + uppercase hex, as RouterOS prints ids.
pub(crate) fn format_id(id: u64) -> String {
    format!("*{id:X}")
}

fn parse_id(token: &[u8]) -> Option<u64> {
    let hex = std::str::from_utf8(token.strip_prefix(b"*")?).ok()?;
    u64::from_str_radix(hex, 16).ok()
}

fn bool_word(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}

pub(crate) struct Router {
    pub version: RosVersion,
    board: String,
    pub identity: Vec<u8>,
    booted: Instant,
    tables: Vec<Table>,
    /// State-changing commands executed (including those that ended in a trap), per path.
    pub command_counts: BTreeMap<String, u64>,
    changes: broadcast::Sender<Change>,
    save_needed: Arc<Notify>,
}

impl Router {
    pub(crate) fn new(
        version: RosVersion,
        identity: &str,
        board: &str,
        changes: broadcast::Sender<Change>,
        save_needed: Arc<Notify>,
    ) -> Self {
        let mut router = Router {
            version,
            board: board.to_owned(),
            identity: identity.as_bytes().to_vec(),
            booted: Instant::now(),
            tables: schema::TABLES.iter().map(|s| Table::new(s)).collect(),
            command_counts: BTreeMap::new(),
            changes,
            save_needed,
        };
        router.install_built_ins();
        router
    }

    /// What a fresh CHR has: the two PPP profiles, the hotspot `default` profile, `ether1`.
    fn install_built_ins(&mut self) {
        let profile = |id: u64, name: &str, extra: &[(&str, &str)]| {
            let mut item = Item::new(id);
            apply_defaults(&schema::PPP_PROFILE, &mut item);
            item.set("name", name);
            item.set("default", "true");
            for (k, v) in extra {
                item.set(k, *v);
            }
            item
        };
        let ppp = self.table_mut(schema::PPP_PROFILE.path);
        ppp.insert(profile(0, "default", &[("change-tcp-mss", "yes")]));
        ppp.insert(profile(
            0xFFFF_FFFE,
            "default-encryption",
            &[("change-tcp-mss", "yes"), ("use-encryption", "yes")],
        ));
        ppp.next_id = 1;

        let mut hs = Item::new(0);
        apply_defaults(&schema::HOTSPOT_PROFILE, &mut hs);
        hs.set("name", "default");
        hs.set("default", "true");
        let hotspot = self.table_mut(schema::HOTSPOT_PROFILE.path);
        hotspot.insert(hs);
        hotspot.next_id = 1;

        let booted_at = date_time(unix_now(), self.version);
        let mut ether = Item::new(1);
        apply_defaults(&schema::INTERFACE, &mut ether);
        for (k, v) in [
            ("name", "ether1"),
            ("default-name", "ether1"),
            ("type", "ether"),
            ("mtu", "1500"),
            ("actual-mtu", "1500"),
            ("mac-address", "0C:5A:2E:00:00:01"),
        ] {
            ether.set(k, v);
        }
        ether.set("last-link-up-time", booted_at);
        ether.since = Some(self.booted);
        self.table_mut(schema::INTERFACE.path).insert(ether);
    }

    pub(crate) fn table(&self, menu: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.spec.path == menu)
    }

    /// Only called with paths of `schema::TABLES`, which `new` creates.
    fn table_mut(&mut self, menu: &str) -> &mut Table {
        self.tables
            .iter_mut()
            .find(|t| t.spec.path == menu)
            .unwrap_or_else(|| panic!("the simulator has no table {menu}"))
    }

    pub(crate) fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// Replaces a persistent table's items with loaded ones.
    pub(crate) fn restore_table(&mut self, menu: &str, next_id: u64, items: Vec<Item>) {
        let booted = self.booted;
        let table = self.table_mut(menu);
        *table = Table::new(table.spec);
        for mut item in items {
            if menu == schema::INTERFACE.path {
                item.since = Some(booted);
            }
            table.insert(item);
        }
        table.next_id = table.next_id.max(next_id);
    }

    fn announce(&self, menu: &'static str, id: u64) {
        let row = self
            .table(menu)
            .and_then(|t| t.get(id))
            .map(|item| self.render(menu, item));
        // No listener is not an error.
        let _ = self.changes.send(Change { menu, id, row });
        let spec_persistent = schema::menu(menu).is_some_and(|s| s.persistent);
        if spec_persistent {
            self.save_needed.notify_one();
        }
    }

    pub(crate) fn identity_changed(&self) {
        self.save_needed.notify_one();
    }

    // ----- printing -----------------------------------------------------------------------

    /// All rows of a menu as `print` shows them.
    pub(crate) fn print(&self, menu: &str) -> Vec<Row> {
        match menu {
            "/system/resource" => vec![self.resource_row()],
            "/system/identity" => vec![vec![("name".to_owned(), self.identity.clone())]],
            _ => self.table(menu).map_or_else(Vec::new, |t| {
                t.items
                    .iter()
                    .map(|i| self.render(t.spec.path, i))
                    .collect()
            }),
        }
    }

    fn render(&self, menu: &str, item: &Item) -> Row {
        let Some(spec) = schema::menu(menu) else {
            return Row::new();
        };
        let mut row = vec![(".id".to_owned(), format_id(item.id).into_bytes())];
        for prop in spec.props {
            let value = if prop.kind == Kind::Computed {
                self.computed(menu, item, prop.name)
            } else {
                item.props.get(prop.name).cloned()
            };
            if let Some(v) = value {
                row.push((prop.name.to_owned(), v));
            }
        }
        row
    }

    fn computed(&self, menu: &str, item: &Item, prop: &str) -> Option<Vec<u8>> {
        let up = item.since.map_or(Duration::ZERO, |s| s.elapsed());
        let running = !item.is_true("disabled");
        // A steady made-up load: 1 Mbit/s in, 4 Mbit/s out, 500/1000-byte packets.
        let secs = if running { up.as_secs() } else { 0 };
        let (rx_bytes, tx_bytes) = (secs * 125_000, secs * 500_000);
        let value = match prop {
            "uptime" => duration(up),
            "dynamic" => {
                let timed = menu == schema::ADDRESS_LIST.path && item.get("timeout").is_some();
                String::from_utf8_lossy(bool_word(item.dynamic || timed)).into_owned()
            }
            "running" => String::from_utf8_lossy(bool_word(running)).into_owned(),
            "rx-byte" | "bytes-in" => rx_bytes.to_string(),
            "tx-byte" | "bytes-out" => tx_bytes.to_string(),
            "rx-packet" | "packets-in" => (rx_bytes / 500).to_string(),
            "tx-packet" | "packets-out" => (tx_bytes / 1000).to_string(),
            "rx-drop" | "tx-drop" | "tx-queue-drop" | "rx-error" | "tx-error" => "0".to_owned(),
            _ => return None,
        };
        Some(value.into_bytes())
    }

    fn resource_row(&self) -> Row {
        let built = 1_740_389_584; // 2025-02-24 09:33:04 UTC
        let pairs: Vec<(&str, String)> = vec![
            ("uptime", duration(self.booted.elapsed())),
            ("version", format!("{} (stable)", self.version)),
            ("build-time", date_time(built, self.version)),
            ("factory-software", "7.1".to_owned()),
            ("free-memory", "214376448".to_owned()),
            ("total-memory", "268435456".to_owned()),
            ("cpu", "QEMU".to_owned()),
            ("cpu-count", "1".to_owned()),
            ("cpu-frequency", "2400".to_owned()),
            ("cpu-load", "1".to_owned()),
            ("free-hdd-space", "86016000".to_owned()),
            ("total-hdd-space", "134086656".to_owned()),
            ("write-sect-since-reboot", "412".to_owned()),
            ("write-sect-total", "412".to_owned()),
            ("architecture-name", "x86_64".to_owned()),
            ("board-name", self.board.clone()),
            ("platform", "MikroTik".to_owned()),
        ];
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_bytes()))
            .collect()
    }

    // ----- item selection -----------------------------------------------------------------

    /// Resolves `=.id=`/`=numbers=`: an id, a comma list of ids, or (name-keyed menus) names.
    /// All must exist, or nothing is selected.
    pub(crate) fn resolve(&self, menu: &str, selector: &[u8]) -> Result<Vec<u64>, Trap> {
        let table = self.table(menu).ok_or_else(Trap::no_such_item)?;
        let mut ids = Vec::new();
        for token in selector.split(|&b| b == b',') {
            let id = match parse_id(token) {
                Some(id) => table.get(id).map(|i| i.id),
                None if table.spec.name_keyed => table.by_name(token).map(|i| i.id),
                None => None,
            };
            let id = id.ok_or_else(Trap::no_such_item)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    // ----- configuration commands ---------------------------------------------------------

    /// Checks and normalises `=prop=value` words for add/set. Returns the values to store.
    fn validate(&self, spec: &MenuSpec, attrs: &[(String, Vec<u8>)]) -> Result<Attributes, Trap> {
        let mut out = Vec::new();
        for (name, value) in attrs {
            let prop = spec
                .prop(name)
                .filter(|p| p.writable())
                .ok_or_else(|| self.unknown_parameter(name))?;
            let value = match prop.kind {
                Kind::Bool => match value.as_slice() {
                    b"yes" | b"true" => b"true".to_vec(),
                    b"no" | b"false" => b"false".to_vec(),
                    _ => return Err(Trap::bad_value(name)),
                },
                Kind::Choice(words) => {
                    if !words.iter().any(|w| w.as_bytes() == value.as_slice()) {
                        return Err(Trap::bad_value(name));
                    }
                    value.clone()
                }
                Kind::Reference(menu) => {
                    let known = self.table(menu).is_some_and(|t| t.by_name(value).is_some());
                    if !known {
                        return Err(Trap::bad_value(name));
                    }
                    value.clone()
                }
                _ if spec.path == schema::ADDRESS_LIST.path && name == "address" => {
                    // RouterOS prints a single host without its /32.
                    value.strip_suffix(b"/32").unwrap_or(value).to_vec()
                }
                _ => value.clone(),
            };
            out.push((name.clone(), value));
        }
        Ok(out)
    }

    pub(crate) fn unknown_parameter(&self, name: &str) -> Trap {
        if self.version.names_unknown_parameter() {
            Trap::new(format!("unknown parameter {name}"))
        } else {
            Trap::new("unknown parameter")
        }
    }

    pub(crate) fn add(
        &mut self,
        spec: &'static MenuSpec,
        attrs: &[(String, Vec<u8>)],
    ) -> Result<u64, Trap> {
        let values = self.validate(spec, attrs)?;
        if let Some(missing) = spec
            .required
            .iter()
            .find(|r| !values.iter().any(|(k, _)| k == *r))
        {
            // (unverified) wording.
            return Err(Trap::new(format!("failure: {missing} not specified")));
        }
        let version = self.version;
        let table = self.table_mut(spec.path);
        let mut item = Item::new(table.next_id);
        apply_defaults(spec, &mut item);
        for (k, v) in values {
            item.props.insert(k, v);
        }
        match spec.path {
            "/ppp/secret" => item.set("last-logged-out", date_time(0, version)),
            "/ip/firewall/address-list" => {
                item.set("creation-time", date_time(unix_now(), version))
            }
            "/queue/simple" if item.get("name").is_none() => {
                let name = (1..)
                    .map(|n| format!("queue{n}"))
                    .find(|n| table.by_name(n.as_bytes()).is_none())
                    .unwrap_or_default();
                item.set("name", name);
            }
            _ => {}
        }
        if let Some(trap) = table.clash(&item) {
            return Err(trap);
        }
        let id = table.allocate_id();
        item.id = id;
        table.insert(item);
        self.announce(spec.path, id);
        Ok(id)
    }

    pub(crate) fn set(
        &mut self,
        spec: &'static MenuSpec,
        ids: &[u64],
        attrs: &[(String, Vec<u8>)],
    ) -> Result<(), Trap> {
        let values = self.validate(spec, attrs)?;
        let table = self.table_mut(spec.path);
        let mut updated = Vec::new();
        for &id in ids {
            let mut item = table.get(id).ok_or_else(Trap::no_such_item)?.clone();
            if item.dynamic {
                return Err(Trap::new(DYNAMIC_ITEM));
            }
            for (k, v) in &values {
                item.props.insert(k.clone(), v.clone());
            }
            if let Some(trap) = table.clash(&item) {
                return Err(trap);
            }
            updated.push(item);
        }
        for item in updated {
            table.replace(item);
        }
        for &id in ids {
            self.announce(spec.path, id);
        }
        Ok(())
    }

    pub(crate) fn unset(
        &mut self,
        spec: &'static MenuSpec,
        ids: &[u64],
        prop: &str,
    ) -> Result<(), Trap> {
        let p = spec
            .prop(prop)
            .filter(|p| p.writable() && p.name != "name")
            .ok_or_else(|| self.unknown_parameter(prop))?;
        let table = self.table_mut(spec.path);
        for &id in ids {
            let item = table.get_mut(id).ok_or_else(Trap::no_such_item)?;
            match p.default {
                Some(d) => item.set(p.name, d),
                None => {
                    item.props.remove(p.name);
                }
            }
        }
        for &id in ids {
            self.announce(spec.path, id);
        }
        Ok(())
    }

    pub(crate) fn remove(&mut self, spec: &'static MenuSpec, ids: &[u64]) -> Result<(), Trap> {
        let table = self.table(spec.path).ok_or_else(Trap::no_such_item)?;
        for &id in ids {
            let item = table.get(id).ok_or_else(Trap::no_such_item)?;
            if item.is_true("default") {
                return Err(Trap::new(BUILT_IN_PROFILE));
            }
            if item.dynamic && spec.path != schema::ADDRESS_LIST.path {
                return Err(Trap::new(DYNAMIC_ITEM));
            }
        }
        for &id in ids {
            match spec.path {
                "/ppp/active" => self.end_ppp_session(id, "admin-disconnect"),
                "/ip/hotspot/active" => self.end_hotspot_session(id, "admin"),
                _ => {
                    self.drop_item(spec.path, id);
                }
            }
        }
        Ok(())
    }

    fn drop_item(&mut self, menu: &'static str, id: u64) -> Option<Item> {
        let item = self.table_mut(menu).take(id)?;
        self.announce(menu, id);
        for (companion_menu, companion_id) in &item.companions {
            self.drop_item(companion_menu, *companion_id);
        }
        Some(item)
    }

    pub(crate) fn set_identity(&mut self, name: Vec<u8>) {
        self.identity = name;
        self.identity_changed();
    }

    // ----- log ----------------------------------------------------------------------------

    pub(crate) fn log(&mut self, topics: &str, message: impl Into<Vec<u8>>) {
        let version = self.version;
        let table = self.table_mut(schema::LOG.path);
        let mut item = Item::new(table.allocate_id());
        item.set("time", date_time(unix_now(), version));
        item.set("topics", topics);
        item.set("message", message);
        let id = item.id;
        table.insert(item);
        if table.items.len() > LOG_LINES {
            table.items.remove(0);
        }
        self.announce(schema::LOG.path, id);
    }

    // ----- sessions (simulated dial-ins) --------------------------------------------------

    pub(crate) fn ppp_connect(
        &mut self,
        name: &str,
        password: &str,
        address: Ipv4Addr,
        caller_id: &str,
    ) -> Result<String, SimError> {
        let secret = self
            .table(schema::PPP_SECRET.path)
            .and_then(|t| t.by_name(name.as_bytes()))
            .cloned()
            .ok_or_else(|| SimError::UnknownUser(name.to_owned()))?;
        if secret.is_true("disabled") {
            return Err(SimError::Disabled(name.to_owned()));
        }
        if !matches!(secret.get("service"), Some(b"any" | b"pppoe")) {
            return Err(SimError::WrongService(name.to_owned()));
        }
        if secret.get("password").unwrap_or_default() != password.as_bytes() {
            return Err(SimError::WrongPassword(name.to_owned()));
        }
        let allowed_caller = secret.get("caller-id").unwrap_or_default();
        if !allowed_caller.is_empty() && allowed_caller != caller_id.as_bytes() {
            return Err(SimError::CallerIdMismatch(name.to_owned()));
        }
        let profile = self
            .table(schema::PPP_PROFILE.path)
            .and_then(|t| t.by_name(secret.get("profile").unwrap_or(b"default")))
            .cloned();
        let profile_value = |prop: &str| {
            profile
                .as_ref()
                .and_then(|p| p.get(prop))
                .filter(|v| !v.is_empty())
                .map(<[u8]>::to_vec)
        };
        let already_up = self.table(schema::PPP_ACTIVE.path).is_some_and(|t| {
            t.items
                .iter()
                .any(|i| i.get("name") == Some(name.as_bytes()))
        });
        if already_up && profile_value("only-one").as_deref() == Some(b"yes") {
            return Err(SimError::AlreadyActive(name.to_owned()));
        }

        let now = Instant::now();
        let version = self.version;
        let interface_name = self.free_interface_name(name);

        let interfaces = self.table_mut(schema::INTERFACE.path);
        let mut interface = Item::new(interfaces.allocate_id());
        apply_defaults(&schema::INTERFACE, &mut interface);
        interface.set("name", interface_name.clone());
        interface.set("type", "pppoe-in");
        interface.set("actual-mtu", "1480");
        interface.set("last-link-up-time", date_time(unix_now(), version));
        interface.dynamic = true;
        interface.since = Some(now);
        let interface_id = interface.id;
        interfaces.insert(interface);
        let mut companions = vec![(schema::INTERFACE.path, interface_id)];

        if let Some(rate) = profile_value("rate-limit") {
            let queues = self.table_mut(schema::QUEUE_SIMPLE.path);
            let mut queue = Item::new(queues.allocate_id());
            apply_defaults(&schema::QUEUE_SIMPLE, &mut queue);
            queue.set("name", interface_name.clone());
            queue.set("target", interface_name.clone());
            queue.set("max-limit", max_limit_of(&rate));
            if let Some(parent) = profile_value("parent-queue") {
                queue.set("parent", parent);
            }
            queue.dynamic = true;
            let queue_id = queue.id;
            queues.insert(queue);
            companions.push((schema::QUEUE_SIMPLE.path, queue_id));
        }
        if let Some(list) = profile_value("address-list") {
            let lists = self.table_mut(schema::ADDRESS_LIST.path);
            let mut entry = Item::new(lists.allocate_id());
            apply_defaults(&schema::ADDRESS_LIST, &mut entry);
            entry.set("list", list);
            entry.set("address", address.to_string());
            entry.set("creation-time", date_time(unix_now(), version));
            entry.dynamic = true;
            if lists.clash(&entry).is_none() {
                let entry_id = entry.id;
                lists.insert(entry);
                companions.push((schema::ADDRESS_LIST.path, entry_id));
            }
        }

        let sessions = self.table_mut(schema::PPP_ACTIVE.path);
        let mut active = Item::new(sessions.allocate_id());
        apply_defaults(&schema::PPP_ACTIVE, &mut active);
        active.set("name", name);
        active.set("service", "pppoe");
        active.set("caller-id", caller_id);
        active.set("address", address.to_string());
        active.set(
            "session-id",
            format!("0x{:08X}", 0x8190_0000 | (active.id & 0xFFFF)),
        );
        for limit in ["limit-bytes-in", "limit-bytes-out"] {
            active.set(limit, secret.get(limit).unwrap_or(b"0"));
        }
        active.since = Some(now);
        active.companions = companions.clone();
        let active_id = active.id;
        sessions.insert(active);

        for (menu, id) in companions {
            self.announce(menu, id);
        }
        self.announce(schema::PPP_ACTIVE.path, active_id);
        self.log(
            "pppoe,ppp,info,account",
            format!("{name} logged in, {address}"),
        );
        Ok(format_id(active_id))
    }

    /// `<pppoe-NAME>`, or `<pppoe-NAME-1>`… when the user already has a session.
    fn free_interface_name(&self, user: &str) -> String {
        let taken = |n: &str| {
            self.table(schema::INTERFACE.path)
                .is_some_and(|t| t.by_name(n.as_bytes()).is_some())
        };
        let first = format!("<pppoe-{user}>");
        if !taken(&first) {
            return first;
        }
        (1..)
            .map(|n| format!("<pppoe-{user}-{n}>"))
            .find(|n| !taken(n))
            .unwrap_or(first)
    }

    /// The user hung up: every session of `name` ends.
    pub(crate) fn ppp_disconnect(&mut self, name: &str) -> bool {
        let ids: Vec<u64> = self
            .table(schema::PPP_ACTIVE.path)
            .map(|t| {
                t.items
                    .iter()
                    .filter(|i| i.get("name") == Some(name.as_bytes()))
                    .map(|i| i.id)
                    .collect()
            })
            .unwrap_or_default();
        for &id in &ids {
            self.end_ppp_session(id, "hung-up");
        }
        !ids.is_empty()
    }

    fn end_ppp_session(&mut self, id: u64, reason: &str) {
        let Some(session) = self.drop_item(schema::PPP_ACTIVE.path, id) else {
            return;
        };
        let name = session.get("name").unwrap_or_default().to_vec();
        let up = session
            .since
            .map_or(Duration::ZERO, |s| s.elapsed())
            .as_secs();
        let (rx, tx) = (up * 125_000, up * 500_000);
        let version = self.version;
        let secrets = self.table_mut(schema::PPP_SECRET.path);
        if let Some(secret_id) = secrets.by_name(&name).map(|s| s.id) {
            if let Some(secret) = secrets.get_mut(secret_id) {
                secret.set("last-logged-out", date_time(unix_now(), version));
                secret.set(
                    "last-caller-id",
                    session.get("caller-id").unwrap_or_default(),
                );
                secret.set("last-disconnect-reason", reason);
            }
            self.announce(schema::PPP_SECRET.path, secret_id);
        }
        let mut message = name;
        message.extend_from_slice(
            format!(" logged out, {up} {rx} {tx} {} {}", rx / 500, tx / 1000).as_bytes(),
        );
        self.log("pppoe,ppp,info,account", message);
    }

    pub(crate) fn hotspot_login(
        &mut self,
        user: &str,
        password: &str,
        address: Ipv4Addr,
        mac: &str,
    ) -> Result<String, SimError> {
        let account = self
            .table(schema::HOTSPOT_USER.path)
            .and_then(|t| t.by_name(user.as_bytes()))
            .cloned()
            .ok_or_else(|| SimError::UnknownUser(user.to_owned()))?;
        if account.is_true("disabled") {
            return Err(SimError::Disabled(user.to_owned()));
        }
        if account.get("password").unwrap_or_default() != password.as_bytes() {
            return Err(SimError::WrongPassword(user.to_owned()));
        }
        let bound_mac = account.get("mac-address").unwrap_or_default();
        if !bound_mac.is_empty()
            && bound_mac != b"00:00:00:00:00:00"
            && !bound_mac.eq_ignore_ascii_case(mac.as_bytes())
        {
            return Err(SimError::CallerIdMismatch(user.to_owned()));
        }
        let shared_users: usize = self
            .table(schema::HOTSPOT_PROFILE.path)
            .and_then(|t| t.by_name(account.get("profile").unwrap_or(b"default")))
            .and_then(|p| {
                std::str::from_utf8(p.get("shared-users")?)
                    .ok()?
                    .parse()
                    .ok()
            })
            .unwrap_or(usize::MAX);
        let logged_in = self.table(schema::HOTSPOT_ACTIVE.path).map_or(0, |t| {
            t.items
                .iter()
                .filter(|i| i.get("user") == Some(user.as_bytes()))
                .count()
        });
        if logged_in >= shared_users {
            return Err(SimError::AlreadyActive(user.to_owned()));
        }
        let server = match account.get("server") {
            None | Some(b"all") => HOTSPOT_SERVER.as_bytes().to_vec(),
            Some(s) => s.to_vec(),
        };
        let sessions = self.table_mut(schema::HOTSPOT_ACTIVE.path);
        let mut active = Item::new(sessions.allocate_id());
        apply_defaults(&schema::HOTSPOT_ACTIVE, &mut active);
        active.set("server", server);
        active.set("user", user);
        active.set("address", address.to_string());
        active.set("mac-address", mac.to_ascii_uppercase());
        active.since = Some(Instant::now());
        let id = active.id;
        sessions.insert(active);
        self.announce(schema::HOTSPOT_ACTIVE.path, id);
        self.log(
            "hotspot,account,info,debug",
            format!("{user} ({address}): logged in"),
        );
        Ok(format_id(id))
    }

    pub(crate) fn hotspot_logout(&mut self, user: &str) -> bool {
        let ids: Vec<u64> = self
            .table(schema::HOTSPOT_ACTIVE.path)
            .map(|t| {
                t.items
                    .iter()
                    .filter(|i| i.get("user") == Some(user.as_bytes()))
                    .map(|i| i.id)
                    .collect()
            })
            .unwrap_or_default();
        for &id in &ids {
            self.end_hotspot_session(id, "user request");
        }
        !ids.is_empty()
    }

    fn end_hotspot_session(&mut self, id: u64, reason: &str) {
        if let Some(session) = self.drop_item(schema::HOTSPOT_ACTIVE.path, id) {
            let mut message = session.get("user").unwrap_or_default().to_vec();
            message.extend_from_slice(b" (");
            message.extend_from_slice(session.get("address").unwrap_or_default());
            message.extend_from_slice(format!("): logged out: {reason}").as_bytes());
            self.log("hotspot,account,info,debug", message);
        }
    }
}

fn apply_defaults(spec: &MenuSpec, item: &mut Item) {
    for prop in spec.props {
        if let Some(d) = prop.default {
            item.set(prop.name, d);
        }
    }
}

/// A queue's `max-limit` from a rate limit `rx[/tx] ...` (router view: rx = client upload,
/// which is the queue target's upload, so the pair carries over unchanged).
fn max_limit_of(rate_limit: &[u8]) -> Vec<u8> {
    let first = rate_limit
        .split(|&b| b == b' ')
        .find(|t| !t.is_empty())
        .unwrap_or_default();
    if first.contains(&b'/') {
        first.to_vec()
    } else {
        [first, b"/", first].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        let (tx, _) = broadcast::channel(16);
        Router::new(
            RosVersion::default(),
            "MikroTik",
            "CHR",
            tx,
            Arc::new(Notify::new()),
        )
    }

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn built_in_profiles_print_first_and_last() {
        let r = router();
        let rows = r.print("/ppp/profile");
        let ids: Vec<&[u8]> = rows.iter().map(|row| row[0].1.as_slice()).collect();
        assert_eq!(ids, vec![&b"*0"[..], b"*FFFFFFFE"]);
    }

    #[test]
    fn ids_are_never_reused() {
        let mut r = router();
        let a = r
            .add(&schema::PPP_SECRET, &attrs(&[("name", "a")]))
            .unwrap();
        r.remove(&schema::PPP_SECRET, &[a]).unwrap();
        let b = r
            .add(&schema::PPP_SECRET, &attrs(&[("name", "a")]))
            .unwrap();
        assert_eq!((a, b), (1, 2));
    }

    #[test]
    fn rate_limit_becomes_max_limit() {
        assert_eq!(max_limit_of(b"10M"), b"10M/10M");
        assert_eq!(max_limit_of(b"2M/10M 4M/20M"), b"2M/10M");
    }
}
