//! `listen` and `/cancel`.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::support::{attr, s, sim, Client};

#[tokio::test]
async fn cancel_of_a_listen_answers_in_the_routers_order() {
    let sim = sim("7.18.2").await;
    let mut admin = Client::logged_in(sim.addr()).await;
    admin
        .call(&["/ppp/secret/add", "=name=alice", "=password=pw"])
        .await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.send(&["/ppp/active/listen", ".tag=10"]).await;
    // A fast command between listen updates is answered at once.
    assert_eq!(
        c.call(&["/system/identity/print", ".tag=11"]).await,
        vec![
            s(&["!re", ".tag=11", "=name=MikroTik"]),
            s(&["!done", ".tag=11"])
        ]
    );
    let id = sim
        .ppp_connect(
            "alice",
            "pw",
            Ipv4Addr::new(10, 0, 0, 9),
            "AA:BB:CC:00:11:22",
        )
        .unwrap();
    let up = c.recv().await;
    assert_eq!(up[..3], s(&["!re", ".tag=10", &format!("=.id={id}")]));
    assert_eq!(attr(&up, "name"), Some("alice"));
    assert!(sim.ppp_disconnect("alice"));
    assert_eq!(
        c.recv().await,
        s(&["!re", ".tag=10", &format!("=.id={id}"), "=.dead=true"])
    );
    c.send(&["/cancel", "=tag=10", ".tag=20"]).await;
    assert_eq!(
        c.recv().await,
        s(&["!trap", ".tag=10", "=category=2", "=message=interrupted"])
    );
    assert_eq!(c.recv().await, s(&["!done", ".tag=20"]));
    assert_eq!(c.recv().await, s(&["!done", ".tag=10"]));
    // Nothing more for the cancelled listen.
    sim.ppp_connect("alice", "pw", Ipv4Addr::new(10, 0, 0, 9), "x")
        .unwrap();
    c.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn untagged_cancel_stops_every_listen_and_unknown_tags_just_finish() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    assert_eq!(
        c.call(&["/cancel", "=tag=nothing", ".tag=1"]).await,
        vec![s(&["!done", ".tag=1"])]
    );
    c.send(&["/log/listen", ".tag=a"]).await;
    c.send(&["/interface/listen", ".tag=b"]).await;
    // Let both listens subscribe before cancelling (they are registered on arrival).
    c.call(&["/system/identity/print"]).await;
    c.send(&["/cancel"]).await;
    let replies: Vec<Vec<String>> = vec![
        c.recv().await,
        c.recv().await,
        c.recv().await,
        c.recv().await,
        c.recv().await,
    ];
    assert_eq!(
        replies,
        vec![
            s(&["!trap", ".tag=a", "=category=2", "=message=interrupted"]),
            s(&["!trap", ".tag=b", "=category=2", "=message=interrupted"]),
            s(&["!done"]),
            s(&["!done", ".tag=a"]),
            s(&["!done", ".tag=b"]),
        ]
    );
}

#[tokio::test]
async fn log_listen_sees_other_sessions_and_queries_filter_listens() {
    let sim = sim("7.18.2").await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.send(&[
        "/log/listen",
        "?topics=system,info,account",
        "=.proplist=message",
        ".tag=L",
    ])
    .await;
    c.call(&["/system/identity/print"]).await;
    let _other = Client::logged_in(sim.addr()).await;
    assert_eq!(
        c.recv().await,
        s(&[
            "!re",
            ".tag=L",
            "=message=user admin logged in from 127.0.0.1 via api"
        ])
    );
    // A failed login is logged under other topics: filtered out.
    let mut bad = Client::connect(sim.addr()).await;
    bad.call(&["/login", "=name=eve", "=password=x"]).await;
    c.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn listen_on_a_config_menu_reports_adds_changes_and_removals() {
    let sim = sim("7.18.2").await;
    let mut watcher = Client::logged_in(sim.addr()).await;
    watcher
        .send(&[
            "/ppp/secret/listen",
            "=.proplist=.id,name,disabled",
            ".tag=w",
        ])
        .await;
    watcher.call(&["/system/identity/print"]).await;
    let mut c = Client::logged_in(sim.addr()).await;
    c.call(&["/ppp/secret/add", "=name=bob"]).await;
    c.call(&["/ppp/secret/disable", "=numbers=bob"]).await;
    c.call(&["/ppp/secret/remove", "=numbers=bob"]).await;
    assert_eq!(
        watcher.recv().await,
        s(&["!re", ".tag=w", "=.id=*1", "=name=bob", "=disabled=false"])
    );
    assert_eq!(
        watcher.recv().await,
        s(&["!re", ".tag=w", "=.id=*1", "=name=bob", "=disabled=true"])
    );
    assert_eq!(
        watcher.recv().await,
        s(&["!re", ".tag=w", "=.id=*1", "=.dead=true"])
    );
}
