//! Menu commands, exact trap texts, defaults, ids, byte-exact values and side effects.

use std::net::Ipv4Addr;

use crate::support::{attr, ret, s, sim, Client};

#[tokio::test]
async fn add_fills_defaults_and_prints_booleans_as_true_false() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    assert_eq!(
        ret(&c
            .call(&["/ppp/secret/add", "=name=alice", "=password=pw"])
            .await),
        "*1"
    );
    let rows = c.call(&["/ppp/secret/print"]).await;
    let row = &rows[0];
    assert_eq!(attr(row, ".id"), Some("*1"));
    assert_eq!(attr(row, "service"), Some("any"));
    assert_eq!(attr(row, "profile"), Some("default"));
    assert_eq!(attr(row, "disabled"), Some("false"));
    assert_eq!(attr(row, "last-logged-out"), Some("1970-01-01 00:00:00"));
    assert_eq!(attr(row, "comment"), None, "absent until set");
    c.call(&["/ppp/secret/set", "=.id=*1", "=disabled=yes"])
        .await;
    assert_eq!(sim.rows("/ppp/secret")[0]["disabled"], "true");
    c.call(&["/ppp/secret/enable", "=numbers=alice"]).await;
    assert_eq!(sim.rows("/ppp/secret")[0]["disabled"], "false");
    assert_eq!(
        c.call(&["/ppp/secret/set", "=.id=*1", "=disabled=maybe"])
            .await,
        vec![
            s(&[
                "!trap",
                "=category=1",
                "=message=input does not match any value of disabled"
            ]),
            s(&["!done"])
        ]
    );
}

#[tokio::test]
async fn exact_texts_for_duplicates_and_missing_items() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    let trap = |m: &str| vec![s(&["!trap", &format!("=message={m}")]), s(&["!done"])];
    c.call(&["/ppp/secret/add", "=name=alice"]).await;
    assert_eq!(
        c.call(&["/ppp/secret/add", "=name=alice"]).await,
        trap("failure: secret with the same name already exists")
    );
    // Renaming onto an existing name clashes too.
    c.call(&["/ppp/secret/add", "=name=bob"]).await;
    assert_eq!(
        c.call(&["/ppp/secret/set", "=numbers=bob", "=name=alice"])
            .await,
        trap("failure: secret with the same name already exists")
    );
    assert_eq!(
        c.call(&["/ppp/secret/set", "=.id=*77", "=comment=x"]).await,
        trap("no such item")
    );
    assert_eq!(
        c.call(&["/ppp/secret/remove", "=numbers=nobody"]).await,
        trap("no such item")
    );
    assert_eq!(
        c.call(&["/ppp/secret/add", "=name=carol", "=profile=gold"])
            .await,
        vec![
            s(&[
                "!trap",
                "=category=1",
                "=message=input does not match any value of profile"
            ]),
            s(&["!done"])
        ]
    );
    c.call(&["/ip/hotspot/user/add", "=name=guest"]).await;
    assert_eq!(
        c.call(&["/ip/hotspot/user/add", "=name=guest"]).await,
        trap("failure: already have user with this name for this server")
    );
    c.call(&[
        "/ip/firewall/address-list/add",
        "=list=suspended",
        "=address=10.0.0.1",
    ])
    .await;
    assert_eq!(
        c.call(&[
            "/ip/firewall/address-list/add",
            "=list=suspended",
            "=address=10.0.0.1/32"
        ])
        .await,
        trap("failure: already have such entry")
    );
    // Same address in another list is fine.
    assert_eq!(
        c.call(&[
            "/ip/firewall/address-list/add",
            "=list=other",
            "=address=10.0.0.1"
        ])
        .await
        .len(),
        1
    );
    // Nothing failed was applied.
    assert_eq!(sim.rows("/ppp/secret").len(), 2);
    assert_eq!(sim.command_counts()["/ppp/secret/add"], 4);
}

#[tokio::test]
async fn ids_increase_and_are_never_reused_and_lists_select_many() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    for n in ["a", "b", "c"] {
        c.call(&["/ppp/secret/add", &format!("=name={n}")]).await;
    }
    assert_eq!(
        c.call(&["/ppp/secret/remove", "=.id=*1,*3"]).await,
        vec![s(&["!done"])]
    );
    assert_eq!(ret(&c.call(&["/ppp/secret/add", "=name=a"]).await), "*4");
    // A list with a missing id changes nothing.
    assert_eq!(
        c.call(&["/ppp/secret/disable", "=.id=*2,*9"]).await[0],
        s(&["!trap", "=message=no such item"])
    );
    assert_eq!(sim.rows("/ppp/secret")[0]["disabled"], "false");
    for _ in 0..20 {
        c.call(&["/ppp/secret/add", "=name=x"]).await;
        c.call(&["/ppp/secret/remove", "=numbers=x"]).await;
    }
    assert_eq!(ret(&c.call(&["/ppp/secret/add", "=name=y"]).await), "*19");
}

#[tokio::test]
async fn unset_and_built_in_profiles() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.call(&[
        "/ppp/secret/add",
        "=name=a",
        "=comment=note",
        "=service=pppoe",
    ])
    .await;
    c.call(&["/ppp/secret/unset", "=numbers=a", "=value-name=comment"])
        .await;
    c.call(&["/ppp/secret/unset", "=numbers=a", "=value-name=service"])
        .await;
    let row = &sim.rows("/ppp/secret")[0];
    assert!(!row.contains_key("comment"));
    assert_eq!(row["service"], "any");
    let profiles = sim.rows("/ppp/profile");
    assert_eq!(profiles[0][".id"], "*0");
    assert_eq!(profiles[0]["name"], "default");
    assert_eq!(profiles[1][".id"], "*FFFFFFFE");
    assert_eq!(profiles[1]["name"], "default-encryption");
    assert_eq!(
        c.call(&["/ppp/profile/remove", "=numbers=default"]).await[0][0],
        "!trap"
    );
    assert_eq!(
        ret(&c
            .call(&["/ppp/profile/add", "=name=10M", "=rate-limit=10M/10M"])
            .await),
        "*1"
    );
    // New profiles sort between the two built-ins.
    assert_eq!(sim.rows("/ppp/profile")[1]["name"], "10M");
    assert_eq!(sim.rows("/ip/hotspot/user/profile")[0]["name"], "default");
}

#[tokio::test]
async fn non_utf8_values_come_back_byte_for_byte() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    let mut add = protocol::routeros::Sentence::from_words(["/ppp/secret/add", "=name=cafe"]);
    add.words.push(b"=comment=caf\xe9 \x80\xff".to_vec());
    c.send_bytes(&add.encode()).await;
    assert_eq!(c.recv().await, s(&["!done", "=ret=*1"]));
    c.send(&["/ppp/secret/print", "=.proplist=comment"]).await;
    let re = c.try_recv().await.unwrap();
    assert_eq!(
        re.words,
        vec![b"!re".to_vec(), b"=comment=caf\xe9 \x80\xff".to_vec()]
    );
    // Queries compare bytes too.
    let mut query = protocol::routeros::Sentence::from_words(["/ppp/secret/print", "=count-only="]);
    query.words.push(b"?comment=caf\xe9 \x80\xff".to_vec());
    c.until_done().await;
    c.send_bytes(&query.encode()).await;
    assert_eq!(c.recv().await, s(&["!done", "=ret=1"]));
}

#[tokio::test]
async fn identity_and_resource() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.call(&["/system/identity/set", "=name=pop-dhaka-1"]).await;
    assert_eq!(
        c.call(&["/system/identity/print"]).await[0],
        s(&["!re", "=name=pop-dhaka-1"])
    );
    let r = c.call(&["/system/resource/print"]).await;
    assert_eq!(attr(&r[0], "version"), Some("7.18.2 (stable)"));
    assert_eq!(attr(&r[0], "board-name"), Some("CHR"));
    assert_eq!(attr(&r[0], "platform"), Some("MikroTik"));
    for key in [
        "uptime",
        "cpu-load",
        "free-memory",
        "total-memory",
        "architecture-name",
    ] {
        assert!(attr(&r[0], key).is_some(), "{key}");
    }
    let old = sim_v6().await;
    let mut c = Client::logged_in(old.addr()).await;
    let r = c
        .call(&["/system/resource/print", "=.proplist=build-time"])
        .await;
    assert_eq!(r[0], s(&["!re", "=build-time=feb/24/2025 09:33:04"]));
}

async fn sim_v6() -> tests::routeros_sim::SimHandle {
    sim("6.48.6").await
}

#[tokio::test]
async fn sessions_survive_disable_and_secret_removal_but_not_active_remove() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.call(&[
        "/ppp/profile/add",
        "=name=10M",
        "=rate-limit=10M/20M",
        "=only-one=yes",
    ])
    .await;
    c.call(&[
        "/ppp/secret/add",
        "=name=alice",
        "=password=pw",
        "=profile=10M",
    ])
    .await;
    let id = sim
        .ppp_connect(
            "alice",
            "pw",
            Ipv4Addr::new(10, 20, 0, 11),
            "C4:6E:1F:98:8B:6F",
        )
        .unwrap();
    assert_eq!(id, "*80000001");
    assert!(sim
        .ppp_connect("alice", "pw", Ipv4Addr::new(10, 20, 0, 12), "x")
        .is_err());
    let active = &sim.rows("/ppp/active")[0];
    assert_eq!(active["name"], "alice");
    assert_eq!(active["service"], "pppoe");
    assert_eq!(active["caller-id"], "C4:6E:1F:98:8B:6F");
    assert_eq!(active["address"], "10.20.0.11");
    assert_eq!(active["radius"], "false");
    let iface = c
        .call(&[
            "/interface/print",
            "?name=<pppoe-alice>",
            "=.proplist=type,running,rx-byte",
        ])
        .await;
    assert_eq!(attr(&iface[0], "type"), Some("pppoe-in"));
    assert_eq!(attr(&iface[0], "running"), Some("true"));
    let queue = &sim.rows("/queue/simple")[0];
    assert_eq!(queue["name"], "<pppoe-alice>");
    assert_eq!(queue["max-limit"], "10M/20M");
    assert_eq!(queue["dynamic"], "true");
    assert_eq!(
        c.call(&["/queue/simple/remove", &format!("=.id={}", queue[".id"])])
            .await[0][0],
        "!trap"
    );

    c.call(&["/ppp/secret/disable", "=numbers=alice"]).await;
    assert_eq!(sim.rows("/ppp/active").len(), 1, "disable does not kick");
    assert!(sim
        .ppp_connect("alice", "pw", Ipv4Addr::new(10, 20, 0, 11), "x")
        .is_err());

    assert_eq!(
        c.call(&["/ppp/active/remove", &format!("=.id={id}")]).await,
        vec![s(&["!done"])]
    );
    assert!(sim.rows("/ppp/active").is_empty());
    assert_eq!(sim.rows("/interface").len(), 1, "only ether1 left");
    assert!(sim.rows("/queue/simple").is_empty());
    let secret = &sim.rows("/ppp/secret")[0];
    assert_eq!(secret["last-caller-id"], "C4:6E:1F:98:8B:6F");
    assert_ne!(secret["last-logged-out"], "1970-01-01 00:00:00");

    c.call(&["/ppp/secret/enable", "=numbers=alice"]).await;
    sim.ppp_connect("alice", "pw", Ipv4Addr::new(10, 20, 0, 11), "x")
        .unwrap();
    c.call(&["/ppp/secret/remove", "=numbers=alice"]).await;
    assert_eq!(
        sim.rows("/ppp/active").len(),
        1,
        "removing the secret does not kick"
    );
    assert!(sim.ppp_disconnect("alice"));
    assert!(!sim.ppp_disconnect("alice"));
    let log: Vec<String> = sim
        .rows("/log")
        .into_iter()
        .map(|r| r["message"].clone())
        .collect();
    assert!(
        log.contains(&"alice logged in, 10.20.0.11".to_owned()),
        "{log:?}"
    );
}

#[tokio::test]
async fn dial_in_refusals() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.call(&[
        "/ppp/secret/add",
        "=name=l2",
        "=password=pw",
        "=service=l2tp",
    ])
    .await;
    c.call(&[
        "/ppp/secret/add",
        "=name=m",
        "=password=pw",
        "=caller-id=AA:AA:AA:AA:AA:AA",
    ])
    .await;
    let ip = Ipv4Addr::new(10, 0, 0, 2);
    assert!(sim.ppp_connect("nobody", "pw", ip, "x").is_err());
    assert!(sim.ppp_connect("l2", "pw", ip, "x").is_err());
    assert!(sim
        .ppp_connect("m", "bad", ip, "AA:AA:AA:AA:AA:AA")
        .is_err());
    assert!(sim.ppp_connect("m", "pw", ip, "BB:BB:BB:BB:BB:BB").is_err());
    sim.ppp_connect("m", "pw", ip, "AA:AA:AA:AA:AA:AA").unwrap();
    // Without only-one=yes a second session gets its own interface.
    sim.ppp_connect("m", "pw", Ipv4Addr::new(10, 0, 0, 3), "AA:AA:AA:AA:AA:AA")
        .unwrap();
    let names: Vec<String> = sim
        .rows("/interface")
        .into_iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, ["ether1", "<pppoe-m>", "<pppoe-m-1>"]);
}

#[tokio::test]
async fn hotspot_sessions() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.call(&["/ip/hotspot/user/add", "=name=v123", "=password=p"])
        .await;
    let ip = Ipv4Addr::new(10, 5, 50, 2);
    assert!(sim
        .hotspot_login("v123", "x", ip, "aa:bb:cc:dd:ee:ff")
        .is_err());
    let id = sim
        .hotspot_login("v123", "p", ip, "aa:bb:cc:dd:ee:ff")
        .unwrap();
    // shared-users=1 in the default profile.
    assert!(sim
        .hotspot_login("v123", "p", ip, "aa:bb:cc:dd:ee:ff")
        .is_err());
    let active = &sim.rows("/ip/hotspot/active")[0];
    assert_eq!(active["user"], "v123");
    assert_eq!(active["mac-address"], "AA:BB:CC:DD:EE:FF");
    assert_eq!(active["server"], "hotspot1");
    c.call(&["/ip/hotspot/user/disable", "=numbers=v123"]).await;
    assert_eq!(sim.rows("/ip/hotspot/active").len(), 1);
    c.call(&["/ip/hotspot/active/remove", &format!("=.id={id}")])
        .await;
    assert!(sim.rows("/ip/hotspot/active").is_empty());
    assert!(!sim.hotspot_logout("v123"));
}
