//! The edge agent (RouterOS client, reconcile, status page, CLI) against the simulator.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use edge_agent::reconcile::{reconcile, ReconcileError, ReconcileOptions};
use edge_agent::routeros::{Client, ConnectOptions, LoginMethod, RouterError, Trust};
use protocol::routeros::Command;
use provisioning::{Desired, Policy, PppProfile, PppSecret, Rate, RateLimit, Suspension};
use tests::routeros_sim::{self, Faults, RosVersion, SimConfig, SimHandle, TlsMode};

const USER: &str = "setu";
const PASSWORD: &str = "router-pw";

async fn router(version: &str) -> SimHandle {
    routeros_sim::start(SimConfig {
        users: vec![(USER.into(), PASSWORD.into())],
        ros_version: version.parse::<RosVersion>().unwrap(),
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn options(sim: &SimHandle) -> ConnectOptions {
    let mut o = ConnectOptions::new(sim.addr().to_string(), USER, PASSWORD);
    o.command_timeout = Duration::from_secs(10);
    o
}

async fn connect(sim: &SimHandle) -> Client {
    Client::connect(options(sim)).await.unwrap()
}

fn subscribers(n: u64) -> Desired {
    Desired {
        ppp_profiles: ["setu-10M", "setu-walled"]
            .iter()
            .map(|name| PppProfile {
                name: (*name).into(),
                rate_limit: Some(RateLimit {
                    upload: Rate(5_000_000),
                    download: Rate(10_000_000),
                    burst: None,
                    priority: None,
                    min: None,
                }),
                ..PppProfile::default()
            })
            .collect(),
        secrets: (1..=n)
            .map(|i| PppSecret {
                subscriber_id: i,
                name: format!("user{i}"),
                password: format!("pw{i}"),
                profile: "setu-10M".into(),
                service: "pppoe".into(),
                ..PppSecret::default()
            })
            .collect(),
        ..Desired::default()
    }
}

fn row<'a>(rows: &'a [BTreeMap<String, String>], name: &str) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r.get("name").map(String::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no row {name}"))
}

fn active(sim: &SimHandle, name: &str) -> bool {
    sim.rows("/ppp/active")
        .iter()
        .any(|r| r.get("name").map(String::as_str) == Some(name))
}

async fn pass(
    client: &Client,
    desired: &Desired,
    policy: Policy,
) -> Result<edge_agent::reconcile::Outcome, ReconcileError> {
    reconcile(
        client,
        desired,
        &ReconcileOptions {
            policy,
            ..ReconcileOptions::default()
        },
    )
    .await
}

#[tokio::test]
async fn probe_reports_version_login_and_empty_per_router_version() {
    for (version, login, empty) in [
        ("7.18.2", LoginMethod::Plain, true),
        ("7.17", LoginMethod::Plain, false),
        ("6.42.12", LoginMethod::Challenge, false),
    ] {
        let sim = router(version).await;
        let client = connect(&sim).await;
        let caps = client.capabilities();
        assert!(caps.version.starts_with(version), "{version}: {caps:?}");
        assert_eq!(caps.login, login, "{version}");
        assert_eq!(caps.sends_empty, empty, "{version}");
        assert_eq!(caps.identity, "MikroTik");
    }
}

#[tokio::test]
async fn wrong_password_is_refused_with_the_routers_text() {
    for (version, text) in [
        ("7.18.2", "invalid user name or password (6)"),
        ("6.40", "cannot log in"),
    ] {
        let sim = router(version).await;
        let mut o = options(&sim);
        o.password = "wrong".into();
        match Client::connect(o).await {
            Err(RouterError::LoginFailed(message)) => assert_eq!(message, text, "{version}"),
            other => panic!("{version}: unexpected {:?}", other.err()),
        }
    }
}

#[tokio::test]
async fn a_fresh_router_converges_and_the_next_pass_changes_nothing() {
    let sim = router("7.18.2").await;
    let client = connect(&sim).await;
    let desired = subscribers(50);
    let first = pass(&client, &desired, Policy::default()).await.unwrap();
    assert!(first.converged(), "{:?}", first.failures);
    assert_eq!(first.applied, 52);
    let secrets = sim.rows("/ppp/secret");
    assert_eq!(secrets.len(), 50);
    let alice = row(&secrets, "user7");
    assert_eq!(alice["profile"], "setu-10M");
    assert_eq!(alice["comment"], "setu:sub=7");
    assert_eq!(
        row(&sim.rows("/ppp/profile"), "setu-10M")["rate-limit"],
        "5M/10M",
        "rx/tx is upload/download"
    );

    let counts_before = sim.command_counts();
    let second = pass(&client, &desired, Policy::default()).await.unwrap();
    assert!(second.plan.is_empty(), "{}", second.plan);
    assert_eq!(
        sim.command_counts(),
        counts_before,
        "a converged router gets no writes"
    );
}

#[tokio::test]
async fn suspension_disables_and_kicks_and_reconnection_restores() {
    let sim = router("7.18.2").await;
    let client = connect(&sim).await;
    let mut desired = subscribers(3);
    pass(&client, &desired, Policy::default()).await.unwrap();
    sim.ppp_connect(
        "user2",
        "pw2",
        Ipv4Addr::new(10, 0, 0, 2),
        "C4:6E:1F:00:00:02",
    )
    .unwrap();
    sim.ppp_connect(
        "user3",
        "pw3",
        Ipv4Addr::new(10, 0, 0, 3),
        "C4:6E:1F:00:00:03",
    )
    .unwrap();

    desired.secrets[1].suspended = true;
    let outcome = pass(&client, &desired, Policy::default()).await.unwrap();
    assert_eq!(outcome.counts().kicks, 1);
    assert_eq!(row(&sim.rows("/ppp/secret"), "user2")["disabled"], "true");
    assert!(
        !active(&sim, "user2"),
        "suspended subscriber's session ended"
    );
    assert!(active(&sim, "user3"), "others keep their sessions");
    assert!(sim
        .ppp_connect(
            "user2",
            "pw2",
            Ipv4Addr::new(10, 0, 0, 2),
            "C4:6E:1F:00:00:02"
        )
        .is_err());

    desired.secrets[1].suspended = false;
    pass(&client, &desired, Policy::default()).await.unwrap();
    assert_eq!(row(&sim.rows("/ppp/secret"), "user2")["disabled"], "false");
    sim.ppp_connect(
        "user2",
        "pw2",
        Ipv4Addr::new(10, 0, 0, 2),
        "C4:6E:1F:00:00:02",
    )
    .unwrap();
}

#[tokio::test]
async fn walled_garden_moves_the_subscriber_and_kicks_the_session() {
    let sim = router("7.18.2").await;
    let client = connect(&sim).await;
    let policy = Policy {
        suspension: Suspension::WalledGarden {
            ppp_profile: "setu-walled".into(),
            hotspot_profile: None,
        },
        ..Policy::default()
    };
    let mut desired = subscribers(2);
    pass(&client, &desired, policy.clone()).await.unwrap();
    sim.ppp_connect(
        "user1",
        "pw1",
        Ipv4Addr::new(10, 0, 0, 1),
        "C4:6E:1F:00:00:01",
    )
    .unwrap();
    desired.secrets[0].suspended = true;
    pass(&client, &desired, policy).await.unwrap();
    let secret = row(&sim.rows("/ppp/secret"), "user1").clone();
    assert_eq!(
        (secret["profile"].as_str(), secret["disabled"].as_str()),
        ("setu-walled", "false")
    );
    assert!(!active(&sim, "user1"));
    sim.ppp_connect(
        "user1",
        "pw1",
        Ipv4Addr::new(10, 0, 0, 1),
        "C4:6E:1F:00:00:01",
    )
    .expect("redials into the garden");
}

#[tokio::test]
async fn entries_without_the_marker_are_never_touched() {
    let sim = router("7.18.2").await;
    let client = connect(&sim).await;
    // Hand-made entries, one with a Windows-1252 comment as Winbox would store it.
    let hand_made = [
        Command::new("/ppp/secret/add")
            .attr("name", "user1")
            .attr("password", "theirs")
            .attr("comment", b"caf\xe9 owner"),
        Command::new("/ppp/secret/add")
            .attr("name", "office")
            .attr("password", "x"),
        Command::new("/queue/simple/add")
            .attr("name", "cctv")
            .attr("target", "10.99.0.0/24")
            .attr("max-limit", "20M/20M"),
    ];
    for c in &hand_made {
        client.run(c).await.unwrap();
    }
    let before = client
        .run(&Command::new("/ppp/secret/print"))
        .await
        .unwrap();
    let outcome = pass(&client, &subscribers(2), Policy::default())
        .await
        .unwrap();
    assert!(
        outcome.plan.notes.iter().any(|n| n.contains("user1")),
        "conflict reported: {:?}",
        outcome.plan.notes
    );
    let after = client
        .run(&Command::new("/ppp/secret/print"))
        .await
        .unwrap();
    for item in &before.items {
        assert!(
            after.items.contains(item),
            "unmanaged row changed: {item:?}"
        );
    }
    assert_eq!(
        row(&sim.rows("/queue/simple"), "cctv")["max-limit"],
        "20M/20M"
    );
    // Removing everything Setu manages still leaves them.
    let empty = Policy {
        allow_empty_desired: true,
        allow_mass_changes: true,
        ..Policy::default()
    };
    pass(&client, &Desired::default(), empty).await.unwrap();
    let names: Vec<String> = sim
        .rows("/ppp/secret")
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, ["user1", "office"]);
}

#[tokio::test]
async fn guard_rails_leave_the_router_as_it_was() {
    let sim = router("7.18.2").await;
    let client = connect(&sim).await;
    pass(&client, &subscribers(40), Policy::default())
        .await
        .unwrap();
    let before = sim.rows("/ppp/secret");
    // The controller looked empty: never mass-remove.
    let err = pass(&client, &Desired::default(), Policy::default())
        .await
        .unwrap_err();
    assert!(matches!(err, ReconcileError::Refused(_)), "{err}");
    // Half the subscribers vanished at once: over the destructive share.
    let err = pass(&client, &subscribers(20), Policy::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("allow_mass_changes") || err.to_string().contains("override"),
        "{err}"
    );
    assert_eq!(sim.rows("/ppp/secret"), before);
    // The explicit override goes through.
    let mass = Policy {
        allow_mass_changes: true,
        ..Policy::default()
    };
    pass(&client, &subscribers(20), mass).await.unwrap();
    assert_eq!(sim.rows("/ppp/secret").len(), 20);
}

#[tokio::test]
async fn a_connection_dropped_mid_apply_is_finished_by_the_next_pass_without_repeats() {
    let sim = router("7.18.2").await;
    let desired = subscribers(300);
    // Login (1) + probe (3) + reads (8) + ~100 writes, then the router drops the connection.
    sim.set_faults(Faults {
        drop_after_sentences: Some(110),
        ..Faults::default()
    });
    let client = connect(&sim).await;
    let err = pass(&client, &desired, Policy::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ReconcileError::Router(e) if e.is_connection_lost()),
        "{err}"
    );
    let partial = sim.rows("/ppp/secret").len();
    assert!(partial > 0 && partial < 300, "partially applied: {partial}");

    sim.set_faults(Faults::default());
    let client = connect(&sim).await;
    let outcome = pass(&client, &desired, Policy::default()).await.unwrap();
    assert!(outcome.converged());
    assert_eq!(sim.rows("/ppp/secret").len(), 300);
    let adds = sim
        .command_counts()
        .get("/ppp/secret/add")
        .copied()
        .unwrap_or(0);
    assert_eq!(
        adds, 300,
        "each secret added exactly once across both passes"
    );
}

#[tokio::test]
async fn a_router_that_hangs_mid_reply_times_out_cleanly() {
    let sim = router("7.18.2").await;
    let client = {
        let mut o = options(&sim);
        o.command_timeout = Duration::from_millis(500);
        Client::connect(o).await.unwrap()
    };
    sim.set_faults(Faults {
        hang_after_reply_sentences: Some(0),
        ..Faults::default()
    });
    let err = pass(&client, &subscribers(5), Policy::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ReconcileError::Router(RouterError::Timeout { .. })),
        "{err}"
    );
    assert!(
        sim.rows("/ppp/secret").is_empty(),
        "nothing applied from a plan never made"
    );
}

#[tokio::test]
async fn garbage_and_fatal_from_the_router_end_the_connection_not_the_agent() {
    let sim = router("7.18.2").await;
    let client = connect(&sim).await;
    sim.set_faults(Faults {
        garbage_reply: true,
        ..Faults::default()
    });
    let err = client
        .run(&Command::new("/system/identity/print"))
        .await
        .unwrap_err();
    assert!(err.is_connection_lost(), "{err:?}");
    assert!(client.is_closed());

    sim.set_faults(Faults {
        fatal_after_sentences: Some(5),
        ..Faults::default()
    });
    let client = connect(&sim).await;
    let err = client
        .run(&Command::new("/system/identity/print"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RouterError::Fatal(ref r) if r == routeros_sim::FAULT_FATAL_REASON),
        "{err:?}"
    );

    sim.set_faults(Faults::default());
    assert!(connect(&sim)
        .await
        .run(&Command::new("/system/identity/print"))
        .await
        .is_ok());
}

#[tokio::test]
async fn slow_trickled_replies_are_reassembled() {
    let sim = router("7.18.2").await;
    let client = connect(&sim).await;
    pass(&client, &subscribers(10), Policy::default())
        .await
        .unwrap();
    sim.set_faults(Faults {
        trickle: Some((3, Duration::from_millis(1))),
        ..Faults::default()
    });
    let rows = client
        .run(&Command::new("/ppp/secret/print").proplist(&["name"]))
        .await
        .unwrap();
    assert_eq!(rows.items.len(), 10);
}

#[tokio::test]
async fn max_sessions_refuses_the_connection_over_the_limit() {
    let sim = routeros_sim::start(SimConfig {
        users: vec![(USER.into(), PASSWORD.into())],
        max_sessions: 2,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let _a = connect(&sim).await;
    let _b = connect(&sim).await;
    let err = Client::connect(options(&sim)).await.err().unwrap();
    assert!(err.is_connection_lost(), "{err:?}");
}

#[tokio::test]
async fn api_ssl_with_a_pinned_fingerprint_and_the_failures_operators_meet() {
    let cert = routeros_sim::self_signed(&["127.0.0.1"]).unwrap();
    let pin = edge_agent::routeros::tls::parse_fingerprint(&cert.sha256_fingerprint).unwrap();
    let sim = routeros_sim::start(SimConfig {
        users: vec![(USER.into(), PASSWORD.into())],
        tls: Some(TlsMode::Certificate {
            cert_pem: cert.cert_pem.clone(),
            key_pem: cert.key_pem.clone(),
        }),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut o = options(&sim);
    o.tls = Some(Trust::PinnedSha256(pin));
    let client = Client::connect(o.clone()).await.unwrap();
    assert!(client.capabilities().tls);

    // The same certificate trusted as a CA (the operator exported it from the router).
    o.tls = Some(Trust::Ca(vec![cert.cert_der.clone().into()]));
    assert!(Client::connect(o.clone()).await.unwrap().capabilities().tls);
    let stranger = routeros_sim::self_signed(&["127.0.0.1"]).unwrap();
    o.tls = Some(Trust::Ca(vec![stranger.cert_der.into()]));
    let err = Client::connect(o.clone()).await.err().unwrap();
    assert!(
        matches!(&err, RouterError::Tls(m) if m.contains("invalid peer certificate")),
        "{err:?}"
    );

    o.tls = Some(Trust::PinnedSha256([7; 32]));
    match Client::connect(o).await.err().unwrap() {
        RouterError::FingerprintMismatch { expected, actual } => {
            assert_eq!(expected, "07".repeat(32));
            assert_eq!(actual, cert.sha256_fingerprint);
        }
        other => panic!("unexpected {other:?}"),
    }

    let anon = routeros_sim::start(SimConfig {
        tls: Some(TlsMode::AnonymousDhOnly),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut o = options(&anon);
    o.tls = Some(Trust::PinnedSha256(pin));
    let err = Client::connect(o).await.err().unwrap();
    assert!(matches!(err, RouterError::AnonymousDhOnly), "{err:?}");
    assert!(
        err.to_string()
            .contains("/ip service set api-ssl certificate="),
        "tells the operator what to do: {err}"
    );
}

#[tokio::test]
async fn pipelined_commands_through_one_connection_match_their_replies() {
    let sim = router("7.18.2").await;
    let client = connect(&sim).await;
    let adds: Vec<Command> = (0..200)
        .map(|i| {
            Command::new("/ppp/secret/add")
                .attr("name", format!("p{i}"))
                .attr("password", "x")
        })
        .collect();
    let results = client.run_pipelined(adds, 64).await;
    let ids: Vec<String> = results
        .into_iter()
        .map(|r| String::from_utf8(r.unwrap().ret().unwrap().to_vec()).unwrap())
        .collect();
    let rows = sim.rows("/ppp/secret");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            row(&rows, &format!("p{i}"))[".id"],
            *id,
            "ret of add #{i} is that secret's id"
        );
    }
}

/// Builds `setu-agent` (a binary of another package, so cargo does not hand us its path).
fn setu_agent() -> PathBuf {
    let mut cargo = std::process::Command::new(env!("CARGO"));
    // The variables cargo sets for this test would look like changed inputs to the inner build
    // and force a rebuild on every run.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_TARGET_DIR" {
            cargo.env_remove(key);
        }
    }
    let status = cargo
        .args([
            "build",
            "--quiet",
            "-p",
            "edge-agent",
            "--bin",
            "setu-agent",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("setu-agent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_reconcile_dry_run_then_apply_and_bad_files_change_nothing() {
    let sim = router("7.18.2").await;
    let dir = tempdir("cli");
    std::fs::write(dir.join("pw"), format!("{PASSWORD}\n")).unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../edge-agent/examples/desired.toml"
    );
    let agent = setu_agent();
    let run = |desired: &str, extra: &[&str]| {
        let mut cmd = std::process::Command::new(&agent);
        cmd.args([
            "reconcile",
            "--router",
            &sim.addr().to_string(),
            "--user",
            USER,
        ])
        .arg("--password-file")
        .arg(dir.join("pw"))
        .args(["--desired", desired])
        .args(extra);
        cmd.output().unwrap()
    };

    let dry = tokio::task::block_in_place(|| run(example, &["--dry-run"]));
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        stdout.contains("add    /ppp/profile") && stdout.contains("dry run"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("k7Qm2vXa"),
        "passwords are masked: {stdout}"
    );
    assert!(
        sim.rows("/ppp/secret").is_empty(),
        "dry run changes nothing"
    );

    let applied = tokio::task::block_in_place(|| run(example, &[]));
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(sim.rows("/ppp/secret").len(), 3);
    let before = sim.rows("/ppp/secret");

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "version = 2\n[[secrets]]\nsubscriber_id = 1\nname = \"a\"\npassword = \"p\"\nprofile = \"nope\"\n").unwrap();
    let out = tokio::task::block_in_place(|| run(bad.to_str().unwrap(), &[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("secrets[0].profile"), "{stderr}");

    std::fs::write(
        &bad,
        "version = 2\n[[secrets]]\nsubscriber_id = 1\nname = \"a\"\nprofile = 7\n",
    )
    .unwrap();
    let out = tokio::task::block_in_place(|| run(bad.to_str().unwrap(), &[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 5"),
        "syntax errors name the line: {stderr}"
    );
    assert_eq!(sim.rows("/ppp/secret"), before, "bad files change nothing");
}

/// Writes an agent config for `sim` in a fresh directory with the example desired state.
fn agent_config(
    sim: &SimHandle,
    name: &str,
    interval_secs: u64,
) -> (PathBuf, edge_agent::config::AgentConfig) {
    let dir = tempdir(name);
    std::fs::write(dir.join("pw"), PASSWORD).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../edge-agent/examples/desired.toml"
        ),
        dir.join("desired.toml"),
    )
    .unwrap();
    let config = format!(
        "[router]\naddress = \"{}\"\nuser = \"{USER}\"\npassword_file = \"pw\"\n[desired]\nfile = \"desired.toml\"\n\
         [reconcile]\ninterval_secs = {interval_secs}\ndry_run = false\nsuspension = \"disable\"\nmax_destructive_share = 0.1\n\
         destructive_floor = 10\nallow_empty_desired = false\nadopt_matching_names = false\nwindow = 16\n",
        sim.addr()
    );
    std::fs::write(dir.join("agent.toml"), config).unwrap();
    let config = edge_agent::config::AgentConfig::load(&dir.join("agent.toml")).unwrap();
    (dir, config)
}

/// Starts the long-running agent; returns its status address and a stop switch.
async fn start_agent(
    config: edge_agent::config::AgentConfig,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let status = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(edge_agent::run(config, listener, async {
        let _ = stopped.await;
    }));
    (status, stop, agent)
}

fn bump_desired_version(dir: &std::path::Path, from: u64, to: u64) {
    let text = std::fs::read_to_string(dir.join("desired.toml")).unwrap();
    let text = text.replacen(&format!("version = {from}"), &format!("version = {to}"), 1);
    std::fs::write(
        dir.join("desired.toml"),
        text.replace("suspended = true", "suspended = false"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_agent_serves_its_status_without_secrets() {
    let sim = router("7.18.2").await;
    let (dir, config) = agent_config(&sim, "run", 60);
    let (status, stop, agent) = start_agent(config).await;

    let json = wait_for_status(status, |j| j.contains("\"result\":\"converged\"")).await;
    assert!(json.contains("\"router_reachable\":true"), "{json}");
    assert!(json.contains("\"version\":\"7.18.2"), "{json}");
    // A file change is picked up without waiting for the interval.
    bump_desired_version(&dir, 1, 2);
    let json = wait_for_status(status, |j| j.contains("\"desired_version\":2")).await;
    let page = http_get(status, "/").await;
    for secret in [PASSWORD, "k7Qm2vXa", "p9Lw4nZe", "t3Hs8kRb"] {
        assert!(
            !json.contains(secret) && !page.contains(secret),
            "status shows a password"
        );
    }
    assert!(
        page.contains("Setu agent") && page.contains("converged"),
        "{page}"
    );
    stop.send(()).unwrap();
    agent.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_agent_reconnects_after_the_router_drops_it() {
    let sim = router("7.18.2").await;
    let (dir, config) = agent_config(&sim, "reconnect", 1);
    let (status, stop, agent) = start_agent(config).await;
    wait_for_status(status, |j| j.contains("\"result\":\"converged\"")).await;

    // The router ends every session on its next sentence, new ones at login.
    sim.set_faults(Faults {
        fatal_after_sentences: Some(1),
        ..Faults::default()
    });
    let json = wait_for_status(status, |j| j.contains("\"router_reachable\":false")).await;
    // The `!fatal` may be lost to a TCP reset (the router closed with our pipelined commands
    // unread), so the error is either the router's reason or a reset connection.
    assert!(!json.contains("\"last_router_error\":null"), "{json}");

    sim.set_faults(Faults::default());
    bump_desired_version(&dir, 1, 2);
    let json = wait_for_status(status, |j| {
        j.contains("\"desired_version\":2") && j.contains("\"converged\"")
    })
    .await;
    assert!(json.contains("\"router_reachable\":true"), "{json}");
    assert_eq!(
        row(&sim.rows("/ppp/secret"), "nasrin.dhanmondi")["disabled"],
        "false"
    );
    stop.send(()).unwrap();
    agent.await.unwrap().unwrap();
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "setu-it-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

async fn wait_for_status(addr: std::net::SocketAddr, done: impl Fn(&str) -> bool) -> String {
    for _ in 0..400 {
        let json = http_get(addr, "/status.json").await;
        if done(&json) {
            return json;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "status never matched: {}",
        http_get(addr, "/status.json").await
    );
}
