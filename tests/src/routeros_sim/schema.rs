//! The menus the simulator knows: their properties in print order, defaults, which commands
//! they take and what must be unique. Property names and defaults follow RouterOS 7 REST dumps
//! quoted in terraform-provider-routeros resource files and the reference (§2).

/// What a property holds and who may write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Free text the user may set.
    Text,
    /// Printed `true`/`false`; input accepts `yes`/`no`/`true`/`false`.
    Bool,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// The name of an item of another menu (a secret's profile).
    Reference(&'static str),
    /// Set by the router only; refused in add/set.
    ReadOnly,
    /// Worked out when printed (uptime, counters, `dynamic`); refused in add/set.
    Computed,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Prop {
    pub name: &'static str,
    pub kind: Kind,
    /// Value set on add when the command does not give one; `None` = absent until set.
    pub default: Option<&'static str>,
}

impl Prop {
    pub(crate) fn writable(&self) -> bool {
        !matches!(self.kind, Kind::ReadOnly | Kind::Computed)
    }
}

const fn text(name: &'static str, default: Option<&'static str>) -> Prop {
    Prop {
        name,
        kind: Kind::Text,
        default,
    }
}
const fn opt(name: &'static str) -> Prop {
    text(name, None)
}
const fn flag(name: &'static str, default: &'static str) -> Prop {
    Prop {
        name,
        kind: Kind::Bool,
        default: Some(default),
    }
}
const fn choice(name: &'static str, words: &'static [&'static str], default: &'static str) -> Prop {
    Prop {
        name,
        kind: Kind::Choice(words),
        default: Some(default),
    }
}
const fn read_only(name: &'static str, default: Option<&'static str>) -> Prop {
    Prop {
        name,
        kind: Kind::ReadOnly,
        default,
    }
}
const fn computed(name: &'static str) -> Prop {
    Prop {
        name,
        kind: Kind::Computed,
        default: None,
    }
}

/// Which items may not coexist, and the trap text when they would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Uniqueness {
    None,
    Name(&'static str),
    /// Hotspot users: name per server (an absent server means `all`).
    NameAndServer(&'static str),
    /// Address lists: the same address twice in one list.
    ListAndAddress(&'static str),
}

#[derive(Debug)]
pub(crate) struct MenuSpec {
    pub path: &'static str,
    pub props: &'static [Prop],
    pub commands: &'static [&'static str],
    pub unique: Uniqueness,
    /// `=.id=`/`=numbers=` may name an item by its `name`.
    pub name_keyed: bool,
    /// Kept in the state file (configuration survives a reboot; sessions and logs do not).
    pub persistent: bool,
    /// `.id` of the first item added.
    pub first_id: u64,
    /// Properties that must be given on add.
    pub required: &'static [&'static str],
}

/// Menus are singletons; the path identifies one.
impl PartialEq for MenuSpec {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

impl Eq for MenuSpec {}

impl MenuSpec {
    pub(crate) fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }
}

const CONFIG_COMMANDS: &[&str] = &[
    "print", "getall", "listen", "add", "set", "remove", "enable", "disable", "unset",
];
const PROFILE_COMMANDS: &[&str] = &["print", "getall", "listen", "add", "set", "remove", "unset"];
const SESSION_COMMANDS: &[&str] = &["print", "getall", "listen", "remove"];
const YES_NO_DEFAULT: &[&str] = &["yes", "no", "default"];
const YES_NO_DEFAULT_REQUIRE: &[&str] = &["yes", "no", "default", "require"];

pub(crate) static PPP_SECRET: MenuSpec = MenuSpec {
    path: "/ppp/secret",
    props: &[
        opt("name"),
        choice(
            "service",
            &[
                "any", "async", "isdn", "l2tp", "pppoe", "pptp", "ovpn", "sstp",
            ],
            "any",
        ),
        text("caller-id", Some("")),
        text("password", Some("")),
        Prop {
            name: "profile",
            kind: Kind::Reference("/ppp/profile"),
            default: Some("default"),
        },
        opt("local-address"),
        opt("remote-address"),
        opt("remote-ipv6-prefix"),
        text("routes", Some("")),
        text("ipv6-routes", Some("")),
        text("limit-bytes-in", Some("0")),
        text("limit-bytes-out", Some("0")),
        read_only("last-logged-out", None),
        read_only("last-caller-id", Some("")),
        read_only("last-disconnect-reason", Some("")),
        flag("disabled", "false"),
        opt("comment"),
    ],
    commands: CONFIG_COMMANDS,
    unique: Uniqueness::Name("failure: secret with the same name already exists"),
    name_keyed: true,
    persistent: true,
    first_id: 1,
    required: &["name"],
};

pub(crate) static PPP_PROFILE: MenuSpec = MenuSpec {
    path: "/ppp/profile",
    props: &[
        opt("name"),
        opt("local-address"),
        opt("remote-address"),
        opt("remote-ipv6-prefix-pool"),
        opt("bridge"),
        choice("bridge-learning", YES_NO_DEFAULT, "default"),
        opt("interface-list"),
        choice("use-ipv6", YES_NO_DEFAULT_REQUIRE, "yes"),
        choice("use-mpls", YES_NO_DEFAULT_REQUIRE, "default"),
        choice("use-compression", YES_NO_DEFAULT, "default"),
        choice("use-encryption", YES_NO_DEFAULT_REQUIRE, "default"),
        choice("use-upnp", YES_NO_DEFAULT, "default"),
        opt("session-timeout"),
        opt("idle-timeout"),
        choice("only-one", YES_NO_DEFAULT, "default"),
        opt("rate-limit"),
        opt("dns-server"),
        opt("wins-server"),
        text("address-list", Some("")),
        opt("incoming-filter"),
        opt("outgoing-filter"),
        opt("parent-queue"),
        opt("queue-type"),
        opt("insert-queue-before"),
        choice("change-tcp-mss", YES_NO_DEFAULT, "default"),
        text("on-up", Some("")),
        text("on-down", Some("")),
        read_only("default", Some("false")),
        opt("comment"),
    ],
    commands: PROFILE_COMMANDS,
    // (unverified) modelled on the secret text.
    unique: Uniqueness::Name("failure: profile with the same name already exists"),
    name_keyed: true,
    persistent: true,
    first_id: 1,
    required: &["name"],
};

pub(crate) static PPP_ACTIVE: MenuSpec = MenuSpec {
    path: "/ppp/active",
    props: &[
        read_only("name", None),
        read_only("service", None),
        read_only("caller-id", None),
        read_only("address", None),
        computed("uptime"),
        read_only("encoding", Some("")),
        read_only("session-id", None),
        read_only("limit-bytes-in", Some("0")),
        read_only("limit-bytes-out", Some("0")),
        read_only("radius", Some("false")),
    ],
    commands: SESSION_COMMANDS,
    unique: Uniqueness::None,
    name_keyed: false,
    persistent: false,
    first_id: 0x8000_0001,
    required: &[],
};

pub(crate) static HOTSPOT_USER: MenuSpec = MenuSpec {
    path: "/ip/hotspot/user",
    props: &[
        opt("server"),
        opt("name"),
        opt("password"),
        opt("address"),
        opt("mac-address"),
        Prop {
            name: "profile",
            kind: Kind::Reference("/ip/hotspot/user/profile"),
            default: Some("default"),
        },
        opt("routes"),
        opt("email"),
        opt("limit-uptime"),
        opt("limit-bytes-in"),
        opt("limit-bytes-out"),
        opt("limit-bytes-total"),
        read_only("uptime", Some("0s")),
        read_only("bytes-in", Some("0")),
        read_only("bytes-out", Some("0")),
        read_only("packets-in", Some("0")),
        read_only("packets-out", Some("0")),
        computed("dynamic"),
        flag("disabled", "false"),
        opt("comment"),
    ],
    commands: CONFIG_COMMANDS,
    unique: Uniqueness::NameAndServer("failure: already have user with this name for this server"),
    name_keyed: true,
    persistent: true,
    first_id: 1,
    required: &["name"],
};

pub(crate) static HOTSPOT_PROFILE: MenuSpec = MenuSpec {
    path: "/ip/hotspot/user/profile",
    props: &[
        opt("name"),
        text("address-pool", Some("none")),
        text("idle-timeout", Some("none")),
        text("keepalive-timeout", Some("2m")),
        text("status-autorefresh", Some("1m")),
        text("shared-users", Some("1")),
        flag("add-mac-cookie", "true"),
        text("mac-cookie-timeout", Some("3d")),
        opt("rate-limit"),
        opt("session-timeout"),
        opt("address-list"),
        opt("on-login"),
        opt("on-logout"),
        opt("parent-queue"),
        opt("queue-type"),
        opt("insert-queue-before"),
        opt("incoming-filter"),
        opt("outgoing-filter"),
        opt("incoming-packet-mark"),
        opt("outgoing-packet-mark"),
        flag("transparent-proxy", "false"),
        read_only("default", Some("false")),
    ],
    commands: PROFILE_COMMANDS,
    // (unverified) modelled on the secret text.
    unique: Uniqueness::Name("failure: profile with the same name already exists"),
    name_keyed: true,
    persistent: true,
    first_id: 1,
    required: &["name"],
};

pub(crate) static HOTSPOT_ACTIVE: MenuSpec = MenuSpec {
    path: "/ip/hotspot/active",
    props: &[
        read_only("server", None),
        read_only("user", None),
        read_only("address", None),
        read_only("mac-address", None),
        read_only("login-by", Some("http-chap")),
        computed("uptime"),
        read_only("idle-time", Some("0s")),
        read_only("keepalive-timeout", Some("2m")),
        computed("bytes-in"),
        computed("bytes-out"),
        computed("packets-in"),
        computed("packets-out"),
        read_only("radius", Some("false")),
    ],
    commands: SESSION_COMMANDS,
    unique: Uniqueness::None,
    name_keyed: false,
    persistent: false,
    first_id: 1,
    required: &[],
};

pub(crate) static QUEUE_SIMPLE: MenuSpec = MenuSpec {
    path: "/queue/simple",
    props: &[
        opt("name"),
        opt("target"),
        text("parent", Some("none")),
        text("packet-marks", Some("")),
        text("priority", Some("8/8")),
        text("queue", Some("default-small/default-small")),
        text("limit-at", Some("0/0")),
        text("max-limit", Some("0/0")),
        text("burst-limit", Some("0/0")),
        text("burst-threshold", Some("0/0")),
        text("burst-time", Some("0s/0s")),
        text("bucket-size", Some("0.1/0.1")),
        opt("dst"),
        opt("time"),
        read_only("invalid", Some("false")),
        computed("dynamic"),
        read_only("bytes", Some("0/0")),
        read_only("packets", Some("0/0")),
        read_only("rate", Some("0/0")),
        read_only("packet-rate", Some("0/0")),
        read_only("queued-bytes", Some("0/0")),
        read_only("queued-packets", Some("0/0")),
        read_only("dropped", Some("0/0")),
        read_only("total-bytes", Some("0")),
        read_only("total-packets", Some("0")),
        read_only("total-rate", Some("0")),
        read_only("total-packet-rate", Some("0")),
        read_only("total-queued-bytes", Some("0")),
        read_only("total-queued-packets", Some("0")),
        read_only("total-dropped", Some("0")),
        flag("disabled", "false"),
        opt("comment"),
    ],
    commands: CONFIG_COMMANDS,
    // (unverified)
    unique: Uniqueness::Name("failure: queue with such name already exists"),
    name_keyed: true,
    persistent: true,
    first_id: 1,
    required: &[],
};

pub(crate) static ADDRESS_LIST: MenuSpec = MenuSpec {
    path: "/ip/firewall/address-list",
    props: &[
        opt("list"),
        opt("address"),
        opt("timeout"),
        read_only("creation-time", None),
        computed("dynamic"),
        flag("disabled", "false"),
        opt("comment"),
    ],
    commands: CONFIG_COMMANDS,
    unique: Uniqueness::ListAndAddress("failure: already have such entry"),
    name_keyed: false,
    persistent: true,
    first_id: 1,
    required: &["list", "address"],
};

pub(crate) static INTERFACE: MenuSpec = MenuSpec {
    path: "/interface",
    props: &[
        opt("name"),
        read_only("default-name", None),
        read_only("type", None),
        opt("mtu"),
        read_only("actual-mtu", None),
        opt("l2mtu"),
        read_only("mac-address", None),
        read_only("last-link-up-time", None),
        read_only("link-downs", Some("0")),
        computed("rx-byte"),
        computed("tx-byte"),
        computed("rx-packet"),
        computed("tx-packet"),
        computed("rx-drop"),
        computed("tx-drop"),
        computed("tx-queue-drop"),
        computed("rx-error"),
        computed("tx-error"),
        computed("running"),
        computed("dynamic"),
        flag("disabled", "false"),
        opt("comment"),
    ],
    commands: &[
        "print", "getall", "listen", "set", "enable", "disable", "unset",
    ],
    // (unverified)
    unique: Uniqueness::Name("failure: already have interface with such name"),
    name_keyed: true,
    persistent: true,
    first_id: 1,
    required: &[],
};

pub(crate) static LOG: MenuSpec = MenuSpec {
    path: "/log",
    props: &[
        read_only("time", None),
        read_only("topics", None),
        read_only("message", None),
    ],
    commands: &["print", "getall", "listen"],
    unique: Uniqueness::None,
    name_keyed: false,
    persistent: false,
    first_id: 1,
    required: &[],
};

/// `/system/resource`: one item without `.id`, every value worked out when printed.
pub(crate) static SYSTEM_RESOURCE: MenuSpec = MenuSpec {
    path: "/system/resource",
    props: &[],
    commands: &["print", "getall"],
    unique: Uniqueness::None,
    name_keyed: false,
    persistent: false,
    first_id: 0,
    required: &[],
};

/// `/system/identity`: one item without `.id`, `name` only.
pub(crate) static SYSTEM_IDENTITY: MenuSpec = MenuSpec {
    path: "/system/identity",
    props: &[opt("name")],
    commands: &["print", "getall", "set"],
    unique: Uniqueness::None,
    name_keyed: false,
    persistent: true,
    first_id: 0,
    required: &[],
};

/// Menus holding items, in the order the state file lists them.
pub(crate) static TABLES: &[&MenuSpec] = &[
    &PPP_PROFILE,
    &PPP_SECRET,
    &PPP_ACTIVE,
    &HOTSPOT_PROFILE,
    &HOTSPOT_USER,
    &HOTSPOT_ACTIVE,
    &QUEUE_SIMPLE,
    &ADDRESS_LIST,
    &INTERFACE,
    &LOG,
];

/// Every menu a command may address.
pub(crate) static MENUS: &[&MenuSpec] = &[
    &PPP_PROFILE,
    &PPP_SECRET,
    &PPP_ACTIVE,
    &HOTSPOT_PROFILE,
    &HOTSPOT_USER,
    &HOTSPOT_ACTIVE,
    &QUEUE_SIMPLE,
    &ADDRESS_LIST,
    &INTERFACE,
    &LOG,
    &SYSTEM_RESOURCE,
    &SYSTEM_IDENTITY,
];

pub(crate) fn menu(path: &str) -> Option<&'static MenuSpec> {
    MENUS.iter().copied().find(|m| m.path == path)
}

/// True when `path` is a menu or a directory above one (`/ip`, `/ip/hotspot`), i.e. a prefix
/// RouterOS would recognise.
pub(crate) fn is_known_prefix(path: &str) -> bool {
    path.is_empty()
        || MENUS.iter().any(|m| {
            m.path == path
                || m.path
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}
