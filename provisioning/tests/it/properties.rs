//! Properties over arbitrary desired and observed states: applying a plan converges, a second
//! plan is empty, unmanaged rows are never touched, the router's name uniqueness holds at every
//! step; and rate limits round-trip.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{TestCaseError, TestRunner};
use provisioning::{
    apply, plan, AddressListEntry, Burst, Desired, HotspotProfile, HotspotUser, Menu, Observed,
    Plan, Policy, PppProfile, PppSecret, Rate, RateLimit, Row, SimpleQueue, Suspension,
};

// ---- desired states ----

const RATE_LIMITS: [&str; 4] = [
    "5M/10M",
    "10M/20M",
    "1M",
    "2M/10M 4M/20M 1500k/8M 16/16 4 1M/5M",
];

fn rate_limit() -> impl Strategy<Value = Option<RateLimit>> {
    proptest::option::of(
        select(&RATE_LIMITS[..]).prop_map(|text| RateLimit::parse_routeros(text).unwrap()),
    )
}

fn ppp_profiles() -> impl Strategy<Value = Vec<PppProfile>> {
    let profile = (
        select(&["p1", "p2", "walled"][..]),
        rate_limit(),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(name, rate_limit, only_one)| PppProfile {
            name: name.into(),
            rate_limit,
            only_one,
            ..Default::default()
        });
    proptest::collection::vec(profile, 0..4)
        .prop_map(|profiles| unique_by(profiles, |p| p.name.clone()))
}

fn hotspot_profiles() -> impl Strategy<Value = Vec<HotspotProfile>> {
    let profile = (
        select(&["h1", "h2"][..]),
        rate_limit(),
        proptest::option::of(1..3u32),
    )
        .prop_map(|(name, rate_limit, shared_users)| HotspotProfile {
            name: name.into(),
            rate_limit,
            shared_users,
            ..Default::default()
        });
    proptest::collection::vec(profile, 0..3)
        .prop_map(|profiles| unique_by(profiles, |p| p.name.clone()))
}

/// Subscriber ids, login names and passwords for one login.
fn login() -> impl Strategy<Value = (u64, &'static str, &'static str, bool, bool)> {
    (
        1..6u64,
        select(&["alice", "bob", "carol", "dave", "erin"][..]),
        select(&["x", "y"][..]),
        any::<bool>(),
        any::<bool>(),
    )
}

fn secrets() -> impl Strategy<Value = Vec<PppSecret>> {
    let secret = (
        login(),
        select(&["p1", "p2", "walled", "default"][..]),
        proptest::option::of(1..4u8),
    )
        .prop_map(
            |((id, name, password, disabled, suspended), profile, address)| PppSecret {
                subscriber_id: id,
                name: name.into(),
                password: password.into(),
                profile: profile.into(),
                service: "pppoe".into(),
                remote_address: address.map(|host| [10, 0, 0, host].into()),
                disabled,
                suspended,
            },
        );
    proptest::collection::vec(secret, 0..5).prop_map(|secrets| {
        let secrets = unique_by(unique_by(secrets, |s| s.subscriber_id), |s| s.name.clone());
        let mut addresses = BTreeSet::new();
        secrets
            .into_iter()
            .map(|s| PppSecret {
                remote_address: s.remote_address.filter(|a| addresses.insert(*a)),
                ..s
            })
            .collect()
    })
}

fn hotspot_users() -> impl Strategy<Value = Vec<HotspotUser>> {
    let user = (
        login(),
        select(&["h1", "h2", "default"][..]),
        proptest::option::of(select(&["1d", "12h"][..])),
    )
        .prop_map(
            |((id, name, password, disabled, suspended), profile, uptime)| HotspotUser {
                subscriber_id: id,
                name: format!("hs-{name}"),
                password: password.into(),
                profile: profile.into(),
                limit_uptime: uptime.map(Into::into),
                disabled,
                suspended,
                ..Default::default()
            },
        );
    proptest::collection::vec(user, 0..4)
        .prop_map(|users| unique_by(unique_by(users, |u| u.subscriber_id), |u| u.name.clone()))
}

fn queues() -> impl Strategy<Value = Vec<SimpleQueue>> {
    let queue = (
        1..6u64,
        select(&["q1", "q2", "q3"][..]),
        select(&["10.0.0.1", "10.0.0.2/32", "10.0.1.0/24,10.0.0.9"][..]),
        select(&[1_000_000u64, 5_000_000, 512_000][..]),
        any::<bool>(),
    )
        .prop_map(|(id, name, target, rate, disabled)| SimpleQueue {
            subscriber_id: id,
            name: name.into(),
            target: target.into(),
            max_upload: Rate(rate),
            max_download: Rate(rate * 2),
            disabled,
            suspended: false,
        });
    proptest::collection::vec(queue, 0..4)
        .prop_map(|queues| unique_by(unique_by(queues, |q| q.subscriber_id), |q| q.name.clone()))
}

fn address_lists() -> impl Strategy<Value = Vec<AddressListEntry>> {
    let entry = (
        1..6u64,
        select(&["suspended", "vip"][..]),
        select(&["10.0.0.1", "10.0.0.2", "10.0.0.3/32"][..]),
    )
        .prop_map(|(id, list, address)| AddressListEntry {
            subscriber_id: id,
            list: list.into(),
            address: address.into(),
        });
    proptest::collection::vec(entry, 0..4).prop_map(|entries| {
        unique_by(entries, |e| {
            format!("{}:{}", e.list, e.address.trim_end_matches("/32"))
        })
    })
}

fn desired_states() -> impl Strategy<Value = Desired> {
    (
        ppp_profiles(),
        secrets(),
        hotspot_profiles(),
        hotspot_users(),
        queues(),
        address_lists(),
    )
        .prop_map(
            |(ppp_profiles, secrets, hotspot_profiles, hotspot_users, queues, address_lists)| {
                // Logins may only name desired or built-in profiles.
                let known = |profiles: &[&String], name: &str| {
                    name == "default" || profiles.iter().any(|p| *p == name)
                };
                let ppp_names: Vec<&String> = ppp_profiles.iter().map(|p| &p.name).collect();
                let hotspot_names: Vec<&String> =
                    hotspot_profiles.iter().map(|p| &p.name).collect();
                let secrets = secrets
                    .into_iter()
                    .map(|s| {
                        if known(&ppp_names, &s.profile) {
                            s
                        } else {
                            PppSecret {
                                profile: "default".into(),
                                ..s
                            }
                        }
                    })
                    .collect();
                let hotspot_users = hotspot_users
                    .into_iter()
                    .map(|u| {
                        if known(&hotspot_names, &u.profile) {
                            u
                        } else {
                            HotspotUser {
                                profile: "default".into(),
                                ..u
                            }
                        }
                    })
                    .collect();
                Desired {
                    ppp_profiles,
                    secrets,
                    hotspot_profiles,
                    hotspot_users,
                    queues,
                    address_lists,
                }
            },
        )
}

// ---- observed states ----

const ABSENT: &str = "<absent>";

/// A row's properties, each picked from its choices (`ABSENT` leaves it out).
fn row_props(
    spec: Vec<(&'static str, Vec<&'static str>)>,
) -> impl Strategy<Value = BTreeMap<String, String>> {
    let picks: Vec<_> = spec
        .into_iter()
        .map(|(name, choices)| select(choices).prop_map(move |value| (name, value)))
        .collect();
    picks.prop_map(|picks| {
        picks
            .into_iter()
            .filter(|(_, value)| *value != ABSENT)
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    })
}

fn subscriber_comments() -> Vec<&'static str> {
    vec![
        "setu:sub=1",
        "setu:sub=2",
        "setu:sub=3",
        "setu:sub=4",
        "setu:sub=5",
        "setu",
        "cust#7",
        ABSENT,
    ]
}

fn bools() -> Vec<&'static str> {
    vec!["yes", "no", "true", "false", ABSENT]
}

fn menu_rows(menu: Menu) -> BoxedStrategy<BTreeMap<String, String>> {
    let spec = match menu {
        Menu::PppProfile => vec![
            ("name", vec!["p1", "p2", "walled", "old", "default"]),
            (
                "rate-limit",
                vec!["5M/10M", "5000000/10000000", "1M", "9M/9M", ABSENT],
            ),
            ("only-one", vec!["yes", "no", "default", ABSENT]),
            ("comment", vec!["setu", "setu:x", "office", ABSENT]),
        ],
        Menu::HotspotUserProfile => vec![
            ("name", vec!["h1", "h2", "default"]),
            ("rate-limit", vec!["5M/10M", "1M/1M", ABSENT]),
            ("shared-users", vec!["1", "2", ABSENT]),
            ("comment", vec!["setu", "office", ABSENT]),
        ],
        Menu::PppSecret => vec![
            (
                "name",
                vec!["alice", "bob", "carol", "dave", "erin", "frank"],
            ),
            ("password", vec!["x", "y", ABSENT]),
            (
                "profile",
                vec!["p1", "p2", "walled", "old", "default", ABSENT],
            ),
            ("service", vec!["pppoe", "any", ABSENT]),
            ("remote-address", vec!["10.0.0.1", "10.0.0.2", ABSENT]),
            ("disabled", bools()),
            ("comment", subscriber_comments()),
        ],
        Menu::HotspotUser => vec![
            ("name", vec!["hs-alice", "hs-bob", "hs-carol", "hs-zed"]),
            ("password", vec!["x", "y", ABSENT]),
            ("profile", vec!["h1", "h2", "default", ABSENT]),
            ("limit-uptime", vec!["1d", "1d00:00:00", "0s", ABSENT]),
            ("disabled", bools()),
            ("comment", subscriber_comments()),
        ],
        Menu::SimpleQueue => vec![
            ("name", vec!["q1", "q2", "q3", "q4"]),
            (
                "target",
                vec!["10.0.0.1/32", "10.0.0.2", "10.0.1.0/24,10.0.0.9/32"],
            ),
            ("max-limit", vec!["1M/2M", "5000000/10000000", "512k/1024k"]),
            ("disabled", bools()),
            ("comment", subscriber_comments()),
        ],
        Menu::AddressList => vec![
            ("list", vec!["suspended", "vip"]),
            ("address", vec!["10.0.0.1", "10.0.0.2/32", "10.0.0.3"]),
            ("disabled", bools()),
            ("comment", subscriber_comments()),
        ],
        Menu::PppActive => vec![("name", vec!["alice", "bob", "carol", "dave", "frank"])],
        Menu::HotspotActive => vec![("user", vec!["hs-alice", "hs-bob", "hs-zed"])],
    };
    row_props(spec).boxed()
}

/// The name the router keeps unique in a menu.
fn identity(menu: Menu, row: &Row) -> String {
    match menu {
        Menu::AddressList => format!(
            "{}:{}",
            row.get("list").unwrap_or_default(),
            row.get("address")
                .unwrap_or_default()
                .trim_end_matches("/32")
        ),
        _ => row
            .get("name")
            .or(row.get("user"))
            .unwrap_or_default()
            .to_owned(),
    }
}

fn observed_states() -> impl Strategy<Value = Observed> {
    let menus: Vec<_> = Menu::ALL
        .into_iter()
        .map(|menu| {
            proptest::collection::vec(menu_rows(menu), 0..6).prop_map(move |rows| (menu, rows))
        })
        .collect();
    menus.prop_map(|menus| {
        let mut observed = Observed::default();
        for (menu, props) in menus {
            let rows: Vec<Row> = props
                .into_iter()
                .enumerate()
                .map(|(index, props)| Row {
                    id: format!("*{:X}", 0x10 * (menu as usize + 1) + index),
                    props,
                })
                .collect();
            // The router keeps names unique (sessions may repeat a login).
            let rows = if menu.is_session_menu() {
                rows
            } else {
                unique_by(rows, |row| identity(menu, row))
            };
            observed.rows.insert(menu, rows);
        }
        observed
    })
}

fn policies() -> impl Strategy<Value = Policy> {
    let suspension = select(vec![
        Suspension::Disable,
        Suspension::WalledGarden {
            ppp_profile: "walled".into(),
            hotspot_profile: Some("h2".into()),
        },
        Suspension::WalledGarden {
            ppp_profile: "walled".into(),
            hotspot_profile: None,
        },
    ]);
    (suspension, any::<bool>()).prop_map(|(suspension, adopt_matching_names)| Policy {
        suspension,
        adopt_matching_names,
        allow_mass_changes: true,
        allow_empty_desired: true,
        ..Policy::default()
    })
}

fn unique_by<T, K: Ord>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(key(item)))
        .collect()
}

// ---- checking a converged router against the desired state ----

fn is_managed(row: &Row) -> bool {
    row.get("comment")
        .is_some_and(|c| c == "setu" || c.starts_with("setu:"))
}

/// Desired entries the plan reports as blocked by a conflict: `(menu path, name)`.
fn blocked(plan: &Plan) -> BTreeSet<(String, String)> {
    plan.notes
        .iter()
        .filter_map(|note| note.strip_prefix("conflict: "))
        .filter_map(|rest| {
            let (path, rest) = rest.split_once(' ')?;
            let name = rest.strip_prefix('"')?.split('"').next()?;
            Some((path.to_owned(), name.to_owned()))
        })
        .collect()
}

fn with_default<'a>(value: Option<&'a str>, default: &'a str) -> &'a str {
    value.filter(|v| !v.is_empty()).unwrap_or(default)
}

fn truthy(value: Option<&str>) -> bool {
    matches!(value, Some("yes" | "true"))
}

fn same_limit(row: &Row, limit: Option<RateLimit>) -> bool {
    match (with_default(row.get("rate-limit"), ""), limit) {
        ("", None) => true,
        (text, Some(limit)) => RateLimit::parse_routeros(text) == Ok(limit),
        _ => false,
    }
}

fn addresses(text: &str) -> Vec<&str> {
    text.split(',')
        .map(|a| a.trim().trim_end_matches("/32"))
        .collect()
}

/// A login's profile and disabled flag on the router, given its suspension policy.
fn effective_login(
    profile: &str,
    disabled: bool,
    suspended: bool,
    walled: Option<&str>,
) -> (String, bool) {
    match (suspended, walled) {
        (true, Some(walled)) => (walled.to_owned(), disabled),
        (true, None) => (profile.to_owned(), true),
        (false, _) => (profile.to_owned(), disabled),
    }
}

/// Every desired entry not blocked has exactly one managed row, holding what was desired; no
/// other managed row is left except blocked ones and profiles still in use.
fn assert_converged(desired: &Desired, policy: &Policy, plan: &Plan, after: &Observed) {
    let blocked = blocked(plan);
    let is_blocked =
        |menu: Menu, name: &str| blocked.contains(&(menu.path().to_owned(), name.to_owned()));
    let managed = |menu: Menu| {
        after
            .rows(menu)
            .iter()
            .filter(|row| is_managed(row))
            .collect::<Vec<_>>()
    };
    let (walled_ppp, walled_hotspot) = match &policy.suspension {
        Suspension::Disable => (None, None),
        Suspension::WalledGarden {
            ppp_profile,
            hotspot_profile,
        } => (Some(ppp_profile.as_str()), hotspot_profile.as_deref()),
    };
    let comment_of = |id: u64| format!("setu:sub={id}");

    for s in desired
        .secrets
        .iter()
        .filter(|s| !is_blocked(Menu::PppSecret, &s.name))
    {
        let rows: Vec<_> = managed(Menu::PppSecret)
            .into_iter()
            .filter(|r| r.get("comment") == Some(&comment_of(s.subscriber_id)))
            .collect();
        assert_eq!(rows.len(), 1, "secret {s:?} in {after:?}");
        let row = rows[0];
        let (profile, disabled) = effective_login(&s.profile, s.disabled, s.suspended, walled_ppp);
        assert_eq!(row.get("name"), Some(s.name.as_str()));
        assert!(
            row.get("password").is_none_or(|p| p == s.password),
            "{row:?}"
        );
        assert_eq!(
            with_default(row.get("profile"), "default"),
            profile,
            "{row:?}"
        );
        assert_eq!(truthy(row.get("disabled")), disabled, "{row:?}");
        assert_eq!(with_default(row.get("service"), "any"), s.service);
        let address = s.remote_address.map(|a| a.to_string()).unwrap_or_default();
        assert_eq!(with_default(row.get("remote-address"), ""), address);
    }
    for u in desired
        .hotspot_users
        .iter()
        .filter(|u| !is_blocked(Menu::HotspotUser, &u.name))
    {
        let rows: Vec<_> = managed(Menu::HotspotUser)
            .into_iter()
            .filter(|r| r.get("comment") == Some(&comment_of(u.subscriber_id)))
            .collect();
        assert_eq!(rows.len(), 1, "user {u:?} in {after:?}");
        let row = rows[0];
        let (profile, disabled) =
            effective_login(&u.profile, u.disabled, u.suspended, walled_hotspot);
        assert_eq!(row.get("name"), Some(u.name.as_str()));
        assert_eq!(
            with_default(row.get("profile"), "default"),
            profile,
            "{row:?}"
        );
        assert_eq!(truthy(row.get("disabled")), disabled, "{row:?}");
        let uptime = with_default(row.get("limit-uptime"), "0s");
        let wanted_uptime = u.limit_uptime.as_deref().unwrap_or("0s");
        assert!(
            uptime == wanted_uptime || (uptime, wanted_uptime) == ("1d00:00:00", "1d"),
            "{row:?}"
        );
    }
    for q in desired
        .queues
        .iter()
        .filter(|q| !is_blocked(Menu::SimpleQueue, &q.name))
    {
        let rows: Vec<_> = managed(Menu::SimpleQueue)
            .into_iter()
            .filter(|r| r.get("comment") == Some(&comment_of(q.subscriber_id)))
            .collect();
        assert_eq!(rows.len(), 1, "queue {q:?} in {after:?}");
        let row = rows[0];
        assert_eq!(row.get("name"), Some(q.name.as_str()));
        assert_eq!(addresses(row.get("target").unwrap()), addresses(&q.target));
        let (up, down) = row.get("max-limit").unwrap().split_once('/').unwrap();
        assert_eq!(
            (up.parse(), down.parse()),
            (Ok(q.max_upload), Ok(q.max_download))
        );
        assert_eq!(truthy(row.get("disabled")), q.disabled);
    }
    for e in &desired.address_lists {
        let identity = format!("{}:{}", e.list, e.address.trim_end_matches("/32"));
        if is_blocked(Menu::AddressList, &identity) {
            continue;
        }
        let rows: Vec<_> = managed(Menu::AddressList)
            .into_iter()
            .filter(|r| self::identity(Menu::AddressList, r) == identity)
            .collect();
        assert_eq!(rows.len(), 1, "list entry {e:?} in {after:?}");
        assert_eq!(
            rows[0].get("comment"),
            Some(comment_of(e.subscriber_id).as_str())
        );
        assert!(!truthy(rows[0].get("disabled")));
    }
    for p in desired
        .ppp_profiles
        .iter()
        .filter(|p| !is_blocked(Menu::PppProfile, &p.name))
    {
        let rows: Vec<_> = managed(Menu::PppProfile)
            .into_iter()
            .filter(|r| r.get("name") == Some(p.name.as_str()))
            .collect();
        assert_eq!(rows.len(), 1, "profile {p:?} in {after:?}");
        assert!(same_limit(rows[0], p.rate_limit), "{:?} vs {p:?}", rows[0]);
        let only_one = p
            .only_one
            .map_or("default", |b| if b { "yes" } else { "no" });
        assert_eq!(with_default(rows[0].get("only-one"), "default"), only_one);
        assert_eq!(rows[0].get("comment"), Some("setu"));
    }
    for p in desired
        .hotspot_profiles
        .iter()
        .filter(|p| !is_blocked(Menu::HotspotUserProfile, &p.name))
    {
        let rows: Vec<_> = managed(Menu::HotspotUserProfile)
            .into_iter()
            .filter(|r| r.get("name") == Some(p.name.as_str()))
            .collect();
        assert_eq!(rows.len(), 1, "hotspot profile {p:?} in {after:?}");
        assert!(same_limit(rows[0], p.rate_limit), "{:?} vs {p:?}", rows[0]);
        assert_eq!(
            with_default(rows[0].get("shared-users"), "1"),
            p.shared_users.unwrap_or(1).to_string()
        );
    }

    // Managed rows beyond the desired ones: only those of blocked entries, or profiles in use.
    let desired_ids = |menu: Menu| -> BTreeSet<String> {
        let ids: Vec<u64> = match menu {
            Menu::PppSecret => desired.secrets.iter().map(|s| s.subscriber_id).collect(),
            Menu::HotspotUser => desired
                .hotspot_users
                .iter()
                .map(|u| u.subscriber_id)
                .collect(),
            _ => desired.queues.iter().map(|q| q.subscriber_id).collect(),
        };
        ids.into_iter().map(comment_of).collect()
    };
    for menu in [Menu::PppSecret, Menu::HotspotUser, Menu::SimpleQueue] {
        for row in managed(menu) {
            let ours = row
                .get("comment")
                .is_some_and(|c| desired_ids(menu).contains(c));
            assert!(ours || !blocked.is_empty(), "leftover {menu} row {row:?}");
        }
    }
    for (menu, names) in [
        (
            Menu::PppProfile,
            desired
                .ppp_profiles
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>(),
        ),
        (
            Menu::HotspotUserProfile,
            desired
                .hotspot_profiles
                .iter()
                .map(|p| p.name.clone())
                .collect(),
        ),
    ] {
        for row in managed(menu) {
            let name = row.get("name").unwrap_or_default();
            let in_use_note =
                format!("{menu} {name:?} is no longer desired but still in use; kept");
            assert!(
                names.iter().any(|n| n == name) || plan.notes.contains(&in_use_note),
                "leftover {menu} row {row:?}"
            );
        }
    }
}

/// Unmanaged rows are byte for byte the same, except those taken over by adoption; sessions
/// are only kicked for managed logins.
fn assert_unmanaged_untouched(
    desired: &Desired,
    observed: &Observed,
    policy: &Policy,
    plan: &Plan,
    after: &Observed,
) {
    let desired_identities: BTreeSet<(Menu, String)> = [
        desired
            .ppp_profiles
            .iter()
            .map(|p| (Menu::PppProfile, p.name.clone()))
            .collect::<Vec<_>>(),
        desired
            .secrets
            .iter()
            .map(|s| (Menu::PppSecret, s.name.clone()))
            .collect(),
        desired
            .hotspot_profiles
            .iter()
            .map(|p| (Menu::HotspotUserProfile, p.name.clone()))
            .collect(),
        desired
            .hotspot_users
            .iter()
            .map(|u| (Menu::HotspotUser, u.name.clone()))
            .collect(),
        desired
            .queues
            .iter()
            .map(|q| (Menu::SimpleQueue, q.name.clone()))
            .collect(),
        desired
            .address_lists
            .iter()
            .map(|e| {
                (
                    Menu::AddressList,
                    format!("{}:{}", e.list, e.address.trim_end_matches("/32")),
                )
            })
            .collect(),
    ]
    .concat()
    .into_iter()
    .collect();
    for menu in Menu::ALL.into_iter().filter(|m| !m.is_session_menu()) {
        for row in observed.rows(menu).iter().filter(|row| !is_managed(row)) {
            let may_be_adopted = policy.adopt_matching_names
                && desired_identities.contains(&(menu, identity(menu, row)));
            if !may_be_adopted {
                assert!(
                    after.rows(menu).contains(row),
                    "unmanaged {menu} row changed: {row:?}"
                );
            }
        }
    }
    for kick in plan.ops.iter().filter(|op| op.is_kick()) {
        let login_menu = if kick.menu == Menu::PppActive {
            Menu::PppSecret
        } else {
            Menu::HotspotUser
        };
        let logins_named = |managed: bool| {
            observed.rows(login_menu).iter().filter(move |row| {
                is_managed(row) == managed && identity(login_menu, row) == kick.name
            })
        };
        let desired_login = desired
            .secrets
            .iter()
            .map(|s| &s.name)
            .chain(desired.hotspot_users.iter().map(|u| &u.name))
            .any(|name| *name == kick.name);
        let adopted = policy.adopt_matching_names && desired_login;
        assert!(
            logins_named(false).count() == 0 || adopted,
            "kick for an unmanaged login: {kick:?}"
        );
        assert!(
            logins_named(true).count() > 0 || desired_login,
            "kick for no login of ours: {kick:?}"
        );
    }
}

/// After every single operation, no two rows of a configuration menu share a name.
fn assert_names_stay_unique(plan: &Plan, observed: &Observed) {
    for done in 1..=plan.ops.len() {
        let partial = Plan {
            ops: plan.ops[..done].to_vec(),
            notes: Vec::new(),
        };
        let state = apply(&partial, observed);
        for menu in Menu::ALL.into_iter().filter(|m| !m.is_session_menu()) {
            let mut seen = BTreeSet::new();
            for row in state.rows(menu) {
                assert!(
                    seen.insert(identity(menu, row)),
                    "after {:?}: two {menu} rows named {:?}\n{plan}",
                    plan.ops[done - 1],
                    identity(menu, row)
                );
            }
        }
    }
}

/// Applying a plan converges, touches no unmanaged row, keeps names unique at every step, and
/// leaves nothing for a second plan. Only a case that gets a plan tests any of that, so a
/// refused case (a guard rail, e.g. a walled-garden profile that is nowhere) is rejected and
/// proptest draws another, rather than passing; `max_global_rejects` fails the test if the
/// generators mostly make refused cases, and the counts are checked and printed at the end.
#[test]
fn applying_a_plan_converges() {
    const CASES: u32 = 300;
    let config = ProptestConfig {
        cases: CASES,
        max_global_rejects: CASES,
        source_file: Some(file!()),
        test_name: Some(concat!(module_path!(), "::applying_a_plan_converges")),
        ..ProptestConfig::default()
    };
    let exercised = AtomicU32::new(0);
    let refused = AtomicU32::new(0);
    let mut runner = TestRunner::new(config);
    let result = runner.run(
        &(desired_states(), observed_states(), policies()),
        |(desired, observed, policy)| {
            let first = match plan(&desired, &observed, &policy) {
                Ok(first) => first,
                Err(refusal) => {
                    refused.fetch_add(1, Ordering::Relaxed);
                    return Err(TestCaseError::reject(refusal.to_string()));
                }
            };
            let after = apply(&first, &observed);
            assert_converged(&desired, &policy, &first, &after);
            assert_unmanaged_untouched(&desired, &observed, &policy, &first, &after);
            assert_names_stay_unique(&first, &observed);
            let second =
                plan(&desired, &after, &policy).expect("a converged router is never refused");
            prop_assert!(
                second.is_empty(),
                "second plan:\n{second}\nfirst plan:\n{first}"
            );
            exercised.fetch_add(1, Ordering::Relaxed);
            Ok(())
        },
    );
    if let Err(failure) = result {
        panic!("{failure}\n{runner}");
    }
    let (exercised, refused) = (exercised.into_inner(), refused.into_inner());
    println!("applying_a_plan_converges: {exercised} cases planned and checked, {refused} refused and redrawn");
    assert!(
        exercised >= CASES,
        "only {exercised} of {CASES} cases got a plan to check"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn rate_limits_round_trip(limit in rate_limits()) {
        let text = limit.to_routeros();
        prop_assert_eq!(RateLimit::parse_routeros(&text), Ok(limit), "{}", text);
    }

    #[test]
    fn rates_round_trip(bits in any::<u64>()) {
        prop_assert_eq!(Rate(bits).to_string().parse::<Rate>(), Ok(Rate(bits)));
    }
}

/// Rate limits in canonical form: burst rates not both zero, `min` only with a priority.
fn rate_limits() -> impl Strategy<Value = RateLimit> {
    let rate = || {
        prop_oneof![
            (0..100_000u64).prop_map(Rate),
            (0..1_000u64).prop_map(|n| Rate(n * 1_000_000)),
            (0..10u64).prop_map(|n| Rate(n * 1_000))
        ]
    };
    let burst = (
        rate(),
        (1..1_000u64).prop_map(|n| Rate(n * 1_000)),
        rate(),
        rate(),
        0..3_600u32,
        0..3_600u32,
    )
        .prop_map(
            |(
                upload_rate,
                download_rate,
                upload_threshold,
                download_threshold,
                upload_time_secs,
                download_time_secs,
            )| Burst {
                upload_rate,
                download_rate,
                upload_threshold,
                download_threshold,
                upload_time_secs,
                download_time_secs,
            },
        );
    let tail = proptest::option::of((1..=8u8, proptest::option::of((rate(), rate()))));
    (rate(), rate(), proptest::option::of(burst), tail).prop_map(
        |(upload, download, burst, tail)| RateLimit {
            upload,
            download,
            burst,
            priority: tail.map(|(priority, _)| priority),
            min: tail.and_then(|(_, min)| min),
        },
    )
}
